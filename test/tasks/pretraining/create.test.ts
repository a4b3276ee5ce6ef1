import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../../../src/ir/errors.ts';
import { DataRng } from '../../../src/data/random.ts';
import { createPretrainingData, createShardInstances, instanceOptions, type CreatePretrainingDataOptions } from '../../../src/tasks/pretraining/data/create.ts';
import { documentsFromText } from '../../../src/tasks/pretraining/data/documents.ts';
import { decodePretrainingRecord, encodePretrainingExample, type TrainingInstance } from '../../../src/tasks/pretraining/data/features.ts';
import { numToPredict } from '../../../src/tasks/pretraining/data/masking.ts';
import { decodeExample } from '../../../src/data/example.ts';
import { readTFRecordsSync } from '../../../src/data/tfrecord.ts';
import { SyllableTokenizer, syllableCorpus, TagTokenizer, taggedCorpus } from './helpers.ts';

function instancesFor(text: string, tokenizer: SyllableTokenizer | TagTokenizer, opts: Partial<CreatePretrainingDataOptions>, seed = 12345): TrainingInstance[] {
  const o = instanceOptions({ inputFiles: [], outputFiles: [], tokenizer, ...opts });
  return createShardInstances(documentsFromText(text, tokenizer), o, new DataRng(seed));
}

/** The ids before masking. */
function original(inst: TrainingInstance): Int32Array {
  const ids = Int32Array.from(inst.inputIds);
  inst.maskedLmPositions.forEach((p, j) => (ids[p] = inst.maskedLmIds[j]));
  return ids;
}

