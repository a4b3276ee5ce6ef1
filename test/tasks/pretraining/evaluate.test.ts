/**
 * Evaluation: metrics over the whole evaluated set do not depend on how it is cut into batches
 * (masked-LM figures weighted by masked_lm_weights, sentence-order figures by examples), the
 * frequency baseline is the share of the most frequent masked token, the sentence-order majority
 * baseline the share of the more frequent label, and the graph has no
 * dropout even for a config with dropout.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { PretrainingDataset } from '../../../src/tasks/pretraining/dataset.ts';
import { presetConfig } from '../../../src/model/config.ts';
import { InitRng, initialValues } from '../../../src/model/init.ts';
import { modelParams } from '../../../src/model/params.ts';
import { createSession } from '../../../src/backends/onnx/session.ts';
import { buildEvalModel, Evaluator, sentenceOrderLabelCounts, sentenceOrderMajority } from '../../../src/tasks/pretraining/evaluate.ts';
import { assertClose } from '../../helpers/check.ts';
import { PRED, SEQ, writeCountingRecords } from '../../train/helpers.ts';

describe('Evaluator', () => {
  it('gives the same figures whatever the batch size, and the frequency baseline of the data', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'albert-eval-'));
    const file = await writeCountingRecords(join(dir, 'eval.tfrecord'), 24, 3);
    const cfg = presetConfig('tiny')!;
    const r = new InitRng(5);
    const params = Object.fromEntries(
      modelParams(cfg, 'pretraining').map((s) => {
        const n = s.shape.reduce((a, d) => a * d, 1);
        // Wider than the init, so predictions vary and accuracies are not 0.
        const v = initialValues(s.init, n, r).map((x) => x * 10);
        return [s.name, new ort.Tensor('float32', v, s.shape)];
      }),
    );
    const ev = await Evaluator.create(cfg, { maxSeqLength: SEQ, maxPredictions: PRED, threads: 1 });
    const whole = await ev.evaluate(3, params, { files: [file], batchSize: 24 });
    const [b8, b6] = await Promise.all([ev.evaluate(3, params, { files: [file], batchSize: 8 }), ev.evaluate(3, params, { files: [file], batchSize: 6 })]);
    assert.equal(whole.examples, 24);
    assert.equal(b8.batches, 3);
    assert.equal(b6.batches, 4);
    for (const x of [b8, b6]) {
      for (const k of ['masked_lm_accuracy', 'masked_lm_loss', 'sentence_order_accuracy', 'sentence_order_loss', 'loss', 'masked_tokens'] as const) {
        assertClose([x[k]], [whole[k]], `${k} with batches of ${x.examples / x.batches}`, 1e-5, 1e-7);
      }
      assert.deepEqual(x.frequency_baseline, whole.frequency_baseline);
      assert.deepEqual(x.sentence_order_majority, whole.sentence_order_majority);
    }
    assert.ok(whole.masked_lm_loss > 0 && whole.sentence_order_loss > 0);
    // The baseline, counted here from the records.
    const ds = new PretrainingDataset([file], { batchSize: 24, maxSeqLength: SEQ, maxPredictions: PRED, shuffle: false, repeat: false });
    const b = (await ds.next())!;
    await ds.close();
    const counts = new Map<number, number>();
    let total = 0;
    b.masked_lm_weights.forEach((w, i) => {
      if (w > 0) counts.set(b.masked_lm_ids[i], (counts.get(b.masked_lm_ids[i]) ?? 0) + w);
      total += w;
    });
    const top = Math.max(...counts.values());
    assert.equal(whole.masked_tokens, total);
    assertClose([whole.frequency_baseline.accuracy], [top / total], 'frequency baseline', 1e-12, 0);
    assert.equal(counts.get(whole.frequency_baseline.token_id), top);
    // The sentence-order majority baseline: the more frequent label's share of the examples.
    const ones = b.next_sentence_labels.reduce((a, l) => a + l, 0);
    const major = ones > 24 - ones ? 1 : 0;
    assert.deepEqual(whole.sentence_order_majority, { label: major, accuracy: Math.max(ones, 24 - ones) / 24 });
    assert.deepEqual(await sentenceOrderLabelCounts({ files: [file], batchSize: 24, maxSeqLength: SEQ, maxPredictions: PRED }), [24 - ones, ones]);
    // max-steps stops early.
    const two = await ev.evaluate(3, params, { files: [file], batchSize: 8, maxSteps: 2 });
    assert.equal(two.examples, 16);
    const counted = await sentenceOrderLabelCounts({ files: [file], batchSize: 8, maxSteps: 2, maxSeqLength: SEQ, maxPredictions: PRED });
    assert.equal(counted[0] + counted[1], 16);
    assert.deepEqual(two.sentence_order_majority, sentenceOrderMajority(counted));
  });

  it('compiles without dropout inputs even when the config has dropout', async () => {
    const cfg = { ...presetConfig('tiny')!, hiddenDropoutProb: 0.1, attentionProbsDropoutProb: 0.1 };
    const { model } = buildEvalModel(cfg, { maxSeqLength: SEQ, maxPredictions: PRED });
    const s = await createSession(model, { threads: 1 });
    assert.ok(!s.inputNames.includes('dropout_seed'));
    for (const o of ['masked_lm_accuracy', 'masked_lm_loss', 'sentence_order_accuracy', 'sentence_order_loss']) assert.ok(s.outputNames.includes(o), o);
    assert.ok(!s.outputNames.some((o) => o.startsWith('grad:') || o.startsWith('new:')));
  });
});
