import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import * as tar from 'tar';
import { UserError } from '../../../src/ir/errors.ts';
import { extractTarGz } from '../../../src/model/weights/tar.ts';
import { findCheckpointPrefix, readTfCheckpoint } from '../../../src/model/weights/tf-checkpoint.ts';
import { bytesOf, DT, writeTfBundle } from './tf-bundle-writer.ts';

const tmp = mkdtempSync(join(tmpdir(), 'albert-tar-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
let counter = 0;
const fresh = (name: string) => {
  const d = join(tmp, `${name}${counter++}`);
  mkdirSync(d);
  return d;
};

async function entryPaths(archive: string): Promise<string[]> {
  const paths: string[] = [];
  await tar.t({ file: archive, onReadEntry: (e) => paths.push(`${e.type}:${e.path}${e.linkpath ? ` -> ${e.linkpath}` : ''}`) });
  return paths;
}

/** A gzipped tar written from raw headers, for entries `tar.c` will not produce. */
function rawTarGz(file: string, entries: { path: string; type: 'File' | 'SymbolicLink' | 'Link' | 'Directory' | 'FIFO'; linkpath?: string; data?: string }[]): void {
  const blocks: Buffer[] = [];
  for (const e of entries) {
    const data = Buffer.from(e.data ?? '');
    const h = new tar.Header({ path: e.path, type: e.type, linkpath: e.linkpath, size: data.length, mode: 0o644, mtime: new Date(0) });
    const block = Buffer.alloc(512);
    h.encode(block);
    blocks.push(block, data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  writeFileSync(file, gzipSync(Buffer.concat(blocks)));
}

/** Asserts extraction is refused with a one-line UserError naming the archive and the entry. */
async function assertRefused(archive: string, dest: string, entry: string, why: RegExp): Promise<void> {
  await assert.rejects(extractTarGz(archive, dest), (e: unknown) => {
    assert.ok(e instanceof UserError, `expected a UserError, got ${String(e)}`);
    assert.ok(!e.message.includes('\n'), e.message);
    assert.ok(e.message.startsWith(`${archive}: entry ${JSON.stringify(entry)}: `), e.message);
    assert.match(e.message, why);
    return true;
  });
  // Refused before anything is written: the target directory was not even created.
  assert.equal(existsSync(dest), false, `${dest} should not exist`);
}

describe('extractTarGz', () => {
  it('extracts a release-like archive whose checkpoint then reads back', async () => {
    const src = fresh('src');
    const dir = join(src, 'albert_base');
    mkdirSync(dir);
    const weights = Float32Array.of(0.5, -0.25, 3);
    writeTfBundle(join(dir, 'model.ckpt-best'), [
      { name: 'bert/embeddings/LayerNorm/gamma', dtype: DT.FLOAT, shape: [3], bytes: bytesOf(weights) },
      { name: 'global_step', dtype: DT.INT64, shape: [], bytes: bytesOf(BigInt64Array.of(10n)) },
    ]);
    writeFileSync(join(dir, 'albert_config.json'), '{"hidden_size": 768}\n');
    writeFileSync(join(dir, '30k-clean.model'), Buffer.from([0, 1, 2, 3, 255]));
    const archive = join(src, 'albert_base_v2.tar.gz');
    await tar.c({ gzip: true, file: archive, cwd: src }, ['albert_base']);

    const dest = join(fresh('out'), 'nested', 'target');
    const files = await extractTarGz(archive, dest);
    const names = ['30k-clean.model', 'albert_config.json', 'model.ckpt-best.data-00000-of-00001', 'model.ckpt-best.index'];
    assert.deepEqual([...files].sort(), names.map((n) => join(dest, 'albert_base', n)));
    for (const n of names) assert.deepEqual(readFileSync(join(dest, 'albert_base', n)), readFileSync(join(dir, n)), n);
    const prefix = findCheckpointPrefix(join(dest, 'albert_base'));
    assert.equal(prefix, join(dest, 'albert_base', 'model.ckpt-best'));
    assert.deepEqual(readTfCheckpoint(prefix!).get('bert/embeddings/LayerNorm/gamma')!.data, weights);
  });

  it('extracts links that stay inside: a relative symlink down the tree and a hard link to an earlier file', async () => {
    const archive = join(fresh('a'), 'links.tar.gz');
    rawTarGz(archive, [
      { path: 'm/', type: 'Directory' },
      { path: 'm/model.ckpt-best.index', type: 'File', data: 'index' },
      { path: 'm/latest.index', type: 'SymbolicLink', linkpath: 'model.ckpt-best.index' },
      { path: 'm/copy.index', type: 'Link', linkpath: 'm/model.ckpt-best.index' },
    ]);
    const dest = join(fresh('out'), 't');
    const files = await extractTarGz(archive, dest);
    assert.deepEqual(files, [join(dest, 'm/model.ckpt-best.index'), join(dest, 'm/copy.index')]);
    assert.ok(lstatSync(join(dest, 'm/latest.index')).isSymbolicLink());
    assert.equal(readFileSync(join(dest, 'm/latest.index'), 'utf8'), 'index');
    assert.equal(readFileSync(join(dest, 'm/copy.index'), 'utf8'), 'index');
  });

  it('refuses an entry "../evil" without writing outside the target', async () => {
    const base = fresh('dotdot');
    const inner = join(base, 'inner');
    mkdirSync(inner);
    writeFileSync(join(base, 'evil'), 'evil');
    writeFileSync(join(inner, 'ok.txt'), 'ok');
    const archive = join(base, 'evil.tar.gz');
    await tar.c({ gzip: true, file: archive, cwd: inner, preservePaths: true }, ['ok.txt', '../evil']);
    assert.deepEqual(await entryPaths(archive), ['File:ok.txt', 'File:../evil'], 'the archive really holds the bad entry');
    rmSync(join(base, 'evil'));
    const out = fresh('out');
    await assertRefused(archive, join(out, 'x', 'target'), '../evil', /".." segment/);
    assert.equal(existsSync(join(out, 'x', 'evil')), false);
    assert.equal(existsSync(join(base, 'evil')), false);
  });

  it('refuses an absolute path', async () => {
    const base = fresh('abs');
    const victim = join(base, 'victim.txt');
    writeFileSync(victim, 'original');
    const archive = join(base, 'abs.tar.gz');
    await tar.c({ gzip: true, file: archive, preservePaths: true }, [victim]);
    assert.deepEqual(await entryPaths(archive), [`File:${victim}`]);
    writeFileSync(victim, 'untouched');
    await assertRefused(archive, join(fresh('out'), 'target'), victim, /absolute path/);
    assert.equal(readFileSync(victim, 'utf8'), 'untouched');
  });

  it('refuses a symlink to /etc/passwd and a hard link out of the tree', async () => {
    const src = fresh('sym');
    mkdirSync(join(src, 'albert_base'));
    writeFileSync(join(src, 'albert_base', 'albert_config.json'), '{}');
    symlinkSync('/etc/passwd', join(src, 'albert_base', 'passwd'));
    const archive = join(src, 'sym.tar.gz');
    await tar.c({ gzip: true, file: archive, cwd: src }, ['albert_base']);
    assert.ok((await entryPaths(archive)).includes('SymbolicLink:albert_base/passwd -> /etc/passwd'));
    await assertRefused(archive, join(fresh('out'), 'target'), 'albert_base/passwd', /symbolic link to the absolute path "\/etc\/passwd"/);

    const hard = join(fresh('hard'), 'hard.tar.gz');
    rawTarGz(hard, [{ path: 'x', type: 'Link', linkpath: '../../outside' }]);
    await assertRefused(hard, join(fresh('out'), 'target'), 'x', /hard link target "..\/..\/outside" has a ".." segment/);
    const hardAbs = join(fresh('hard'), 'hard-abs.tar.gz');
    rawTarGz(hardAbs, [{ path: 'x', type: 'Link', linkpath: '/etc/passwd' }]);
    await assertRefused(hardAbs, join(fresh('out'), 'target'), 'x', /hard link to the absolute path/);
  });

  it('refuses link chains that escape, writes through links, and special files', async () => {
    // "here" -> "." stays inside, but "up" -> "here/.." would resolve to the parent.
    const chain = join(fresh('chain'), 'chain.tar.gz');
    rawTarGz(chain, [
      { path: 'here', type: 'SymbolicLink', linkpath: '.' },
      { path: 'up', type: 'SymbolicLink', linkpath: 'here/..' },
    ]);
    await assertRefused(chain, join(fresh('out'), 'target'), 'up', /symbolic link target "here\/.." has a ".." segment/);

    const through = join(fresh('through'), 'through.tar.gz');
    rawTarGz(through, [
      { path: 'd', type: 'SymbolicLink', linkpath: 'sub' },
      { path: 'd/file', type: 'File', data: 'x' },
    ]);
    await assertRefused(through, join(fresh('out'), 'target'), 'd/file', /passes through the symbolic link "d"/);

    const over = join(fresh('over'), 'over.tar.gz');
    rawTarGz(over, [
      { path: 'f', type: 'SymbolicLink', linkpath: 'g' },
      { path: 'f', type: 'File', data: 'x' },
    ]);
    await assertRefused(over, join(fresh('out'), 'target'), 'f', /replaces the symbolic link "f"/);

    const fifo = join(fresh('fifo'), 'fifo.tar.gz');
    rawTarGz(fifo, [{ path: 'pipe', type: 'FIFO' }]);
    await assertRefused(fifo, join(fresh('out'), 'target'), 'pipe', /unsupported entry type FIFO/);
  });

  it('reports a missing or unreadable archive as a UserError naming it', async () => {
    const base = fresh('bad');
    await assert.rejects(extractTarGz(join(base, 'nope.tar.gz'), join(base, 'out')), (e: unknown) => e instanceof UserError && /nope\.tar\.gz: archive not found/.test(e.message));
    const garbage = join(base, 'garbage.tar.gz');
    writeFileSync(garbage, gzipSync(Buffer.alloc(2048, 'not a tar archive ')));
    await assert.rejects(extractTarGz(garbage, join(base, 'out')), (e: unknown) => {
      assert.ok(e instanceof UserError, String(e));
      assert.match(e.message, /garbage\.tar\.gz: not a readable \.tar\.gz archive/);
      assert.ok(!e.message.includes('\n'));
      return true;
    });
    assert.deepEqual(readdirSync(base).sort(), ['garbage.tar.gz']);
  });
});
