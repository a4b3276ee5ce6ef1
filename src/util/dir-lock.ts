/**
 * One owner per output directory: `<dir>/.albert.lock`, created atomically (open with 'wx'),
 * holds {pid, host, started, command} of the run that owns the directory. A second run on the
 * same directory is refused with one line naming the owner; clean-up of a directory (stale
 * temporary files) happens only under its lock.
 *
 * - A lock whose owner is a dead process on this host (killed with SIGKILL, or by a signal
 *   whose default action skips the exit handlers) is stale: the next run takes it over and says so.
 * - A lock from another host is never taken over automatically: its pid means nothing here.
 * - Re-entrant within a process: acquiring a directory this process already holds returns
 *   another handle on the same lock (the finetune flow locks, then the training loop locks
 *   again); the file goes when the last handle is released.
 * - Released on every exit that runs the 'exit' handlers (normal ends and errors alike); a
 *   release removes the file only while it still holds our pid and start time.
 * - The directory is created when missing; the levels this lock created are removed again on
 *   release when they are still empty, so a run that fails on its inputs leaves no empty
 *   output directory behind.
 *
 * `lockName` gives a per-file lock in a shared directory (create-pretraining-data locks each
 * output file: shards of one corpus are written in parallel into one directory, as with the
 * original).
 */
import { closeSync, existsSync, openSync, readFileSync, rmdirSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, resolve } from 'node:path';
import { UserError } from './errors.ts';
import { fsCode, fsReason } from './fs-reason.ts';
import { makeDir } from './make-dir.ts';

export const LOCK_FILE = '.albert.lock';

/** The directory is owned by another run (the message names it). */
export class DirInUseError extends UserError {
  constructor(message: string) {
    super(message);
    this.name = 'DirInUseError';
  }
}

/** The directory cannot be created or written (`reason` in words: "permission denied", ...). */
export class DirWriteError extends UserError {
  constructor(
    readonly dir: string,
    readonly reason: string,
    what: string,
  ) {
    super(`${dir}: cannot write to the ${what} (${reason})`);
    this.name = 'DirWriteError';
  }
}

/** What the lock file holds. */
export interface LockOwner {
  pid: number;
  host: string;
  /** ISO time the lock was taken. */
  started: string;
  /** What holds it: "pretrain", "export", ... */
  command: string;
}

export interface DirLock {
  readonly dir: string;
  /** The lock file. */
  readonly path: string;
  readonly owner: LockOwner;
  /** Removes the lock (once; the last handle of a re-entrant lock removes the file). */
  release(): void;
}

export interface DirLockOptions {
  /** Told (one line) when a stale lock is taken over. */
  note?: (line: string) => void;
  /** The lock file's name in `dir` (default .albert.lock). */
  lockName?: string;
  /** Create `dir` when missing (default true). */
  create?: boolean;
  /** The word for the directory in messages (default "output directory"). */
  what?: string;
  /** What the refusal says is in use (default: the directory; a per-file lock names its file). */
  subject?: string;
}

interface Held {
  owner: LockOwner;
  path: string;
  handles: number;
  /** Directories this lock created, deepest first. */
  created: string[];
  onExit: () => void;
}

/** Locks this process holds, by lock file path. */
const held = new Map<string, Held>();

/** A lock file whose content cannot be read is stale once it is this old (a kill between create and write). */
const UNREADABLE_STALE_MS = 10_000;

function parseOwner(text: string): LockOwner | null {
  try {
    const o = JSON.parse(text) as Partial<LockOwner> | null;
    if (o && Number.isSafeInteger(o.pid) && typeof o.host === 'string' && typeof o.started === 'string') {
      return { pid: o.pid!, host: o.host, started: o.started, command: typeof o.command === 'string' ? o.command : 'run' };
    }
  } catch {
    // not JSON: handled by the caller
  }
  return null;
}

/** Whether a process with this pid exists on this host (EPERM: it exists, owned by someone else). */
export function pidAlive(pid: number): boolean {
  if (!(pid > 0)) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return fsCode(e) !== 'ESRCH';
  }
}

function describe(o: LockOwner): string {
  return `albert ${o.command} (pid ${o.pid} on host ${o.host} since ${o.started})`;
}

/** The missing levels of `dir`, deepest first. */
function missingLevels(dir: string): string[] {
  const out: string[] = [];
  for (let p = dir; !existsSync(p) && dirname(p) !== p; p = dirname(p)) out.push(p);
  return out;
}

function tryCreate(path: string, owner: LockOwner, dir: string, what: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx');
  } catch (e) {
    if (fsCode(e) === 'EEXIST') return false;
    throw new DirWriteError(dir, fsReason(e), what);
  }
  try {
    writeSync(fd, `${JSON.stringify(owner)}\n`);
  } catch (e) {
    closeSync(fd);
    unlinkSync(path);
    throw new DirWriteError(dir, fsReason(e), what);
  }
  closeSync(fd);
  return true;
}

/**
 * Takes a stale lock over. A guard file (created with 'wx') lets only one newcomer at a time
 * replace it; the lock is read again under the guard, so a lock that another newcomer has just
 * taken is never removed.
 */
