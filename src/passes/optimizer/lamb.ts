/**
 * LAMB (You et al. 2019) as the original ALBERT lamb_optimizer applies it: the AdamW direction u
 * scaled per variable by the trust ratio r = ||theta|| / ||u||, with r = 1 when either norm is 0
 * and for the variables excluded from weight decay (LayerNorm, biases):
 *   theta - r * lr * u.
 */
import type { Value } from '../../ir/graph.ts';
import { div, greater, mul, reduceSum, sqrt, sub, where } from '../../ir/ops/index.ts';

export function l2Norm(x: Value): Value {
  return sqrt(reduceSum(mul(x, x)));
}

/** ||theta|| / ||u||, or 1 when either norm is 0. */
export function trustRatio(param: Value, u: Value): Value {
  const wn = l2Norm(param);
  const un = l2Norm(u);
  // Where does not read the unselected branch, so the 0/0 of a zero norm never surfaces.
  return where(greater(wn, 0), where(greater(un, 0), div(wn, un), 1), 1);
}

export function lambUpdate(param: Value, u: Value, lr: Value, adapt: boolean): Value {
  const step = adapt ? mul(trustRatio(param, u), lr) : lr;
  return sub(param, mul(step, u));
}
