import { ShapeError } from '../errors.ts';
import { formatType, type TensorType, type Value } from '../graph.ts';
import { apply1, defineOp, type OpDef } from '../op.ts';
import { normAxis, numel, type Dim } from '../shape.ts';
import { sizeOf, stridesOf, type Tensor } from '../tensor.ts';
import { cast, div, equal, where } from './elementwise.ts';
import { expand, reshape } from './shape-ops.ts';
import { castScalar, isFloat, type DType } from '../dtype.ts';

export interface ReduceAttrs {
  /** Normalised, sorted, non-negative axes. */
  axes: number[];
  keepdims: boolean;
}

function inferReduce(name: string, [a]: TensorType[], at: ReduceAttrs): TensorType[] {
  const what = (): string => `${name}{axes=[${at.axes}]}(${formatType(a)})`;
  // evaluate and keptShape read the axes as given, so they must already be normalised.
  for (const ax of at.axes) if (ax < 0 || normAxis(ax, a.shape.length, what) !== ax) throw new ShapeError(`${what()}: axes must be normalised (non-negative)`);
  if (new Set(at.axes).size !== at.axes.length) throw new ShapeError(`${what()}: repeated axis`);
  return [{ dtype: a.dtype, shape: keptShape(a.shape, at) }];
}

function keptShape(shape: readonly Dim[], at: ReduceAttrs): Dim[] {
  const out: Dim[] = [];
  shape.forEach((d, i) => {
    if (!at.axes.includes(i)) out.push(d);
    else if (at.keepdims) out.push(1);
  });
  return out;
}

function evalReduce(a: Tensor, at: ReduceAttrs, init: number, step: (acc: number, x: number) => number, fin: (acc: number, count: number) => number): Tensor {
  const outShape = a.shape.map((d, i) => (at.axes.includes(i) ? 1 : d));
  const n = sizeOf(outShape);
  const acc = new Float64Array(n).fill(init);
  const inStrides = stridesOf(a.shape);
  const outStrides = stridesOf(outShape);
  const total = a.data.length;
  for (let flat = 0; flat < total; flat++) {
    let rem = flat;
    let o = 0;
    for (let i = 0; i < a.shape.length; i++) {
      const q = Math.floor(rem / inStrides[i]);
      rem -= q * inStrides[i];
      if (!at.axes.includes(i)) o += q * outStrides[i];
    }
    acc[o] = step(acc[o], a.data[flat]);
  }
  const count = a.shape.reduce((p, d, i) => (at.axes.includes(i) ? p * d : p), 1);
  // Round to the dtype as the runtime does: an int ReduceMean truncates (5/2 is 2), a float32
  // sum is a float32.
  for (let i = 0; i < n; i++) acc[i] = castScalar(fin(acc[i], count), a.dtype);
  const shape = keptShape(a.shape, at) as number[];
  return { dtype: a.dtype, shape, data: acc };
}

/** Brings a reduced cotangent back to the input's shape (re-insert axes, then broadcast). */
function spread(ct: Value, input: Value, at: ReduceAttrs): Value {
  const kept = at.keepdims ? ct : reshape(ct, keptShape(input.shape, { axes: at.axes, keepdims: true }));
  return expand(kept, input.shape);
}

function reduceFlops(n: { inputs: Value[] }): Dim {
  return numel(n.inputs[0].shape);
}

export const ReduceSum: OpDef<ReduceAttrs> = defineOp<ReduceAttrs>({
  name: 'ReduceSum',
  infer: (ins, at) => inferReduce('ReduceSum', ins, at),
  evaluate: ([a], at) => [evalReduce(a, at, 0, (s, x) => s + x, (s) => s)],
  vjp: (n, [ct]) => [ct ? spread(ct, n.inputs[0], n.attrs) : null],
  flops: reduceFlops,
});

export const ReduceMean: OpDef<ReduceAttrs> = defineOp<ReduceAttrs>({
  name: 'ReduceMean',
  infer: (ins, at) => inferReduce('ReduceMean', ins, at),
  evaluate: ([a], at) => [evalReduce(a, at, 0, (s, x) => s + x, (s, c) => s / c)],
  vjp: (n, [ct]) => [ct ? div(spread(ct, n.inputs[0], n.attrs), dimProduct(n.inputs[0], n.attrs.axes, ct.dtype)) : null],
  flops: reduceFlops,
});

export const ReduceMax: OpDef<ReduceAttrs> = defineOp<ReduceAttrs>({
  name: 'ReduceMax',
  infer: (ins, at) => inferReduce('ReduceMax', ins, at),
  evaluate: ([a], at) => [evalReduce(a, at, -Infinity, (s, x) => (x > s || Number.isNaN(x) ? x : s), (s) => s)],
  vjp: (n, [ct]) => {
    if (!ct) return [null];
    // The cotangent is shared evenly by the positions holding the maximum (as TF does): giving
    // all of it to each of k ties would make the gradient of max(x, x) = x come out as 2.
    const x = n.inputs[0];
    const kept = n.attrs.keepdims ? n.outputs[0] : reshape(n.outputs[0], keptShape(x.shape, { axes: n.attrs.axes, keepdims: true }));
    const hit = equal(x, kept);
    const ties = reduceSum(cast(hit, ct.dtype), n.attrs.axes, true);
    const share = n.attrs.keepdims ? ct : reshape(ct, ties.shape);
    return [where(hit, expand(div(share, ties), x.shape), 0)];
  },
  flops: reduceFlops,
});

export interface DimProductAttrs {
  axes: number[];
  dtype: DType;
}

/**
 * The product of x's dims along `axes` as a scalar of `dtype`, read from x's run-time shape.
 * This is how a mean over a symbolic dim (batch, seq) divides by the right count.
 */
export const DimProduct: OpDef<DimProductAttrs> = defineOp<DimProductAttrs>({
  name: 'DimProduct',
  infer: ([a], at) => {
    for (const ax of at.axes) normAxis(ax, a.shape.length, () => `DimProduct(${formatType(a)})`);
    return [{ dtype: at.dtype, shape: [] }];
  },
  evaluate: ([a], at) => [{ dtype: at.dtype, shape: [], data: Float64Array.of(at.axes.reduce((p, ax) => p * a.shape[ax < 0 ? ax + a.shape.length : ax], 1)) }],
  vjp: () => [null],
});

function normAxes(x: Value, axes: number[] | undefined, what: string): number[] {
  const all = axes ?? x.shape.map((_, i) => i);
  return [...new Set(all.map((a) => normAxis(a, x.rank, () => `${what}(${formatType(x.type)})`)))].sort((a, b) => a - b);
}

export function reduceSum(x: Value, axes?: number[], keepdims = false): Value {
  return apply1(ReduceSum, [x], { axes: normAxes(x, axes, 'ReduceSum'), keepdims });
}

export function reduceMean(x: Value, axes?: number[], keepdims = false): Value {
  return apply1(ReduceMean, [x], { axes: normAxes(x, axes, 'ReduceMean'), keepdims });
}

export function reduceMax(x: Value, axes?: number[], keepdims = false): Value {
  return apply1(ReduceMax, [x], { axes: normAxes(x, axes, 'ReduceMax'), keepdims });
}

/** Product of x's dims along axes as a scalar (static dims fold to a constant later). */
export function dimProduct(x: Value, axes: number[], dtype: DType): Value {
  if (!isFloat(dtype) && dtype !== 'int32' && dtype !== 'int64') throw new ShapeError(`DimProduct: dtype ${dtype} is not supported`);
  return apply1(DimProduct, [x], { axes: normAxes(x, axes, 'DimProduct'), dtype });
}

