/**
 * Majority baselines: the most frequent label of the evaluated data and every metric of always
 * answering it, beside each classification figure of the fine-tuning evaluations (their line
 * and eval_results), and the sentence-order majority of pretraining evaluations.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classificationMetrics, glueMetrics, majorityBaseline, majorityClass, regressionMetrics } from '../../src/tasks/classification/metrics.ts';
import { classificationEvalLine, evaluateSets, type ClassifierRunner, type EvalSet } from '../../src/tasks/classification/task.ts';
import type { ClassificationFeatures } from '../../src/tasks/classification/features.ts';
import { sentenceOrderMajority, type EvalResult } from '../../src/tasks/pretraining/evaluate.ts';
import { evalLine, evalResultsText } from '../../src/tasks/pretraining/task.ts';

/** A feature set of `labels` (the token arrays are not read by the fake runner). */
function features(labels: Int32Array | Float32Array): ClassificationFeatures {
  const n = labels.length;
  return { count: n, seqLength: 1, inputIds: new Int32Array(n), inputMask: new Int32Array(n), segmentIds: new Int32Array(n), labels, ids: Array.from({ length: n }, (_, i) => String(i)) };
}

/** A runner whose logits are fixed: evaluateSets needs only logits() and numLabels. */
function fakeRunner(numLabels: number, logitsBySet: Float32Array[]): ClassifierRunner {
  let call = 0;
  return { numLabels, compileSeconds: 0, logits: async () => logitsBySet[call++] } as unknown as ClassifierRunner;
}

/** One-hot logits that predict `preds`. */
function logitsFor(preds: number[], numLabels: number): Float32Array {
  const out = new Float32Array(preds.length * numLabels);
  preds.forEach((p, i) => (out[i * numLabels + p] = 5));
  return out;
}

describe('majority baseline', () => {
  it('is the most frequent label (ties: the smallest id) and its rate', () => {
    assert.deepEqual(majorityClass([1, 0, 1, 1, 0, 2, 1]), { label: 1, count: 4, rate: 4 / 7 });
    assert.deepEqual(majorityClass([2, 0, 2, 0]), { label: 0, count: 2, rate: 0.5 });
    // 61.9% of label 1, as the quickstart's held-out sentence-order pairs: 50% would be wrong.
    const labels = [...Array(619).fill(1), ...Array(381).fill(0)];
    assert.equal(majorityClass(labels).rate, 0.619);
    assert.throws(() => majorityClass([]), /no labels/);
    assert.throws(() => majorityClass([0, 0.5]), /element 1 is 0\.5/);
  });

  it('scores the constant prediction with every metric of the task', () => {
    const labels = [0, 0, 0, 1, 1];
    const b = majorityBaseline(labels, (p, l) => glueMetrics('qqp', p, l));
    // Always 0 (not a duplicate): accuracy 3/5; F1 of the positive class 0; their mean 0.3.
    assert.deepEqual(b, { label: 0, rate: 0.6, metrics: { accuracy: 0.6, f1: 0, acc_and_f1: 0.3 } });
    const c = majorityBaseline([2, 2, 1, 0], (p, l) => classificationMetrics(p, l, 3));
    // Only class 2 is predicted: its F1 is 2*2/(2*2+0+2) = 2/3; classes 0 and 1 (labelled) count with 0.
    assert.equal(c.metrics.accuracy, 0.5);
    assert.ok(Math.abs(c.metrics.macro_f1 - 2 / 9) < 1e-12);
    assert.equal(majorityBaseline([1, 0, 1], (p, l) => glueMetrics('cola', p, l)).metrics.mcc, 0);
  });

  it('stands beside each classification figure of an evaluation, for every evaluation set', async () => {
    const m = [2, 2, 2, 0, 1];
    const mm = [0, 0, 1, 2];
    const sets: EvalSet[] = [
      { suffix: '', name: 'dev_matched', features: features(Int32Array.from(m)), predictionsFile: 'a.tsv' },
      { suffix: '_mm', name: 'dev_mismatched', features: features(Int32Array.from(mm)), predictionsFile: 'b.tsv' },
    ];
    const runner = fakeRunner(3, [logitsFor([2, 2, 0, 0, 1], 3), logitsFor([0, 1, 1, 2], 3)]);
    const { report } = await evaluateSets(runner, {}, sets, 8, (p, l) => glueMetrics('mnli', p, l), 7);
    assert.equal(report.accuracy, 0.8);
    assert.equal(report.majority_accuracy, 0.6);
    assert.equal(report.majority_class, 2);
    assert.equal(report.accuracy_mm, 0.75);
    assert.equal(report.majority_accuracy_mm, 0.5);
    assert.equal(report.majority_class_mm, 0);
    const line = classificationEvalLine({ ...report, seconds: 0.25 }, ['contradiction', 'entailment', 'neutral']);
    assert.match(line, /^eval at step 7: eval_loss [\d.]+, accuracy 0\.8000 \(majority 0\.6000\), accuracy_mm 0\.7500 \(majority 0\.5000\), eval_loss_mm [\d.]+ \(5 examples/);
    assert.match(line, /majority baseline: always "neutral"; majority baseline \(mm\): always "contradiction"\)$/);
    assert.ok(!/majority_/.test(line), line);
  });

  it('is left out for regression (scores, not classes)', async () => {
    const sets: EvalSet[] = [{ suffix: '', name: 'dev', features: features(Float32Array.from([1, 2, 3])), predictionsFile: 'a.tsv' }];
    const runner = fakeRunner(1, [Float32Array.from([1.5, 2, 2.5])]);
    const { report } = await evaluateSets(runner, {}, sets, 8, (p, l) => regressionMetrics(p, l), 3);
    assert.ok(Object.keys(report).every((k) => !k.startsWith('majority')), Object.keys(report).join(', '));
    assert.equal(report.pearson, 1);
  });

  it('of sentence order: the more frequent label of the held-out pairs, in the eval line and eval_results.txt', () => {
    assert.deepEqual(sentenceOrderMajority([381, 619]), { label: 1, accuracy: 0.619 });
    assert.deepEqual(sentenceOrderMajority([5, 5]), { label: 0, accuracy: 0.5 });
    assert.deepEqual(sentenceOrderMajority([0, 0]), { label: 0, accuracy: 0 });
    const e: EvalResult = {
      step: 10, masked_lm_accuracy: 0.3, masked_lm_loss: 3, sentence_order_accuracy: 0.7, sentence_order_loss: 0.6, loss: 3.6,
      batches: 1, examples: 1000, masked_tokens: 5000, frequency_baseline: { token_id: 9, accuracy: 0.1 }, sentence_order_majority: { label: 1, accuracy: 0.619 }, seconds: 1,
    };
    assert.match(evalLine(e), /sentence_order_accuracy 0\.7000 \(majority baseline 0\.6190\)/);
    assert.match(evalResultsText(e), /^sentence_order_majority_accuracy = 0\.619$/m);
    // An evaluation saved before the baseline was recorded still reads.
    const { sentence_order_majority: _, ...old } = e;
    assert.doesNotMatch(evalLine(old), /majority/);
  });
});