function takeOver(path: string, stale: string): boolean {
  const guard = `${path}.takeover`;
  let fd: number;
  try {
    fd = openSync(guard, 'wx');
  } catch (e) {
    if (fsCode(e) !== 'EEXIST') throw e;
    // Another newcomer is taking it over; a guard left by a killed one goes after a while.
    try {
      if (Date.now() - statSync(guard).mtimeMs > UNREADABLE_STALE_MS) unlinkSync(guard);
    } catch {
      // gone meanwhile
    }
    return false;
  }
  closeSync(fd);
  try {
    let now: string;
    try {
      now = readFileSync(path, 'utf8');
    } catch {
      return false; // removed meanwhile: try to create it again
    }
    if (now !== stale) return false;
    unlinkSync(path);
    return true;
  } finally {
    try {
      unlinkSync(guard);
    } catch {
      // ignore
    }
  }
}

/**
 * Makes this process the owner of `dir` (see the file comment); `command` names the run in the
 * lock file and in the message that refuses a second run.
 */
export function acquireDirLock(dir: string, command: string, opts: DirLockOptions = {}): DirLock {
  const what = opts.what ?? 'output directory';
  const subject = opts.subject ?? dir;
  const path = resolve(dir, opts.lockName ?? LOCK_FILE);
  const mine = held.get(path);
  if (mine) {
    mine.handles += 1;
    return handle(dir, mine);
  }
  const created = opts.create === false ? [] : missingLevels(resolve(dir));
  if (opts.create !== false) {
    try {
      makeDir(dir, what);
    } catch (e) {
      const prefix = `cannot create ${what} ${dir}: `;
      if (e instanceof UserError) throw new DirWriteError(dir, e.message.startsWith(prefix) ? e.message.slice(prefix.length) : e.message, what);
      throw e;
    }
  }
  const owner: LockOwner = { pid: process.pid, host: hostname(), started: new Date().toISOString(), command };
  const removeCreated = (): void => {
    for (const d of created) {
      try {
        rmdirSync(d);
      } catch {
        return; // not empty (or gone): what is left stays
      }
    }
  };
  try {
    for (let attempt = 0; ; attempt++) {
      if (tryCreate(path, owner, dir, what)) break;
      if (attempt >= 20) throw new UserError(`${dir}: cannot take the lock ${path} (it keeps changing hands)`);
      let text: string;
      try {
        text = readFileSync(path, 'utf8');
      } catch (e) {
        if (fsCode(e) === 'ENOENT') continue; // released meanwhile
        throw new UserError(`${path}: cannot read the lock (${fsReason(e)})`);
      }
      const other = parseOwner(text);
      if (!other) {
        let age = 0;
        try {
          age = Date.now() - statSync(path).mtimeMs;
        } catch {
          continue;
        }
        if (age < UNREADABLE_STALE_MS) throw new DirInUseError(`${subject} is being locked by another albert run (${path}); wait for it to finish or use another ${what}`);
        if (takeOver(path, text)) opts.note?.(`${dir}: removed an unreadable lock file left by a killed run (${path})`);
        continue;
      }
      if (other.host !== owner.host) {
        throw new DirInUseError(
          `${subject} is in use by ${describe(other)}; wait for it to finish or use another ${what} (a lock from another host is never taken over automatically: if that run is gone, remove ${path})`,
        );
      }
      if (pidAlive(other.pid) && other.pid !== process.pid) {
        throw new DirInUseError(`${subject} is in use by ${describe(other)}; wait for it to finish or use another ${what}`);
      }
      if (takeOver(path, text)) opts.note?.(`${dir}: taking over the lock of ${describe(other)}, which is no longer running`);
    }
  } catch (e) {
    removeCreated();
    throw e;
  }
  const entry: Held = {
    owner,
    path,
    handles: 1,
    created,
    onExit: () => {
      release(entry);
      removeCreated();
    },
  };
  held.set(path, entry);
  process.on('exit', entry.onExit);
  return handle(dir, entry);
}

function release(entry: Held): void {
  held.delete(entry.path);
  process.off('exit', entry.onExit);
  try {
    const now = parseOwner(readFileSync(entry.path, 'utf8'));
    if (now && now.pid === entry.owner.pid && now.started === entry.owner.started && now.host === entry.owner.host) unlinkSync(entry.path);
  } catch {
    // gone already, or unreadable: not ours to remove
  }
}

function handle(dir: string, entry: Held): DirLock {
  let done = false;
  return {
    dir,
    path: entry.path,
    owner: entry.owner,
    release: () => {
      if (done) return;
      done = true;
      entry.handles -= 1;
      if (entry.handles === 0) entry.onExit();
    },
  };
}

/**
 * acquireDirLock for a writer that reports an unwritable directory in its own words: null when
 * the directory cannot be created or written (the writer then fails, saying why); a directory
 * in use by another run is refused as with acquireDirLock.
 */
export function tryAcquireDirLock(dir: string, command: string, opts: DirLockOptions = {}): DirLock | null {
  try {
    return acquireDirLock(dir, command, opts);
  } catch (e) {
    if (e instanceof DirWriteError) return null;
    throw e;
  }
}
