import { isFloat, isInteger } from '../dtype.ts';
import { ShapeError, UserError } from '../errors.ts';
import { formatType, type TensorType, type Value } from '../graph.ts';
import { apply1, defineOp, type OpDef } from '../op.ts';
import { canonDim, dimEq, dimSymbols, divDims, formatShape, isStatic, mulDims, normAxis, type Dim } from '../shape.ts';
import { sizeOf, stridesOf, type Tensor } from '../tensor.ts';
import { scalarLike } from './constant.ts';
import { expand, invertPerm, transpose } from './shape-ops.ts';

// Slice, Concat/Split, Gather and GatherElements, with the scatter ops their VJPs need.

/** Product of dims [from, to) of a concrete shape. */
function span(shape: readonly number[], from: number, to: number): number {
  let p = 1;
  for (let i = from; i < to; i++) p *= shape[i];
  return p;
}

/** A data index read as a position along an axis of `size`: negatives wrap (as ONNX allows). */
function wrapIndex(v: number, size: number, what: () => string): number {
  const i = v < 0 ? v + size : v;
  if (!(i >= 0 && i < size)) throw new UserError(`${what()}: index ${v} is out of range for an axis of size ${size}`);
  return i;
}

function checkIndices(t: TensorType, what: () => string): void {
  if (t.dtype !== 'int32' && t.dtype !== 'int64') throw new ShapeError(`${what()}: indices must be int32 or int64, not ${t.dtype}`);
}

/**
 * Sum of dims when it is representable: static sizes add, and so do multiples of the same
 * symbols ("batch" + "batch" = "2*batch"); a mix such as 3 + batch is not a dim. Null then.
 */
export function addDims(dims: readonly Dim[]): Dim | null {
  let key: string | null = null;
  let coef = 0;
  for (const d of dims) {
    const c = canonDim(d);
    if (c === 0) continue;
    const syms = dimSymbols(c).join('*');
    const k = syms === '' ? (c as number) : (divDims(c, syms) as number);
    if (key !== null && key !== syms) return null;
    key = syms;
    coef += k;
  }
  if (key === null) return 0;
  return key === '' ? coef : mulDims(coef, key);
}

// ---------------------------------------------------------------------------------------------
// Slice (ONNX semantics, positive steps): negative starts/ends count from the end, and both
// clamp to the axis. On a symbolic axis the result must stay a dim we can write down: the
// whole axis (optionally strided by a step that divides it) or a static window [start, end)
// with end <= the axis's static factor (every symbol is taken to be at least 1; the
// interpreter checks this at run time).

/** An end meaning "through the last element", whatever the axis size. */
export const TO_END = Number.MAX_SAFE_INTEGER;
/** Ends at or beyond this are read as "to the end" on symbolic axes. */
const BIG_END = 2 ** 31 - 1;

export interface SliceAttrs {
  /** Normalised, distinct, non-negative axes; starts/ends/steps give one entry per axis. */
  axes: number[];
  starts: number[];
  ends: number[];
  steps: number[];
}

/** The part of one axis a slice takes. */
export interface AxisRange {
  /** First element taken (already clamped, static). */
  start: number;
  /** Number of elements taken. */
  len: Dim;
}

function describeSlice(at: SliceAttrs): string {
  const end = (v: number): string => (v >= BIG_END ? 'end' : String(v));
  return `Slice{starts=[${at.starts}], ends=[${at.ends.map(end)}], axes=[${at.axes}], steps=[${at.steps}]}`;
}

/** ONNX clamping of [start, end) with a positive step on an axis of static size d. */
function staticRange(d: number, start: number, end: number, step: number): AxisRange {
  const clamp = (v: number): number => Math.min(Math.max(v < 0 ? v + d : v, 0), d);
  const s = clamp(start);
  const e = clamp(end);
  return { start: s, len: e > s ? Math.ceil((e - s) / step) : 0 };
}

