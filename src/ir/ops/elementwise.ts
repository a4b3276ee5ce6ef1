import { castScalar, isFloat, type DType } from '../dtype.ts';
import { ShapeError } from '../errors.ts';
import { formatType, type Node, type TensorType, type Value } from '../graph.ts';
import { apply1, defineOp, type OpDef } from '../op.ts';
import { broadcastShapes, mulDims, numel } from '../shape.ts';
import { broadcastIndexer, sizeOf, type Tensor } from '../tensor.ts';
import { lift, scalarLike } from './constant.ts';

// ---------------------------------------------------------------------------------------------
// Binary elementwise ops with numpy broadcasting.

type Cts = (Value | null)[];

interface BinarySpec {
  name: string;
  fn: (a: number, b: number, dtype: DType) => number;
  /** Output dtype: same as inputs, or bool for comparisons. */
  result?: 'same' | 'bool';
  /** Allowed input dtypes (default: any). */
  accepts?: (d: DType) => boolean;
  vjp?: (node: Node<object>, ct: Value, needed: boolean[]) => Cts;
  flopsPerElement?: number;
}

function inferBinary(spec: BinarySpec, ins: TensorType[]): TensorType[] {
  const [a, b] = ins;
  const what = (): string => `${spec.name}(${formatType(a)}, ${formatType(b)})`;
  if (ins.length !== 2) throw new ShapeError(`${spec.name} takes 2 inputs, got ${ins.length}`);
  if (a.dtype !== b.dtype) throw new ShapeError(`${what()}: input dtypes differ`);
  if (spec.accepts && !spec.accepts(a.dtype)) throw new ShapeError(`${what()}: dtype ${a.dtype} is not supported`);
  const shape = broadcastShapes([a.shape, b.shape], what);
  return [{ dtype: spec.result === 'bool' ? 'bool' : a.dtype, shape }];
}

export function broadcastConcrete(a: readonly number[], b: readonly number[]): number[] {
  return broadcastShapes([a, b], () => 'evaluate') as number[];
}

function evalBinary(spec: BinarySpec, [a, b]: Tensor[]): Tensor[] {
  const shape = broadcastConcrete(a.shape, b.shape);
  const n = sizeOf(shape);
  const ia = broadcastIndexer(shape, a.shape);
  const ib = broadcastIndexer(shape, b.shape);
  const dtype: DType = spec.result === 'bool' ? 'bool' : a.dtype;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = castScalar(spec.fn(a.data[ia(i)], b.data[ib(i)], a.dtype), dtype);
  return [{ dtype, shape, data: out }];
}

function defineBinary(spec: BinarySpec): OpDef<object> {
  return defineOp<object>({
    name: spec.name,
    infer: (ins) => inferBinary(spec, ins),
    evaluate: (ins) => evalBinary(spec, ins),
    vjp: spec.vjp ? (node, cts, needed) => (cts[0] ? spec.vjp!(node, cts[0], needed) : [null, null]) : undefined,
    nonDifferentiable: spec.vjp === undefined,
    flops: (n) => mulDims(spec.flopsPerElement ?? 1, numel(n.outputs[0].shape)),
  });
}

const floatOnly = (d: DType): boolean => isFloat(d);
const notBool = (d: DType): boolean => d !== 'bool';

/** Integer division that truncates like ONNX's integer Div. */
function intDiv(a: number, b: number): number {
  return Math.trunc(a / b);
}

/** Wrapping arithmetic for uint32 (used by the counter-based RNG). */
function wrap(x: number, d: DType): number {
  if (d === 'uint32') return x >>> 0;
  if (d === 'int32') return x | 0;
  return x;
}

export const Add = defineBinary({
  name: 'Add',
  accepts: notBool,
  fn: (a, b, d) => wrap(a + b, d),
  vjp: (_n, ct) => [ct, ct],
});

export const Sub = defineBinary({
  name: 'Sub',
  accepts: notBool,
  fn: (a, b, d) => wrap(a - b, d),
  vjp: (_n, ct, need) => [ct, need[1] ? neg(ct) : null],
});

export const Mul = defineBinary({
  name: 'Mul',
  accepts: notBool,
  fn: (a, b, d) => (d === 'uint32' ? Math.imul(a, b) >>> 0 : d === 'int32' ? Math.imul(a, b) : a * b),
  vjp: (n, ct, need) => [need[0] ? mul(ct, n.inputs[1]) : null, need[1] ? mul(ct, n.inputs[0]) : null],
});

