/**
 * Creates a directory and its missing parents one level at a time. Node's
 * `mkdirSync(p, { recursive: true })` spins forever at 100% CPU under /proc and reports a
 * read-only file system as "no such file or directory"; a plain mkdir per level fails at once,
 * with the true reason.
 */
import { mkdirSync, statSync, type Stats } from 'node:fs';
import { dirname } from 'node:path';
import { UserError } from './errors.ts';
import { fsCode, fsReason } from './fs-reason.ts';

/** makeDir's failure: `reason` says why (naming the level that failed where it is not `dir`). */
export class MakeDirError extends UserError {
  constructor(
    readonly dir: string,
    readonly reason: string,
    what: string,
  ) {
    super(`cannot create ${what} ${dir}: ${reason}`);
    this.name = 'MakeDirError';
  }
}

function statOrNull(p: string): Stats | null {
  return statSync(p, { throwIfNoEntry: false }) ?? null;
}

/**
 * Makes `path` a directory (an existing one is fine). `what` names it in the error
 * ("output directory"); any failure is a one-line MakeDirError (a UserError) naming the path
 * and the reason in words.
 */
export function makeDir(path: string, what = 'directory'): void {
  const fail = (reason: string): never => {
    throw new MakeDirError(path, reason, what);
  };
  const target = path;
  // From the path up to its deepest existing ancestor: the levels to create, deepest last.
  const missing: string[] = [];
  for (let p = target; ; p = dirname(p)) {
    let st: Stats | null;
    try {
      st = statOrNull(p);
    } catch (e) {
      // ENOTDIR: a file higher up; EACCES: a parent we may not search; ELOOP...
      if (fsCode(e) === 'ENOTDIR') continue;
      return fail(p === target ? fsReason(e) : `${p}: ${fsReason(e)}`);
    }
    if (st?.isDirectory()) break;
    if (st) return fail(p === target ? 'a file is in the way (not a directory)' : `${p} is a file, not a directory`);
    missing.unshift(p);
    if (dirname(p) === p) break; // a root that does not exist: mkdir says why
  }
  for (const p of missing) {
    try {
      mkdirSync(p);
    } catch (e) {
      const code = fsCode(e);
      if (code === 'EEXIST' && statOrNull(p)?.isDirectory()) continue; // made meanwhile by someone else
      if (code === 'EEXIST') return fail(p === target ? 'a file is in the way (not a directory)' : `${p} is a file, not a directory`);
      // The parent exists (it was found or just made), so ENOENT means its file system refuses.
      const reason = code === 'ENOENT' ? `${dirname(p)} does not allow creating directories (no such file or directory)` : fsReason(e);
      return fail(p === target || code === 'ENOENT' ? reason : `${p}: ${reason}`);
    }
  }
}
