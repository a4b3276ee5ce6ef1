/**
 * The original ALBERT learning-rate schedule, computed in the graph from the step input so that
 * one compiled training step serves every step of a run: linear warmup from 0 to the peak
 * learning rate over `num_warmup_steps`, then linear (polynomial, power 1) decay to 0 at
 * `num_train_steps`, flat at 0 afterwards.
 */
import type { Value } from '../../ir/graph.ts';
import { cast, div, less, minimum, mul, sub, where } from '../../ir/ops/index.ts';

export interface ScheduleInputs {
  /** int32 scalar: the 0-based step being taken (the original's global_step before its increment). */
  step: Value;
  /** Float scalar: the peak learning rate. */
  learningRate: Value;
  /** int32 scalar. */
  warmupSteps: Value;
  /** int32 scalar, at least 1. */
  trainSteps: Value;
}

/**
 * lr * step / warmup while step < warmup, else lr * (1 - min(step, N) / N), in the order the
 * original computes it (tf.train.polynomial_decay, then the warmup blend). A warmup of 0 skips
 * the warmup branch (Where does not look at the unselected 0/0).
 */
export function learningRateSchedule(s: ScheduleInputs): Value {
  const f = s.learningRate.dtype;
  const step = cast(s.step, f);
  const total = cast(s.trainSteps, f);
  const warmup = mul(s.learningRate, div(step, cast(s.warmupSteps, f)));
  const decayed = mul(s.learningRate, sub(1, div(minimum(step, total), total)));
  return where(less(s.step, s.warmupSteps), warmup, decayed);
}
