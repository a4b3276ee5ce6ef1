/**
 * The SQuAD v2 head's inference beam, computed inside the graph: the compiled ONNX inference
 * graph run by onnxruntime, against our interpreter on the same graph, and against a direct
 * computation here (a loop over the top starts recomputing the end logits with the same weights
 * from the encoder's hidden states), on a tiny config with random weights.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { presetConfig, type AlbertConfig } from '../../src/model/config.ts';
import { buildAlbertGraph } from '../../src/model/albert.ts';
import { compileModel } from '../../src/compile.ts';
import { interpret } from '../../src/ir/interpreter.ts';
import { OptionError } from '../../src/util/errors.ts';
import { emitModel, encodeModel } from '../../src/backends/onnx/emit.ts';
import { createSession, runReference } from '../../src/backends/onnx/session.ts';
import { tensor, type Tensor } from '../../src/ir/tensor.ts';
import type { Graph } from '../../src/ir/graph.ts';
import { SQUAD2_INFER_OUTPUTS } from '../../src/model/heads/squad2.ts';
import { assertClose } from '../helpers/check.ts';
import { checkOnnxModel, onnxCheckerUnavailable } from '../helpers/onnx-checker.ts';
import { normal, rng } from '../helpers/random.ts';

const B = 3;
const S = 10;

function tinyConfig(): AlbertConfig {
  const base = presetConfig('tiny');
  assert.ok(base);
  return { ...base, numHiddenLayers: 2, numHiddenGroups: 1, innerGroupNum: 1 };
}

/**
 * p_mask rows: [CLS] open, two question tokens and two padding tokens masked (6 open positions);
 * the last row keeps only [CLS] and one passage token open, so a beam wider than 2 ties among
 * the masked positions (-1e30), which must come in position order.
 */
function pMaskRows(): number[] {
  const rows: number[] = [];
  for (let b = 0; b < B; b++) {
    for (let s = 0; s < S; s++) {
      const open = b === B - 1 ? s === 0 || s === 4 : s === 0 || (s >= 3 && s < S - 2);
      rows.push(open ? 0 : 1);
    }
  }
  return rows;
}

/** Random weights (wider than the 0.02 init) for every parameter any of the graphs reads, and random features. */
function randomFeeds(graphs: Graph[], cfg: AlbertConfig, seed: number): Record<string, Tensor> {
  const r = rng(seed);
  const feeds: Record<string, Tensor> = {};
  for (const g of graphs) {
    for (const v of g.inputs) {
      const name = v.input!.name;
      if (v.input!.role !== 'param' || feeds[name]) continue;
      const shape = v.shape as number[];
      const gamma = name.endsWith('/gamma') ? 1 : 0;
      feeds[name] = tensor('float64', shape, Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => gamma + 0.3 * normal(r)));
    }
  }
  const n = B * S;
  feeds.input_ids = tensor('int32', [B, S], Array.from({ length: n }, () => Math.floor(r() * cfg.vocabSize)));
  feeds.input_mask = tensor('int32', [B, S], Array.from({ length: n }, (_, i) => (i % S < S - 2 ? 1 : 0)));
  feeds.segment_ids = tensor('int32', [B, S], Array.from({ length: n }, (_, i) => (i % S >= 3 ? 1 : 0)));
  feeds.p_mask = tensor('float64', [B, S], pMaskRows());
  return feeds;
}

function asFloat32(feeds: Record<string, Tensor>): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const [k, t] of Object.entries(feeds)) out[k] = t.dtype === 'float64' ? tensor('float32', t.shape, t.data) : t;
  return out;
}

interface Beam {
  start_top_log_probs: number[];
  start_top_index: number[];
  end_top_log_probs: number[];
  end_top_index: number[];
  cls_logits: number[];
  start_logits: number[];
}

/** Positions of the k largest values, largest first, ties by the lower position (ONNX TopK). */
function top(values: number[], k: number): number[] {
  return values
    .map((v, i) => [v, i] as const)
    .sort((a, b) => (a[0] === b[0] ? a[1] - b[1] : b[0] - a[0]))
    .slice(0, k)
    .map(([, i]) => i);
}

function logSoftmax(xs: number[]): number[] {
  const m = Math.max(...xs);
  const lse = m + Math.log(xs.reduce((s, x) => s + Math.exp(x - m), 0));
  return xs.map((x) => x - lse);
}

