/**
 * The optimizer pass on a tiny model whose gradients are known in closed form, run in the
 * float64 interpreter and in onnxruntime (float32), against the hand-written float64 reference
 * (optimizer-reference.ts): schedule, clipping, AdamW (with and without bias correction), LAMB
 * (trust ratio, zero norms, excluded variables), frozen parameters, gradient accumulation and
 * several consecutive steps fed back by the manifest's handoff list.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DType } from '../../src/ir/dtype.ts';
import { UserError } from '../../src/ir/errors.ts';
import { Graph, type Value } from '../../src/ir/graph.ts';
import { interpret } from '../../src/ir/interpreter.ts';
import { add, mul, reduceSum } from '../../src/ir/ops/index.ts';
import { tensor, type Tensor } from '../../src/ir/tensor.ts';
import { emitModel, encodeModel } from '../../src/backends/onnx/emit.ts';
import { createSession, runReference } from '../../src/backends/onnx/session.ts';
import { autodiffPass } from '../../src/passes/autodiff.ts';
import { optimizerPass, resolveOptimizerSettings, type OptimizerInfo, type OptimizerOptions } from '../../src/passes/optimizer.ts';
import { cleanupPasses, runPipeline } from '../../src/passes/pipeline.ts';
import { assertClose } from '../helpers/check.ts';
import { normal, rng } from '../helpers/random.ts';
import { ORIGINAL, refStep, refSchedule, type Arrays, type RefSettings, type RefState } from './optimizer-reference.ts';

/** Shapes of different ranks; names hit and miss the decay exclusion (LayerNorm, bias). */
const PARAMS: { name: string; shape: number[] }[] = [
  { name: 'dense/kernel', shape: [3, 4] },
  { name: 'dense/bias', shape: [4] },
  { name: 'LayerNorm/gamma', shape: [4] },
  { name: 'word_embeddings', shape: [5, 2] },
  { name: 'zero/kernel', shape: [2, 2] },
];
const QUADRATIC = 'dense/kernel';
const size = (s: number[]): number => s.reduce((a, b) => a * b, 1);

interface Step {
  graph: Graph;
  info: OptimizerInfo;
}

/**
 * loss = sum_p sum(c_p * theta_p) + 0.5 * sum(theta_k^2) for k = dense/kernel: the gradient is c_p
 * (plus theta_k), so the reference needs no autodiff of its own.
 */
function buildStep(dtype: DType, opts: OptimizerOptions, frozen: string[] = []): Step {
  const g = new Graph('tiny_step');
  const params = PARAMS.map((p) => g.input(p.name, dtype, p.shape, { role: 'param' }));
  const cs = PARAMS.map((p) => g.input(`c:${p.name}`, dtype, p.shape));
  let loss: Value | null = null;
  params.forEach((p, i) => {
    let term = reduceSum(mul(cs[i], p));
    if (p.input!.name === QUADRATIC) term = add(term, mul(reduceSum(mul(p, p)), 0.5));
    loss = loss ? add(loss, term) : term;
  });
  g.output('loss', loss!);
  let info: OptimizerInfo | null = null;
  const wrt = PARAMS.map((p) => p.name).filter((n) => !frozen.includes(n));
  runPipeline(g, [autodiffPass({ wrt }), optimizerPass(opts, (i) => (info = i)), ...cleanupPasses()]);
  assert.ok(info);
  return { graph: g, info };
}

function gradsOf(params: Arrays, c: Arrays, frozen: string[] = []): Arrays {
  const out: Arrays = {};
  for (const { name } of PARAMS) {
    if (frozen.includes(name)) continue;
    out[name] = c[name].map((x, i) => x + (name === QUADRATIC ? params[name][i] : 0));
  }
  return out;
}

/** Values exactly representable in float32, so both backends see the reference's inputs. */
function randomArrays(seed: number, scale: number, positive = false): Arrays {
  const r = rng(seed);
  const out: Arrays = {};
  for (const p of PARAMS) out[p.name] = Float64Array.from({ length: size(p.shape) }, () => Math.fround(positive ? scale * (0.2 + r()) : scale * normal(r)));
  return out;
}

interface Scalars {
  step: number;
  lr: number;
  warmup: number;
  total: number;
}

