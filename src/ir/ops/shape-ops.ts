import { ShapeError } from '../errors.ts';
import { formatType, type Value } from '../graph.ts';
import { apply1, defineOp, type OpDef } from '../op.ts';
import { broadcastShapes, canonDim, dimEq, divDims, formatShape, mulDims, normAxis, numel, type Dim } from '../shape.ts';
import { broadcastIndexer, sizeOf, stridesOf, type Tensor } from '../tensor.ts';

// ---------------------------------------------------------------------------------------------
// Reshape: the target shape is fully resolved at build time (the builder resolves -1), so the
// shape rule can check element counts symbolically.

export interface ReshapeAttrs {
  shape: Dim[];
}

export const Reshape: OpDef<ReshapeAttrs> = defineOp<ReshapeAttrs>({
  name: 'Reshape',
  infer: ([a], at) => {
    if (!dimEq(numel(a.shape), numel(at.shape))) {
      throw new ShapeError(`Reshape(${formatType(a)}) to ${formatShape(at.shape)}: element counts ${canonDim(numel(a.shape))} and ${canonDim(numel(at.shape))} differ`);
    }
    return [{ dtype: a.dtype, shape: [...at.shape] }];
  },
  evaluate: ([a], at, ctx) => [{ dtype: a.dtype, shape: ctx.resolve(at.shape), data: a.data }],
  vjp: (n, [ct]) => [ct ? reshape(ct, n.inputs[0].shape) : null],
});

/**
 * Reshape with the usual conveniences: one -1 is inferred (symbolically), 0 is not special.
 */
export function reshape(x: Value, shape: readonly Dim[]): Value {
  // formatShape would reject the -1 itself, so requests are printed as given.
  const asked = `[${shape.join(', ')}]`;
  const minus = shape.filter((d) => d === -1).length;
  if (minus > 1) throw new ShapeError(`Reshape(${formatType(x.type)}) to ${asked}: more than one -1`);
  let target = shape.map((d) => (d === -1 ? d : canonDim(d)));
  if (minus === 1) {
    const rest = mulDims(1, ...target.filter((d) => d !== -1));
    const inferred = divDims(numel(x.shape), rest);
    if (inferred === null) throw new ShapeError(`Reshape(${formatType(x.type)}) to ${asked}: cannot infer -1`);
    target = target.map((d) => (d === -1 ? inferred : d));
  }
  if (target.length === x.rank && target.every((d, i) => dimEq(d, x.shape[i]))) return x;
  return apply1(Reshape, [x], { shape: target });
}

// ---------------------------------------------------------------------------------------------
// Transpose

export interface TransposeAttrs {
  perm: number[];
}

export const Transpose: OpDef<TransposeAttrs> = defineOp<TransposeAttrs>({
  name: 'Transpose',
  infer: ([a], at) => {
    const ok = at.perm.length === a.shape.length && [...at.perm].sort((x, y) => x - y).every((p, i) => p === i);
    if (!ok) throw new ShapeError(`Transpose{perm=[${at.perm}]}(${formatType(a)}): perm is not a permutation of the axes`);
    return [{ dtype: a.dtype, shape: at.perm.map((p) => a.shape[p]) }];
  },
  evaluate: ([a], at) => [transposeTensor(a, at.perm)],
  vjp: (n, [ct]) => [ct ? transpose(ct, invertPerm(n.attrs.perm)) : null],
});

export function transposeTensor(a: Tensor, perm: number[]): Tensor {
  const shape = perm.map((p) => a.shape[p]);
  const inStrides = stridesOf(a.shape);
  const outStrides = stridesOf(shape);
  const out = new Float64Array(a.data.length);
  for (let flat = 0; flat < out.length; flat++) {
    let rem = flat;
    let src = 0;
    for (let i = 0; i < shape.length; i++) {
      const q = Math.floor(rem / outStrides[i]);
      rem -= q * outStrides[i];
      src += q * inStrides[perm[i]];
    }
    out[flat] = a.data[src];
  }
  return { dtype: a.dtype, shape, data: out };
}

export function invertPerm(perm: number[]): number[] {
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => (inv[p] = i));
  return inv;
}