/** A symbolic dim's static factor: a lower bound on its size when every symbol is >= 1. */
function staticFactor(d: Dim): number {
  const syms = dimSymbols(d);
  return syms.length === 0 ? (d as number) : (divDims(d, syms.join('*')) as number);
}

function symbolicRange(d: string, start: number, end: number, step: number, what: () => string): AxisRange {
  const no = (why: string): ShapeError => new ShapeError(`${what()}: on symbolic axis of size ${d}, ${why}`);
  if (start < 0) throw no(`start ${start} counts from the end, which is not supported`);
  if (end >= BIG_END) {
    if (start !== 0) throw no(`start ${start} to the end would have size ${d}-${start}, which is not a supported dim`);
    const len = divDims(d, step);
    if (len === null) throw no(`step ${step} does not divide the axis`);
    return { start: 0, len };
  }
  const lo = staticFactor(d);
  if (end < 0 || end > lo) throw no(`end ${end} is not known to lie within the axis (only ends in [0, ${lo}] or to the end are supported)`);
  const s = Math.min(start, end);
  return { start: s, len: end > s ? Math.ceil((end - s) / step) : 0 };
}

function axisRanges(shape: readonly Dim[], at: SliceAttrs, what: () => string): AxisRange[] {
  const n = at.axes.length;
  if (at.starts.length !== n || at.ends.length !== n || at.steps.length !== n) {
    throw new ShapeError(`${what()}: starts, ends, axes and steps must have the same length`);
  }
  if (new Set(at.axes).size !== n) throw new ShapeError(`${what()}: repeated axis`);
  return at.axes.map((ax, i) => {
    if (!Number.isInteger(ax) || ax < 0 || ax >= shape.length) throw new ShapeError(`${what()}: axis ${ax} is out of range for rank ${shape.length}`);
    const [s, e, k] = [at.starts[i], at.ends[i], at.steps[i]];
    if (!Number.isInteger(s) || !Number.isInteger(e)) throw new ShapeError(`${what()}: starts and ends must be integers`);
    if (!Number.isInteger(k) || k <= 0) throw new ShapeError(`${what()}: step ${k} is not supported (only positive steps)`);
    const d = canonDim(shape[ax]);
    return isStatic(d) ? staticRange(d, s, e, k) : symbolicRange(d, s, e, k, what);
  });
}

function sliceShape(shape: readonly Dim[], at: SliceAttrs, what: () => string): Dim[] {
  const ranges = axisRanges(shape, at, what);
  const out = [...shape];
  at.axes.forEach((ax, i) => (out[ax] = ranges[i].len));
  return out;
}

/** Per-axis start and step for a concrete shape, checking windows on symbolic axes at run time. */
function concreteWindow(shape: readonly number[], declared: readonly Dim[], at: SliceAttrs, what: () => string): { starts: number[]; steps: number[]; out: number[] } {
  const starts = shape.map(() => 0);
  const steps = shape.map(() => 1);
  const out = [...shape];
  at.axes.forEach((ax, i) => {
    if (!isStatic(canonDim(declared[ax])) && at.ends[i] < BIG_END && at.ends[i] > shape[ax]) {
      throw new ShapeError(`${what()}: end ${at.ends[i]} lies beyond axis ${ax} of run-time size ${shape[ax]} (declared ${canonDim(declared[ax])})`);
    }
    const r = staticRange(shape[ax], at.starts[i], at.ends[i], at.steps[i]);
    starts[ax] = r.start;
    steps[ax] = at.steps[i];
    out[ax] = r.len as number;
  });
  return { starts, steps, out };
}

/**
 * Calls fn(outFlat, srcFlat) for every element of the window (per-axis start and step) of a
 * tensor of shape `full`; `out` is the window's shape.
 */