function feedsFor(dtype: DType, info: OptimizerInfo, st: RefState, c: Arrays, sc: Scalars, extra: Record<string, Tensor> = {}): Record<string, Tensor> {
  const f: Record<string, Tensor> = {};
  for (const p of PARAMS) {
    f[p.name] = tensor(dtype, p.shape, st.params[p.name]);
    f[`c:${p.name}`] = tensor(dtype, p.shape, c[p.name]);
  }
  for (const t of info.parameters) {
    const p = PARAMS.find((x) => x.name === t.input)!;
    f[`${p.name}/adam_m`] = tensor(dtype, p.shape, st.m[p.name]);
    f[`${p.name}/adam_v`] = tensor(dtype, p.shape, st.v[p.name]);
  }
  f.global_step = tensor('int32', [], [sc.step]);
  f.learning_rate = tensor(dtype, [], [sc.lr]);
  f.num_warmup_steps = tensor('int32', [], [sc.warmup]);
  f.num_train_steps = tensor('int32', [], [sc.total]);
  return { ...f, ...extra };
}

type Runner = (feeds: Record<string, Tensor>) => Promise<Record<string, Tensor>>;

async function runners(opts: OptimizerOptions, frozen: string[] = []): Promise<{ interp: Runner; ort: Runner; info: OptimizerInfo; graph64: Graph }> {
  const s64 = buildStep('float64', opts, frozen);
  const s32 = buildStep('float32', opts, frozen);
  const session = await createSession(encodeModel(emitModel(s32.graph, { paramsAs: 'inputs' })), { threads: 1 });
  return {
    interp: async (feeds) => interpret(s64.graph, feeds),
    ort: (feeds) => runReference(session, Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, t.dtype === 'float64' ? tensor('float32', t.shape, t.data) : t]))),
    info: s64.info,
    graph64: s64.graph,
  };
}

const TOL = {
  interp: { rtol: 1e-12, atol: 1e-14 },
  ort: { rtol: 2e-5, atol: 1e-6 },
};

function settings(opts: OptimizerOptions): RefSettings {
  const r = resolveOptimizerSettings(opts);
  return { ...ORIGINAL, ...r, decay: ORIGINAL.decay };
}

/** Runs `steps` consecutive optimizer steps through both backends, feeding outputs back by the handoff list. */
async function checkSteps(opts: OptimizerOptions, init: RefState, cs: Arrays[], sc: Omit<Scalars, 'step'>, frozen: string[] = []): Promise<ReturnType<typeof refStep>[]> {
  const { interp, ort, info } = await runners(opts, frozen);
  const s = settings(opts);
  const refs: ReturnType<typeof refStep>[] = [];
  for (const [which, run] of [['interp', interp], ['ort', ort]] as const) {
    const tol = TOL[which];
    let ref: RefState = init;
    let feeds = feedsFor('float64', info, init, cs[0], { ...sc, step: 0 });
    for (let k = 0; k < cs.length; k++) {
      const step = k;
      feeds = { ...feeds, ...Object.fromEntries(PARAMS.map((p) => [`c:${p.name}`, tensor('float64', p.shape, cs[k][p.name])])) };
      const out = await run(feeds);
      const want = refStep(ref, gradsOf(ref.params, cs[k], frozen), s, { ...sc, step });
      if (which === 'interp') refs.push(want);
      const what = `${opts.optimizer} step ${step} (${which})`;
      assertClose(out.learning_rate_used.data, [want.lr], `${what}: learning_rate_used`, tol.rtol, tol.atol);
      assertClose(out.grad_norm.data, [want.norm], `${what}: grad_norm`, tol.rtol, tol.atol);
      for (const t of info.parameters) {
        assertClose(out[t.output].data, want.params[t.input], `${what}: ${t.output}`, tol.rtol, tol.atol);
        assertClose(out[`new:${t.input}/adam_m`].data, want.m[t.input], `${what}: adam_m of ${t.input}`, tol.rtol, tol.atol);
        assertClose(out[`new:${t.input}/adam_v`].data, want.v[t.input], `${what}: adam_v of ${t.input}`, tol.rtol, tol.atol);
      }
      assert.equal(out['new:global_step'].data[0], step + 1);
      // Hand every new:* output back to its input, as the training loop does.
      const next = { ...feeds };
      for (const h of info.handoff) next[h.input] = out[h.output];
      // onnxruntime returns float32; keep the feeds float64 (the runner casts).
      for (const [k2, t] of Object.entries(next)) if (t.dtype === 'float32') next[k2] = tensor('float64', t.shape, t.data);
      feeds = next;
      ref = { ...want, params: { ...ref.params, ...want.params }, m: { ...ref.m, ...want.m }, v: { ...ref.v, ...want.v } };
    }
  }
  return refs;
}

