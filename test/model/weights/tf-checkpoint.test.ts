import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { UserError } from '../../../src/ir/errors.ts';
import { presetConfig } from '../../../src/model/config.ts';
import { encoderParams, headParams } from '../../../src/model/params.ts';
import { crc32c, maskCrc32c, unmaskCrc32c } from '../../../src/util/crc32c.ts';
import { decodeFloat16 } from '../../../src/model/weights/float16.ts';
import { findCheckpointPrefix, listTfCheckpoint, readTfCheckpoint } from '../../../src/model/weights/tf-checkpoint.ts';
import type { WeightTensor } from '../../../src/model/weights/types.ts';
import { normal, rng } from '../../helpers/random.ts';
import { type BundleOptions, type BundleTensor, bytesOf, crc32cBitwise, DT, writeTfBundle } from './tf-bundle-writer.ts';

const tmp = mkdtempSync(join(tmpdir(), 'albert-tf-ckpt-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
let counter = 0;
/** A fresh checkpoint prefix in its own directory. */
function freshPrefix(name = 'model.ckpt-best'): string {
  const dir = join(tmp, `c${counter++}`);
  mkdirSync(dir);
  return join(dir, name);
}

function f32Tensor(name: string, shape: number[], r: () => number): BundleTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = Float32Array.from({ length: n }, () => normal(r) * 0.02);
  return { name, dtype: DT.FLOAT, shape, bytes: bytesOf(v) };
}

/** ALBERT-style tensors for a config: weights, Adam slots for each, and global_step. */
function albertTensors(cfg = presetConfig('tiny')!, namePrefix = '', seed = 1): BundleTensor[] {
  const r = rng(seed);
  const out: BundleTensor[] = [];
  for (const p of [...encoderParams(cfg), ...headParams(cfg, 'pretraining')]) {
    const name = namePrefix + p.name;
    out.push(f32Tensor(name, p.shape, r), f32Tensor(`${name}/adam_m`, p.shape, r), f32Tensor(`${name}/adam_v`, p.shape, r));
  }
  out.push({ name: 'global_step', dtype: DT.INT64, shape: [], bytes: bytesOf(BigInt64Array.of(125000n)) });
  return out;
}

function assertSameTensors(got: Map<string, WeightTensor>, want: BundleTensor[]): void {
  assert.deepEqual([...got.keys()], want.map((t) => t.name).sort(), 'names, in sorted (index) order');
  for (const t of want) {
    const g = got.get(t.name)!;
    assert.deepEqual(g.shape, t.shape, t.name);
    assert.deepEqual(bytesOf(g.data), t.bytes, `${t.name}: bytes differ`);
  }
}

/** Asserts a one-line UserError whose message contains every fragment. */
function assertUserError(fn: () => unknown, ...fragments: (string | RegExp)[]): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof UserError, `expected a UserError, got ${String(e)}`);
    assert.ok(!e.message.includes('\n'), `one line: ${e.message}`);
    for (const f of fragments) {
      if (typeof f === 'string') assert.ok(e.message.includes(f), `"${e.message}" should contain "${f}"`);
      else assert.match(e.message, f);
    }
    return true;
  });
}

function flipByte(file: string, offset: number): void {
  const b = readFileSync(file);
  b[offset] ^= 0x5a;
  writeFileSync(file, b);
}

describe('CRC-32C', () => {
  it('matches the published check values in the reader and in the test writer', () => {
    const vectors: [Uint8Array, number][] = [
      [new TextEncoder().encode('123456789'), 0xe3069283],
      [new Uint8Array(32), 0x8a9136aa], // RFC 3720 B.4: 32 bytes of zeros
      [new Uint8Array(32).fill(0xff), 0x62a8ab43],
      [Uint8Array.from({ length: 32 }, (_, i) => i), 0x46dd794e],
    ];
    for (const [data, want] of vectors) {
      assert.equal(crc32c(data), want);
      assert.equal(crc32cBitwise(data), want);
    }
    const long = Uint8Array.from({ length: 1000 }, (_, i) => (i * 131) & 0xff);
    assert.equal(crc32c(long.subarray(13), crc32c(long.subarray(0, 13))), crc32cBitwise(long));
    assert.equal(unmaskCrc32c(maskCrc32c(0xe3069283)), 0xe3069283);
    assert.notEqual(maskCrc32c(0xe3069283), 0xe3069283);
  });
});

