/**
 * The step driver: gradient accumulation with the totals the loop computes equals one big
 * batch, a non-finite step leaves the state untouched, dropout masks are keyed by the step, and
 * the state is handed from outputs to inputs (fresh buffers each step, inputs never written).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PretrainingBatch } from '../../src/tasks/pretraining/dataset.ts';
import { presetConfig, type AlbertConfig } from '../../src/model/config.ts';
import { InitRng, initialValues } from '../../src/model/init.ts';
import { modelParams } from '../../src/model/params.ts';
import { Trainer, type TrainerOptions } from '../../src/train/trainer.ts';
import { pretrainingBatches } from '../../src/tasks/pretraining/task.ts';
import { assertClose } from '../helpers/check.ts';
import { countingBatch as batch, PRED, SEQ } from './helpers.ts';

function tiny(dropout = 0): AlbertConfig {
  const c = presetConfig('tiny')!;
  return { ...c, hiddenDropoutProb: dropout, attentionProbsDropoutProb: dropout };
}

function rows(b: PretrainingBatch, from: number, to: number): PretrainingBatch {
  const cut = <T extends Int32Array | Float32Array>(a: T, n: number): T => a.slice(from * n, to * n) as T;
  return {
    input_ids: cut(b.input_ids, SEQ),
    input_mask: cut(b.input_mask, SEQ),
    segment_ids: cut(b.segment_ids, SEQ),
    masked_lm_positions: cut(b.masked_lm_positions, PRED),
    masked_lm_ids: cut(b.masked_lm_ids, PRED),
    masked_lm_weights: cut(b.masked_lm_weights, PRED),
    next_sentence_labels: cut(b.next_sentence_labels, 1),
  };
}

async function trainer(cfg: AlbertConfig, extra: Partial<TrainerOptions> = {}): Promise<Trainer<PretrainingBatch>> {
  const t = await Trainer.create(
    { config: cfg, graph: { head: 'pretraining', maxPredictions: PRED }, maxSeqLength: SEQ, optimizer: 'lamb', learningRate: 0.01, numWarmupSteps: 0, numTrainSteps: 100, seed: 7, threads: 1, ...extra },
    pretrainingBatches,
  );
  const r = new InitRng(3);
  t.setState(new Map(modelParams(cfg, 'pretraining').map((s) => [s.name, initialValues(s.init, s.shape.reduce((a, d) => a * d, 1), r)])));
  return t;
}

const copy = (m: Map<string, Float32Array>): Map<string, Float32Array> => new Map([...m].map(([k, v]) => [k, Float32Array.from(v)]));

describe('Trainer', () => {
  it('accumulates K micro-batches into the update of one batch of K*b (the loop computes the totals)', async () => {
    const cfg = tiny();
    const one = await trainer(cfg);
    const acc = await trainer(cfg, { gradAccum: 2 });
    assert.equal(acc.gradAccum, 2);
    for (let step = 0; step < 3; step++) {
      const b = batch(8, 10 + step);
      // Different masked-LM denominators in the two halves: averaging micro-batch means would be wrong.
      b.masked_lm_weights.fill(0, 0, 2);
      b.masked_lm_weights[2] = 0.5;
      // Masked tokens that weigh almost nothing: the epsilon of the loss's denominator
      // (sum(w) + 1e-5) is then 5% of it, so adding it once per micro-batch would show.
      if (step === 2) {
        b.masked_lm_weights.fill(0);
        b.masked_lm_weights[0] = 1e-4;
        b.masked_lm_weights[4 * PRED] = 1e-4;
      }
      const r1 = await one.step(step, [b]);
      const r2 = await acc.step(step, [rows(b, 0, 4), rows(b, 4, 8)]);
      assert.ok(r1.finite && r2.finite);
      const o1 = r1.outputs;
      const o2 = r2.outputs;
      assertClose([r2.loss, o2.masked_lm_accuracy, o2.sentence_order_accuracy, r2.learningRate], [r1.loss, o1.masked_lm_accuracy, o1.sentence_order_accuracy, r1.learningRate], `step ${step} metrics`, 1e-5, 1e-6);
      // The masked-LM loss's epsilon counts once for the big batch, not once per micro-batch.
      assertClose([o2.masked_lm_loss, o2.sentence_order_loss], [o1.masked_lm_loss, o1.sentence_order_loss], `step ${step} head losses`, 1e-5, 1e-7);
      assert.equal(r2.tokens, r1.tokens);
    }
    const p1 = one.parameterValues();
    for (const [name, v] of acc.parameterValues()) assertClose(v, p1.get(name)!, name, 2e-4, 2e-6);
    for (const [name, v] of acc.slotValues()) assertClose(v, one.slotValues().get(name)!, name, 2e-3, 1e-8);
  });

  it('leaves parameters and slots untouched on a step with a NaN loss, and goes on after it', async () => {
    const t = await trainer(tiny());
    await t.step(0, [batch(4, 2)]);
    const params = t.parameterValues();
    const slots = t.slotValues();
    const before = copy(params);
    const poisoned = batch(4, 3);
    poisoned.masked_lm_weights[1] = NaN;
    const r = await t.step(1, [poisoned]);
    assert.equal(r.finite, false);
    assert.ok(Number.isNaN(r.loss));
    // The very same buffers are still the state, with the same values.
    for (const [name, v] of t.parameterValues()) {
      assert.equal(v, params.get(name), `${name}: same buffer`);
      assert.deepEqual(v, before.get(name));
    }
    for (const [name, v] of t.slotValues()) assert.equal(v, slots.get(name));
    const next = await t.step(2, [batch(4, 4)]);
    assert.ok(next.finite);
    assert.notDeepEqual(t.parameterValues().get('bert/pooler/dense/kernel'), before.get('bert/pooler/dense/kernel'));
  });

  it('feeds the outputs back as the next inputs: fresh buffers each step, the inputs never written', async () => {
    const t = await trainer(tiny());
    const start = copy(t.parameterValues());
    const fed = t.parameterValues();
    await t.step(0, [batch(4, 5)]);
    const after1 = t.parameterValues();
    for (const [name, v] of fed) {
      assert.deepEqual(v, start.get(name), `${name}: the fed buffer is unchanged`);
      assert.notEqual(after1.get(name), v, `${name}: a new buffer`);
    }
    await t.step(1, [batch(4, 6)]);
    for (const [name, v] of t.parameterValues()) assert.notEqual(v, after1.get(name));
  });

  it('keys dropout masks by (seed, step): the same step repeats exactly, another step differs', async () => {
    const cfg = tiny(0.2);
    const a = await trainer(cfg);
    const b = await trainer(cfg);
    assert.ok(a.training.dropout, 'the graph has dropout inputs');
    const x = batch(4, 8);
    const ra = await a.step(5, [x]);
    const rb = await b.step(5, [x]);
    assert.equal(ra.loss, rb.loss);
    for (const [name, v] of a.parameterValues()) assert.deepEqual(v, b.parameterValues().get(name));
    const c = await trainer(cfg);
    const rc = await c.step(6, [x]);
    assert.notEqual(rc.loss, ra.loss, 'another step draws other masks');
  });
});
