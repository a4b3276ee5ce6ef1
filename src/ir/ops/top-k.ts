import { isFloat, isInteger } from '../dtype.ts';
import { ShapeError } from '../errors.ts';
import { formatType, type TensorType, type Value } from '../graph.ts';
import { defineOp, type OpDef } from '../op.ts';
import { canonDim, isStatic, normAxis } from '../shape.ts';
import { sizeOf, stridesOf } from '../tensor.ts';
import { GatherElementsGrad } from './indexing.ts';

// TopK: the k largest values along an axis, sorted (largest first), and their positions.

export interface TopKAttrs {
  /** How many values to keep: a static positive integer. */
  k: number;
  /** Normalised (non-negative) axis. */
  axis: number;
}

function describe(at: TopKAttrs, x: TensorType): string {
  return `TopK{k=${at.k}, axis=${at.axis}}(${formatType(x)})`;
}

/**
 * values, indices = the k largest elements of x along `axis`, largest first; equal values keep
 * their order (the lower index first), as ONNX TopK specifies. Indices are int32. The VJP
 * scatters the values' cotangent back to the positions they were taken from (GatherElements'
 * VJP); indices carry no gradient.
 */
export const TopK: OpDef<TopKAttrs> = defineOp<TopKAttrs>({
  name: 'TopK',
  infer: (ins, at) => {
    if (ins.length !== 1) throw new ShapeError(`TopK takes 1 input, got ${ins.length}`);
    const [x] = ins;
    const what = (): string => describe(at, x);
    if (!isFloat(x.dtype) && !isInteger(x.dtype)) throw new ShapeError(`${what()}: dtype ${x.dtype} is not supported (a float or integer tensor is)`);
    if (!Number.isInteger(at.k) || at.k < 1) throw new ShapeError(`${what()}: k must be a positive integer`);
    if (at.axis < 0 || at.axis >= x.shape.length) throw new ShapeError(`${what()}: axis ${at.axis} is out of range for rank ${x.shape.length}`);
    const d = canonDim(x.shape[at.axis]);
    if (isStatic(d) && at.k > d) throw new ShapeError(`${what()}: k ${at.k} exceeds the size ${d} of axis ${at.axis}`);
    const shape = [...x.shape];
    shape[at.axis] = at.k;
    return [
      { dtype: x.dtype, shape },
      { dtype: 'int32', shape: [...shape] },
    ];
  },
  evaluate: ([x], at, ctx) => {
    const d = x.shape[at.axis];
    if (at.k > d) throw new ShapeError(`${describe(at, ctx.node.inputs[0].type)}: k ${at.k} exceeds the run-time size ${d} of axis ${at.axis}`);
    const shape = [...x.shape];
    shape[at.axis] = at.k;
    const values = new Float64Array(sizeOf(shape));
    const indices = new Float64Array(values.length);
    const inner = stridesOf(x.shape)[at.axis];
    const outer = sizeOf(x.shape.slice(0, at.axis));
    const order = Array.from({ length: d }, (_, i) => i);
    for (let p = 0; p < outer; p++) {
      for (let q = 0; q < inner; q++) {
        const at0 = p * d * inner + q;
        const v = (i: number): number => x.data[at0 + i * inner];
        // Largest first; ties keep the lower index first (a stable order by index).
        order.sort((a, b) => (v(a) === v(b) ? a - b : v(b) - v(a)));
        for (let j = 0; j < at.k; j++) {
          const o = p * at.k * inner + j * inner + q;
          values[o] = v(order[j]);
          indices[o] = order[j];
        }
        order.sort((a, b) => a - b);
      }
    }
    return [
      { dtype: x.dtype, shape, data: values },
      { dtype: 'int32', shape: [...shape], data: indices },
    ];
  },
  vjp: (n, [ct], need) => {
    if (!ct || !need[0]) return [null];
    const x = n.inputs[0];
    return [x.graph.addNode(GatherElementsGrad, [ct, n.outputs[1]], { axis: n.attrs.axis, shape: [...x.shape] })[0]];
  },
});

/** The k largest values of x along `axis` (largest first, ties by lower index) and their int32 positions. */
export function topK(x: Value, k: number, axis = -1): [values: Value, indices: Value] {
  const ax = normAxis(axis, x.rank, () => `TopK{k=${k}, axis=${axis}}(${formatType(x.type)})`);
  const [values, indices] = x.graph.addNode(TopK, [x], { k, axis: ax });
  return [values, indices];
}
