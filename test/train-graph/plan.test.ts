/**
 * The training graph of the tiny ALBERT: its interface (names, roles, frozen parameters), its
 * losses against the gradient graph, its metrics against argmax of the inference graph's logits,
 * gradient accumulation (K micro-steps of b examples against one step of K*b, in the float64
 * interpreter and in onnxruntime) and consecutive steps fed back through the manifest.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { presetConfig, type AlbertConfig } from '../../src/model/config.ts';
import { buildAlbertGraph } from '../../src/model/albert.ts';
import { compileModel } from '../../src/compile.ts';
import { interpret } from '../../src/ir/interpreter.ts';
import { UserError } from '../../src/ir/errors.ts';
import type { Graph } from '../../src/ir/graph.ts';
import { tensor, type Tensor } from '../../src/ir/tensor.ts';
import { createSession, runReference } from '../../src/backends/onnx/session.ts';
import { buildTrainGraph, planTrainGraph, type TrainingManifest } from '../../src/train-graph/plan.ts';
import { assertClose } from '../helpers/check.ts';
import { checkOnnxModel, onnxCheckerUnavailable } from '../helpers/onnx-checker.ts';
import { normal, rng } from '../helpers/random.ts';

const S = 8;
const P = 3;

function tiny(): AlbertConfig {
  const c = presetConfig('tiny');
  assert.ok(c);
  assert.equal(c.hiddenDropoutProb + c.attentionProbsDropoutProb, 0, 'no dropout: micro-batches and the big batch see the same model');
  return c;
}

const count = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** Parameters (spread wider than the init so every nonlinearity matters) and optimizer slots. */
function stateFeeds(g: Graph, seed: number): Record<string, Tensor> {
  const r = rng(seed);
  const feeds: Record<string, Tensor> = {};
  for (const v of g.inputs) {
    const name = v.input!.name;
    const shape = v.shape as number[];
    const fill = (f: () => number): Tensor => tensor('float64', shape, Array.from({ length: count(shape) }, () => Math.fround(f())));
    if (v.input!.role === 'param') feeds[name] = fill(() => (name.endsWith('/gamma') ? 1 : 0) + 0.3 * normal(r));
    else if (name.endsWith('/adam_m')) feeds[name] = fill(() => 0.01 * normal(r));
    else if (name.endsWith('/adam_v')) feeds[name] = fill(() => 1e-3 * (0.2 + r()));
    else if (name.endsWith('/grad_acc')) feeds[name] = fill(() => 0);
  }
  return feeds;
}

/** A pretraining batch of `B` examples; masked_lm_weights differ between examples. */
function batchFeeds(cfg: AlbertConfig, B: number, seed: number): Record<string, Tensor> {
  const r = rng(seed);
  const ints = (shape: number[], max: number): Tensor => tensor('int32', shape, Array.from({ length: count(shape) }, () => Math.floor(r() * max)));
  const n = B * S;
  return {
    input_ids: ints([B, S], cfg.vocabSize),
    input_mask: tensor('int32', [B, S], Array.from({ length: n }, (_, i) => (i % S < S - 1 - (Math.floor(i / S) % 3) ? 1 : 0))),
    segment_ids: tensor('int32', [B, S], Array.from({ length: n }, (_, i) => (i % S >= S / 2 ? 1 : 0))),
    masked_lm_positions: ints([B, P], S - 3),
    masked_lm_ids: ints([B, P], cfg.vocabSize),
    masked_lm_weights: tensor('float64', [B, P], Array.from({ length: B * P }, (_, i) => [1, 1, 0, 1, 0.5, 1, 0, 0, 1, 1, 1, 1][i % 12])),
    next_sentence_labels: ints([B], 2),
    label_ids: ints([B], 3),
  };
}

function scalars(step: number, lr = 0.01): Record<string, Tensor> {
  return {
    global_step: tensor('int32', [], [step]),
    learning_rate: tensor('float64', [], [lr]),
    num_warmup_steps: tensor('int32', [], [2]),
    num_train_steps: tensor('int32', [], [100]),
  };
}

