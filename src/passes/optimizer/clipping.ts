/**
 * Global-norm gradient clipping with tf.clip_by_global_norm's semantics: every gradient is
 * scaled by clip_norm / max(global_norm, clip_norm), and a non-finite global norm turns every
 * gradient into NaN (so a blown-up step is visible rather than silently zeroed).
 */
import type { Value } from '../../ir/graph.ts';
import { add, div, maximum, mul, reduceSum, sqrt, sub } from '../../ir/ops/index.ts';

/** sqrt of the sum of squares of every element of every tensor. */
export function globalNorm(tensors: readonly Value[]): Value {
  if (tensors.length === 0) throw new Error('globalNorm: no tensors');
  const squares = tensors.map((t) => reduceSum(mul(t, t)));
  return sqrt(squares.reduce((a, b) => add(a, b)));
}

export interface Clipped {
  clipped: Value[];
  /** The global norm before clipping. */
  norm: Value;
}

/** Clips at `clipNorm` (> 0); the returned norm is the one measured before clipping. */
export function clipByGlobalNorm(grads: readonly Value[], clipNorm: number): Clipped {
  if (!(clipNorm > 0)) throw new Error(`clipByGlobalNorm: clip norm must be positive (got ${clipNorm})`);
  const norm = globalNorm(grads);
  // norm - norm is 0 for a finite norm and NaN otherwise: TensorFlow's way of poisoning the step.
  const scale = add(div(clipNorm, maximum(norm, clipNorm)), sub(norm, norm));
  return { clipped: grads.map((g) => mul(g, scale)), norm };
}
