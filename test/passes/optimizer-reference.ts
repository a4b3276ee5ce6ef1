/**
 * Hand-written float64 reference implementations of the original ALBERT optimisation step
 * (ALBERT-FACTS.md "Optimization"), written directly from the formulas and independent of the
 * IR: the schedule, tf.clip_by_global_norm, AdamW and LAMB (with optional bias correction).
 */

export interface RefSettings {
  optimizer: 'adamw' | 'lamb';
  beta1: number;
  beta2: number;
  epsilon: number;
  weightDecay: number;
  biasCorrection: boolean;
  /** 0: no clipping. */
  clipNorm: number;
  decay: (name: string) => boolean;
}

export const ORIGINAL: Omit<RefSettings, 'optimizer'> = {
  beta1: 0.9,
  beta2: 0.999,
  epsilon: 1e-6,
  weightDecay: 0.01,
  biasCorrection: false,
  clipNorm: 1,
  decay: (n) => !/LayerNorm|layer_norm|bias/.test(n),
};

export type Arrays = Record<string, Float64Array>;

export interface RefState {
  params: Arrays;
  m: Arrays;
  v: Arrays;
}

export interface RefStepResult extends RefState {
  lr: number;
  norm: number;
  /** Per parameter: [||theta||, ||u||, ratio used] (LAMB) for checking that a case was hit. */
  trust: Record<string, [number, number, number]>;
}

export function refSchedule(step: number, lr: number, warmup: number, total: number): number {
  return step < warmup ? lr * (step / warmup) : lr * (1 - Math.min(step, total) / total);
}

const norm2 = (xs: Iterable<number>): number => {
  let s = 0;
  for (const x of xs) s += x * x;
  return Math.sqrt(s);
};

/** One optimizer step for the named gradients (parameters without a gradient are left out). */
export function refStep(state: RefState, grads: Arrays, s: RefSettings, sched: { step: number; lr: number; warmup: number; total: number }): RefStepResult {
  const names = Object.keys(grads);
  const norm = norm2(names.flatMap((n) => Array.from(grads[n])));
  const scale = s.clipNorm > 0 ? s.clipNorm / Math.max(norm, s.clipNorm) : 1;
  const lr = refSchedule(sched.step, sched.lr, sched.warmup, sched.total);
  const t = sched.step + 1;
  const out: RefStepResult = { params: { ...state.params }, m: {}, v: {}, lr, norm, trust: {} };
  for (const n of names) {
    const theta = state.params[n];
    const g = grads[n].map((x) => x * scale);
    const m = state.m[n].map((x, i) => s.beta1 * x + (1 - s.beta1) * g[i]);
    const v = state.v[n].map((x, i) => s.beta2 * x + (1 - s.beta2) * g[i] * g[i]);
    const c1 = s.biasCorrection ? 1 - Math.pow(s.beta1, t) : 1;
    const c2 = s.biasCorrection ? 1 - Math.pow(s.beta2, t) : 1;
    const decay = s.decay(n);
    const u = m.map((mi, i) => mi / c1 / (Math.sqrt(v[i] / c2) + s.epsilon) + (decay ? s.weightDecay * theta[i] : 0));
    let ratio = 1;
    if (s.optimizer === 'lamb' && decay) {
      const wn = norm2(theta);
      const un = norm2(u);
      ratio = wn > 0 && un > 0 ? wn / un : 1;
      out.trust[n] = [wn, un, ratio];
    }
    out.params[n] = theta.map((x, i) => x - ratio * lr * u[i]);
    out.m[n] = m;
    out.v[n] = v;
  }
  return out;
}
