/**
 * A small tmpfs for the tests of full and read-only file systems. Mounting needs root (or
 * CAP_SYS_ADMIN): where it is not permitted, mountTmpfs says why and the test skips itself.
 */
import { spawnSync } from 'node:child_process';

/** Mounts a tmpfs with `options` (e.g. "size=64k", "ro,size=1m") on `dir`; returns null, or why it cannot. */
export function mountTmpfs(dir: string, options: string): string | null {
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir], { encoding: 'utf8' });
  if (r.error) return `cannot run mount: ${r.error.message}`;
  if (r.status !== 0) return `mount -t tmpfs not permitted here: ${(r.stderr || `exit ${r.status}`).trim()}`;
  return null;
}

export function unmount(dir: string): void {
  spawnSync('umount', [dir]);
}