export const Div = defineBinary({
  name: 'Div',
  accepts: notBool,
  fn: (a, b, d) => (d === 'float32' || d === 'float16' || d === 'float64' ? a / b : intDiv(a, b)),
  vjp: (n, ct, need) => [
    need[0] ? div(ct, n.inputs[1]) : null,
    need[1] ? neg(mul(ct, div(n.outputs[0], n.inputs[1]))) : null,
  ],
});

export const Pow = defineBinary({
  name: 'Pow',
  accepts: floatOnly,
  fn: (a, b) => Math.pow(a, b),
  vjp: (n, ct, need) => {
    const [a, b] = n.inputs;
    return [
      need[0] ? mul(ct, mul(b, pow(a, sub(b, 1)))) : null,
      need[1] ? mul(ct, mul(n.outputs[0], log(a))) : null,
    ];
  },
  flopsPerElement: 1,
});

export const Max = defineBinary({
  name: 'Max',
  accepts: notBool,
  fn: (a, b) => Math.max(a, b),
  vjp: (n, ct, need) => {
    const [a, b] = n.inputs;
    const takeA = greaterOrEqual(a, b);
    return [need[0] ? where(takeA, ct, scalarLike(ct, 0)) : null, need[1] ? where(takeA, scalarLike(ct, 0), ct) : null];
  },
});

export const Min = defineBinary({
  name: 'Min',
  accepts: notBool,
  fn: (a, b) => Math.min(a, b),
  vjp: (n, ct, need) => {
    const [a, b] = n.inputs;
    const takeA = lessOrEqual(a, b);
    return [need[0] ? where(takeA, ct, scalarLike(ct, 0)) : null, need[1] ? where(takeA, scalarLike(ct, 0), ct) : null];
  },
});

/** Remainder with the sign of the divisor for ints (ONNX Mod fmod=0); only integer dtypes. */
export const Mod = defineBinary({
  name: 'Mod',
  accepts: (d) => d === 'int32' || d === 'int64' || d === 'uint32',
  fn: (a, b) => ((a % b) + b) % b,
});

/** Logical shift right for uint32 (ONNX BitShift direction RIGHT). */
export const ShiftRight = defineOp<object>({
  name: 'ShiftRight',
  infer: (ins) => inferBinary({ name: 'ShiftRight', fn: () => 0, accepts: (d) => d === 'uint32' }, ins),
  evaluate: (ins) => evalBinary({ name: 'ShiftRight', fn: (a, b) => (b >= 32 ? 0 : a >>> b) }, ins),
  nonDifferentiable: true,
});

const cmp = (name: string, fn: (a: number, b: number) => boolean): OpDef<object> =>
  defineBinary({ name, result: 'bool', fn: (a, b) => (fn(a, b) ? 1 : 0) });

export const Equal = cmp('Equal', (a, b) => a === b);
export const Less = cmp('Less', (a, b) => a < b);
export const LessOrEqual = cmp('LessOrEqual', (a, b) => a <= b);
export const Greater = cmp('Greater', (a, b) => a > b);
export const GreaterOrEqual = cmp('GreaterOrEqual', (a, b) => a >= b);
export const And = defineBinary({ name: 'And', result: 'bool', accepts: (d) => d === 'bool', fn: (a, b) => (a && b ? 1 : 0) });
export const Or = defineBinary({ name: 'Or', result: 'bool', accepts: (d) => d === 'bool', fn: (a, b) => (a || b ? 1 : 0) });

// ---------------------------------------------------------------------------------------------
// Unary elementwise ops.

interface UnarySpec {
  name: string;
  fn: (x: number, d: DType) => number;
  accepts?: (d: DType) => boolean;
  vjp?: (node: Node<object>, ct: Value) => Value;
  flopsPerElement?: number;
  result?: DType;
}

function defineUnary(spec: UnarySpec): OpDef<object> {
  return defineOp<object>({
    name: spec.name,
    infer: (ins) => {
      if (ins.length !== 1) throw new ShapeError(`${spec.name} takes 1 input, got ${ins.length}`);
      const [a] = ins;
      if (spec.accepts && !spec.accepts(a.dtype)) throw new ShapeError(`${spec.name}(${formatType(a)}): dtype ${a.dtype} is not supported`);
      return [{ dtype: spec.result ?? a.dtype, shape: [...a.shape] }];
    },
    evaluate: ([a]) => {
      const d = spec.result ?? a.dtype;
      const out = new Float64Array(a.data.length);
      for (let i = 0; i < out.length; i++) out[i] = castScalar(spec.fn(a.data[i], a.dtype), d);
      return [{ dtype: d, shape: [...a.shape], data: out }];
    },
    vjp: spec.vjp ? (n, cts) => [cts[0] ? spec.vjp!(n, cts[0]) : null] : undefined,
    nonDifferentiable: spec.vjp === undefined,
    flops: (n) => mulDims(spec.flopsPerElement ?? 1, numel(n.outputs[0].shape)),
  });
}