/** The original's beam, written out directly from the encoder's hidden states and the head's weights. */
function directBeam(cfg: AlbertConfig, hidden: Tensor, w: Record<string, Tensor>, pMask: number[], sN: number, eN: number): Beam {
  const H = cfg.hiddenSize;
  const W = (name: string): Float64Array => w[name].data;
  const row = (b: number, s: number): number[] => Array.from(hidden.data.subarray((b * S + s) * H, (b * S + s + 1) * H));
  /** x . kernel + bias with the [in, out] kernel layout of tf.layers.dense. */
  const dense = (x: number[], prefix: string, out: number, bias = true): number[] =>
    Array.from({ length: out }, (_, o) => x.reduce((s, v, i) => s + v * W(`${prefix}/kernel`)[i * out + o], bias ? W(`${prefix}/bias`)[o] : 0));
  const mask = (x: number, p: number): number => x * (1 - p) - 1e30 * p;
  const beam: Beam = { start_top_log_probs: [], start_top_index: [], end_top_log_probs: [], end_top_index: [], cls_logits: [], start_logits: [] };
  for (let b = 0; b < B; b++) {
    const p = pMask.slice(b * S, (b + 1) * S);
    const startLogits = Array.from({ length: S }, (_, s) => mask(dense(row(b, s), 'start_logits/dense', 1)[0], p[s]));
    beam.start_logits.push(...startLogits);
    const startLogProbs = logSoftmax(startLogits);
    const starts = top(startLogProbs, sN);
    for (const st of starts) {
      beam.start_top_index.push(st);
      beam.start_top_log_probs.push(startLogProbs[st]);
      const endLogits = Array.from({ length: S }, (_, s) => {
        const h0 = dense([...row(b, s), ...row(b, st)], 'end_logits/dense_0', H).map(Math.tanh);
        const mean = h0.reduce((a, v) => a + v, 0) / H;
        const variance = h0.reduce((a, v) => a + (v - mean) ** 2, 0) / H;
        const h1 = h0.map((v, i) => ((v - mean) / Math.sqrt(variance + cfg.layerNormEps)) * W('end_logits/LayerNorm/gamma')[i] + W('end_logits/LayerNorm/beta')[i]);
        return mask(dense(h1, 'end_logits/dense_1', 1)[0], p[s]);
      });
      const endLogProbs = logSoftmax(endLogits);
      for (const e of top(endLogProbs, eN)) {
        beam.end_top_index.push(e);
        beam.end_top_log_probs.push(endLogProbs[e]);
      }
    }
    const probs = logSoftmax(startLogits).map(Math.exp);
    const weighted = Array.from({ length: H }, (_, h) => probs.reduce((a, q, s) => a + q * row(b, s)[h], 0));
    const a0 = dense([...weighted, ...row(b, 0)], 'answer_class/dense_0', H).map(Math.tanh);
    beam.cls_logits.push(dense(a0, 'answer_class/dense_1', 1, false)[0]);
  }
  return beam;
}

