/**
 * Files albert writes go to a temporary name next to their final path and are renamed into
 * place, so a reader (or a run killed half-way) never sees half a file.
 */
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { UserError } from './errors.ts';
import { fsReason } from './fs-reason.ts';

/**
 * Writes `data` to `path` through `<path>.tmp-<pid>`; on any failure (a full disk, a directory
 * in the way) the temporary file is removed and a one-line UserError says why.
 */
export function writeAtomic(path: string, data: Uint8Array | string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (e) {
    removeTemp(tmp);
    throw new UserError(`cannot write ${path}: ${fsReason(e)}`);
  }
}

/** Removes a temporary file after a failure; never throws (the failure is what gets reported). */
export function removeTemp(tmp: string): void {
  try {
    rmSync(tmp, { force: true });
  } catch {
    // not a plain file (or not ours to remove): leave it
  }
}
