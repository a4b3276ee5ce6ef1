import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../../../src/ir/errors.ts';
import { encodeExample, int64Feature } from '../../../src/data/example.ts';
import { encodePretrainingExample, pretrainingExample, type TrainingInstance } from '../../../src/tasks/pretraining/data/features.ts';
import { PretrainingDataset, type PretrainingBatch, type PretrainingDatasetOptions } from '../../../src/tasks/pretraining/dataset.ts';
import { TFRecordWriter } from '../../../src/data/tfrecord.ts';

const L = 8;
const P = 3;
const sizes = { maxSeqLength: L, maxPredictionsPerSeq: P };

/** Record number r: input_ids [2, 100 + r, 3, 7, 3], one masked position, label r % 2. */
function instance(r: number): TrainingInstance {
  return {
    inputIds: Int32Array.from([2, 100 + r, 3, 7, 3]),
    segmentBStart: 3,
    tokenBoundary: Uint8Array.from([1, 1, 1, 1, 1]),
    maskedLmPositions: Int32Array.from([1]),
    maskedLmIds: Int32Array.from([200 + r]),
    nextSentenceLabel: (r % 2) as 0 | 1,
  };
}

async function writeRecords(path: string, records: Uint8Array[]): Promise<void> {
  const w = TFRecordWriter.open(path);
  for (const r of records) await w.write(r);
  await w.close();
}

/** Three files of 10, 7 and 5 records numbered 0..21. */
async function dataset(ext = '.tfrecord'): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'albert-ds-'));
  const files: string[] = [];
  let r = 0;
  for (const [k, n] of [10, 7, 5].entries()) {
    const f = join(dir, `part-${k}${ext}`);
    await writeRecords(f, Array.from({ length: n }, () => encodePretrainingExample(instance(r++), sizes)));
    files.push(f);
  }
  return files;
}

/** Record numbers in a batch (from input_ids[1]). */
function ids(b: PretrainingBatch): number[] {
  return Array.from({ length: b.next_sentence_labels.length }, (_, i) => b.input_ids[i * L + 1] - 100);
}

async function batches(ds: PretrainingDataset, n: number): Promise<PretrainingBatch[]> {
  const out: PretrainingBatch[] = [];
  for (let i = 0; i < n; i++) out.push((await ds.next())!);
  return out;
}

function open(files: string[], opts: Partial<PretrainingDatasetOptions>): PretrainingDataset {
  return new PretrainingDataset(files, { batchSize: 4, maxSeqLength: L, maxPredictions: P, ...opts });
}

async function rejectsOneLine(f: () => unknown, pattern: RegExp): Promise<void> {
  await assert.rejects(async () => f(), (e: unknown) => e instanceof UserError && !e.message.includes('\n') && pattern.test(e.message));
}