describe('readTfCheckpoint', () => {
  for (const opts of [{ blockSize: 4096 }, { blockSize: 200, restartInterval: 3 }] as BundleOptions[]) {
    it(`reads back an ALBERT tiny pretraining checkpoint with Adam slots and global_step (block size ${opts.blockSize})`, () => {
      const prefix = freshPrefix();
      const tensors = albertTensors();
      const layout = writeTfBundle(prefix, tensors, opts);
      if (opts.blockSize === 200) {
        // The reader must not take index keys for tensor names: make sure some are separators.
        const names = new Set(tensors.map((t) => t.name));
        assert.ok(layout.indexKeys.length > 10 && layout.indexKeys.some((k) => !names.has(k)), 'shortened index keys');
      }
      const got = readTfCheckpoint(prefix);
      assertSameTensors(got, tensors);
      const step = got.get('global_step')!;
      assert.equal(step.dtype, 'int64');
      assert.deepEqual(step.data, BigInt64Array.of(125000n));
      const emb = got.get('bert/embeddings/word_embeddings')!;
      assert.equal(emb.dtype, 'float32');
      assert.ok(emb.data instanceof Float32Array);
      assert.deepEqual(emb.shape, [128, 16]);

      const listed = listTfCheckpoint(prefix);
      assert.deepEqual(
        listed,
        [...tensors].sort((a, b) => (a.name < b.name ? -1 : 1)).map((t) => ({ name: t.name, dtype: t.name === 'global_step' ? 'int64' : 'float32', shape: t.shape })),
      );
    });
  }

  it('reads the G=2, K=2 layout under a "module/" prefix from three shards', () => {
    const cfg = { ...presetConfig('tiny')!, numHiddenGroups: 2, innerGroupNum: 2 };
    const tensors = albertTensors(cfg, 'module/', 2);
    assert.ok(tensors.some((t) => t.name === 'module/bert/encoder/transformer/group_1/inner_group_1/LayerNorm_1/gamma'));
    const prefix = freshPrefix('model.ckpt-1000');
    const layout = writeTfBundle(prefix, tensors, { numShards: 3 });
    assert.equal(layout.dataFiles.length, 3);
    assert.ok(layout.dataFiles[2].endsWith('model.ckpt-1000.data-00002-of-00003'));
    assertSameTensors(readTfCheckpoint(prefix), tensors);
  });

  it('reads only the tensors asked for, and checks only their bytes', () => {
    const prefix = freshPrefix();
    const tensors = albertTensors();
    const layout = writeTfBundle(prefix, tensors);
    // Corrupt every Adam slot: reading the weights alone must not touch them.
    for (const [name, where] of layout.tensors) if (/adam_[mv]$/.test(name)) flipByte(layout.dataFiles[0], where.offset);
    const weights = (n: string) => !/adam_[mv]$/.test(n) && n !== 'global_step';
    const got = readTfCheckpoint(prefix, { names: weights });
    assertSameTensors(got, tensors.filter((t) => weights(t.name)));
    assertUserError(() => readTfCheckpoint(prefix), layout.dataFiles[0], '/adam_', 'checksum mismatch');
  });

  it('decodes every numeric dtype: half and bfloat16 widened, double, int32, int64, bool, int8, uint8', () => {
    const halfBits = Uint16Array.of(0x3c00, 0xc000, 0x7bff, 0x0001, 0x03ff, 0x0400, 0x7c00, 0xfc00, 0x8000, 0x3555);
    const halfValues = [1, -2, 65504, 2 ** -24, 1023 * 2 ** -24, 2 ** -14, Infinity, -Infinity, -0, 0.333251953125];
    const bf16Bits = Uint16Array.of(0x3f80, 0xc040, 0x7f80, 0x0001, 0x4049);
    const bf16Values = [1, -3, Infinity, 2 ** -133, 3.140625];
    const doubles = Float64Array.of(0.1, -1e300, 5e-324, Math.PI);
    const int32s = Int32Array.of(-(2 ** 31), 2 ** 31 - 1, 0, -1);
    const int64s = BigInt64Array.of(-(2n ** 63n), 2n ** 63n - 1n, 2n ** 53n + 1n);
    const tensors: BundleTensor[] = [
      { name: 'half', dtype: DT.HALF, shape: [2, 5], bytes: bytesOf(halfBits) },
      { name: 'half_nan', dtype: DT.HALF, shape: [1], bytes: bytesOf(Uint16Array.of(0x7e00)) },
      { name: 'bf16', dtype: DT.BFLOAT16, shape: [5], bytes: bytesOf(bf16Bits) },
      { name: 'double', dtype: DT.DOUBLE, shape: [2, 2], bytes: bytesOf(doubles) },
      { name: 'int32', dtype: DT.INT32, shape: [4], bytes: bytesOf(int32s) },
      { name: 'int64', dtype: DT.INT64, shape: [3, 1], bytes: bytesOf(int64s) },
      { name: 'bool', dtype: DT.BOOL, shape: [3], bytes: Uint8Array.of(1, 0, 1) },
      { name: 'int8', dtype: DT.INT8, shape: [2], bytes: bytesOf(Int8Array.of(-128, 127)) },
      { name: 'uint8', dtype: DT.UINT8, shape: [2], bytes: Uint8Array.of(0, 255) },
      { name: 'empty', dtype: DT.FLOAT, shape: [0, 3], bytes: new Uint8Array(0) },
      { name: 'scalar', dtype: DT.FLOAT, shape: [], bytes: bytesOf(Float32Array.of(-0.5)) },
    ];
    const prefix = freshPrefix();
    writeTfBundle(prefix, tensors);
    const got = readTfCheckpoint(prefix);
    const t = (n: string) => got.get(n)!;
    assert.equal(t('half').dtype, 'float16');
    assert.deepEqual(t('half').data, Float32Array.from(halfValues));
    assert.ok(Object.is(t('half').data[8], -0));
    assert.ok(Number.isNaN(t('half_nan').data[0]));
    assert.equal(t('bf16').dtype, 'bfloat16');
    assert.deepEqual(t('bf16').data, Float32Array.from(bf16Values));
    assert.equal(t('double').dtype, 'float64');
    assert.deepEqual(t('double').data, doubles);
    assert.deepEqual(t('int32').data, int32s);
    assert.deepEqual(t('int64').data, int64s);
    assert.deepEqual(t('int64').shape, [3, 1]);
    assert.deepEqual([t('bool').dtype, t('bool').data], ['bool', Uint8Array.of(1, 0, 1)]);
    assert.deepEqual([t('int8').dtype, t('int8').data], ['int8', Uint8Array.of(0x80, 0x7f)]);
    assert.deepEqual([t('uint8').dtype, t('uint8').data], ['uint8', Uint8Array.of(0, 255)]);
    assert.deepEqual([t('empty').shape, t('empty').data.length], [[0, 3], 0]);
    assert.deepEqual([t('scalar').shape, t('scalar').data], [[], Float32Array.of(-0.5)]);
  });

  it('widens all 65536 half-precision patterns exactly', () => {
    const all = new Uint16Array(65536).map((_, i) => i);
    const got = decodeFloat16(bytesOf(all));
    for (let h = 0; h < 65536; h++) {
      const sign = h & 0x8000 ? -1 : 1;
      const e = (h >> 10) & 0x1f;
      const m = h & 0x3ff;
      const want = e === 0x1f ? (m ? NaN : sign * Infinity) : e === 0 ? sign * m * 2 ** -24 : sign * (1 + m / 1024) * 2 ** (e - 15);
      if (!Object.is(got[h], want)) assert.fail(`half 0x${h.toString(16)}: got ${got[h]}, want ${want}`);
    }
  });

  it('accepts the .index file or the model directory in place of the prefix', () => {
    const prefix = freshPrefix();
    const tensors = albertTensors(undefined, '', 3).slice(0, 6);
    writeTfBundle(prefix, tensors);
    assertSameTensors(readTfCheckpoint(`${prefix}.index`), tensors);
    assertSameTensors(readTfCheckpoint(join(prefix, '..')), tensors);
  });
});