describe('pretraining instances', () => {
  it('lay out [CLS] A [SEP] B [SEP] within max_seq_length and mask whole words, num_to_predict of them', () => {
    for (const single of [true, false]) {
      const tok = new SyllableTokenizer();
      const L = 48;
      const P = 6;
      const instances = instancesFor(syllableCorpus(1, 40, { singlePieceWords: single }), tok, { maxSeqLength: L, maxPredictionsPerSeq: P, dupeFactor: 3 });
      assert.ok(instances.length > 100, `${instances.length} instances`);
      for (const inst of instances) {
        const ids = original(inst);
        const n = ids.length;
        assert.ok(n <= L && n >= 5);
        assert.equal(ids[0], tok.clsId);
        assert.equal(ids[inst.segmentBStart - 1], tok.sepId);
        assert.equal(ids[n - 1], tok.sepId);
        assert.ok(inst.segmentBStart >= 3 && n - inst.segmentBStart >= 2, 'both segments hold a token');
        for (let i = 1; i < n - 1; i++) if (i !== inst.segmentBStart - 1) assert.ok(ids[i] !== tok.clsId && ids[i] !== tok.sepId);
        const want = numToPredict(n, 0.15, P);
        // Syllable words have up to three pieces, which may not fit the last slots; one-syllable words always do.
        if (single) assert.equal(inst.maskedLmPositions.length, want);
        else assert.ok(inst.maskedLmPositions.length <= want && inst.maskedLmPositions.length >= want - 2);
        const masked = new Set(inst.maskedLmPositions);
        for (const p of masked) assert.ok(p > 0 && p < n - 1 && p !== inst.segmentBStart - 1, 'never [CLS]/[SEP]');
        for (let i = 0; i < n; i++) {
          const piece = tok.pieces[ids[i]];
          const continues = i > 0 && !piece.startsWith('\u2581') && piece !== '.' && ![tok.clsId, tok.sepId].includes(ids[i]);
          assert.equal(inst.tokenBoundary[i], continues ? 0 : 1, `token_boundary at ${i} (${piece})`);
          // A continuation piece is masked exactly when the piece before it is (same word), unless it opens a segment.
          const opensSegment = ids[i - 1] === tok.sepId || ids[i - 1] === tok.clsId;
          if (continues && !opensSegment) assert.equal(masked.has(i), masked.has(i - 1), `word split by the mask at ${i}`);
        }
      }
    }
  });

  it('label 0 keeps A before B in one document, label 1 swaps them or takes B from another document, about half each', () => {
    for (const randomNextSentence of [false, true]) {
      const tok = new TagTokenizer();
      const instances = instancesFor(taggedCorpus(2, 80), tok, { maxSeqLength: 40, dupeFactor: 6, randomNextSentence });
      let ones = 0;
      let swapped = 0;
      let foreign = 0;
      for (const inst of instances) {
        const ids = original(inst);
        const tags = (from: number, to: number): { d: number; s: number }[] =>
          [...ids.subarray(from, to)].map((id) => {
            const m = /^\u2581d(\d+)s(\d+)w\d+$/.exec(tok.byId.get(id)!)!;
            return { d: +m[1], s: +m[2] };
          });
        const a = tags(1, inst.segmentBStart - 1);
        const b = tags(inst.segmentBStart, ids.length - 1);
        assert.ok(a.every((t) => t.d === a[0].d), 'A comes from one document');
        const sameDoc = b.every((t) => t.d === a[0].d);
        if (inst.nextSentenceLabel === 0) {
          assert.ok(sameDoc, 'label 0: B from the same document');
          assert.ok(Math.max(...a.map((t) => t.s)) < Math.min(...b.map((t) => t.s)), 'label 0: A before B');
        } else {
          ones++;
          if (sameDoc && Math.min(...a.map((t) => t.s)) > Math.max(...b.map((t) => t.s))) swapped++;
          else foreign++;
        }
      }
      const zeros = instances.length - ones;
      assert.ok(instances.length > 400);
      // One-sentence chunks always take B from another document (label 1), so the overall share is above 1/2.
      const p = ones / instances.length;
      assert.ok(p > 0.5 && p < 0.75, `label 1 share ${p.toFixed(3)}`);
      if (randomNextSentence) {
        // Next-sentence mode never swaps: label 1 is always a B from elsewhere.
        assert.equal(swapped, 0);
      } else {
        // Sentence-order mode: chunks of two or more sentences are swapped half the time.
        const q = swapped / (swapped + zeros);
        assert.ok(Math.abs(q - 0.5) < 0.05, `swapped share ${q.toFixed(3)} of ${swapped + zeros}`);
        assert.ok(foreign > 0);
      }
    }
  });

  it('short_seq_prob makes short instances', () => {
    const tok = new SyllableTokenizer();
    const text = syllableCorpus(3, 30, { minSentences: 8, maxSentences: 14 });
    const mean = (xs: TrainingInstance[]): number => xs.reduce((s, x) => s + x.inputIds.length, 0) / xs.length;
    const long = instancesFor(text, tok, { maxSeqLength: 64, shortSeqProb: 0, dupeFactor: 2 });
    const short = instancesFor(text, tok, { maxSeqLength: 64, shortSeqProb: 1, dupeFactor: 2 });
    const some = instancesFor(text, tok, { maxSeqLength: 64, shortSeqProb: 0.1, dupeFactor: 2 });
    assert.ok(mean(long) > 52, `mean length ${mean(long)}`);
    assert.ok(mean(short) < mean(long) - 15, `${mean(short)} vs ${mean(long)}`);
    assert.ok(mean(some) < mean(long) && mean(some) > mean(short));
  });

  it('encodes an instance with the original features, padding and dtypes', () => {
    const inst: TrainingInstance = {
      inputIds: Int32Array.from([2, 10, 4, 3, 12, 3]),
      segmentBStart: 4,
      tokenBoundary: Uint8Array.from([1, 1, 0, 1, 1, 1]),
      maskedLmPositions: Int32Array.from([2]),
      maskedLmIds: Int32Array.from([11]),
      nextSentenceLabel: 1,
    };
    const ex = decodeExample(encodePretrainingExample(inst, { maxSeqLength: 8, maxPredictionsPerSeq: 3 }));
    const values = Object.fromEntries([...ex].map(([k, f]) => [k, f.kind === 'none' ? null : [...f.values]]));
    assert.deepEqual([...ex.keys()], ['input_ids', 'input_mask', 'segment_ids', 'token_boundary', 'masked_lm_positions', 'masked_lm_ids', 'masked_lm_weights', 'next_sentence_labels']);
    assert.deepEqual(values, {
      input_ids: [2, 10, 4, 3, 12, 3, 0, 0],
      input_mask: [1, 1, 1, 1, 1, 1, 0, 0],
      segment_ids: [0, 0, 0, 0, 1, 1, 0, 0],
      token_boundary: [1, 1, 0, 1, 1, 1, 0, 0],
      masked_lm_positions: [2, 0, 0],
      masked_lm_ids: [11, 0, 0],
      masked_lm_weights: [1, 0, 0],
      next_sentence_labels: [1],
    });
    assert.equal(ex.get('masked_lm_weights')!.kind, 'float');
    assert.equal(ex.get('input_ids')!.kind, 'int64');
  });
});