function forWindow(full: readonly number[], out: readonly number[], starts: number[], steps: number[], fn: (o: number, src: number) => void): void {
  const fs = stridesOf(full);
  const os = stridesOf(out);
  const n = sizeOf(out);
  for (let o = 0; o < n; o++) {
    let rem = o;
    let src = 0;
    for (let i = 0; i < out.length; i++) {
      const q = Math.floor(rem / os[i]);
      rem -= q * os[i];
      src += (starts[i] + q * steps[i]) * fs[i];
    }
    fn(o, src);
  }
}

export const Slice: OpDef<SliceAttrs> = defineOp<SliceAttrs>({
  name: 'Slice',
  infer: ([a], at) => [{ dtype: a.dtype, shape: sliceShape(a.shape, at, () => `${describeSlice(at)}(${formatType(a)})`) }],
  evaluate: ([a], at, ctx) => {
    const w = concreteWindow(a.shape, ctx.node.inputs[0].shape, at, () => `${describeSlice(at)}(${formatType(ctx.node.inputs[0].type)})`);
    const data = new Float64Array(sizeOf(w.out));
    forWindow(a.shape, w.out, w.starts, w.steps, (o, src) => (data[o] = a.data[src]));
    return [{ dtype: a.dtype, shape: w.out, data }];
  },
  vjp: (n, [ct]) => [ct ? apply1(SliceGrad, [ct], { ...n.attrs, shape: [...n.inputs[0].shape] }) : null],
});

export interface SliceGradAttrs extends SliceAttrs {
  /** Shape of the sliced tensor, which the cotangent is padded back to. */
  shape: Dim[];
}

/** The VJP of Slice: zeros of the sliced tensor's shape with the cotangent written into the window. */
export const SliceGrad: OpDef<SliceGradAttrs> = defineOp<SliceGradAttrs>({
  name: 'SliceGrad',
  infer: ([ct], at) => {
    const what = (): string => `SliceGrad{${describeSlice(at)} of ${formatShape(at.shape)}}(${formatType(ct)})`;
    const want = sliceShape(at.shape, at, what);
    if (ct.shape.length !== want.length || !ct.shape.every((d, i) => dimEq(d, want[i]))) {
      throw new ShapeError(`${what()}: cotangent should have shape ${formatShape(want)}`);
    }
    return [{ dtype: ct.dtype, shape: [...at.shape] }];
  },
  evaluate: ([ct], at, ctx) => {
    const full = ctx.resolve(at.shape);
    const w = concreteWindow(full, at.shape, at, () => `SliceGrad{${describeSlice(at)}}`);
    const data = new Float64Array(sizeOf(full));
    forWindow(full, w.out, w.starts, w.steps, (o, dst) => (data[dst] = ct.data[o]));
    return [{ dtype: ct.dtype, shape: full, data }];
  },
  vjp: (n, [ct]) => [ct ? apply1(Slice, [ct], { axes: n.attrs.axes, starts: n.attrs.starts, ends: n.attrs.ends, steps: n.attrs.steps }) : null],
});

/** Where a SliceGrad writes its cotangent: per sliced axis, the first element and the count. */
export function sliceGradWindow(at: SliceGradAttrs): AxisRange[] {
  return axisRanges(at.shape, at, () => `SliceGrad{${describeSlice(at)}}`);
}

/**
 * x[starts:ends:steps] along `axes` (default: the first starts.length axes), with ONNX rules:
 * negative starts/ends count from the end, out-of-range values clamp; steps must be positive.
 * Use TO_END as an end for "through the last element".
 */
export function slice(x: Value, starts: number[], ends: number[], axes?: number[], steps?: number[]): Value {
  const what = (): string => `Slice{starts=[${starts}], ends=[${ends}], axes=[${axes ?? ''}]}(${formatType(x.type)})`;
  const ax = (axes ?? starts.map((_, i) => i)).map((a) => normAxis(a, x.rank, what));
  // int64 constants must stay exact: keep huge bounds at the largest safe integer.
  const clampBig = (v: number): number => Math.max(-TO_END, Math.min(TO_END, v));
  return apply1(Slice, [x], { axes: ax, starts: starts.map(clampBig), ends: ends.map(clampBig), steps: steps ?? ax.map(() => 1) });
}