describe('PretrainingDataset', () => {
  it('reads batches in file order without shuffling, shaped [batch x length], dropping a last partial batch', async () => {
    const files = await dataset();
    const ds = open(files, { shuffle: false, repeat: false });
    const got: number[][] = [];
    for await (const b of ds) {
      assert.equal(b.input_ids.length, 4 * L);
      assert.equal(b.input_mask.length, 4 * L);
      assert.equal(b.masked_lm_positions.length, 4 * P);
      assert.ok(b.masked_lm_weights instanceof Float32Array && b.input_ids instanceof Int32Array);
      got.push(ids(b));
      const r = ids(b)[2];
      assert.deepEqual([...b.input_ids.subarray(2 * L, 3 * L)], [2, 100 + r, 3, 7, 3, 0, 0, 0]);
      assert.deepEqual([...b.input_mask.subarray(2 * L, 3 * L)], [1, 1, 1, 1, 1, 0, 0, 0]);
      assert.deepEqual([...b.segment_ids.subarray(2 * L, 3 * L)], [0, 0, 0, 1, 1, 0, 0, 0]);
      assert.deepEqual([...b.masked_lm_positions.subarray(2 * P, 3 * P)], [1, 0, 0]);
      assert.deepEqual([...b.masked_lm_ids.subarray(2 * P, 3 * P)], [200 + r, 0, 0]);
      assert.deepEqual([...b.masked_lm_weights.subarray(2 * P, 3 * P)], [1, 0, 0]);
      assert.equal(b.next_sentence_labels[2], r % 2);
    }
    assert.deepEqual(got, [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11], [12, 13, 14, 15], [16, 17, 18, 19]]);
    await rejectsOneLine(() => open(files, { repeat: false, batchSize: 23 }).next(), /batch size 23 exceeds the 22 records in .*part-0\.tfrecord.*\(repeat is off\)/);
  });

  it('shuffles files and records by the seed, each record once per pass', async () => {
    const files = await dataset();
    const order = async (seed: number): Promise<number[]> => {
      const out: number[] = [];
      for await (const b of open(files, { seed, repeat: false, shuffleBuffer: 6, batchSize: 2 })) out.push(...ids(b));
      return out;
    };
    const a = await order(1);
    assert.equal(a.length, 22);
    assert.deepEqual([...a].sort((x, y) => x - y), Array.from({ length: 22 }, (_, i) => i));
    assert.notDeepEqual(a, [...a].sort((x, y) => x - y));
    assert.deepEqual(await order(1), a);
    assert.notDeepEqual(await order(2), a);
  });

  for (const [what, ext, opts] of [
    ['shuffled', '.tfrecord', { shuffleBuffer: 6 }],
    ['shuffled, gzip files', '.tfrecord.gz', { shuffleBuffer: 9 }],
    ['in order', '.tfrecord', { shuffle: false }],
  ] as const) {
    it(`resumes from a saved cursor with exactly the batches that would have come next (${what})`, async () => {
      const files = await dataset(ext);
      const first = open(files, { ...opts, batchSize: 5 });
      const before = await batches(first, 13);
      const cursor = JSON.parse(JSON.stringify(first.cursor()));
      const after = await batches(first, 17);
      assert.ok(first.currentEpoch >= 5, 'the run crosses several epochs');
      const resumed = open(files, { ...opts, batchSize: 5, cursor });
      const again = await batches(resumed, 17);
      assert.deepEqual(again.map(ids), after.map(ids));
      assert.deepEqual(again, after);
      // A cursor taken right after restoring is the one restored.
      assert.deepEqual(open(files, { ...opts, batchSize: 5, cursor }).cursor(), cursor);
      assert.ok(before.length === 13);
      await rejectsOneLine(() => open(files, { ...opts, batchSize: 5, cursor, seed: 99 }), /dataset cursor: saved with seed 12345, the dataset has 99/);
      await rejectsOneLine(() => open(files.slice(1), { ...opts, batchSize: 5, cursor }), /dataset cursor: saved for files/);
      // A hand-edited cursor without its file list: a UserError naming the field, not a TypeError.
      await rejectsOneLine(() => open(files, { ...opts, batchSize: 5, cursor: { ...cursor, files: undefined } }), /dataset cursor: field "files" is not a list/);
    });
  }

  it('rejects records of the wrong shape, corrupt files and missing ones in one line naming the file and record', async () => {
    const [good] = await dataset();
    const dir = mkdtempSync(join(tmpdir(), 'albert-ds-'));
    const short = join(dir, 'short.tfrecord');
    const recs = [0, 1, 2].map((r) => encodePretrainingExample(instance(r), sizes));
    recs[2] = encodePretrainingExample(instance(2), { maxSeqLength: 6, maxPredictionsPerSeq: P });
    await writeRecords(short, recs);
    await rejectsOneLine(() => open([short], { shuffle: false, batchSize: 3 }).next(), /short\.tfrecord: record 2 at byte offset \d+: feature "input_ids" has 6 values, expected max_seq_length = 8/);
    const noWeights = join(dir, 'nw.tfrecord');
    const ex = pretrainingExample(instance(0), sizes);
    ex.set('masked_lm_weights', int64Feature([1, 0, 0]));
    await writeRecords(noWeights, [encodeExample(ex)]);
    await rejectsOneLine(() => open([noWeights], { batchSize: 1 }).next(), /nw\.tfrecord: record 0 at byte offset 0: feature "masked_lm_weights" holds int64 values, expected float/);
    const farPos = join(dir, 'pos.tfrecord');
    const inst = instance(0);
    inst.maskedLmPositions = Int32Array.from([8]);
    await writeRecords(farPos, [encodePretrainingExample(inst, sizes)]);
    await rejectsOneLine(() => open([farPos], { batchSize: 1 }).next(), /pos\.tfrecord: record 0 .*"masked_lm_positions" value 8 at index 0 is outside positions of a 8-token sequence/);
    await rejectsOneLine(() => open([good], { batchSize: 1, vocabSize: 50, shuffle: false }).next(), /part-0\.tfrecord: record 0 at byte offset 0: feature "input_ids" value 100 at index 1 is outside the vocabulary of 50/);
    const corrupt = join(dir, 'corrupt.tfrecord');
    const bytes = readFileSync(good);
    bytes[bytes.length - 30] ^= 1;
    writeFileSync(corrupt, bytes);
    await rejectsOneLine(async () => {
      for await (const _ of open([corrupt], { shuffle: false, repeat: false, batchSize: 1 })) void _;
    }, /corrupt\.tfrecord: record 9 at byte offset \d+: corrupt data/);
    assert.throws(() => open([join(dir, 'nope.tfrecord')], {}), (e: unknown) => e instanceof UserError && /nope\.tfrecord: no such file or directory/.test(e.message));
    const empty = join(dir, 'empty.tfrecord');
    writeFileSync(empty, '');
    await rejectsOneLine(() => open([empty], { batchSize: 1 }).next(), /no records in .*empty\.tfrecord/);
  });
});