export function transpose(x: Value, perm?: number[]): Value {
  const p = perm ?? x.shape.map((_, i) => x.rank - 1 - i);
  if (p.every((v, i) => v === i)) return x;
  return apply1(Transpose, [x], { perm: p });
}

/** Swaps the last two axes. */
export function transposeLast2(x: Value): Value {
  const p = x.shape.map((_, i) => i);
  [p[x.rank - 2], p[x.rank - 1]] = [p[x.rank - 1], p[x.rank - 2]];
  return transpose(x, p);
}

// ---------------------------------------------------------------------------------------------
// Expand (numpy broadcast to a shape)

export interface ExpandAttrs {
  shape: Dim[];
}

export const Expand: OpDef<ExpandAttrs> = defineOp<ExpandAttrs>({
  name: 'Expand',
  infer: ([a], at) => [{ dtype: a.dtype, shape: broadcastShapes([a.shape, at.shape], () => `Expand(${formatType(a)}) to ${formatShape(at.shape)}`) }],
  evaluate: ([a], _at, ctx) => {
    const shape = ctx.resolve(ctx.node.outputs[0].shape);
    const n = sizeOf(shape);
    const idx = broadcastIndexer(shape, a.shape);
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = a.data[idx(i)];
    return [{ dtype: a.dtype, shape, data: out }];
  },
  // autodiff reduces the broadcast cotangent back to the input's shape
  vjp: (_n, [ct]) => [ct],
});

export function expand(x: Value, shape: readonly Dim[]): Value {
  const target = shape.map(canonDim);
  if (target.length === x.rank && target.every((d, i) => dimEq(d, x.shape[i]))) return x;
  return apply1(Expand, [x], { shape: target });
}

// ---------------------------------------------------------------------------------------------
// Squeeze / Unsqueeze

export interface AxesAttrs {
  axes: number[];
}

export const Unsqueeze: OpDef<AxesAttrs> = defineOp<AxesAttrs>({
  name: 'Unsqueeze',
  infer: ([a], at) => [{ dtype: a.dtype, shape: unsqueezeShape(a.shape, at.axes, () => `Unsqueeze{axes=[${at.axes}]}(${formatType(a)})`) }],
  evaluate: ([a], at) => [{ dtype: a.dtype, shape: unsqueezeShape(a.shape, at.axes, () => 'Unsqueeze') as number[], data: a.data }],
  vjp: (n, [ct]) => [ct ? reshape(ct, n.inputs[0].shape) : null],
});

function unsqueezeShape(shape: readonly Dim[], axes: number[], what: () => string): Dim[] {
  const rank = shape.length + axes.length;
  const norm = axes.map((a) => normAxis(a, rank, what));
  if (new Set(norm).size !== norm.length) throw new ShapeError(`${what()}: repeated axis`);
  const out: Dim[] = [];
  let k = 0;
  for (let i = 0; i < rank; i++) out.push(norm.includes(i) ? 1 : shape[k++]);
  return out;
}

export const Squeeze: OpDef<AxesAttrs> = defineOp<AxesAttrs>({
  name: 'Squeeze',
  infer: ([a], at) => [{ dtype: a.dtype, shape: squeezeShape(a.shape, at.axes, () => `Squeeze{axes=[${at.axes}]}(${formatType(a)})`) }],
  evaluate: ([a], at) => [{ dtype: a.dtype, shape: squeezeShape(a.shape, at.axes, () => 'Squeeze') as number[], data: a.data }],
  vjp: (n, [ct]) => [ct ? reshape(ct, n.inputs[0].shape) : null],
});

function squeezeShape(shape: readonly Dim[], axes: number[], what: () => string): Dim[] {
  const norm = axes.map((a) => normAxis(a, shape.length, what));
  for (const a of norm) if (canonDim(shape[a]) !== 1) throw new ShapeError(`${what()}: axis ${a} has size ${shape[a]}, not 1`);
  return shape.filter((_, i) => !norm.includes(i));
}

export function unsqueeze(x: Value, axes: number[]): Value {
  return apply1(Unsqueeze, [x], { axes });
}

export function squeeze(x: Value, axes: number[]): Value {
  return apply1(Squeeze, [x], { axes });
}