export const Neg = defineUnary({ name: 'Neg', accepts: notBool, fn: (x, d) => wrap(-x, d), vjp: (_n, ct) => neg(ct) });
export const Sqrt = defineUnary({
  name: 'Sqrt',
  accepts: floatOnly,
  fn: Math.sqrt,
  vjp: (n, ct) => div(mul(ct, 0.5), n.outputs[0]),
});
export const Reciprocal = defineUnary({
  name: 'Reciprocal',
  accepts: floatOnly,
  fn: (x) => 1 / x,
  vjp: (n, ct) => neg(mul(ct, mul(n.outputs[0], n.outputs[0]))),
});
export const Exp = defineUnary({ name: 'Exp', accepts: floatOnly, fn: Math.exp, vjp: (n, ct) => mul(ct, n.outputs[0]) });
export const Log = defineUnary({ name: 'Log', accepts: floatOnly, fn: Math.log, vjp: (n, ct) => div(ct, n.inputs[0]) });
export const Tanh = defineUnary({
  name: 'Tanh',
  accepts: floatOnly,
  fn: Math.tanh,
  vjp: (n, ct) => mul(ct, sub(1, mul(n.outputs[0], n.outputs[0]))),
});
export const Erf = defineUnary({
  name: 'Erf',
  accepts: floatOnly,
  fn: erfScalar,
  vjp: (n, ct) => {
    const x = n.inputs[0];
    return mul(ct, mul(exp(neg(mul(x, x))), 2 / Math.sqrt(Math.PI)));
  },
});
export const Relu = defineUnary({
  name: 'Relu',
  accepts: floatOnly,
  fn: (x) => (x > 0 ? x : 0),
  vjp: (n, ct) => where(greater(n.inputs[0], 0), ct, scalarLike(ct, 0)),
});
export const Not = defineUnary({ name: 'Not', accepts: (d) => d === 'bool', fn: (x) => (x ? 0 : 1) });
export const IsNaN = defineUnary({ name: 'IsNaN', accepts: floatOnly, fn: (x) => (Number.isNaN(x) ? 1 : 0), result: 'bool' });
export const IsInf = defineUnary({
  name: 'IsInf',
  accepts: floatOnly,
  fn: (x) => (x === Infinity || x === -Infinity ? 1 : 0),
  result: 'bool',
});