describe('readTfCheckpoint on bad files', () => {
  const good = freshPrefix();
  const goodTensors = albertTensors(undefined, '', 4).slice(0, 30);
  writeTfBundle(good, goodTensors, { blockSize: 512 });
  /** A copy of the good bundle in a new directory. */
  function copyOfGood(): string {
    const p = freshPrefix();
    copyFileSync(`${good}.index`, `${p}.index`);
    copyFileSync(`${good}.data-00000-of-00001`, `${p}.data-00000-of-00001`);
    return p;
  }

  it('refuses a flipped byte in a data block or the index block (checksum)', () => {
    const p = copyOfGood();
    flipByte(`${p}.index`, 20);
    assertUserError(() => readTfCheckpoint(p), `${p}.index`, 'data block at offset 0', 'checksum mismatch');
    const q = copyOfGood();
    const size = readFileSync(`${q}.index`).length;
    flipByte(`${q}.index`, size - 48 - 5 - 1); // the index block's last byte, just before its trailer
    assertUserError(() => listTfCheckpoint(q), `${q}.index`, 'index block', 'checksum mismatch');
  });

  it('refuses a truncated index, a too-short one and a wrong magic number', () => {
    const p = copyOfGood();
    const size = readFileSync(`${p}.index`).length;
    truncateSync(`${p}.index`, Math.floor(size / 2));
    assertUserError(() => readTfCheckpoint(p), `${p}.index`, 'bad table magic number', 'truncated');
    truncateSync(`${p}.index`, 20);
    assertUserError(() => readTfCheckpoint(p), `${p}.index`, '20 bytes, too short for a table footer');
    const q = copyOfGood();
    flipByte(`${q}.index`, size - 1);
    assertUserError(() => readTfCheckpoint(q), `${q}.index`, 'bad table magic number', `offset ${size - 8}`);
  });

  it('refuses a missing index, a missing shard and a truncated shard', () => {
    const dir = join(tmp, 'missing');
    mkdirSync(dir);
    assertUserError(() => readTfCheckpoint(join(dir, 'model.ckpt')), `${join(dir, 'model.ckpt')}.index`, 'missing');
    const p = freshPrefix();
    const layout = writeTfBundle(p, goodTensors, { numShards: 2 });
    unlinkSync(layout.dataFiles[1]);
    assertUserError(() => readTfCheckpoint(p), `${p}.data-00001-of-00002`, 'data shard 1 of 2', 'missing');
    // The tensors of shard 0 are still readable on their own.
    const inShard0 = new Set([...layout.tensors].filter(([, w]) => w.shard === 0).map(([n]) => n));
    assert.equal(readTfCheckpoint(p, { names: (n) => inShard0.has(n) }).size, inShard0.size);

    const q = copyOfGood();
    const data = `${q}.data-00000-of-00001`;
    truncateSync(data, readFileSync(data).length - 10);
    assertUserError(() => readTfCheckpoint(q), data, 'ends past the shard', 'truncated');
  });

  it('refuses tensor bytes that do not match their CRC', () => {
    const p = copyOfGood();
    flipByte(`${p}.data-00000-of-00001`, 100);
    assertUserError(() => readTfCheckpoint(p), `${p}.data-00000-of-00001`, 'tensor "', 'checksum mismatch');
    const q = freshPrefix();
    writeTfBundle(q, [{ ...goodTensors[0], crc32cField: 12345 }]);
    assertUserError(() => readTfCheckpoint(q), `${q}.data-00000-of-00001`, `tensor "${goodTensors[0].name}"`, 'checksum mismatch');
  });

  it('refuses string, unknown-dtype, partitioned and mis-sized tensors, naming the entry', () => {
    const cases: [BundleTensor, string][] = [
      [{ name: 'vocab', dtype: DT.STRING, shape: [1], bytes: Uint8Array.of(1, 2) }, 'dtype DT_STRING is not supported'],
      [{ name: 'weird', dtype: 99, shape: [1], bytes: new Uint8Array(4) }, 'unknown dtype code 99'],
      [{ name: 'part', dtype: DT.FLOAT, shape: [2], bytes: new Uint8Array(8), sliced: true }, 'partitioned variable'],
      [{ name: 'short', dtype: DT.FLOAT, shape: [3], bytes: new Uint8Array(8) }, 'size 8 bytes does not match float32 [3] (12 bytes)'],
    ];
    for (const [t, msg] of cases) {
      const p = freshPrefix();
      writeTfBundle(p, [goodTensors[1], t]);
      assertUserError(() => readTfCheckpoint(p), `${p}.index`, `entry "${t.name}"`, msg);
      // The other tensor stays readable when the bad one is not asked for.
      assert.equal(readTfCheckpoint(p, { names: (n) => n === goodTensors[1].name }).size, 1);
    }
  });

  it('refuses snappy-compressed blocks and a table without a bundle header', () => {
    const p = freshPrefix();
    writeTfBundle(p, goodTensors.slice(0, 2), { compressionType: 1 });
    assertUserError(() => readTfCheckpoint(p), `${p}.index`, 'snappy-compressed');
    const q = freshPrefix();
    writeTfBundle(q, goodTensors.slice(0, 2), { omitHeader: true });
    assertUserError(() => readTfCheckpoint(q), `${q}.index`, 'no bundle header');
  });
});