const zeros = (): Arrays => Object.fromEntries(PARAMS.map((p) => [p.name, new Float64Array(size(p.shape))]));
const SCHED = { lr: 0.1, warmup: 2, total: 10 };

describe('optimizer pass', () => {
  it('computes the warmup/decay schedule from the step input', async () => {
    const { interp, ort, info } = await runners({ optimizer: 'adamw' });
    const st: RefState = { params: randomArrays(1, 1), m: zeros(), v: zeros() };
    const c = randomArrays(2, 1);
    const seen = new Set<string>();
    for (const [step, warmup, total] of [[0, 4, 10], [1, 4, 10], [3, 4, 10], [4, 4, 10], [5, 4, 10], [9, 4, 10], [10, 4, 10], [13, 4, 10], [0, 0, 10], [7, 0, 10]]) {
      const want = refSchedule(step, 0.5, warmup, total);
      seen.add(step < warmup ? 'warmup' : step >= total ? 'after' : 'decay');
      for (const [which, run] of [['interp', interp], ['ort', ort]] as const) {
        const out = await run(feedsFor('float64', info, st, c, { step, lr: 0.5, warmup, total }));
        assertClose(out.learning_rate_used.data, [want], `step ${step} warmup ${warmup} (${which})`, TOL[which].rtol, 1e-12);
      }
    }
    assert.deepEqual([...seen].sort(), ['after', 'decay', 'warmup']);
    assert.equal(refSchedule(13, 0.5, 4, 10), 0);
  });

  it('AdamW without bias correction (the original), three steps fed back', async () => {
    const init: RefState = { params: randomArrays(3, 1), m: zeros(), v: zeros() };
    const refs = await checkSteps({ optimizer: 'adamw' }, init, [randomArrays(4, 1), randomArrays(5, 1), randomArrays(6, 1)], SCHED);
    assert.ok(refs.every((r) => r.norm > 1), 'gradients above the clip norm: clipping is exercised');
  });

  it('AdamW with bias correction', async () => {
    const init: RefState = { params: randomArrays(7, 1), m: randomArrays(8, 0.1), v: randomArrays(9, 0.05, true) };
    await checkSteps({ optimizer: 'adamw', biasCorrection: true, weightDecay: 0.05 }, init, [randomArrays(10, 0.1), randomArrays(11, 0.1), randomArrays(12, 0.1)], SCHED);
  });

  it('LAMB: trust ratio per variable, r = 1 at a zero parameter norm and for excluded variables', async () => {
    const params = randomArrays(13, 1);
    params['zero/kernel'].fill(0);
    const init: RefState = { params, m: zeros(), v: zeros() };
    const refs = await checkSteps({ optimizer: 'lamb' }, init, [randomArrays(14, 1), randomArrays(15, 1), randomArrays(16, 1)], SCHED);
    const first = refs[0].trust;
    assert.equal(first['zero/kernel'][0], 0, 'zero parameter norm hit');
    assert.equal(first['zero/kernel'][2], 1);
    assert.ok(first['dense/kernel'][2] !== 1 && first['word_embeddings'][2] !== 1, 'a real trust ratio is applied');
    assert.equal(first['dense/bias'], undefined, 'biases and LayerNorm take no trust ratio');
    assert.equal(first['LayerNorm/gamma'], undefined);
  });

  it('LAMB: r = 1 at a zero update norm, with bias correction', async () => {
    const init: RefState = { params: randomArrays(17, 1), m: zeros(), v: zeros() };
    const c = randomArrays(18, 1);
    c.word_embeddings.fill(0);
    const refs = await checkSteps({ optimizer: 'lamb', weightDecay: 0, biasCorrection: true }, init, [c, c], SCHED);
    const [wn, un, r] = refs[0].trust.word_embeddings;
    assert.ok(wn > 0 && un === 0 && r === 1, 'zero update norm hit');
  });

  it('clips by the global norm only above the threshold, and not at all with clip norm 0', async () => {
    const init: RefState = { params: randomArrays(19, 0.01), m: zeros(), v: zeros() };
    const small = randomArrays(20, 0.05);
    const below = await checkSteps({ optimizer: 'adamw', clipNorm: 1 }, init, [small], SCHED);
    assert.ok(below[0].norm < 1, `norm ${below[0].norm} below the threshold`);
    const big = randomArrays(21, 3);
    const above = await checkSteps({ optimizer: 'adamw', clipNorm: 2 }, init, [big], SCHED);
    assert.ok(above[0].norm > 2, `norm ${above[0].norm} above the threshold`);
    // m = (1 - b1) g: clipped means |m| is scaled down by 2 / norm.
    const unclipped = await checkSteps({ optimizer: 'adamw', clipNorm: 0 }, init, [big], SCHED);
    const ratio = above[0].m['dense/bias'][0] / unclipped[0].m['dense/bias'][0];
    assertClose([ratio], [2 / above[0].norm], 'clip scale', 1e-12, 0);
  });

  it('poisons every update with NaN when the global norm is not finite (tf.clip_by_global_norm)', async () => {
    const { interp, ort, info } = await runners({ optimizer: 'adamw' });
    const st: RefState = { params: randomArrays(30, 1), m: zeros(), v: zeros() };
    const c = randomArrays(31, 1);
    c['dense/bias'][0] = Infinity;
    for (const run of [interp, ort]) {
      const out = await run(feedsFor('float64', info, st, c, { ...SCHED, step: 3 }));
      assert.equal(out.grad_norm.data[0], Infinity);
      for (const p of PARAMS) assert.ok(out[`new:${p.name}`].data.every(Number.isNaN), `new:${p.name} is NaN`);
    }
  });

  it('leaves frozen parameters out: no gradient, slots or new value, still an input', async () => {
    const frozen = ['LayerNorm/gamma', 'zero/kernel'];
    const init: RefState = { params: randomArrays(22, 1), m: zeros(), v: zeros() };
    await checkSteps({ optimizer: 'lamb' }, init, [randomArrays(23, 1), randomArrays(24, 1)], SCHED, frozen);
    const { info, graph64 } = await runners({ optimizer: 'lamb' }, frozen);
    assert.deepEqual(info.frozen, frozen);
    assert.deepEqual(info.parameters.map((p) => p.input), ['dense/kernel', 'dense/bias', 'word_embeddings']);
    for (const n of frozen) {
      assert.ok(graph64.inputByName(n), `${n} stays an input`);
      assert.equal(graph64.inputByName(`${n}/adam_m`), undefined);
      assert.ok(!graph64.outputs.some((o) => o.name.includes(n)), `no output for ${n}`);
    }
    assert.ok(!graph64.outputs.some((o) => o.name.startsWith('grad:')), 'gradients are consumed');
  });

  it('accumulates K micro-steps into one update equal to the summed gradient', async () => {
    const K = 3;
    const opts: OptimizerOptions = { optimizer: 'lamb', gradAccum: K, biasCorrection: true };
    const { interp, ort, info } = await runners(opts);
    assert.deepEqual(
      info.parameters[0].slots.map((x) => x.input),
      ['dense/kernel/adam_m', 'dense/kernel/adam_v', 'dense/kernel/grad_acc'],
    );
    const s = settings(opts);
    for (const [which, run] of [['interp', interp], ['ort', ort]] as const) {
      const tol = TOL[which];
      let ref: RefState = { params: randomArrays(25, 1), m: randomArrays(26, 0.1), v: randomArrays(27, 0.05, true) };
      // Garbage in the accumulators at micro-step 0 must be ignored.
      const garbage = Object.fromEntries(PARAMS.map((p) => [`${p.name}/grad_acc`, tensor('float64', p.shape, Array.from({ length: size(p.shape) }, () => 1e6))]));
      let feeds: Record<string, Tensor> = feedsFor('float64', info, ref, randomArrays(0, 1), { ...SCHED, step: 0 }, { ...garbage, micro_step: tensor('int32', [], [0]) });
      for (let update = 0; update < 2; update++) {
        const summed: Arrays = Object.fromEntries(PARAMS.map((p) => [p.name, new Float64Array(size(p.shape))]));
        for (let k = 0; k < K; k++) {
          const c = randomArrays(100 + 10 * update + k, 0.5);
          feeds = { ...feeds, ...Object.fromEntries(PARAMS.map((p) => [`c:${p.name}`, tensor('float64', p.shape, c[p.name])])) };
          const out = await run(feeds);
          const g = gradsOf(ref.params, c);
          for (const n of Object.keys(g)) summed[n] = summed[n].map((x, i) => x + g[n][i]);
          const what = `update ${update} micro-step ${k} (${which})`;
          assert.equal(out['new:micro_step'].data[0], (k + 1) % K, `${what}: micro_step`);
          assert.equal(out['new:global_step'].data[0], update + (k === K - 1 ? 1 : 0), `${what}: global_step`);
          if (k < K - 1) {
            for (const p of PARAMS) {
              // Not the last micro-step: params and slots pass through bit for bit.
              assert.deepEqual(Array.from(out[`new:${p.name}`].data), Array.from(feeds[p.name].data.map((x) => (which === 'ort' ? Math.fround(x) : x))), `${what}: ${p.name} unchanged`);
              assert.deepEqual(Array.from(out[`new:${p.name}/adam_m`].data), Array.from(feeds[`${p.name}/adam_m`].data.map((x) => (which === 'ort' ? Math.fround(x) : x))));
              assertClose(out[`new:${p.name}/grad_acc`].data, summed[p.name], `${what}: accumulator of ${p.name}`, tol.rtol, tol.atol);
            }
          } else {
            const want = refStep(ref, summed, s, { ...SCHED, step: update });
            assertClose(out.grad_norm.data, [want.norm], `${what}: grad_norm`, tol.rtol, tol.atol);
            for (const p of PARAMS) {
              assertClose(out[`new:${p.name}`].data, want.params[p.name], `${what}: ${p.name}`, tol.rtol, tol.atol);
              assertClose(out[`new:${p.name}/adam_v`].data, want.v[p.name], `${what}: adam_v of ${p.name}`, tol.rtol, tol.atol);
              assert.ok(out[`new:${p.name}/grad_acc`].data.every((x) => x === 0), `${what}: accumulator emptied`);
            }
            ref = want;
          }
          const next = { ...feeds };
          for (const h of info.handoff) next[h.input] = out[h.output];
          for (const [k2, t] of Object.entries(next)) if (t.dtype === 'float32') next[k2] = tensor('float64', t.shape, t.data);
          feeds = next;
        }
      }
    }
  });

  it('rejects bad settings with one-line user errors', () => {
    assert.throws(() => resolveOptimizerSettings({ optimizer: 'adamw', beta1: 1 }), (e: Error) => e instanceof UserError && /^beta1 1: must be in \[0, 1\)/.test(e.message));
    assert.throws(() => resolveOptimizerSettings({ optimizer: 'adamw', epsilon: 0 }), (e: Error) => /^epsilon 0: must be a positive number$/.test(e.message));
    assert.throws(() => resolveOptimizerSettings({ optimizer: 'adamw', gradAccum: 1.5 }), (e: Error) => /^gradAccum 1.5: must be an integer >= 1$/.test(e.message));
    assert.throws(() => resolveOptimizerSettings({ optimizer: 'sgd' as 'adamw' }), (e: Error) => /^optimizer sgd: expected one of/.test(e.message));
    const g = new Graph('no_grads');
    const p = g.input('w', 'float32', [2], { role: 'param' });
    g.output('loss', reduceSum(p));
    assert.throws(() => runPipeline(g, [optimizerPass({ optimizer: 'adamw' })]), (e: Error) => e instanceof UserError && /no grad:<parameter> outputs/.test(e.message));
  });
});
