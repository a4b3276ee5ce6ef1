import type { DType } from '../dtype.ts';
import type { Graph, Value } from '../graph.ts';
import { defineOp } from '../op.ts';
import { tensor, type Tensor } from '../tensor.ts';

export interface ConstantAttrs {
  value: Tensor;
}

export const Constant = defineOp<ConstantAttrs>({
  name: 'Constant',
  infer: (_ins, a) => [{ dtype: a.value.dtype, shape: [...a.value.shape] }],
  evaluate: (_ins, a) => [a.value],
  vjp: () => [],
});

export function constant(g: Graph, t: Tensor): Value {
  return g.addNode(Constant, [], { value: t })[0];
}

export function scalar(g: Graph, v: number, dtype: DType): Value {
  return constant(g, tensor(dtype, [], [v]));
}

/** A scalar constant with the dtype of `like`. */
export function scalarLike(like: Value, v: number): Value {
  return scalar(like.graph, v, like.dtype);
}

/** Turns a number into a scalar constant of `like`'s dtype; passes values through. */
export function lift(x: Value | number, like: Value): Value {
  return typeof x === 'number' ? scalarLike(like, x) : x;
}

/** If `v` is produced by a Constant, its tensor. */
export function constantValue(v: Value): Tensor | null {
  const p = v.producer;
  return p && p.op === (Constant as unknown) ? (p.attrs as ConstantAttrs).value : null;
}
