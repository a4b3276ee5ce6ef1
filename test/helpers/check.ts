/**
 * Shared checks for ops and passes:
 *  - checkGradients: autodiff against central finite differences in float64, with a random
 *    cotangent (never all ones) and a random direction;
 *  - checkOnnxAgreement: the float64 interpreter against onnxruntime on the float32 graph.
 */
import assert from 'node:assert/strict';
import type { DType } from '../../src/ir/dtype.ts';
import { Graph, type Value } from '../../src/ir/graph.ts';
import { interpret } from '../../src/ir/interpreter.ts';
import { mul, reduceSum, add, cast } from '../../src/ir/ops/index.ts';
import type { Dim } from '../../src/ir/shape.ts';
import { tensor, type Tensor } from '../../src/ir/tensor.ts';
import { verifyGraph } from '../../src/ir/verifier.ts';
import { differentiate } from '../../src/passes/autodiff.ts';
import { emitModel, encodeModel } from '../../src/backends/onnx/emit.ts';
import { createSession, runReference } from '../../src/backends/onnx/session.ts';
import { normal, rng } from './random.ts';

export interface CaseInput {
  name: string;
  shape: number[];
  /** 'float' means float64 in gradient checks and float32 in ONNX checks. */
  dtype?: DType | 'float';
  /** How to fill it: normal(0,1) (default), positive (0.5..2), ints in [0, max), bool, or fixed values. */
  kind?: 'normal' | 'positive' | 'int' | 'bool';
  max?: number;
  values?: number[];
  /** Declared shape in the graph (symbolic dims allowed); defaults to `shape`. */
  declared?: Dim[];
}

export interface OpCase {
  name: string;
  inputs: CaseInput[];
  build: (ins: Value[]) => Value | Value[];
  /** Inputs to differentiate (default: every float input). */
  wrt?: string[];
  seed?: number;
  /** Finite-difference step and tolerances where the default (1e-6, rtol 1e-5) does not fit. */
  fd?: { h?: number; rtol?: number; atol?: number };
}

function resolveDtype(d: CaseInput['dtype'], float: DType): DType {
  return d === undefined || d === 'float' ? float : d;
}

export function makeFeeds(c: OpCase, float: DType): Record<string, Tensor> {
  const r = rng(c.seed ?? 1234);
  const feeds: Record<string, Tensor> = {};
  for (const inp of c.inputs) {
    const dtype = resolveDtype(inp.dtype, float);
    const n = inp.shape.reduce((a, b) => a * b, 1);
    let vals: number[];
    if (inp.values) vals = inp.values;
    else if (inp.kind === 'int') vals = Array.from({ length: n }, () => Math.floor(r() * (inp.max ?? 10)));
    else if (inp.kind === 'bool') vals = Array.from({ length: n }, () => (r() < 0.5 ? 1 : 0));
    else if (inp.kind === 'positive') vals = Array.from({ length: n }, () => 0.5 + 1.5 * r());
    else vals = Array.from({ length: n }, () => normal(r));
    feeds[inp.name] = tensor(dtype, inp.shape, vals);
  }
  return feeds;
}

export function buildCase(c: OpCase, float: DType): { graph: Graph; inputs: Value[]; outputs: Value[] } {
  const g = new Graph(c.name);
  const inputs = c.inputs.map((i) => g.input(i.name, resolveDtype(i.dtype, float), i.declared ?? i.shape));
  const built = c.build(inputs);
  const outputs = Array.isArray(built) ? built : [built];
  outputs.forEach((o, k) => g.output(`out${k}`, o));
  return { graph: g, inputs, outputs };
}

/**
 * L(x) = sum_k <cotangent_k, out_k(x)> with random cotangents; checks <dL/dx, d> against
 * (L(x + h d) - L(x - h d)) / 2h for a random direction d, per differentiated input.
 */
