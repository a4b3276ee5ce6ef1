import type { Tensor } from '../tensor.ts';

/**
 * Calls `fn` once per line of `t` along `axis` with the flat indices of that line's elements, in
 * order: the reference evaluations of softmax and layer norm work line by line.
 */
export function forEachLine(t: Tensor, axis: number, fn: (index: (k: number) => number, length: number) => void): void {
  const len = t.shape[axis];
  const inner = t.shape.slice(axis + 1).reduce((a, d) => a * d, 1);
  const outer = t.shape.slice(0, axis).reduce((a, d) => a * d, 1);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * len * inner + i;
      fn((k) => base + k * inner, len);
    }
  }
}