// ---------------------------------------------------------------------------------------------
// Concat and Split (Split is Concat's VJP; its sizes may be symbolic).

export interface ConcatAttrs {
  /** Normalised (non-negative) axis. */
  axis: number;
}

export const Concat: OpDef<ConcatAttrs> = defineOp<ConcatAttrs>({
  name: 'Concat',
  infer: (ins, at) => {
    const what = (): string => `Concat{axis=${at.axis}}(${ins.map(formatType).join(', ')})`;
    if (ins.length === 0) throw new ShapeError('Concat needs at least one input');
    const [a] = ins;
    if (at.axis < 0 || at.axis >= a.shape.length) throw new ShapeError(`${what()}: axis ${at.axis} is out of range for rank ${a.shape.length}`);
    for (const b of ins) {
      if (b.dtype !== a.dtype) throw new ShapeError(`${what()}: input dtypes differ`);
      if (b.shape.length !== a.shape.length) throw new ShapeError(`${what()}: input ranks differ`);
      b.shape.forEach((d, i) => {
        if (i !== at.axis && !dimEq(d, a.shape[i])) throw new ShapeError(`${what()}: dims ${i} differ`);
      });
    }
    const total = addDims(ins.map((t) => t.shape[at.axis]));
    if (total === null) throw new ShapeError(`${what()}: the sizes along axis ${at.axis} do not add up to a supported dim`);
    const shape = [...a.shape];
    shape[at.axis] = total;
    return [{ dtype: a.dtype, shape }];
  },
  evaluate: (ins, at) => {
    const shape = [...ins[0].shape];
    shape[at.axis] = ins.reduce((s, t) => s + t.shape[at.axis], 0);
    const outer = span(shape, 0, at.axis);
    const inner = span(shape, at.axis + 1, shape.length);
    const data = new Float64Array(sizeOf(shape));
    let o = 0;
    for (let p = 0; p < outer; p++) {
      for (const t of ins) {
        const chunk = t.shape[at.axis] * inner;
        data.set(t.data.subarray(p * chunk, (p + 1) * chunk), o);
        o += chunk;
      }
    }
    return [{ dtype: ins[0].dtype, shape, data }];
  },
  vjp: (n, [ct], need) => {
    if (!ct) return n.inputs.map(() => null);
    const parts = split(ct, n.inputs.map((v) => v.shape[n.attrs.axis]), n.attrs.axis);
    return parts.map((p, i) => (need[i] ? p : null));
  },
});

export function concat(xs: Value[], axis: number): Value {
  if (xs.length === 0) throw new ShapeError('Concat needs at least one input');
  const ax = normAxis(axis, xs[0].rank, () => `Concat{axis=${axis}}(${xs.map((v) => formatType(v.type)).join(', ')})`);
  if (xs.length === 1) return xs[0];
  return apply1(Concat, xs, { axis: ax });
}

export interface SplitAttrs {
  /** Normalised (non-negative) axis. */
  axis: number;
  /** Size of each piece along the axis (they add up to the axis). */
  sizes: Dim[];
}