export function checkGradients(c: OpCase, opts: { h?: number; rtol?: number; atol?: number } = {}): void {
  const h = opts.h ?? c.fd?.h ?? 1e-6;
  const { graph: g, inputs, outputs } = buildCase(c, 'float64');
  const r = rng((c.seed ?? 1234) + 1);
  const feeds = makeFeeds(c, 'float64');
  // Concrete output shapes come from one interpreter run.
  const probed = interpret(g, feeds);
  let loss: Value | null = null;
  for (const [k, o] of outputs.entries()) {
    if (o.dtype !== 'float64') continue;
    const shape = probed[`out${k}`].shape;
    const ctData = Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => normal(r));
    // A graph input with the output's declared shape, so outputs with symbolic dims work too.
    const ct = g.input(`cotangent${k}`, 'float64', o.shape);
    feeds[`cotangent${k}`] = tensor('float64', shape, ctData);
    const term = reduceSum(mul(cast(o, 'float64'), ct));
    loss = loss ? add(loss, term) : term;
  }
  assert.ok(loss, `${c.name}: no float output to differentiate`);
  g.output('loss', loss);
  const wrt = inputs.filter((v, i) => (c.wrt ? c.wrt.includes(c.inputs[i].name) : v.dtype === 'float64'));
  assert.ok(wrt.length > 0, `${c.name}: nothing to differentiate`);
  const grads = differentiate(loss, wrt);
  grads.forEach((gr, i) => g.output(`grad${i}`, gr));
  verifyGraph(g);

  const base = interpret(g, feeds);
  wrt.forEach((w, i) => {
    const name = w.input!.name;
    const x = feeds[name];
    const dir = Array.from(x.data, () => normal(r));
    const shifted = (s: number): number => {
      const data = Float64Array.from(x.data, (v, k) => v + s * h * dir[k]);
      return interpret(g, { ...feeds, [name]: { ...x, data } }, ['loss']).loss.data[0];
    };
    const fd = (shifted(1) - shifted(-1)) / (2 * h);
    const grad = base[`grad${i}`];
    assert.deepEqual(grad.shape, x.shape, `${c.name}: gradient of ${name} has shape [${grad.shape}], input [${x.shape}]`);
    const ad = grad.data.reduce((s, v, k) => s + v * dir[k], 0);
    const tol = (opts.atol ?? c.fd?.atol ?? 1e-6) + (opts.rtol ?? c.fd?.rtol ?? 1e-5) * Math.max(Math.abs(fd), Math.abs(ad));
    assert.ok(Math.abs(ad - fd) <= tol, `${c.name}: d/d${name}: autodiff ${ad} vs finite differences ${fd}`);
  });
}

/** Runs the case's float32 graph through the interpreter and through onnxruntime and compares. */
export async function checkOnnxAgreement(c: OpCase, opts: { rtol?: number; atol?: number } = {}): Promise<void> {
  const { graph } = buildCase(c, 'float32');
  verifyGraph(graph);
  const feeds = makeFeeds(c, 'float32');
  const want = interpret(graph, feeds);
  const bytes = encodeModel(emitModel(graph, { paramsAs: 'inputs' }));
  const session = await createSession(bytes, { threads: 1 });
  const got = await runReference(session, feeds);
  for (const [name, w] of Object.entries(want)) {
    const o = got[name];
    assert.ok(o, `${c.name}: onnxruntime produced no ${name}`);
    assert.equal(o.dtype, w.dtype, `${c.name}: ${name} dtype`);
    assert.deepEqual(o.shape, w.shape, `${c.name}: ${name} shape`);
    assertClose(o.data, w.data, `${c.name}: ${name}`, opts.rtol ?? 1e-5, opts.atol ?? 1e-5);
  }
}

export function assertClose(got: ArrayLike<number>, want: ArrayLike<number>, what: string, rtol = 1e-5, atol = 1e-6): void {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < got.length; i++) {
    const a = got[i];
    const b = want[i];
    if (Number.isNaN(a) && Number.isNaN(b)) continue;
    if (a === b) continue;
    const ok = Math.abs(a - b) <= atol + rtol * Math.abs(b);
    if (!ok) assert.fail(`${what}: element ${i}: got ${a}, want ${b}`);
  }
}
