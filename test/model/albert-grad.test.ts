/**
 * Whole-model gradient check: the compiled ONNX gradient graph, run by onnxruntime in float32,
 * against finite differences of the float64 loss computed by the reference interpreter on the
 * same model, and elementwise against the float64 autodiff gradients.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { presetConfig, type AlbertConfig } from '../../src/model/config.ts';
import { buildAlbertGraph } from '../../src/model/albert.ts';
import { compileModel } from '../../src/compile.ts';
import { interpret } from '../../src/ir/interpreter.ts';
import { differentiate } from '../../src/passes/autodiff.ts';
import { createSession, runReference } from '../../src/backends/onnx/session.ts';
import { tensor, type Tensor } from '../../src/ir/tensor.ts';
import type { Graph } from '../../src/ir/graph.ts';
import { normal, rng } from '../helpers/random.ts';

const B = 2;
const S = 8;
const P = 3;

function tinyConfig(groups: number, inner: number): AlbertConfig {
  const base = presetConfig('tiny');
  assert.ok(base);
  return { ...base, numHiddenLayers: 3, numHiddenGroups: groups, innerGroupNum: inner };
}

/** Parameters with a larger spread than the 0.02 init, so every nonlinearity is exercised. */
function randomFeeds(g: Graph, cfg: AlbertConfig, head: string, seed: number): Record<string, Tensor> {
  const r = rng(seed);
  const feeds: Record<string, Tensor> = {};
  const ints = (shape: number[], max: number): Tensor => tensor('int32', shape, Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => Math.floor(r() * max)));
  for (const v of g.inputs) {
    const name = v.input!.name;
    if (v.input!.role === 'param') {
      const shape = v.shape as number[];
      const isGamma = name.endsWith('/gamma');
      feeds[name] = tensor('float64', shape, Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => (isGamma ? 1 : 0) + 0.3 * normal(r)));
    }
  }
  const tokShape = head === 'multiple-choice' ? [B, 4, S] : [B, S];
  feeds.input_ids = ints(tokShape, cfg.vocabSize);
  const n = tokShape.reduce((a, b) => a * b, 1);
  // Last two tokens of each sequence are padding.
  feeds.input_mask = tensor('int32', tokShape, Array.from({ length: n }, (_, i) => (i % S < S - 2 ? 1 : 0)));
  feeds.segment_ids = tensor('int32', tokShape, Array.from({ length: n }, (_, i) => (i % S >= S / 2 ? 1 : 0)));
  feeds.masked_lm_positions = ints([B, P], S - 2);
  feeds.masked_lm_ids = ints([B, P], cfg.vocabSize);
  feeds.masked_lm_weights = tensor('float64', [B, P], [1, 1, 0, 1, 0.5, 1]);
  feeds.next_sentence_labels = ints([B], 2);
  feeds.label_ids = ints([B], head === 'multiple-choice' ? 4 : 3);
  // A regression classifier (one output) takes float scores.
  if (g.inputByName('label_ids')?.dtype === 'float64') feeds.label_ids = tensor('float64', [B], [1.7, -0.4]);
  feeds.start_positions = ints([B], S - 2);
  feeds.end_positions = ints([B], S - 2);
  feeds.is_impossible = tensor('float64', [B], [0, 1]);
  // Dropout (the classifier's 0.1 and any set in the config) uses a fixed seed and step, so
  // the masks are constants of the loss and finite differences apply.
  feeds.dropout_seed = tensor('int32', [], [1234]);
  feeds.dropout_step = tensor('int32', [], [5]);
  feeds.p_mask = tensor('float64', [B, S], Array.from({ length: B * S }, (_, i) => (i % S === 0 || i % S >= S - 2 ? 1 : 0)));
  return feeds;
}

function asFloat32(feeds: Record<string, Tensor>): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const [k, t] of Object.entries(feeds)) out[k] = t.dtype === 'float64' ? tensor('float32', t.shape, t.data) : t;
  return out;
}

