/**
 * Softmax and LogSoftmax along one axis as composite ops: one node each, a direct VJP (no
 * gradient through the max shift), ONNX's own Softmax/LogSoftmax kernels (opset 13+), and a
 * decomposition into primitives for backends that want it.
 */
import { castScalar, isFloat } from '../dtype.ts';
import { ShapeError } from '../errors.ts';
import { formatType, type TensorType, type Value } from '../graph.ts';
import { apply1, defineOp, type OpDef } from '../op.ts';
import { mulDims, normAxis, numel } from '../shape.ts';
import type { Tensor } from '../tensor.ts';
import { forEachLine } from './along-axis.ts';
import { div, exp, log, mul, stopGradient, sub } from './elementwise.ts';
import { reduceMax, reduceSum } from './reduce.ts';

export interface SoftmaxAttrs {
  /** Normalised (non-negative) axis. */
  axis: number;
}

function inferSoftmax(name: string, ins: TensorType[], at: SoftmaxAttrs): TensorType[] {
  if (ins.length !== 1) throw new ShapeError(`${name} takes 1 input, got ${ins.length}`);
  const [x] = ins;
  const what = (): string => `${name}{axis=${at.axis}}(${formatType(x)})`;
  if (!isFloat(x.dtype)) throw new ShapeError(`${what()}: input must be a float tensor`);
  if (at.axis < 0 || normAxis(at.axis, x.shape.length, what) !== at.axis) throw new ShapeError(`${what()}: axis must be normalised (non-negative)`);
  return [{ dtype: x.dtype, shape: [...x.shape] }];
}

function evalSoftmax(x: Tensor, axis: number, logForm: boolean): Tensor {
  const out = new Float64Array(x.data.length);
  forEachLine(x, axis, (at, len) => {
    let max = -Infinity;
    for (let k = 0; k < len; k++) max = Math.max(max, x.data[at(k)]);
    let sum = 0;
    for (let k = 0; k < len; k++) sum += Math.exp(x.data[at(k)] - max);
    for (let k = 0; k < len; k++) {
      const s = x.data[at(k)] - max;
      out[at(k)] = castScalar(logForm ? s - Math.log(sum) : Math.exp(s) / sum, x.dtype);
    }
  });
  return { dtype: x.dtype, shape: [...x.shape], data: out };
}

/** x minus its max along `axis`; the max is a constant to autodiff (softmax does not depend on it). */
function shiftByMax(x: Value, axis: number): Value {
  return sub(x, stopGradient(reduceMax(x, [axis], true)));
}

export const Softmax: OpDef<SoftmaxAttrs> = defineOp<SoftmaxAttrs>({
  name: 'Softmax',
  infer: (ins, at) => inferSoftmax('Softmax', ins, at),
  evaluate: ([x], at) => [evalSoftmax(x, at.axis, false)],
  // dx = y * (g - sum(g * y)): three passes over the tensor, reading only the output.
  vjp: (n, [ct]) => {
    if (!ct) return [null];
    const y = n.outputs[0];
    return [mul(y, sub(ct, reduceSum(mul(ct, y), [n.attrs.axis], true)))];
  },
  decompose: (n) => {
    const e = exp(shiftByMax(n.inputs[0], n.attrs.axis));
    return [div(e, reduceSum(e, [n.attrs.axis], true))];
  },
  flops: (n) => mulDims(5, numel(n.inputs[0].shape)),
});

export const LogSoftmax: OpDef<SoftmaxAttrs> = defineOp<SoftmaxAttrs>({
  name: 'LogSoftmax',
  infer: (ins, at) => inferSoftmax('LogSoftmax', ins, at),
  evaluate: ([x], at) => [evalSoftmax(x, at.axis, true)],
  // dx = g - softmax(x) * sum(g), with softmax(x) = exp(y).
  vjp: (n, [ct]) => {
    if (!ct) return [null];
    return [sub(ct, mul(exp(n.outputs[0]), reduceSum(ct, [n.attrs.axis], true)))];
  },
  decompose: (n) => {
    const s = shiftByMax(n.inputs[0], n.attrs.axis);
    return [sub(s, log(reduceSum(exp(s), [n.attrs.axis], true)))];
  },
  flops: (n) => mulDims(5, numel(n.inputs[0].shape)),
});

function applySoftmax(op: OpDef<SoftmaxAttrs>, x: Value, axis: number): Value {
  if (!isFloat(x.dtype)) throw new ShapeError(`${op.name.charAt(0).toLowerCase()}${op.name.slice(1)}(${formatType(x.type)}): input must be a float tensor`);
  return apply1(op, [x], { axis: normAxis(axis, x.rank, () => `${op.name}(${formatType(x.type)})`) });
}

export const softmaxOp = (x: Value, axis = -1): Value => applySoftmax(Softmax, x, axis);
export const logSoftmaxOp = (x: Value, axis = -1): Value => applySoftmax(LogSoftmax, x, axis);
