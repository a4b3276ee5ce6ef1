/** Running `albert` as a user would, for the end-to-end command tests. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'bin', 'run.js');

export interface Run {
  /** The exit code, or -1 when a signal ended the process. */
  code: number;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface AlbertRunOptions {
  /** Text written to the command's stdin (closed right away when absent). */
  stdin?: string;
  timeoutMs?: number;
  env?: Record<string, string>;
}

/** Spawns `node bin/run.js ...args` (each spawn costs about a second). */
export function albertWith(args: string[], opts: AlbertRunOptions = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1', ...opts.env } });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, signal, stdout, stderr });
    });
    child.stdin.end(opts.stdin ?? '');
  });
}

export function albert(...args: string[]): Promise<Run> {
  return albertWith(args);
}

/**
 * A user error: non-zero exit, nothing on stdout, one line `Error: ...` on stderr (or, with
 * onlyLine false, progress lines before it) matching `pattern`, and no stack trace.
 */
export function assertOneLineError(r: Run, pattern: RegExp, onlyLine = true): void {
  assert.notEqual(r.code, 0, `exit code 0; stderr: ${r.stderr}`);
  assert.equal(r.stdout, '');
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  if (onlyLine) assert.equal(lines.length, 1, `expected one line on stderr, got:\n${r.stderr}`);
  const last = lines[lines.length - 1] ?? '';
  assert.match(last, /^Error: /);
  assert.match(last, pattern);
  assert.ok(!r.stderr.includes('    at '), `no stack trace expected:\n${r.stderr}`);
}
