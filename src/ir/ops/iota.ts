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
});

export function iota(like: Value, axis: number, dtype: DType = 'int32'): Value {
  return apply1(Iota, [like], { axis, dtype });
}
