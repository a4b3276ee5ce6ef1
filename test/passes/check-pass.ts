/**
 * What every pass test checks: the graph computes the same outputs before and after the pass,
 * in the float64 interpreter and through onnxruntime, and the verifier accepts the result.
 */
import assert from 'node:assert/strict';
import { isFloat } from '../../src/ir/dtype.ts';
import type { Graph } from '../../src/ir/graph.ts';
import { interpret } from '../../src/ir/interpreter.ts';
import { evalDim } from '../../src/ir/shape.ts';
import { tensor, type Tensor } from '../../src/ir/tensor.ts';
import { verifyGraph } from '../../src/ir/verifier.ts';
import { emitModel, encodeModel } from '../../src/backends/onnx/emit.ts';
import { createSession, runReference } from '../../src/backends/onnx/session.ts';
import { assertClose } from '../helpers/check.ts';
import { normal, rng } from '../helpers/random.ts';

/** Random feeds for every graph input; symbolic dims take their sizes from `dims`. */
export function randomFeeds(g: Graph, dims: Record<string, number> = {}, seed = 7): Record<string, Tensor> {
  const r = rng(seed);
  const env = new Map(Object.entries(dims));
  const feeds: Record<string, Tensor> = {};
  for (const v of g.inputs) {
    const shape = v.shape.map((d) => evalDim(d, env));
    const n = shape.reduce((a, b) => a * b, 1);
    const vals = Array.from({ length: n }, () => (isFloat(v.dtype) ? normal(r) : v.dtype === 'bool' ? (r() < 0.5 ? 1 : 0) : Math.floor(r() * 7)));
    feeds[v.input!.name] = tensor(v.dtype, shape, vals);
  }
  return feeds;
}

async function runOnnx(g: Graph, feeds: Record<string, Tensor>): Promise<Record<string, Tensor>> {
  const session = await createSession(encodeModel(emitModel(g, { paramsAs: 'inputs' })), { threads: 1 });
  return runReference(session, feeds);
}

function compare(got: Record<string, Tensor>, want: Record<string, Tensor>, what: string, rtol: number, atol: number): void {
  assert.deepEqual(Object.keys(got).sort(), Object.keys(want).sort(), `${what}: output names`);
  for (const [name, w] of Object.entries(want)) {
    const o = got[name];
    assert.equal(o.dtype, w.dtype, `${what}: ${name} dtype`);
    assert.deepEqual(o.shape, w.shape, `${what}: ${name} shape`);
    assertClose(o.data, w.data, `${what}: ${name}`, rtol, atol);
  }
}

export interface PassCheck {
  /** Tolerance between interpreter runs before and after (default 1e-12: passes are exact in float64). */
  interpRtol?: number;
  /** Skip onnxruntime (for graphs that only the interpreter can run). */
  skipOnnx?: boolean;
}

/**
 * Runs `pass` on `g` and checks that the outputs are unchanged: interpreter before vs after,
 * and onnxruntime on the model emitted before and after, both against the interpreter.
 * Returns what the pass returned.
 */
export async function checkPassPreserves(g: Graph, feeds: Record<string, Tensor>, pass: (g: Graph) => boolean, opts: PassCheck = {}): Promise<boolean> {
  verifyGraph(g);
  const want = interpret(g, feeds);
  const onnxBefore = opts.skipOnnx ? null : await runOnnx(g, feeds);
  const changed = pass(g);
  verifyGraph(g);
  const rtol = opts.interpRtol ?? 1e-12;
  compare(interpret(g, feeds), want, `${g.name}: interpreter after the pass`, rtol, rtol);
  if (onnxBefore) {
    compare(onnxBefore, want, `${g.name}: onnxruntime before the pass`, 1e-5, 1e-5);
    compare(await runOnnx(g, feeds), want, `${g.name}: onnxruntime after the pass`, 1e-5, 1e-5);
  }
  return changed;
}

/** How many nodes of each op the graph holds. */
export function opCounts(g: Graph): Record<string, number> {
  const c: Record<string, number> = {};
  for (const n of g.nodes) c[n.op.name] = (c[n.op.name] ?? 0) + 1;
  return c;
}
