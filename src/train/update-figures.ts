/**
 * What every way of taking an update (one session run per micro-batch, the data-parallel stages)
 * does alike with the micro-batches of the update: the totals the loss shares divide by, the
 * inputs a run takes out of everything fed, and the update's losses and metrics as weighted
 * means over its micro-batches.
 */
import { float32Scalar, int32Scalar } from '../backends/target.ts';
import type { TrainingManifest } from '../manifest.ts';
import type { AccumulationTotal } from '../train-graph/loss-share.ts';
import type { BatchFeeder, Feeds } from './task.ts';

/** Outputs of the optimizer itself: one value per update, not combined over micro-batches. */
const UPDATE_OUTPUTS = new Set(['learning_rate_used', 'grad_norm']);

/** The losses (the total "loss" aside) and metrics that are combined over the micro-batches. */
export function combinedOutputs(t: Pick<TrainingManifest, 'losses' | 'metrics'>): string[] {
  return [...t.losses, ...t.metrics].filter((n) => n !== 'loss' && !UPDATE_OUTPUTS.has(n));
}

/** The totals inputs (accumulation's denominators) over `batches`, every micro-batch of the update. */
export function accumulationTotals<B>(totals: readonly AccumulationTotal[], task: Pick<BatchFeeder<B>, 'accumulationTotal'>, batches: readonly B[]): Feeds {
  const feeds: Feeds = {};
  for (const t of totals) {
    const v = batches.reduce((a, b) => a + task.accumulationTotal(t.name, b), 0);
    feeds[t.name] = t.dtype === 'int32' ? int32Scalar(v) : float32Scalar(v);
  }
  return feeds;
}

/** The feeds of a session's inputs, by name, out of everything at hand. */
export function feedsFor(names: readonly string[], feeds: Feeds, what: string): Feeds {
  const run: Feeds = {};
  for (const n of names) {
    const t = feeds[n];
    if (!t) throw new Error(`${what} input "${n}" has no feed`);
    run[n] = t;
  }
  return run;
}

/**
 * The update's loss (the sum of its micro-batches' `loss` outputs: shares of the update's loss, or
 * the loss itself for a single micro-batch) and the mean of each combined output: each
 * micro-batch's mean weighted back in; a denominator's epsilon (the masked-LM loss's) is undone
 * per micro-batch and added once for the update. The sums are one Float64Array ([loss, then
 * value x weight and weight per output]), so that data-parallel workers add theirs in one
 * all-reduce.
 */
export class UpdateMeans<B> {
  readonly sums: Float64Array;
  private readonly epsilons: number[];

  constructor(
    readonly names: readonly string[],
    private readonly task: Pick<BatchFeeder<B>, 'outputWeight'>,
    private readonly loss: string,
  ) {
    this.sums = new Float64Array(1 + 2 * names.length);
    this.epsilons = names.map(() => 0);
  }

  /** Adds micro-batch `b`'s outputs (a run's results); returns its loss output. */
  add(b: B, out: Feeds): number {
    const value = (name: string): number => Number((out[name].data as Float32Array)[0]);
    const loss = value(this.loss);
    this.sums[0] += loss;
    this.names.forEach((name, i) => {
      const w = this.task.outputWeight(name, b);
      this.sums[1 + 2 * i] += value(name) * (w.weight + (w.epsilon ?? 0));
      this.sums[2 + 2 * i] += w.weight;
      this.epsilons[i] = w.epsilon ?? 0;
    });
    return loss;
  }

  get total(): number {
    return this.sums[0];
  }

  means(): Record<string, number> {
    const out: Record<string, number> = {};
    this.names.forEach((name, i) => {
      const w = this.sums[2 + 2 * i] + this.epsilons[i];
      out[name] = w > 0 ? this.sums[1 + 2 * i] / w : 0;
    });
    return out;
  }
}
