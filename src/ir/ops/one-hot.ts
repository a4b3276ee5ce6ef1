import type { DType } from '../dtype.ts';
import { ShapeError } from '../errors.ts';
import { formatType, type Value } from '../graph.ts';
import { apply1, defineOp, type OpDef } from '../op.ts';
import { canonDim, type Dim } from '../shape.ts';
import { sizeOf } from '../tensor.ts';

export interface OneHotAttrs {
  /** The number of classes; symbolic (e.g. "seq" for SQuAD's start positions) is read at run time. */
  depth: Dim;
  dtype: DType;
}

/**
 * indices[...] -> [..., depth] with 1 at the index and 0 elsewhere. Negative indices in
 * [-depth, -1] count from the end and anything else out of range gives an all-zero row, as in
 * ONNX OneHot. The classification losses use it to pick the label's log-probability.
 */
export const OneHot: OpDef<OneHotAttrs> = defineOp<OneHotAttrs>({
  name: 'OneHot',
  infer: (ins, at) => {
    if (ins.length !== 1) throw new ShapeError(`OneHot takes 1 input, got ${ins.length}`);
    const [a] = ins;
    const what = (): string => `OneHot{depth=${at.depth}}(${formatType(a)})`;
    if (a.dtype !== 'int32' && a.dtype !== 'int64') throw new ShapeError(`${what()}: indices must be int32 or int64`);
    if (typeof at.depth === 'number' && !(Number.isInteger(at.depth) && at.depth >= 1)) throw new ShapeError(`${what()}: depth must be a positive integer`);
    return [{ dtype: at.dtype, shape: [...a.shape, canonDim(at.depth)] }];
  },
  evaluate: ([a], at, ctx) => {
    const [depth] = ctx.resolve([at.depth]);
    const out = new Float64Array(sizeOf(a.shape) * depth);
    for (let i = 0; i < a.data.length; i++) {
      const k = a.data[i] < 0 ? a.data[i] + depth : a.data[i];
      if (k >= 0 && k < depth) out[i * depth + k] = 1;
    }
    return [{ dtype: at.dtype, shape: [...a.shape, depth], data: out }];
  },
  // Integer indices: nothing to differentiate; the one-hot rows are constants.
  vjp: () => [null],
  nonDifferentiable: true,
});

export function oneHot(indices: Value, depth: Dim, dtype: DType = 'float32'): Value {
  return apply1(OneHot, [indices], { depth, dtype });
}