export const Split: OpDef<SplitAttrs> = defineOp<SplitAttrs>({
  name: 'Split',
  infer: ([a], at) => {
    const what = (): string => `Split{axis=${at.axis}, sizes=${formatShape(at.sizes)}}(${formatType(a)})`;
    if (at.axis < 0 || at.axis >= a.shape.length) throw new ShapeError(`${what()}: axis ${at.axis} is out of range for rank ${a.shape.length}`);
    if (at.sizes.length === 0) throw new ShapeError(`${what()}: no pieces`);
    const total = addDims(at.sizes);
    if (total === null || !dimEq(total, a.shape[at.axis])) throw new ShapeError(`${what()}: sizes do not add up to ${canonDim(a.shape[at.axis])}`);
    return at.sizes.map((d) => {
      const shape = [...a.shape];
      shape[at.axis] = d;
      return { dtype: a.dtype, shape };
    });
  },
  evaluate: ([a], at, ctx) => {
    const sizes = ctx.resolve(at.sizes);
    const outer = span(a.shape, 0, at.axis);
    const inner = span(a.shape, at.axis + 1, a.shape.length);
    const row = a.shape[at.axis] * inner;
    let off = 0;
    return sizes.map((s) => {
      const shape = [...a.shape];
      shape[at.axis] = s;
      const data = new Float64Array(sizeOf(shape));
      for (let p = 0; p < outer; p++) data.set(a.data.subarray(p * row + off, p * row + off + s * inner), p * s * inner);
      off += s * inner;
      return { dtype: a.dtype, shape, data };
    });
  },
  vjp: (n, cts) => {
    if (cts.every((c) => c === null)) return [null];
    // Pieces without a cotangent contribute zeros of their (possibly symbolic) shape.
    const parts = cts.map((c, i) => c ?? expand(scalarLike(n.outputs[i], 0), n.outputs[i].shape));
    return [concat(parts, n.attrs.axis)];
  },
});

/** Splits x along `axis` into pieces of the given (possibly symbolic) sizes. */
export function split(x: Value, sizes: Dim[], axis: number): Value[] {
  const ax = normAxis(axis, x.rank, () => `Split{axis=${axis}}(${formatType(x.type)})`);
  return x.graph.addNode(Split, [x], { axis: ax, sizes: sizes.map(canonDim) });
}

// ---------------------------------------------------------------------------------------------
// Gather (the embedding lookup) and its VJP, a scatter-add of cotangent rows into zeros.

export interface GatherAttrs {
  /** Normalised (non-negative) axis. */
  axis: number;
}

export const Gather: OpDef<GatherAttrs> = defineOp<GatherAttrs>({
  name: 'Gather',
  infer: ([t, idx], at) => {
    const what = (): string => `Gather{axis=${at.axis}}(${formatType(t)}, ${formatType(idx)})`;
    checkIndices(idx, what);
    if (at.axis < 0 || at.axis >= t.shape.length) throw new ShapeError(`${what()}: axis ${at.axis} is out of range for rank ${t.shape.length}`);
    return [{ dtype: t.dtype, shape: [...t.shape.slice(0, at.axis), ...idx.shape, ...t.shape.slice(at.axis + 1)] }];
  },
  evaluate: ([t, idx], at, ctx) => {
    const what = (): string => `Gather(${formatType(ctx.node.inputs[0].type)}, ${formatType(ctx.node.inputs[1].type)})`;
    const d = t.shape[at.axis];
    const outer = span(t.shape, 0, at.axis);
    const inner = span(t.shape, at.axis + 1, t.shape.length);
    const ni = idx.data.length;
    const shape = [...t.shape.slice(0, at.axis), ...idx.shape, ...t.shape.slice(at.axis + 1)];
    const data = new Float64Array(sizeOf(shape));
    for (let j = 0; j < ni; j++) {
      const r = wrapIndex(idx.data[j], d, what);
      for (let p = 0; p < outer; p++) data.set(t.data.subarray((p * d + r) * inner, (p * d + r + 1) * inner), (p * ni + j) * inner);
    }
    return [{ dtype: t.dtype, shape, data }];
  },
  vjp: (n, [ct], need) => {
    if (!ct || !need[0]) return [null, null];
    const [t, idx] = n.inputs;
    const ax = n.attrs.axis;
    if (ax === 0) return [gatherGrad(ct, idx, t.shape), null];
    // Other axes: bring the gathered axis to the front, scatter rows, and move it back.
    const k = idx.rank;
    const ctPerm = [...range(ax, ax + k), ...range(0, ax), ...range(ax + k, ct.rank)];
    const tPerm = [ax, ...range(0, ax), ...range(ax + 1, t.rank)];
    const g = gatherGrad(transpose(ct, ctPerm), idx, tPerm.map((p) => t.shape[p]));
    return [transpose(g, invertPerm(tPerm)), null];
  },
});