/** Rows [from, to) of every batch tensor (the batch axis is axis 0). */
function sliceBatch(feeds: Record<string, Tensor>, from: number, to: number): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const [k, t] of Object.entries(feeds)) {
    const row = count(t.shape.slice(1));
    out[k] = { dtype: t.dtype, shape: [to - from, ...t.shape.slice(1)], data: t.data.slice(from * row, to * row) };
  }
  return out;
}

function only(g: Graph, feeds: Record<string, Tensor>): Record<string, Tensor> {
  return Object.fromEntries(g.inputs.map((v) => [v.input!.name, feeds[v.input!.name]]));
}

function asFloat32(feeds: Record<string, Tensor>): Record<string, Tensor> {
  return Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, t.dtype === 'float64' ? tensor('float32', t.shape, t.data) : t]));
}

function argmaxRows(t: Tensor): number[] {
  const C = t.shape[t.shape.length - 1];
  const out: number[] = [];
  for (let i = 0; i < t.data.length / C; i++) {
    let best = 0;
    for (let c = 1; c < C; c++) if (t.data[i * C + c] > t.data[i * C + best]) best = c;
    out.push(best);
  }
  return out;
}

describe('training graph (tiny config)', () => {
  it('has the documented interface: slots, scalars, outputs, handoff, frozen parameters', () => {
    const cfg = tiny();
    const { graph, training } = buildTrainGraph(cfg, { head: 'pretraining', optimizer: 'lamb', maxPredictions: P, freeze: ['^bert/embeddings/'] });
    const frozen = ['bert/embeddings/word_embeddings', 'bert/embeddings/position_embeddings', 'bert/embeddings/token_type_embeddings', 'bert/embeddings/LayerNorm/gamma', 'bert/embeddings/LayerNorm/beta'];
    assert.deepEqual(training.frozen, frozen);
    for (const n of frozen) {
      assert.equal(graph.inputByName(n)?.input?.role, 'param');
      assert.equal(graph.inputByName(`${n}/adam_m`), undefined);
    }
    const kernel = 'bert/encoder/transformer/group_0/inner_group_0/attention_1/self/query/kernel';
    assert.equal(graph.inputByName(`${kernel}/adam_m`)?.input?.role, 'state');
    assert.ok(graph.inputByName(`${kernel}/adam_v`));
    const byName = new Map(training.parameters.map((p) => [p.input, p]));
    assert.equal(byName.get(kernel)?.decay, true);
    assert.equal(byName.get('cls/predictions/output_bias')?.decay, false);
    assert.equal(byName.get('cls/predictions/transform/LayerNorm/gamma')?.decay, false);
    const outs = graph.outputs.map((o) => o.name);
    for (const n of ['loss', 'masked_lm_loss', 'sentence_order_loss', 'masked_lm_accuracy', 'sentence_order_accuracy', 'learning_rate_used', 'grad_norm', `new:${kernel}`, `new:${kernel}/adam_m`, `new:${kernel}/adam_v`, 'new:global_step']) {
      assert.ok(outs.includes(n), `output ${n}`);
    }
    assert.ok(!outs.some((o) => o.startsWith('grad:') || o.includes('bert/embeddings/')));
    // Every handoff pair names a real output and input of the same type.
    for (const h of training.handoff) {
      const o = graph.outputByName(h.output);
      const i = graph.inputByName(h.input);
      assert.ok(o && i, `${h.output} -> ${h.input}`);
      assert.equal(o.dtype, i.dtype);
      assert.deepEqual(o.shape, i.shape);
    }
    assert.equal(training.handoff.length, 3 * training.parameters.length + 1);
    assert.deepEqual(training.losses, ['loss', 'masked_lm_loss', 'sentence_order_loss']);
    assert.equal(training.accumulation, null);
  });

  it('compiles every head with accumulation, rescaling each loss denominator, to a model onnx.checker and onnxruntime accept', async () => {
    const unavailable = onnxCheckerUnavailable();
    if (unavailable) console.log(`onnx.checker not run: ${unavailable}`);
    const cases: [string, number | undefined, string[], string][] = [
      ['pretraining', undefined, ['accum_masked_lm_weight', 'accum_examples'], 'lamb'],
      ['mlm', undefined, ['accum_masked_lm_weight'], 'adamw'],
      ['classifier', 3, ['accum_examples'], 'adamw'],
      ['classifier', 1, ['accum_examples'], 'adamw'],
      ['squad', undefined, ['accum_examples'], 'adamw'],
      ['squad2', undefined, ['accum_examples'], 'adamw'],
      ['multiple-choice', undefined, ['accum_examples'], 'adamw'],
    ];
    for (const [head, numLabels, totals, optimizer] of cases) {
      const c = compileModel({ config: 'tiny', head, numLabels, mode: 'train', maxPredictions: 4, train: { gradAccum: 2 } });
      const t = c.manifest.training!;
      assert.equal(t.settings.optimizer, optimizer, `${head}: default optimizer`);
      assert.deepEqual(t.accumulation?.totals.map((x) => x.name), totals, `${head}: accumulation totals`);
      assert.equal(t.dropout !== null, head === 'classifier' || head === 'multiple-choice', `${head}: dropout inputs (classifier dropout 0.1)`);
      // The checker (a Python process each) on the heads whose losses differ most; the e2e test checks pretraining.
      if (!unavailable && (head === 'squad2' || numLabels === 1)) checkOnnxModel(c.model);
      await createSession(c.model, { threads: 1 });
    }
  });

  it('reports user errors for bad freeze patterns', () => {
    const cfg = tiny();
    const plan = (freeze: string[]) => () => planTrainGraph(cfg, { head: 'classifier', optimizer: 'adamw', freeze });
    assert.throws(plan(['[']), (e: Error) => e instanceof UserError && /^freeze "\[": not a valid regular expression/.test(e.message));
    assert.throws(plan(['nothing_like_this']), (e: Error) => /^freeze "nothing_like_this" matches no parameter of the classifier model/.test(e.message));
    assert.throws(plan(['.']), /freezes every parameter/);
  });

  it('computes the gradient graph losses and accuracies equal to argmax of the inference logits', () => {
    const cfg = tiny();
    const B = 4;
    const { graph } = buildTrainGraph(cfg, { head: 'pretraining', optimizer: 'adamw', maxPredictions: P, dtype: 'float64' });
    const infer = buildAlbertGraph(cfg, { head: 'pretraining', train: false, maxPredictions: P, dtype: 'float64' });
    const grad = buildAlbertGraph(cfg, { head: 'pretraining', train: true, maxPredictions: P, dtype: 'float64' });
    const feeds = { ...stateFeeds(graph, 1), ...batchFeeds(cfg, B, 2), ...scalars(3) };
    const logits = interpret(infer, only(infer, feeds));
    // Make about half the labels right, so the accuracies are neither 0 nor 1.
    const mlmArg = argmaxRows(logits.masked_lm_logits);
    const ids = feeds.masked_lm_ids.data.map((_, i) => (i % 2 === 0 ? mlmArg[i] : (mlmArg[i] + 1) % cfg.vocabSize));
    const sopArg = argmaxRows(logits.sentence_order_logits);
    const sop = Float64Array.from(sopArg, (x, i) => (i === 0 ? 1 - x : x));
    feeds.masked_lm_ids = { ...feeds.masked_lm_ids, data: ids };
    feeds.next_sentence_labels = { ...feeds.next_sentence_labels, data: sop };
    const out = interpret(graph, only(graph, feeds));
    const ref = interpret(grad, only(grad, feeds));
    for (const n of ['loss', 'masked_lm_loss', 'sentence_order_loss']) assertClose(out[n].data, ref[n].data, n, 1e-14, 0);
    const w = feeds.masked_lm_weights.data;
    const hits = w.reduce((s, wi, i) => s + wi * (ids[i] === mlmArg[i] ? 1 : 0), 0);
    const mlmAcc = hits / w.reduce((a, b) => a + b, 0);
    assert.ok(mlmAcc > 0 && mlmAcc < 1);
    assertClose(out.masked_lm_accuracy.data, [mlmAcc], 'masked_lm_accuracy', 1e-14, 0);
    assertClose(out.sentence_order_accuracy.data, [(B - 1) / B], 'sentence_order_accuracy', 1e-14, 0);
  });

  it('computes the classifier accuracy', () => {
    // Without the classifier's dropout, so the inference graph's logits are the training graph's.
    const cfg = { ...tiny(), classifierDropoutProb: 0 };
    const B = 5;
    const { graph } = buildTrainGraph(cfg, { head: 'classifier', numLabels: 3, optimizer: 'adamw', dtype: 'float64' });
    const infer = buildAlbertGraph(cfg, { head: 'classifier', numLabels: 3, train: false, dtype: 'float64' });
    const feeds = { ...stateFeeds(graph, 3), ...batchFeeds(cfg, B, 4), ...scalars(0) };
    const arg = argmaxRows(interpret(infer, only(infer, feeds)).logits);
    feeds.label_ids = tensor('int32', [B], arg.map((x, i) => (i < 2 ? (x + 1) % 3 : x)));
    const out = interpret(graph, only(graph, feeds));
    assertClose(out.accuracy.data, [3 / 5], 'accuracy', 1e-14, 0);
  });

  it('K micro-steps of b examples give the update of one step of K*b (masked-LM weights differ per micro-batch)', async () => {
    const cfg = tiny();
    const K = 2;
    const b = 2;
    const common = { head: 'pretraining', optimizer: 'lamb' as const, maxPredictions: P, biasCorrection: true };
    const big = batchFeeds(cfg, K * b, 5);
    const micro = [0, 1].map((k) => sliceBatch(big, k * b, (k + 1) * b));
    const weightSums = micro.map((m) => m.masked_lm_weights.data.reduce((a, x) => a + x, 0));
    assert.notEqual(weightSums[0], weightSums[1], 'micro-batches have different masked-LM denominators');
    const totals = { accum_examples: tensor('int32', [], [K * b]), accum_masked_lm_weight: tensor('float64', [], [weightSums[0] + weightSums[1]]) };

    const one = buildTrainGraph(cfg, { ...common, dtype: 'float64' });
    const acc = buildTrainGraph(cfg, { ...common, gradAccum: K, dtype: 'float64' });
    const state = { ...stateFeeds(acc.graph, 6), ...scalars(4) };
    const compare = (got: Record<string, Tensor>, want: Record<string, Tensor>, t: TrainingManifest, rtol: number, atol: number, what: string): void => {
      for (const n of ['learning_rate_used', 'grad_norm', 'new:global_step']) assertClose(got[n].data, want[n].data, `${what}: ${n}`, rtol, atol);
      for (const p of t.parameters) {
        assertClose(got[p.output].data, want[p.output].data, `${what}: ${p.output}`, rtol, atol);
        for (const s of p.slots.filter((x) => !x.input.endsWith('/grad_acc'))) assertClose(got[s.output].data, want[s.output].data, `${what}: ${s.output}`, rtol, atol);
      }
    };
    const runMicro = async (run: (f: Record<string, Tensor>) => Promise<Record<string, Tensor>>): Promise<Record<string, Tensor>[]> => {
      let feeds: Record<string, Tensor> = { ...state, ...totals, micro_step: tensor('int32', [], [0]) };
      const outs: Record<string, Tensor>[] = [];
      for (let k = 0; k < K; k++) {
        const out = await run({ ...feeds, ...micro[k] });
        outs.push(out);
        feeds = { ...feeds };
        for (const h of acc.training.handoff) feeds[h.input] = out[h.output];
      }
      return outs;
    };

    // float64 interpreter: equal up to summation order.
    const wantBig = interpret(one.graph, only(one.graph, { ...state, ...big }));
    const steps = await runMicro(async (f) => interpret(acc.graph, only(acc.graph, f)));
    compare(steps[K - 1], wantBig, acc.training, 1e-10, 1e-13, 'interpreter');
    // The shares add up to the big batch's loss; the micro-batch losses alone would not.
    assertClose([steps[0].loss_share.data[0] + steps[1].loss_share.data[0]], wantBig.loss.data, 'sum of loss shares', 1e-12, 0);
    const naive = (steps[0].masked_lm_loss.data[0] + steps[1].masked_lm_loss.data[0]) / 2;
    assert.ok(Math.abs(naive - wantBig.masked_lm_loss.data[0]) > 1e-3, 'averaging micro-batch losses is not the big batch loss');

    // onnxruntime, float32, compiled as `albert compile` does.
    const c1 = compileModel({ config: cfg, head: 'pretraining', mode: 'train', maxPredictions: P, train: { optimizer: 'lamb', biasCorrection: true } });
    const cK = compileModel({ config: cfg, head: 'pretraining', mode: 'train', maxPredictions: P, train: { optimizer: 'lamb', biasCorrection: true, gradAccum: K } });
    const s1 = await createSession(c1.model, { threads: 1 });
    const sK = await createSession(cK.model, { threads: 1 });
    const ortBig = await runReference(s1, asFloat32(only(one.graph, { ...state, ...big })));
    const ortSteps = await runMicro(async (f) => {
      const out = await runReference(sK, asFloat32(Object.fromEntries(sK.inputNames.map((n) => [n, f[n]]))));
      return Object.fromEntries(Object.entries(out).map(([k, t]) => [k, t.dtype === 'float32' ? tensor('float64', t.shape, t.data) : t]));
    });
    compare(ortSteps[K - 1], ortBig, acc.training, 1e-4, 1e-6, 'onnxruntime K=2 vs K=1');
    compare(ortSteps[K - 1], wantBig, acc.training, 1e-4, 1e-6, 'onnxruntime vs float64');
    assert.deepEqual(cK.manifest.training?.accumulation?.totals.map((t) => t.name), ['accum_masked_lm_weight', 'accum_examples']);
  });

  it('takes consecutive steps fed back by the manifest and lowers the loss on a fixed batch', async () => {
    const cfg = tiny();
    const c = compileModel({ config: cfg, head: 'pretraining', mode: 'train', maxPredictions: P, train: { optimizer: 'lamb' } });
    const t = c.manifest.training;
    assert.ok(t);
    assert.equal(t.settings.optimizer, 'lamb');
    const session = await createSession(c.model, { threads: 1 });
    const g = buildAlbertGraph(cfg, { head: 'pretraining', train: true, maxPredictions: P });
    let feeds: Record<string, Tensor> = { ...stateFeeds(g, 7), ...batchFeeds(cfg, 4, 8), ...scalars(0, 0.02) };
    for (const p of t.parameters) for (const s of p.slots) feeds[s.input] = tensor('float64', p.shape, new Float64Array(count(p.shape)));
    const losses: number[] = [];
    for (let step = 0; step < 6; step++) {
      const out = await runReference(session, asFloat32(Object.fromEntries(session.inputNames.map((n) => [n, feeds[n]]))));
      losses.push(out.loss.data[0]);
      assert.equal(out['new:global_step'].data[0], step + 1);
      assertClose(out.learning_rate_used.data, [step < 2 ? (0.02 * step) / 2 : 0.02 * (1 - step / 100)], `lr at step ${step}`, 1e-6, 1e-9);
      feeds = { ...feeds };
      for (const h of t.handoff) feeds[h.input] = out[h.output];
    }
    assert.ok(losses[5] < losses[0] - 0.1, `loss went from ${losses[0]} to ${losses[5]}`);
  });
});
