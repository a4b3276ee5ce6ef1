/**
 * One owner per output directory (src/util/dir-lock.ts): unit tests of the lock, and the
 * concurrent-run case end to end with real `albert pretrain` processes: a second run on the same
 * --output-dir is refused with one line naming the owner while the first finishes intact, and
 * an owner killed with SIGKILL leaves a stale lock that the next run takes over and resumes.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { acquireDirLock, DirInUseError, LOCK_FILE, pidAlive, type LockOwner } from '../../src/util/dir-lock.ts';
import { albert, BIN, SEQ, tinyFlags, writeCountingRecords } from '../train/helpers.ts';

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'albert-lock-'));
}

/** The pid of a process that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  const pid = Number(r.stdout);
  assert.ok(pid > 0 && !pidAlive(pid));
  return pid;
}

function writeLock(dir: string, owner: LockOwner): void {
  writeFileSync(join(dir, LOCK_FILE), `${JSON.stringify(owner)}\n`);
}

describe('acquireDirLock', () => {
  it('creates the lock with pid, host, start time and command, and removes it on release', () => {
    const dir = join(tmp(), 'out');
    const lock = acquireDirLock(dir, 'pretrain');
    const held = JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')) as LockOwner;
    assert.equal(held.pid, process.pid);
    assert.equal(held.host, hostname());
    assert.equal(held.command, 'pretrain');
    assert.ok(!Number.isNaN(Date.parse(held.started)));
    writeFileSync(join(dir, 'model.safetensors'), 'x');
    lock.release();
    assert.equal(existsSync(join(dir, LOCK_FILE)), false);
    assert.equal(existsSync(dir), true, 'a directory with files stays');
  });

  it('refuses a second owner with one line naming the first', () => {
    const dir = tmp();
    const owner: LockOwner = { pid: process.ppid, host: hostname(), started: '2026-01-02T03:04:05.000Z', command: 'pretrain' };
    writeLock(dir, owner);
    assert.throws(
      () => acquireDirLock(dir, 'finetune'),
      (e: Error) =>
        e instanceof DirInUseError &&
        e.message === `${dir} is in use by albert pretrain (pid ${process.ppid} on host ${hostname()} since 2026-01-02T03:04:05.000Z); wait for it to finish or use another output directory`,
    );
    assert.deepEqual(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')), owner, 'the owner keeps its lock');
  });

  it('is re-entrant within a process: the last release removes the file', () => {
    const dir = tmp();
    const outer = acquireDirLock(dir, 'finetune classify');
    const inner = acquireDirLock(dir, 'classify');
    inner.release();
    inner.release(); // once only
    assert.ok(existsSync(join(dir, LOCK_FILE)));
    outer.release();
    assert.equal(existsSync(join(dir, LOCK_FILE)), false);
  });

  it('takes over a stale lock of a dead process on this host, with a note', () => {
    const dir = tmp();
    const pid = deadPid();
    writeLock(dir, { pid, host: hostname(), started: '2026-01-02T03:04:05.000Z', command: 'pretrain' });
    const notes: string[] = [];
    const lock = acquireDirLock(dir, 'pretrain', { note: (l) => notes.push(l) });
    assert.equal(notes.length, 1);
    assert.match(notes[0], new RegExp(`taking over the lock of albert pretrain \\(pid ${pid} on host .*\\), which is no longer running`));
    assert.equal((JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')) as LockOwner).pid, process.pid);
    lock.release();
  });

  it('never takes over a lock from another host', () => {
    const dir = tmp();
    writeLock(dir, { pid: deadPid(), host: 'elsewhere.example', started: '2026-01-02T03:04:05.000Z', command: 'pretrain' });
    assert.throws(() => acquireDirLock(dir, 'pretrain'), /is in use by albert pretrain \(pid \d+ on host elsewhere\.example since .*\); wait for it to finish or use another output directory \(a lock from another host is never taken over automatically: if that run is gone, remove .*\.albert\.lock\)$/);
    assert.ok(existsSync(join(dir, LOCK_FILE)));
  });

  it('releases only its own lock', () => {
    const dir = tmp();
    const lock = acquireDirLock(dir, 'export');
    // Someone took the directory over (after removing ours by hand): our release leaves theirs.
    const theirs: LockOwner = { pid: process.ppid, host: hostname(), started: '2026-01-02T03:04:05.000Z', command: 'convert' };
    writeLock(dir, theirs);
    lock.release();
    assert.deepEqual(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')), theirs);
  });

  it('removes the directories it created when nothing was written, and is released at exit', () => {
    const base = tmp();
    const dir = join(base, 'a', 'b');
    acquireDirLock(dir, 'convert').release();
    assert.deepEqual(readdirSync(base), [], 'nothing left of a/b');
    // A process that exits (here: with an error) without releasing: the exit handler does it.
    const script = `import { acquireDirLock } from ${JSON.stringify(new URL('../../src/util/dir-lock.ts', import.meta.url).href)}; acquireDirLock(${JSON.stringify(join(base, 'c'))}, 'x'); throw new Error('boom');`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
    assert.notEqual(r.status, 0);
    assert.deepEqual(readdirSync(base), []);
    mkdirSync(join(base, 'd'));
    acquireDirLock(join(base, 'd'), 'x').release();
    assert.deepEqual(readdirSync(base), ['d'], 'a directory that existed stays');
  });
});

/** Starts `albert ...`; resolves once `marker` appears on stdout (with the child), and tracks its exit. */
function start(args: string[]): { marker: (m: string) => Promise<void>; exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>; kill: () => void; exited: () => boolean } {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const waiters: { m: string; resolve: () => void }[] = [];
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
    for (const w of waiters.filter((x) => stdout.includes(x.m))) w.resolve();
  });
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  let exited = false;
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) =>
    child.on('exit', (code, signal) => {
      exited = true;
      resolve({ code, signal, stdout, stderr });
    }),
  );
  return {
    marker: (m) =>
      new Promise<void>((resolve, reject) => {
        if (stdout.includes(m)) return resolve();
        waiters.push({ m, resolve });
        void exit.then((r) => reject(new Error(`exited (${r.code ?? r.signal}) before ${m}: ${r.stderr.slice(-800)}`)));
      }),
    exit,
    kill: () => child.kill('SIGKILL'),
    exited: () => exited,
  };
}