describe('createPretrainingData', () => {
  function setup(): { dir: string; input: string; tok: SyllableTokenizer } {
    const dir = mkdtempSync(join(tmpdir(), 'albert-cpd-'));
    const input = join(dir, 'corpus.txt');
    writeFileSync(input, syllableCorpus(4, 50));
    return { dir, input, tok: new SyllableTokenizer() };
  }
  const small = { maxSeqLength: 64, maxPredictionsPerSeq: 10, dupeFactor: 3 };

  it('writes the same bytes for the same seed, other bytes for another, round-robin over the outputs', async () => {
    const { dir, input, tok } = setup();
    const run = async (name: string, seed: number, outputs = 1): Promise<Buffer[]> => {
      const files = Array.from({ length: outputs }, (_, i) => join(dir, `${name}-${i}.tfrecord`));
      const r = await createPretrainingData({ inputFiles: [input], outputFiles: files, tokenizer: tok, randomSeed: seed, ...small, metaDataFile: join(dir, `${name}.json`) });
      assert.equal(r.instancesPerFile.reduce((a, b) => a + b, 0), r.instances);
      assert.ok(Math.max(...r.instancesPerFile) - Math.min(...r.instancesPerFile) <= 1);
      const meta = JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8'));
      assert.deepEqual(meta, { task_type: 'albert_pretraining', train_data_size: r.instances, max_seq_length: 64, max_predictions_per_seq: 10 });
      return files.map((f) => readFileSync(f));
    };
    const [a] = await run('a', 7);
    const [b] = await run('b', 7);
    const [c] = await run('c', 8);
    assert.ok(a.length > 10000);
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
    // Two outputs take alternate instances of the one stream.
    const [d0, d1] = await run('d', 7, 2);
    const one = [...readTFRecordsSync(join(dir, 'a-0.tfrecord'))].map((r) => Buffer.from(r.data));
    const two = [[...readTFRecordsSync(join(dir, 'd-0.tfrecord'))], [...readTFRecordsSync(join(dir, 'd-1.tfrecord'))]];
    assert.deepEqual(one.filter((_, i) => i % 2 === 0), two[0].map((r) => Buffer.from(r.data)));
    assert.deepEqual(one.filter((_, i) => i % 2 === 1), two[1].map((r) => Buffer.from(r.data)));
    assert.ok(d0.length > 0 && d1.length > 0);
    // Every record passes the reader's checks.
    for (const r of readTFRecordsSync(join(dir, 'a-0.tfrecord'))) decodePretrainingRecord(r.data, 'x', { maxSeqLength: 64, maxPredictionsPerSeq: 10 }, tok.vocabSize);
  });

  it('processes a large input in shards, each like a whole input, and writes gzip files', async () => {
    const { dir, input, tok } = setup();
    const whole = await createPretrainingData({ inputFiles: [input], outputFiles: [join(dir, 'whole.tfrecord')], tokenizer: tok, ...small });
    const sharded = await createPretrainingData({ inputFiles: [input, input], outputFiles: [join(dir, 'sharded.tfrecord.gz')], tokenizer: tok, ...small, shardTokens: 2000 });
    assert.equal(whole.shards, 1);
    assert.ok(sharded.shards > 4, `${sharded.shards} shards`);
    assert.equal(sharded.documents, 2 * whole.documents);
    assert.equal([...readTFRecordsSync(join(dir, 'sharded.tfrecord.gz'))].length, sharded.instances);
    assert.ok(Math.abs(sharded.instances / whole.instances - 2) < 0.2);
  });

  it('fails in one line on unwritable outputs and empty input, leaving existing outputs alone', async () => {
    const { dir, input, tok } = setup();
    const keep = join(dir, 'keep.tfrecord');
    writeFileSync(keep, 'precious');
    const fails = async (opts: Partial<CreatePretrainingDataOptions>, pattern: RegExp): Promise<void> => {
      await assert.rejects(
        createPretrainingData({ inputFiles: [input], outputFiles: [keep], tokenizer: tok, ...small, ...opts }),
        (e: unknown) => e instanceof UserError && pattern.test(e.message) && !e.message.includes('\n'),
      );
      assert.equal(readFileSync(keep, 'utf8'), 'precious');
    };
    await fails({ outputFiles: [keep, join(dir, 'missing', 'x.tfrecord')] }, /cannot write .*missing\/x\.tfrecord: no such file or directory/);
    await fails({ metaDataFile: join(dir, 'missing', 'meta.json') }, /cannot write .*meta\.json/);
    writeFileSync(join(dir, 'blank.txt'), '\n  \n\n');
    await fails({ inputFiles: [join(dir, 'blank.txt')] }, /no text in .*blank\.txt/);
    await fails({ maxSeqLength: 4 }, /maxSeqLength must be an integer >= 5/);
    await fails({ outputFiles: [keep, join(dir, '.', 'keep.tfrecord')] }, /output file .*keep\.tfrecord is named twice/);
    assert.deepEqual(readdirSync(dir).sort(), ['blank.txt', 'corpus.txt', 'keep.tfrecord']);
    assert.ok(!existsSync(join(dir, 'missing')));
  });
});
