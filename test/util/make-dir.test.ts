import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MakeDirError, makeDir } from '../../src/util/make-dir.ts';
import { UserError } from '../../src/util/errors.ts';
import { albert, assertOneLineError, ROOT } from '../helpers/cli.ts';
import { mountTmpfs, unmount } from '../helpers/tmpfs.ts';

const root = mkdtempSync(join(tmpdir(), 'albert-make-dir-'));

/** makeDir(path) in a child process (Node's recursive mkdir would spin there forever): its outcome and time. */
function makeDirInChild(path: string): { line: string; ms: number; status: number | null } {
  const script = `
    import { makeDir } from ${JSON.stringify(join(ROOT, 'src/util/make-dir.ts'))};
    const t0 = performance.now();
    let line = 'created';
    try { makeDir(${JSON.stringify(path)}, 'output directory'); } catch (e) { line = e.name + ': ' + e.message; }
    console.log(JSON.stringify({ line, ms: performance.now() - t0 }));`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8', timeout: 20_000 });
  assert.equal(r.signal, null, `makeDir(${path}) did not finish within 20 s (killed)`);
  const out = JSON.parse(r.stdout.trim()) as { line: string; ms: number };
  return { ...out, status: r.status };
}

function errorOf(f: () => void): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  assert.fail('expected an error');
}

describe('makeDir', () => {
  it('creates missing parents one level at a time; an existing directory is fine', () => {
    const p = join(root, 'a', 'b', 'c');
    makeDir(p);
    assert.ok(statSync(p).isDirectory());
    makeDir(p);
    makeDir(join(root, 'a'));
  });

  it('fails at once under /proc, with the reason, instead of spinning', () => {
    const r = makeDirInChild('/proc/albert-x');
    assert.match(r.line, /^MakeDirError: cannot create output directory \/proc\/albert-x: \/proc does not allow creating directories \(no such file or directory\)$/);
    assert.ok(r.ms < 1000, `took ${r.ms} ms`);
    const deeper = makeDirInChild('/proc/albert-x/y/z');
    assert.match(deeper.line, /^MakeDirError: cannot create output directory \/proc\/albert-x\/y\/z: /);
    assert.ok(deeper.ms < 1000, `took ${deeper.ms} ms`);
  });

  it('says a file is in the way', () => {
    const file = join(root, 'file');
    writeFileSync(file, 'x');
    const under = errorOf(() => makeDir(join(file, 'x', 'y'), 'output directory'));
    assert.ok(under instanceof MakeDirError && under instanceof UserError);
    assert.equal(under.message, `cannot create output directory ${join(file, 'x', 'y')}: ${file} is a file, not a directory`);
    const itself = errorOf(() => makeDir(file));
    assert.equal(itself.message, `cannot create directory ${file}: a file is in the way (not a directory)`);
  });

  it('reports a read-only file system as such (not as "no such file or directory")', (t) => {
    const mnt = join(root, 'ro');
    mkdirSync(mnt);
    const why = mountTmpfs(mnt, 'ro,size=1m');
    if (why) {
      t.skip(why);
      return;
    }
    try {
      const e = errorOf(() => makeDir(join(mnt, 'a', 'b'), 'output directory'));
      assert.equal(e.message, `cannot create output directory ${join(mnt, 'a', 'b')}: ${join(mnt, 'a')}: read-only file system`);
      const direct = errorOf(() => makeDir(join(mnt, 'a')));
      assert.match(direct.message, /: read-only file system$/);
    } finally {
      unmount(mnt);
    }
  });

  it('albert compile --out /proc/albert-x exits 1 at once with one line', async () => {
    const t0 = performance.now();
    const r = await albert('compile', '--config', 'tiny', '--head', 'classifier', '--mode', 'infer', '--out', '/proc/albert-x');
    const ms = performance.now() - t0;
    assert.equal(r.code, 1);
    assertOneLineError(r, /cannot create output directory \/proc\/albert-x: \/proc does not allow creating directories/);
    assert.ok(ms < 15_000, `took ${ms} ms`);
    assert.ok(!existsSync('/proc/albert-x'));
  });

  it('cleans up', () => {
    rmSync(root, { recursive: true, force: true });
  });
});