describe('findCheckpointPrefix', () => {
  const mk = (files: Record<string, string>): string => {
    const dir = join(tmp, `find${counter++}`);
    mkdirSync(dir);
    for (const [f, text] of Object.entries(files)) writeFileSync(join(dir, f), text);
    return dir;
  };

  it('follows the "checkpoint" file, relative or from another machine', () => {
    const rel = mk({ checkpoint: 'model_checkpoint_path: "model.ckpt-200"\nall_model_checkpoint_paths: "model.ckpt-100"\n', 'model.ckpt-100.index': '', 'model.ckpt-200.index': '' });
    assert.equal(findCheckpointPrefix(rel), join(rel, 'model.ckpt-200'));
    const abs = mk({ checkpoint: 'model_checkpoint_path: "/home/someone/run\\"1\\"/model.ckpt-7"\n', 'model.ckpt-7.index': '', 'model.ckpt-3.index': '' });
    assert.equal(findCheckpointPrefix(abs), join(abs, 'model.ckpt-7'));
  });

  it('prefers model.ckpt-best, takes a single index, and is null on no checkpoint', () => {
    const best = mk({ 'model.ckpt-best.index': '', 'model.ckpt-5.index': '', checkpoint: 'model_checkpoint_path: "gone"\n' });
    assert.equal(findCheckpointPrefix(best), join(best, 'model.ckpt-best'));
    const single = mk({ 'variables.index': '', 'albert_config.json': '{}' });
    assert.equal(findCheckpointPrefix(single), join(single, 'variables'));
    assert.equal(findCheckpointPrefix(mk({ 'config.json': '{}' })), null);
  });

  it('is a UserError when several checkpoints are there and nothing names one', () => {
    const dir = mk({ 'model.ckpt-1.index': '', 'model.ckpt-2.index': '' });
    assertUserError(() => findCheckpointPrefix(dir), dir, 'several checkpoints (model.ckpt-1, model.ckpt-2)');
  });
});