describe('two albert pretrain runs on one --output-dir', () => {
  it('refuses the second with one line naming the owner; a SIGKILLed owner is taken over and resumed', async () => {
    const dir = tmp();
    const train = await writeCountingRecords(join(dir, 'train.tfrecord'), 64, 1);
    const out = join(dir, 'out');
    // Long enough that the first is still training while the second starts and is refused.
    const flags = tinyFlags(train, out, ['--num-train-steps', '400', '--save-checkpoints-steps', '100', '--keep-checkpoint-max', '0', '--json']);
    assert.equal(SEQ, 32);

    const first = start(flags);
    await first.marker('"type":"step","step":2');
    const second = await albert(flags);
    assert.equal(second.code, 1, second.stderr);
    assert.equal(first.exited(), false, 'the first was still running when the second was refused');
    const lines = second.stderr.trim().split('\n');
    assert.equal(lines.length, 1, second.stderr);
    assert.match(lines[0], new RegExp(`^Error: .*out is in use by albert pretrain \\(pid \\d+ on host ${hostname().replace(/[.]/g, '\\.')} since \\d{4}-.*\\); wait for it to finish or use another output directory$`));
    const done = await first.exit;
    assert.equal(done.code, 0, done.stderr);
    const checkpoints = readdirSync(out).filter((n) => n.startsWith('checkpoint-')).sort((a, b) => Number(a.slice(11)) - Number(b.slice(11)));
    assert.deepEqual(checkpoints, [100, 200, 300, 400].map((s) => `checkpoint-${s}`), 'the first run kept all its checkpoints');
    for (const c of checkpoints) assert.ok(existsSync(join(out, c, 'training_state.json')));
    assert.deepEqual(readdirSync(out).filter((n) => n.startsWith('.')), [], 'no lock or temporary left');

    // An owner killed with SIGKILL mid-run: its lock stays, stale; the next run takes it over and resumes.
    const out2 = join(dir, 'out2');
    const flags2 = tinyFlags(train, out2, ['--num-train-steps', '12', '--save-checkpoints-steps', '4', '--keep-checkpoint-max', '0', '--json']);
    const owner = start(flags2);
    await owner.marker('"type":"checkpoint","step":4');
    owner.kill();
    const killed = await owner.exit;
    assert.equal(killed.signal, 'SIGKILL');
    assert.ok(existsSync(join(out2, LOCK_FILE)), 'SIGKILL leaves the lock');
    const next = await albert(flags2);
    assert.equal(next.code, 0, next.stderr);
    assert.match(next.stderr, /taking over the lock of albert pretrain \(pid \d+ on host .*\), which is no longer running/);
    const resumed = next.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { type: string; start_step?: number; resumed_from?: string });
    const summary = resumed.find((o) => o.type === 'summary') as { start_step: number; resumed_from: string } | undefined;
    assert.ok(summary && summary.start_step >= 4 && summary.resumed_from.includes('checkpoint-'), JSON.stringify(summary));
    assert.equal(existsSync(join(out2, LOCK_FILE)), false);
  });
});
