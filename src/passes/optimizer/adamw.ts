/**
 * The Adam moments and the decoupled-weight-decay update direction that AdamW and LAMB share,
 * written as the original ALBERT optimisers write them (optimization.py, lamb_optimizer.py):
 *   m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;  u = m / (sqrt(v) + eps) + wd * theta,
 * with no bias correction unless asked for. With bias correction (PyTorch's AdamW, the Adam
 * paper) u uses m / (1 - b1^t) and v / (1 - b2^t), t = the 1-based number of this update.
 */
import type { Value } from '../../ir/graph.ts';
import { add, div, mul, sqrt, sub } from '../../ir/ops/index.ts';

export interface AdamSettings {
  beta1: number;
  beta2: number;
  epsilon: number;
  weightDecay: number;
}

export interface Moments {
  m: Value;
  v: Value;
}

export function adamMoments(grad: Value, m: Value, v: Value, s: AdamSettings): Moments {
  return {
    m: add(mul(m, s.beta1), mul(grad, 1 - s.beta1)),
    v: add(mul(v, s.beta2), mul(mul(grad, grad), 1 - s.beta2)),
  };
}

/** Scalars 1 - b1^t and 1 - b2^t for bias correction. */
export interface BiasCorrection {
  c1: Value;
  c2: Value;
}

/** u = m / (sqrt(v) + eps) (+ wd * theta when the parameter decays). */
export function adamDirection(param: Value, mo: Moments, decay: boolean, s: AdamSettings, bc?: BiasCorrection): Value {
  const m = bc ? div(mo.m, bc.c1) : mo.m;
  const v = bc ? div(mo.v, bc.c2) : mo.v;
  const u = div(m, add(sqrt(v), s.epsilon));
  return decay && s.weightDecay !== 0 ? add(u, mul(param, s.weightDecay)) : u;
}

/** AdamW: theta - lr * u. */
export function adamwUpdate(param: Value, u: Value, lr: Value): Value {
  return sub(param, mul(lr, u));
}
