/**
 * The classification task's parts: features as convert_single_example makes them, the feature
 * cache (reused only for the same data, tokenizer, length and labels), the shuffled epoch stream
 * and its cursor (a resumed stream gives the same batches), predictions and the evaluation loss.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { buildFeatures, cachedFeatures, pairEncoder } from '../../src/tasks/classification/features.ts';
import { epochBatches, evalLoss, predictionsOf, probabilities, type ClassificationBatch } from '../../src/tasks/classification/task.ts';
import type { TextExample } from '../../src/tasks/glue/readers.ts';

function vocab(dir: string, words: string[], name = 'vocab.txt'): string {
  const p = join(dir, name);
  writeFileSync(p, `${['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', ...words].join('\n')}\n`);
  return p;
}

const ex = (id: number, a: string, b: string | null, label: string | null): TextExample => ({ guid: `x-${id}`, id: String(id), textA: a, textB: b, label, line: id + 2 });

describe('classification features', () => {
  it('lays out [CLS] a [SEP] b [SEP], truncates the longer text first and pads with zeros', () => {
    const dir = mkdtempSync(join(tmpdir(), 'albert-cls-feat-'));
    const enc = pairEncoder({ vocabFile: vocab(dir, ['a', 'b', 'c', 'd', 'e']) });
    // ids: a=5 b=6 c=7 d=8 e=9; [CLS]=2 [SEP]=3
    const f = buildFeatures([ex(0, 'a b c d e', 'a b', '1'), ex(1, 'a', null, '0')], enc, ['0', '1'], 8, 'f.tsv');
    assert.deepEqual(Array.from(f.inputIds.subarray(0, 8)), [2, 5, 6, 7, 3, 5, 6, 3]);
    assert.deepEqual(Array.from(f.segmentIds.subarray(0, 8)), [0, 0, 0, 0, 0, 1, 1, 1]);
    assert.deepEqual(Array.from(f.inputIds.subarray(8)), [2, 5, 3, 0, 0, 0, 0, 0]);
    assert.deepEqual(Array.from(f.inputMask.subarray(8)), [1, 1, 1, 0, 0, 0, 0, 0]);
    assert.deepEqual(Array.from(f.labels), [1, 0]);
    assert.throws(() => buildFeatures([ex(0, 'a', null, '2')], enc, ['0', '1'], 8, 'f.tsv'), /f\.tsv:2: label "2" is not one of 0, 1/);
    assert.throws(() => buildFeatures([ex(0, 'a', null, 'x')], enc, null, 8, 'f.tsv'), /f\.tsv:2: label "x" is not a number/);
  });

  it('reuses the cache only for the same data, tokenizer, sequence length and labels', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'albert-cls-cache-'));
    const data = join(dir, 'train.tsv');
    writeFileSync(data, 'sentence\tlabel\na b\t1\nc\t0\n');
    const examples = [ex(0, 'a b', null, '1'), ex(1, 'c', null, '0')];
    const cache = { cachedDir: join(dir, 'cache'), name: 'sst_train', sourceFile: data };
    const v1 = pairEncoder({ vocabFile: vocab(dir, ['a', 'b', 'c']) });
    const first = await cachedFeatures(examples, v1, ['0', '1'], 8, cache);
    assert.equal(first.cached, false);
    const again = await cachedFeatures(examples, v1, ['0', '1'], 8, cache);
    assert.equal(again.cached, true);
    assert.deepEqual(again.features, first.features);
    // Another tokenizer (ids shift), another length, other labels, other data: rebuilt.
    const v2 = pairEncoder({ vocabFile: vocab(dir, ['c', 'a', 'b'], 'vocab2.txt') });
    const other = await cachedFeatures(examples, v2, ['0', '1'], 8, cache);
    assert.equal(other.cached, false);
    assert.notDeepEqual(other.features.inputIds, first.features.inputIds);
    assert.equal((await cachedFeatures(examples, v1, ['0', '1'], 6, cache)).cached, false);
    assert.equal((await cachedFeatures(examples, v1, ['1', '0'], 8, cache)).cached, false);
    assert.equal((await cachedFeatures(examples, pairEncoder({ vocabFile: join(dir, 'vocab.txt'), doLowerCase: false }), ['0', '1'], 8, cache)).cached, false);
    writeFileSync(data, 'sentence\tlabel\na b\t1\nc\t1\n');
    assert.equal((await cachedFeatures(examples, v1, ['0', '1'], 8, cache)).cached, false);
    assert.equal(readdirSync(join(dir, 'cache')).filter((n) => n.endsWith('.tf_record')).length, 6);
  });
});

describe('the training stream', () => {
  const features = (n: number) => {
    const S = 2;
    return { count: n, seqLength: S, inputIds: Int32Array.from({ length: n * S }, (_, i) => Math.floor(i / S)), inputMask: new Int32Array(n * S).fill(1), segmentIds: new Int32Array(n * S), labels: Int32Array.from({ length: n }, (_, i) => i % 2), ids: [] };
  };
  const rowsOf = (b: ClassificationBatch): number[] => Array.from({ length: b.rows }, (_, i) => b.inputIds[i * b.seqLength]);

  it('visits every example once per epoch, in a new seeded order each epoch, batches spanning epochs', async () => {
    const f = features(10);
    const s = epochBatches(f, 4, 7, null);
    const seen: number[] = [];
    for (let i = 0; i < 5; i++) seen.push(...rowsOf(await s.next()));
    const e0 = seen.slice(0, 10);
    const e1 = seen.slice(10, 20);
    assert.deepEqual([...e0].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.deepEqual([...e1].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.notDeepEqual(e0, e1, 'each epoch is shuffled anew');
    // The end of epoch 1: the next batch starts epoch 2.
    assert.deepEqual(s.cursor(), { epoch: 1, position: 10 });
    const other = epochBatches(f, 4, 8, null);
    assert.notDeepEqual(rowsOf(await other.next()), seen.slice(0, 4), 'another seed, another order');
  });

  it('continues from a cursor with exactly the batches an uninterrupted stream gives', async () => {
    const f = features(9);
    const a = epochBatches(f, 4, 3, null);
    for (let i = 0; i < 3; i++) await a.next();
    const cursor = JSON.parse(JSON.stringify(a.cursor())) as unknown;
    const b = epochBatches(f, 4, 3, cursor);
    for (let i = 0; i < 4; i++) {
      const x = await a.next();
      const y = await b.next();
      assert.deepEqual(rowsOf(y), rowsOf(x));
      assert.deepEqual(Array.from(y.labels), Array.from(x.labels));
    }
    assert.throws(() => epochBatches(f, 4, 3, { epoch: -1, position: 0 }), /dataset cursor/);
    assert.throws(() => epochBatches(f, 4, 3, { epoch: 0, position: 10 }), /past the 9 training examples/);
  });
});

describe('predictions and the evaluation loss', () => {
  it('takes the first of tied maxima, softmaxes in float64 and averages the cross-entropy', () => {
    const logits = Float32Array.from([1, 3, 3, 0, -1, 0.5]);
    assert.deepEqual(Array.from(predictionsOf(logits, 3)), [1, 2]);
    const p = probabilities(Float32Array.from([0, Math.log(3)]), 2);
    assert.ok(Math.abs(p[0] - 0.25) < 1e-7 && Math.abs(p[1] - 0.75) < 1e-7);
    // -log(0.25) and -log(0.75) for labels 0 and 1 of the same row.
    const two = Float32Array.from([0, Math.log(3), 0, Math.log(3)]);
    assert.ok(Math.abs(evalLoss(two, [0, 1], 2) - (Math.log(4) + Math.log(4 / 3)) / 2) < 1e-6);
    // Regression: the mean squared error.
    assert.ok(Math.abs(evalLoss(Float32Array.from([1, 2]), [0, 4], 1) - 2.5) < 1e-12);
    assert.deepEqual(Array.from(predictionsOf(Float32Array.from([0.5, -2]), 1)), [0.5, -2]);
  });
});
