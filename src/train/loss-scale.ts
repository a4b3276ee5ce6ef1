/**
 * Dynamic loss scaling for mixed-precision training. The training graph differentiates
 * loss x scale, so that float16 gradients of small magnitude do not flush to zero, and divides
 * the scale out in float32 before the optimizer (passes/optimizer.ts, lossScaleInput). Between
 * runs, this decides the scale: an update whose gradients overflowed (a non-finite loss or
 * gradient norm) is skipped — the trainer keeps the state it started from — and the scale is
 * halved; after `growthInterval` clean updates in a row it is doubled. The scale is always a
 * power of two, so scaling and unscaling are exact.
 *
 * Defaults are PyTorch's GradScaler's and NVIDIA's recipe: 2^16, x2 after 2000 clean steps, /2 on
 * overflow. A skipped update still takes its step of the learning-rate schedule, as with
 * GradScaler (the loop's step counter is the schedule's).
 */
import { OptionError, UserError } from '../util/errors.ts';

export interface LossScaleSettings {
  /** The first scale (a power of two; default 2^16). */
  initial?: number;
  /** Clean updates in a row before the scale doubles (default 2000). */
  growthInterval?: number;
}

/** What a checkpoint keeps of the scaler, so that a resumed run scales as the uninterrupted one. */
export interface LossScaleState {
  scale: number;
  /** Clean updates since the last change of the scale. */
  good_steps: number;
}

/** Below this the gradients are not finite at any scale: the run has diverged, not overflowed. */
export const MIN_LOSS_SCALE = 2 ** -24;
export const MAX_LOSS_SCALE = 2 ** 64;

function isPowerOfTwo(x: number): boolean {
  return Number.isFinite(x) && x > 0 && Math.log2(x) === Math.round(Math.log2(x));
}

export class DynamicLossScale {
  readonly growthInterval: number;
  private current: number;
  private good = 0;

  constructor(settings: LossScaleSettings = {}) {
    this.current = settings.initial ?? 2 ** 16;
    this.growthInterval = settings.growthInterval ?? 2000;
    if (!isPowerOfTwo(this.current) || this.current > MAX_LOSS_SCALE) throw new OptionError(`{lossScale} ${this.current}: must be a power of two (up to 2^64)`);
    if (!(Number.isInteger(this.growthInterval) && this.growthInterval >= 1)) throw new OptionError(`{lossScaleGrowthInterval} ${this.growthInterval}: must be an integer >= 1`);
  }

  /** The scale the next update runs with. */
  get scale(): number {
    return this.current;
  }

  /** After an update: whether its gradients were finite. Returns the scale the next update uses. */
  update(finite: boolean): number {
    if (!finite) {
      this.current /= 2;
      this.good = 0;
    } else if (++this.good >= this.growthInterval) {
      this.current = Math.min(this.current * 2, MAX_LOSS_SCALE);
      this.good = 0;
    }
    return this.current;
  }

  state(): LossScaleState {
    return { scale: this.current, good_steps: this.good };
  }

  restore(s: LossScaleState, where: string): void {
    if (!isPowerOfTwo(s.scale) || !(Number.isInteger(s.good_steps) && s.good_steps >= 0)) {
      throw new UserError(`${where}: field "loss_scale" ${JSON.stringify(s)} is not a power-of-two scale with a count of clean steps`);
    }
    this.current = s.scale;
    this.good = s.good_steps;
  }
}