async function checkBeam(sN: number | undefined, eN: number | undefined, seed: number): Promise<void> {
  const cfg = tinyConfig();
  const [wantS, wantE] = [sN ?? 5, eN ?? 5];
  const opts = { head: 'squad2', train: false, startNTop: sN, endNTop: eN };
  const g64 = buildAlbertGraph(cfg, { ...opts, dtype: 'float64' });
  const enc = buildAlbertGraph(cfg, { head: 'encoder', train: false, dtype: 'float64' });
  const feeds = randomFeeds([g64, enc], cfg, seed);

  // The compiled inference graph (all passes, Einsum lowered) with these weights as initializers.
  const compiled = compileModel({ config: cfg, head: 'squad2', mode: 'infer', startNTop: sN, endNTop: eN });
  assert.deepEqual(compiled.graph.outputs.map((o) => o.name), [...SQUAD2_INFER_OUTPUTS]);
  assert.equal(compiled.stats.ops.TopK, 2, 'one TopK for the starts, one for the ends');
  const f32 = asFloat32(feeds);
  const model = encodeModel(emitModel(compiled.graph, { paramsAs: 'initializers', weights: (name) => Float32Array.from(f32[name].data) }));
  if (!onnxCheckerUnavailable()) checkOnnxModel(model);
  const session = await createSession(model, { threads: 1 });
  const ort = await runReference(session, f32);
  // Our interpreter on the same (float32) graph.
  const same = interpret(compiled.graph, f32);
  // The float64 graph, and the direct computation from the encoder's hidden states.
  const ref = interpret(g64, feeds);
  const hidden = interpret(enc, feeds).last_hidden_state;
  const direct = directBeam(cfg, hidden, feeds, pMaskRows(), wantS, wantE);

  const shapes: Record<keyof Beam, number[]> = {
    start_top_log_probs: [B, wantS],
    start_top_index: [B, wantS],
    end_top_log_probs: [B, wantS * wantE],
    end_top_index: [B, wantS * wantE],
    cls_logits: [B],
    start_logits: [B, S],
  };
  for (const name of SQUAD2_INFER_OUTPUTS) {
    const isIndex = name.endsWith('_index');
    for (const [who, t] of [['onnxruntime', ort[name]], ['interpreter (compiled graph)', same[name]], ['interpreter (float64 graph)', ref[name]]] as const) {
      assert.ok(t, `${who}: no ${name}`);
      assert.deepEqual(t.shape, shapes[name], `${who}: ${name} shape`);
      assert.equal(t.dtype, isIndex ? 'int32' : who.includes('float64') ? 'float64' : 'float32', `${who}: ${name} dtype`);
    }
    if (isIndex) {
      assert.deepEqual(Array.from(ort[name].data), Array.from(same[name].data), `${name}: onnxruntime vs interpreter`);
      assert.deepEqual(Array.from(ref[name].data), direct[name], `${name}: interpreter vs direct`);
      assert.deepEqual(Array.from(ort[name].data), direct[name], `${name}: onnxruntime vs direct`);
    } else {
      assertClose(ort[name].data, same[name].data, `${name}: onnxruntime vs interpreter`, 1e-4, 1e-4);
      assertClose(ref[name].data, direct[name], `${name}: interpreter (float64) vs direct`, 1e-9, 1e-9);
      assertClose(ort[name].data, direct[name], `${name}: onnxruntime vs direct`, 1e-4, 1e-4);
    }
  }
  // Sanity: the beam is sorted and its log-probabilities are log-probabilities.
  for (let b = 0; b < B; b++) {
    const lp = direct.start_top_log_probs.slice(b * wantS, (b + 1) * wantS);
    assert.ok(lp.every((v, i) => v <= 0 && (i === 0 || lp[i - 1] >= v)));
  }
}

describe('squad2 inference beam (tiny config, random weights)', () => {
  it('defaults: 5 starts x 5 ends, onnxruntime = interpreter = direct computation', () => checkBeam(undefined, undefined, 11));
  it('3 starts x 4 ends, with ties among masked positions in one row', async () => {
    await checkBeam(3, 4, 23);
  });
  it('the masked row: only open positions lead, then the masked ones in position order', async () => {
    const cfg = tinyConfig();
    const g = buildAlbertGraph(cfg, { head: 'squad2', train: false, dtype: 'float64', startNTop: 4, endNTop: 3 });
    const out = interpret(g, randomFeeds([g], cfg, 5));
    const starts = Array.from(out.start_top_index.data.subarray((B - 1) * 4, B * 4));
    assert.deepEqual([...starts.slice(0, 2)].sort((a, b) => a - b), [0, 4]);
    assert.deepEqual(starts.slice(2), [1, 2]);
    const ends = Array.from(out.end_top_index.data.subarray((B - 1) * 12, B * 12));
    for (let i = 0; i < 4; i++) assert.equal(ends[i * 3 + 2], 1, 'third end of every start: the first masked position');
  });
  it('start_n_top and end_n_top must be positive integers (one-line errors)', () => {
    const cfg = tinyConfig();
    for (const bad of [{ startNTop: 0 }, { endNTop: 2.5 }]) {
      assert.throws(
        () => buildAlbertGraph(cfg, { head: 'squad2', train: false, ...bad }),
        (e: unknown) => e instanceof OptionError && /^(startNTop|endNTop) must be a positive integer \(got (0|2\.5)\)$/.test(e.message),
      );
    }
  });
  it('the training graph does not depend on the beam sizes', () => {
    const cfg = tinyConfig();
    const a = compileModel({ config: cfg, head: 'squad2', mode: 'grad' }).model;
    const b = compileModel({ config: cfg, head: 'squad2', mode: 'grad', startNTop: 2, endNTop: 3 }).model;
    assert.deepEqual(a, b);
  });
});