const range = (from: number, to: number): number[] => Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);

export interface GatherGradAttrs {
  /** Shape of the gathered-from table (the gather was along axis 0). */
  shape: Dim[];
}

/** zeros(shape) with row indices[j] += ct[j] for every j: repeated indices accumulate. */
export const GatherGrad: OpDef<GatherGradAttrs> = defineOp<GatherGradAttrs>({
  name: 'GatherGrad',
  infer: ([ct, idx], at) => {
    const what = (): string => `GatherGrad{shape=${formatShape(at.shape)}}(${formatType(ct)}, ${formatType(idx)})`;
    checkIndices(idx, what);
    if (at.shape.length === 0) throw new ShapeError(`${what()}: the table must have rank >= 1`);
    const want = [...idx.shape, ...at.shape.slice(1)];
    if (ct.shape.length !== want.length || !ct.shape.every((d, i) => dimEq(d, want[i]))) {
      throw new ShapeError(`${what()}: cotangent should have shape ${formatShape(want)}`);
    }
    return [{ dtype: ct.dtype, shape: [...at.shape] }];
  },
  evaluate: ([ct, idx], at, ctx) => {
    const what = (): string => `GatherGrad(${formatType(ctx.node.inputs[0].type)}, ${formatType(ctx.node.inputs[1].type)})`;
    const shape = ctx.resolve(at.shape);
    const inner = span(shape, 1, shape.length);
    const data = new Float64Array(sizeOf(shape));
    for (let j = 0; j < idx.data.length; j++) {
      const r = wrapIndex(idx.data[j], shape[0], what);
      for (let i = 0; i < inner; i++) data[r * inner + i] += ct.data[j * inner + i];
    }
    return [{ dtype: ct.dtype, shape, data }];
  },
  vjp: (n, [ct]) => [ct ? gather(ct, n.inputs[1], 0) : null, null],
});

function gatherGrad(ct: Value, indices: Value, shape: Dim[]): Value {
  return ct.graph.addNode(GatherGrad, [ct, indices], { shape: shape.map(canonDim) })[0];
}

/** Rows (or slices along `axis`) of `table` at `indices`; int32 or int64 indices, negatives wrap. */
export function gather(table: Value, indices: Value, axis = 0): Value {
  const ax = normAxis(axis, table.rank, () => `Gather{axis=${axis}}(${formatType(table.type)}, ${formatType(indices.type)})`);
  return apply1(Gather, [table, indices], { axis: ax });
}

// ---------------------------------------------------------------------------------------------
// GatherElements and its VJP (ScatterElements with reduction "add" into zeros).

export interface GatherElementsAttrs {
  /** Normalised (non-negative) axis. */
  axis: number;
}

function inferGatherElements(name: string, x: TensorType, idx: TensorType, axis: number): void {
  const what = (): string => `${name}{axis=${axis}}(${formatType(x)}, ${formatType(idx)})`;
  checkIndices(idx, what);
  if (x.shape.length !== idx.shape.length) throw new ShapeError(`${what()}: data and indices ranks differ`);
  if (axis < 0 || axis >= x.shape.length) throw new ShapeError(`${what()}: axis ${axis} is out of range for rank ${x.shape.length}`);
  idx.shape.forEach((d, i) => {
    if (i === axis || dimEq(d, x.shape[i])) return;
    const [a, b] = [canonDim(d), canonDim(x.shape[i])];
    if (isStatic(a) && isStatic(b) && a <= b) return;
    throw new ShapeError(`${what()}: indices dim ${i} (${a}) exceeds the data's (${b})`);
  });
}

