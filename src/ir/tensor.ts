import type { DType } from './dtype.ts';
import { castScalar } from './dtype.ts';

/**
 * A concrete tensor for the reference interpreter and for constants. Every dtype is held as
 * float64 numbers (integers up to 2^53 are exact, booleans are 0/1); the dtype says how the
 * values are to be read and how they are rounded by Cast.
 */
export interface Tensor {
  dtype: DType;
  shape: number[];
  data: Float64Array;
}

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function tensor(dtype: DType, shape: number[], data: ArrayLike<number> | number): Tensor {
  const n = sizeOf(shape);
  const out = new Float64Array(n);
  if (typeof data === 'number') out.fill(castScalar(data, dtype));
  else {
    if (data.length !== n) throw new Error(`tensor: ${data.length} values for shape [${shape.join(', ')}]`);
    for (let i = 0; i < n; i++) out[i] = castScalar(data[i], dtype);
  }
  return { dtype, shape: [...shape], data: out };
}

export function scalarTensor(dtype: DType, v: number): Tensor {
  return tensor(dtype, [], [v]);
}

export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

/** Index of an element of `shape` read through a broadcast from `inShape` (right-aligned). */
export function broadcastIndexer(outShape: readonly number[], inShape: readonly number[]): (flat: number) => number {
  const rank = outShape.length;
  const off = rank - inShape.length;
  const inStrides = stridesOf(inShape);
  const outStrides = stridesOf(outShape);
  const eff = outShape.map((_, i) => (i < off || inShape[i - off] === 1 ? 0 : inStrides[i - off]));
  return (flat: number) => {
    let idx = 0;
    let rem = flat;
    for (let i = 0; i < rank; i++) {
      const q = Math.floor(rem / outStrides[i]);
      rem -= q * outStrides[i];
      idx += q * eff[i];
    }
    return idx;
  };
}
