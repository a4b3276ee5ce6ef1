import { isInteger, isFloat, type DType } from '../dtype.ts';
import { ShapeError } from '../errors.ts';
import { formatType, type Value } from '../graph.ts';
import { apply1, defineOp, type OpDef } from '../op.ts';
import { normAxis } from '../shape.ts';

export interface IotaAttrs {
  axis: number;
  dtype: DType;
}

/**
 * 0, 1, ..., n-1 where n is `like`'s size along `axis` (read at run time): position ids for a
 * symbolic sequence length, batch offsets, and the like.
 */
export const Iota: OpDef<IotaAttrs> = defineOp<IotaAttrs>({
  name: 'Iota',
  infer: ([a], at) => {
    const ax = normAxis(at.axis, a.shape.length, () => `Iota{axis=${at.axis}}(${formatType(a)})`);
    if (!isInteger(at.dtype) && !isFloat(at.dtype)) throw new ShapeError(`Iota: dtype ${at.dtype} is not numeric`);
    return [{ dtype: at.dtype, shape: [a.shape[ax]] }];
  },
  evaluate: ([a], at) => {
    const n = a.shape[normAxis(at.axis, a.shape.length, () => 'Iota')];
    return [{ dtype: at.dtype, shape: [n], data: Float64Array.from({ length: n }, (_, i) => i) }];
  },
  vjp: () => [null],
  nonDifferentiable: true,
  toOnnx: (e, n, ins, outs) => {
    const ax = normAxis(n.attrs.axis, n.inputs[0].rank, () => 'Iota');
    const [dim] = e.node('Shape', [ins[0]], 1, { start: { i: ax }, end: { i: ax + 1 } });
    const [count] = e.node('Squeeze', [dim, e.constant({ dtype: 'int64', shape: [1], data: Float64Array.of(0) })]);
    const zero = e.constant({ dtype: 'int64', shape: [], data: Float64Array.of(0) });
    const one = e.constant({ dtype: 'int64', shape: [], data: Float64Array.of(1) });
    if (n.attrs.dtype === 'int64') e.node('Range', [zero, count, one], outs);
    else {
      const [r] = e.node('Range', [zero, count, one]);
      e.node('Cast', [r], outs, { to: { i: e.onnxType(n.attrs.dtype) } });
    }
  },
});

export function iota(like: Value, axis: number, dtype: DType = 'int32'): Value {
  return apply1(Iota, [like], { axis, dtype });
}
