import { isFloat } from '../ir/dtype.ts';
import { ShapeError } from '../ir/errors.ts';
import { formatType, type Graph, type Node, type Value } from '../ir/graph.ts';
import { add, constant, expand, reduceSum, reshape, scalarLike } from '../ir/ops/index.ts';
import { canonDim, dimEq, isStatic } from '../ir/shape.ts';
import { tensor } from '../ir/tensor.ts';
import type { Pass } from './pass.ts';

/**
 * Reverse-mode differentiation of `loss` with respect to `wrt`, appended to the loss's graph.
 * Returns one gradient per `wrt` value, shaped like it. Cotangents of a value used several
 * times (ALBERT's shared layers) are summed; broadcast cotangents are reduced here, in one place.
 * `seed` is the cotangent of `loss` (default: 1, which requires a scalar loss).
 */
export function differentiate(loss: Value, wrt: Value[], seed?: Value): Value[] {
  const g = loss.graph;
  if (!isFloat(loss.dtype)) throw new ShapeError(`autodiff: loss ${loss} has dtype ${loss.dtype}; it must be a float`);
  for (const w of wrt) {
    if (w.graph !== g) throw new Error('autodiff: wrt value belongs to another graph');
    if (!isFloat(w.dtype)) throw new ShapeError(`autodiff: cannot differentiate with respect to ${w} of dtype ${w.dtype}`);
  }
  if (!seed && loss.rank !== 0) throw new ShapeError(`autodiff: loss ${formatType(loss.type)} is not a scalar; give a seed cotangent`);

  const nodes = [...g.nodes];
  const depends = forwardReach(nodes, wrt);
  const relevant = backwardReach(loss, depends);

  const cts = new Map<Value, Value[]>();
  const push = (v: Value, ct: Value): void => {
    const list = cts.get(v);
    if (list) list.push(ct);
    else cts.set(v, [ct]);
  };
  const total = (v: Value): Value | null => {
    const list = cts.get(v);
    if (!list || list.length === 0) return null;
    // Sum once; keep the summed value as the only entry.
    const sum = list.reduce((a, b) => add(a, b));
    cts.set(v, [sum]);
    return sum;
  };
  push(loss, seed ?? scalarLike(loss, 1));

  g.scope('grad', () => {
    for (let i = nodes.length - 1; i >= 0; i--) {
      const node = nodes[i];
      if (!relevant.has(node)) continue;
      const outCts = node.outputs.map(total);
      if (outCts.every((c) => c === null)) continue;
      const needed = node.inputs.map((v) => depends.has(v) && isFloat(v.dtype));
      if (!node.op.vjp) {
        throw new ShapeError(`autodiff: op ${node.op.name} has no gradient rule but lies between the loss and a parameter`);
      }
      const inCts = g.scope(node.scope, () => node.op.vjp!(node as Node<never>, outCts, needed));
      node.inputs.forEach((v, k) => {
        const ct = inCts[k];
        if (!needed[k] || !ct) return;
        push(v, unbroadcast(ct, v, node));
      });
    }
  });

  return wrt.map((w) => total(w) ?? zerosLike(w));
}

function forwardReach(nodes: Node[], wrt: Value[]): Set<Value> {
  const dep = new Set<Value>(wrt);
  for (const n of nodes) {
    if (n.inputs.some((v) => dep.has(v))) for (const o of n.outputs) if (isFloat(o.dtype)) dep.add(o);
  }
  return dep;
}

function backwardReach(loss: Value, depends: Set<Value>): Set<Node> {
  const rel = new Set<Node>();
  const stack = [loss];
  const seen = new Set<Value>();
  while (stack.length) {
    const v = stack.pop()!;
    if (seen.has(v)) continue;
    seen.add(v);
    const p = v.producer;
    if (!p || !depends.has(v)) continue;
    rel.add(p);
    for (const i of p.inputs) if (depends.has(i)) stack.push(i);
  }
  return rel;
}

/** Sums a cotangent over the axes along which `target` was broadcast, then matches its shape. */
export function unbroadcast(ct: Value, target: Value, node: Node): Value {
  if (ct.dtype !== target.dtype) throw new Error(`autodiff: ${node.op.name} returned a ${ct.dtype} cotangent for a ${target.dtype} input`);
  const cs = ct.shape;
  const ts = target.shape;
  if (cs.length === ts.length && cs.every((d, i) => dimEq(d, ts[i]))) return ct;
  const lead = cs.length - ts.length;
  if (lead < 0) throw new Error(`autodiff: ${node.op.name} returned cotangent ${formatType(ct.type)} for input ${formatType(target.type)}`);
  const axes: number[] = [];
  for (let i = 0; i < cs.length; i++) {
    if (i < lead) axes.push(i);
    else if (canonDim(ts[i - lead]) === 1 && canonDim(cs[i]) !== 1) axes.push(i);
    else if (!dimEq(ts[i - lead], cs[i])) {
      throw new Error(`autodiff: ${node.op.name} returned cotangent ${formatType(ct.type)} that does not broadcast to ${formatType(target.type)}`);
    }
  }
  const summed = axes.length ? reduceSum(ct, axes, true) : ct;
  return reshape(summed, ts);
}

function zerosLike(v: Value): Value {
  if (v.shape.every(isStatic)) return constant(v.graph, tensor(v.dtype, v.shape as number[], 0));
  return expand(scalarLike(v, 0), v.shape);
}

/**
 * The autodiff pass: differentiates the graph output `loss` with respect to every parameter
 * (or the named inputs) and adds one output `grad:<input name>` per input.
 */
export function autodiffPass(opts: { loss?: string; wrt?: string[] } = {}): Pass {
  return {
    name: 'autodiff',
    run(g: Graph): boolean {
      const lossName = opts.loss ?? 'loss';
      const loss = g.outputByName(lossName);
      if (!loss) throw new ShapeError(`autodiff: graph has no output "${lossName}"`);
      const wrt = opts.wrt
        ? opts.wrt.map((n) => {
            const v = g.inputByName(n);
            if (!v) throw new ShapeError(`autodiff: graph has no input "${n}"`);
            return v;
          })
        : g.params();
      const grads = differentiate(loss, wrt);
      wrt.forEach((w, i) => g.output(`grad:${w.input!.name}`, grads[i]));
      return true;
    },
  };
}
