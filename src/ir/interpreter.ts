import { castScalar } from './dtype.ts';
import { ShapeError } from './errors.ts';
import { formatType, type Graph, type Value } from './graph.ts';
import { canonDim, dimSymbols, evalDim, formatShape } from './shape.ts';
import type { Tensor } from './tensor.ts';

/**
 * The float64 reference interpreter. It runs each op's reference evaluation in order and checks
 * every result against the op's shape rule under the binding of symbolic dims given by the
 * feeds, so a wrong shape rule is caught as soon as it runs.
 */
export function interpret(graph: Graph, feeds: Record<string, Tensor>, wanted?: string[]): Record<string, Tensor> {
  const env = new Map<string, number>();
  const values = new Map<Value, Tensor>();
  for (const v of graph.inputs) {
    const name = v.input!.name;
    const t = feeds[name];
    if (!t) throw new ShapeError(`interpret: no feed for input "${name}"`);
    bindShape(v, t, env, `input "${name}"`);
    values.set(v, t);
  }
  const outs = wanted ? graph.outputs.filter((o) => wanted.includes(o.name)) : graph.outputs;
  const live = new Set<Value>();
  {
    const stack = outs.map((o) => o.value);
    while (stack.length) {
      const v = stack.pop()!;
      if (live.has(v)) continue;
      live.add(v);
      if (v.producer) for (const i of v.producer.inputs) stack.push(i);
    }
  }
  for (const node of graph.nodes) {
    if (!node.outputs.some((o) => live.has(o))) continue;
    const ins = node.inputs.map((v) => {
      const t = values.get(v);
      if (!t) throw new Error(`interpret: ${node.op.name} reads ${v} before it is computed`);
      return t;
    });
    const results = node.op.evaluate(ins, node.attrs, { node, resolve: (dims) => dims.map((d) => evalDim(d, env)) });
    if (results.length !== node.outputs.length) throw new Error(`interpret: ${node.op.name} returned ${results.length} results`);
    node.outputs.forEach((o, i) => {
      bindShape(o, results[i], env, `output ${i} of ${node.op.name}`);
      values.set(o, o.dtype === 'float16' ? roundedToHalf(results[i]) : results[i]);
    });
  }
  const result: Record<string, Tensor> = {};
  for (const o of outs) result[o.name] = values.get(o.value)!;
  return result;
}

/**
 * A float16 result as a device stores it: the op computed in float64 (as a GPU kernel computes
 * in float32 and accumulates there), the value is rounded to half precision once. This is what
 * makes the interpreter a reference for mixed-precision graphs.
 */
function roundedToHalf(t: Tensor): Tensor {
  const data = new Float64Array(t.data.length);
  for (let i = 0; i < data.length; i++) data[i] = castScalar(t.data[i], 'float16');
  return { ...t, data };
}

function bindShape(v: Value, t: Tensor, env: Map<string, number>, what: string): void {
  const want = v.type;
  if (t.dtype !== want.dtype) throw new ShapeError(`${what}: expected ${formatType(want)}, got dtype ${t.dtype}`);
  if (t.shape.length !== want.shape.length) throw new ShapeError(`${what}: expected ${formatType(want)}, got shape ${formatShape(t.shape)}`);
  want.shape.forEach((d, i) => {
    const c = canonDim(d);
    const actual = t.shape[i];
    if (typeof c === 'number') {
      if (c !== actual) throw new ShapeError(`${what}: expected ${formatType(want)}, got shape ${formatShape(t.shape)}`);
      return;
    }
    const syms = dimSymbols(c);
    if (syms.length === 1 && !env.has(syms[0]) && c === syms[0]) env.set(syms[0], actual);
    const unknown = syms.filter((s) => !env.has(s));
    if (unknown.length === 0 && evalDim(c, env) !== actual) {
      throw new ShapeError(`${what}: dim ${i} should be ${c} = ${evalDim(c, env)}, got ${actual}`);
    }
  });
}