async function checkModel(cfg: AlbertConfig, head: string, numLabels?: number): Promise<void> {
  const opts = { head, train: true, maxPredictions: P, numLabels };
  const g64 = buildAlbertGraph(cfg, { ...opts, dtype: 'float64' });
  const params = g64.params();
  const feeds = randomFeeds(g64, cfg, head, 7);

  // float64 autodiff through the interpreter (unlowered graph).
  const grads64 = differentiate(g64.outputByName('loss')!, params);
  grads64.forEach((gr, i) => g64.output(`grad:${params[i].input!.name}`, gr));
  const ref = interpret(g64, feeds);

  // The compiled float32 gradient graph through onnxruntime.
  const compiled = compileModel({ config: cfg, head, mode: 'grad', maxPredictions: P, numLabels });
  assert.equal(compiled.stats.ops.Einsum ?? 0, 0, 'no Einsum after lowering');
  const session = await createSession(compiled.model, { threads: 1 });
  const ortFeeds = asFloat32(feeds);
  const got = await runReference(session, Object.fromEntries(session.inputNames.map((n) => [n, ortFeeds[n]])));

  // Loss values agree.
  assert.ok(Math.abs(got.loss.data[0] - ref.loss.data[0]) <= 1e-4 * Math.abs(ref.loss.data[0]) + 1e-5, `loss ${got.loss.data[0]} vs ${ref.loss.data[0]}`);

  // Directional derivative along a random direction in all parameters vs finite differences.
  const r = rng(99);
  const dirs = new Map(params.map((p) => [p.input!.name, Float64Array.from(feeds[p.input!.name].data, () => normal(r))]));
  const h = 1e-5;
  const lossAt = (s: number, only?: string): number => {
    const shifted = { ...feeds };
    for (const p of params) {
      const name = p.input!.name;
      if (only && name !== only) continue;
      const d = dirs.get(name)!;
      shifted[name] = { ...feeds[name], data: Float64Array.from(feeds[name].data, (v, k) => v + s * h * d[k]) };
    }
    return interpret(g64, shifted, ['loss']).loss.data[0];
  };
  const directional = (only?: string): number =>
    params.reduce((sum, p) => {
      const name = p.input!.name;
      if (only && name !== only) return sum;
      const gr = got[`grad:${name}`];
      assert.ok(gr, `onnxruntime returned grad:${name}`);
      const d = dirs.get(name)!;
      return sum + gr.data.reduce((a, v, k) => a + v * d[k], 0);
    }, 0);
  const check = (only?: string): void => {
    const fd = (lossAt(1, only) - lossAt(-1, only)) / (2 * h);
    const ad = directional(only);
    assert.ok(Math.abs(ad - fd) <= 2e-3 * Math.max(Math.abs(fd), 1e-2), `${head} G=${cfg.numHiddenGroups} K=${cfg.innerGroupNum} ${only ?? 'all parameters'}: onnxruntime ${ad} vs finite differences ${fd}`);
  };
  check();
  for (const name of ['bert/embeddings/word_embeddings', 'bert/embeddings/position_embeddings', 'bert/encoder/transformer/group_0/inner_group_0/attention_1/self/query/kernel']) check(name);

  // Elementwise: onnxruntime float32 gradients vs float64 autodiff.
  for (const p of params) {
    const name = p.input!.name;
    const want = ref[`grad:${name}`].data;
    const have = got[`grad:${name}`].data;
    const scale = Math.max(1e-3, ...Array.from(want, Math.abs));
    for (let i = 0; i < want.length; i++) {
      if (Math.abs(have[i] - want[i]) > 2e-3 * scale) assert.fail(`${name}[${i}]: onnxruntime ${have[i]} vs float64 autodiff ${want[i]}`);
    }
  }
}

describe('whole-model gradients (tiny config)', () => {
  it('pretraining, G=1 K=1', () => checkModel(tinyConfig(1, 1), 'pretraining'));
  it('pretraining, G=2 K=2 (shared weights used by several layers)', () => checkModel(tinyConfig(2, 2), 'pretraining'));
  it('pretraining with dropout everywhere', () => checkModel({ ...tinyConfig(1, 1), hiddenDropoutProb: 0.1, attentionProbsDropoutProb: 0.1 }, 'pretraining'));
  it('classifier, 3 labels', () => checkModel(tinyConfig(1, 1), 'classifier', 3));
  it('classifier, 2 labels (GLUE binary tasks)', () => checkModel(tinyConfig(1, 1), 'classifier', 2));
  it('classifier regression, 1 output with squared error (STS-B)', () => checkModel(tinyConfig(1, 1), 'classifier', 1));
  it('squad v1', () => checkModel(tinyConfig(1, 1), 'squad'));
  it('squad v2', () => checkModel(tinyConfig(1, 2), 'squad2'));
  it('multiple choice', () => checkModel(tinyConfig(1, 1), 'multiple-choice'));
  it('squad v2 with dropout (the answer-class feature is dropped out too)', async () => {
    const cfg = { ...tinyConfig(1, 1), hiddenDropoutProb: 0.1, attentionProbsDropoutProb: 0.1 };
    // The original applies hidden_dropout_prob to the answer-class feature before dense_1.
    const g = buildAlbertGraph(cfg, { head: 'squad2', train: true, maxPredictions: P });
    const masks = g.nodes.filter((n) => n.op.name === 'DropoutMask' && n.scope.split('/').includes('answer_class'));
    assert.equal(masks.length, 1, 'one dropout site in answer_class');
    await checkModel(cfg, 'squad2');
  });
});