/** erf with ~1e-16 accuracy (series near 0, continued fraction via erfc in the tails). */
export function erfScalar(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const ax = Math.abs(x);
  if (ax < 2.5) {
    // Maclaurin series: erf(x) = 2/sqrt(pi) * sum (-1)^n x^(2n+1) / (n! (2n+1))
    let term = ax;
    let sum = ax;
    const x2 = ax * ax;
    for (let n = 1; n < 200; n++) {
      term *= -x2 / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc(x) = exp(-x^2)/sqrt(pi) * 1/(x + 1/2/(x + 1/(x + 3/2/(x + ...)))) (Lentz, evaluated backwards)
  let f = 0;
  for (let n = 60; n >= 1; n--) f = (n / 2) / (ax + f);
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / (ax + f);
  return Math.sign(x) * (1 - erfc);
}

// ---------------------------------------------------------------------------------------------
// Where, Cast, Identity, StopGradient.

export const Where = defineOp<object>({
  name: 'Where',
  infer: (ins) => {
    const [c, a, b] = ins;
    const what = (): string => `Where(${ins.map(formatType).join(', ')})`;
    if (ins.length !== 3) throw new ShapeError(`Where takes 3 inputs, got ${ins.length}`);
    if (c.dtype !== 'bool') throw new ShapeError(`${what()}: condition must be bool`);
    if (a.dtype !== b.dtype) throw new ShapeError(`${what()}: branch dtypes differ`);
    return [{ dtype: a.dtype, shape: broadcastShapes([c.shape, a.shape, b.shape], what) }];
  },
  evaluate: ([c, a, b]) => {
    const shape = broadcastConcrete(broadcastConcrete(c.shape, a.shape), b.shape);
    const n = sizeOf(shape);
    const [ic, ia, ib] = [c, a, b].map((t) => broadcastIndexer(shape, t.shape));
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = c.data[ic(i)] ? a.data[ia(i)] : b.data[ib(i)];
    return [{ dtype: a.dtype, shape, data: out }];
  },
  vjp: (n, [ct], need) => {
    if (!ct) return [null, null, null];
    const c = n.inputs[0];
    const z = scalarLike(ct, 0);
    return [null, need[1] ? where(c, ct, z) : null, need[2] ? where(c, z, ct) : null];
  },
  flops: (n) => numel(n.outputs[0].shape),
});

export interface CastAttrs {
  to: DType;
}

export const Cast = defineOp<CastAttrs>({
  name: 'Cast',
  infer: ([a], at) => [{ dtype: at.to, shape: [...a.shape] }],
  evaluate: ([a], at) => {
    const out = new Float64Array(a.data.length);
    for (let i = 0; i < out.length; i++) out[i] = castScalar(a.data[i], at.to);
    return [{ dtype: at.to, shape: [...a.shape], data: out }];
  },
  vjp: (n, [ct]) => {
    const src = n.inputs[0].dtype;
    return [ct && isFloat(src) && isFloat(n.attrs.to) ? cast(ct, src) : null];
  },
});

export const Identity = defineOp<object>({
  name: 'Identity',
  infer: ([a]) => [{ dtype: a.dtype, shape: [...a.shape] }],
  evaluate: ([a]) => [a],
  vjp: (_n, [ct]) => [ct],
});

/** Identity in the forward pass; blocks gradients. */
export const StopGradient = defineOp<object>({
  name: 'StopGradient',
  infer: ([a]) => [{ dtype: a.dtype, shape: [...a.shape] }],
  evaluate: ([a]) => [a],
  vjp: () => [null],
});

// ---------------------------------------------------------------------------------------------
// Builders.

export type Operand = Value | number;

function bin(op: OpDef<object>, a: Operand, b: Operand): Value {
  if (typeof a === 'number' && typeof b === 'number') throw new Error(`${op.name}: at least one operand must be a value`);
  const av = typeof a === 'number' ? lift(a, b as Value) : a;
  const bv = lift(b, av);
  return apply1(op, [av, bv], {});
}

export const add = (a: Operand, b: Operand): Value => bin(Add, a, b);
export const sub = (a: Operand, b: Operand): Value => bin(Sub, a, b);
export const mul = (a: Operand, b: Operand): Value => bin(Mul, a, b);
export const div = (a: Operand, b: Operand): Value => bin(Div, a, b);
export const pow = (a: Operand, b: Operand): Value => bin(Pow, a, b);
export const maximum = (a: Operand, b: Operand): Value => bin(Max, a, b);
export const minimum = (a: Operand, b: Operand): Value => bin(Min, a, b);
export const mod = (a: Operand, b: Operand): Value => bin(Mod, a, b);
export const shiftRight = (a: Operand, b: Operand): Value => bin(ShiftRight as OpDef<object>, a, b);
export const equal = (a: Operand, b: Operand): Value => bin(Equal, a, b);
export const less = (a: Operand, b: Operand): Value => bin(Less, a, b);
export const lessOrEqual = (a: Operand, b: Operand): Value => bin(LessOrEqual, a, b);
export const greater = (a: Operand, b: Operand): Value => bin(Greater, a, b);
export const greaterOrEqual = (a: Operand, b: Operand): Value => bin(GreaterOrEqual, a, b);
export const and = (a: Value, b: Value): Value => bin(And, a, b);
export const or = (a: Value, b: Value): Value => bin(Or, a, b);

export const neg = (x: Value): Value => apply1(Neg, [x], {});
export const sqrt = (x: Value): Value => apply1(Sqrt, [x], {});
export const reciprocal = (x: Value): Value => apply1(Reciprocal, [x], {});
export const exp = (x: Value): Value => apply1(Exp, [x], {});
export const log = (x: Value): Value => apply1(Log, [x], {});
export const tanh = (x: Value): Value => apply1(Tanh, [x], {});
export const erf = (x: Value): Value => apply1(Erf, [x], {});
export const relu = (x: Value): Value => apply1(Relu, [x], {});
export const not = (x: Value): Value => apply1(Not, [x], {});
export const isNaN = (x: Value): Value => apply1(IsNaN, [x], {});
export const isInf = (x: Value): Value => apply1(IsInf, [x], {});
export const identity = (x: Value): Value => apply1(Identity, [x], {});
export const stopGradient = (x: Value): Value => apply1(StopGradient, [x], {});

export function where(c: Value, a: Operand, b: Operand): Value {
  const like = typeof a === 'number' ? (b as Value) : a;
  return apply1(Where, [c, lift(a, like), lift(b, like)], {});
}

export function cast(x: Value, to: DType): Value {
  return x.dtype === to ? x : apply1(Cast, [x], { to });
}