/**
 * Calls fn(flat index into indices, flat index into data) for every element of `indices`,
 * the data position being the index position with the axis coordinate replaced by the index.
 */
function forElements(dataShape: number[], idx: Tensor, axis: number, what: () => string, fn: (i: number, src: number) => void): void {
  const is = stridesOf(idx.shape);
  const ds = stridesOf(dataShape);
  for (let f = 0; f < idx.data.length; f++) {
    let rem = f;
    let src = 0;
    for (let i = 0; i < idx.shape.length; i++) {
      const q = Math.floor(rem / is[i]);
      rem -= q * is[i];
      src += (i === axis ? wrapIndex(idx.data[f], dataShape[axis], what) : q) * ds[i];
    }
    fn(f, src);
  }
}

export const GatherElements: OpDef<GatherElementsAttrs> = defineOp<GatherElementsAttrs>({
  name: 'GatherElements',
  infer: ([x, idx], at) => {
    inferGatherElements('GatherElements', x, idx, at.axis);
    return [{ dtype: x.dtype, shape: [...idx.shape] }];
  },
  evaluate: ([x, idx], at, ctx) => {
    const what = (): string => `GatherElements(${formatType(ctx.node.inputs[0].type)}, ${formatType(ctx.node.inputs[1].type)})`;
    const data = new Float64Array(idx.data.length);
    forElements(x.shape, idx, at.axis, what, (i, src) => (data[i] = x.data[src]));
    return [{ dtype: x.dtype, shape: [...idx.shape], data }];
  },
  vjp: (n, [ct], need) => {
    if (!ct || !need[0]) return [null, null];
    const [x, idx] = n.inputs;
    return [x.graph.addNode(GatherElementsGrad, [ct, idx], { axis: n.attrs.axis, shape: [...x.shape] })[0], null];
  },
});

export interface GatherElementsGradAttrs {
  axis: number;
  /** Shape of the data GatherElements read from. */
  shape: Dim[];
}

/** zeros(shape) with ct scattered back along `axis`, repeated indices accumulating. */
export const GatherElementsGrad: OpDef<GatherElementsGradAttrs> = defineOp<GatherElementsGradAttrs>({
  name: 'GatherElementsGrad',
  infer: ([ct, idx], at) => {
    inferGatherElements('GatherElementsGrad', { dtype: ct.dtype, shape: at.shape }, idx, at.axis);
    if (!isFloat(ct.dtype) && !isInteger(ct.dtype)) throw new ShapeError(`GatherElementsGrad(${formatType(ct)}): dtype ${ct.dtype} is not supported`);
    if (ct.shape.length !== idx.shape.length || !ct.shape.every((d, i) => dimEq(d, idx.shape[i]))) {
      throw new ShapeError(`GatherElementsGrad(${formatType(ct)}, ${formatType(idx)}): cotangent and indices shapes differ`);
    }
    return [{ dtype: ct.dtype, shape: [...at.shape] }];
  },
  evaluate: ([ct, idx], at, ctx) => {
    const what = (): string => `GatherElementsGrad(${formatType(ctx.node.inputs[0].type)}, ${formatType(ctx.node.inputs[1].type)})`;
    const shape = ctx.resolve(at.shape);
    const data = new Float64Array(sizeOf(shape));
    forElements(shape, idx, at.axis, what, (i, dst) => (data[dst] += ct.data[i]));
    return [{ dtype: ct.dtype, shape, data }];
  },
  vjp: (n, [ct]) => [ct ? gatherElements(ct, n.inputs[1], n.attrs.axis) : null, null],
});

/** out[i][j]... = x[..index at `axis` replaced by indices[i][j]..] (ONNX GatherElements). */
export function gatherElements(x: Value, indices: Value, axis: number): Value {
  const ax = normAxis(axis, x.rank, () => `GatherElements{axis=${axis}}(${formatType(x.type)}, ${formatType(indices.type)})`);
  return apply1(GatherElements, [x, indices], { axis: ax });
}
