/**
 * One update of data-parallel training. Every worker reads the same micro-batches — the N x K of
 * the update — and runs the gradients stage on its own K (worker r takes r*K .. r*K+K-1), each
 * differentiating its loss share with denominators totalled over all N x K (computed from the
 * batches every worker has, no communication needed). The gradients are summed over its K in
 * float32, then over the workers in one flat all-reduce; the losses and metrics ride along in a
 * second, float64 one. The update stage then clips, schedules and applies LAMB/AdamW to the same
 * bytes on every worker, so the parameters stay identical without being sent.
 *
 * N workers x K micro-batches equal one worker with gradient accumulation N*K: the same loss
 * shares, the same dropout masks (keyed by the global micro-batch index), the same update; only
 * the order of the float32 sums differs.
 */
import type { Executable, HostTensor } from '../backends/target.ts';
import { float32Scalar, hostTensor, int32Scalar } from '../backends/target.ts';
import type { GradientStageManifest, TrainingManifest } from '../manifest.ts';
import { STEP_INPUTS } from '../passes/optimizer.ts';
import { reducedGradInput } from '../train-graph/plan.ts';
import type { BatchFeeder, Feeds } from './task.ts';
import { accumulationTotals, feedsFor, UpdateMeans } from './update-figures.ts';

/** What data-parallel training needs of MPI (src/mpi/mpi.ts provides it). */
export interface Collective {
  readonly rank: number;
  readonly size: number;
  /** Sums over all workers in place; every worker gets the same bytes. */
  allreduceSumAsync(buf: Float32Array | Float64Array): Promise<void>;
}

/** What the training loop needs of MPI besides the step's all-reduce: starting state and checks. */
export interface Workers extends Collective {
  /** Copies `buf` from worker `root` to every worker. */
  bcast(buf: ArrayBufferView, root: number): void;
  /** Every worker's bytes, by rank. */
  allgather(bytes: Uint8Array): Uint8Array[];
}

export interface ParallelStepSettings {
  learningRate: number;
  numWarmupSteps: number;
  numTrainSteps: number;
  seed: number;
  /** Micro-batches per worker per update. */
  local: number;
}

export interface ParallelStepOutcome {
  /** The state after the update (parameters and slots), or null when it was not finite (state unchanged). */
  next: Feeds | null;
  loss: number;
  outputs: Record<string, number>;
  learningRate: number;
  gradNorm: number;
}

/** The whole update's TrainingManifest as the loop reads it: the update stage's, with the gradients stage's losses and metrics. */
export function mergedTraining(gradients: GradientStageManifest, update: TrainingManifest, local: number): TrainingManifest {
  return {
    ...update,
    losses: gradients.losses,
    metrics: [...gradients.metrics, ...update.metrics],
    accumulation: { steps: local, microStep: STEP_INPUTS.microStep, totals: gradients.totals, lossShare: gradients.lossShare },
    dropout: gradients.dropout,
  };
}

export class ParallelStep<B> {
  private readonly sizes: number[];
  private readonly offsets: number[];
  private readonly total: number;

  constructor(
    private readonly gradients: GradientStageManifest,
    private readonly update: TrainingManifest,
    private readonly gradSession: Executable,
    private readonly updateSession: Executable,
    private readonly collective: Collective,
    private readonly task: BatchFeeder<B>,
    private readonly settings: ParallelStepSettings,
    shapes: Map<string, number[]>,
  ) {
    this.sizes = gradients.gradients.map((g) => shapes.get(g.param)!.reduce((a, d) => a * d, 1));
    this.offsets = [];
    let off = 0;
    for (const n of this.sizes) {
      this.offsets.push(off);
      off += n;
    }
    this.total = off;
  }

  /** Runs update `step` on `all` (the N x K micro-batches of every worker) from `state`. */
  async run(step: number, all: B[], state: Feeds, lossScale: number | undefined, combined: string[]): Promise<ParallelStepOutcome> {
    const { rank, size } = this.collective;
    const K = this.settings.local;
    if (all.length !== K * size) throw new Error(`data-parallel step: ${all.length} micro-batches given, ${size} workers x ${K} expected`);
    const task = this.task;
    const common = accumulationTotals(this.gradients.totals, task, all);
    if (this.gradients.dropout) common[this.gradients.dropout.seed] = int32Scalar(this.settings.seed);
    if (lossScale !== undefined && this.gradients.lossScale) common[this.gradients.lossScale] = float32Scalar(lossScale);

    const grads = new Float32Array(this.total);
    const means = new UpdateMeans(combined, task, this.gradients.lossShare);
    for (let k = 0; k < K; k++) {
      const index = rank * K + k;
      const b = all[index];
      const feeds: Feeds = { ...state, ...common, ...task.feeds(b) };
      if (this.gradients.dropout) feeds[this.gradients.dropout.step] = int32Scalar(step * K * size + index);
      const out = (await this.gradSession.run(feedsFor(this.gradSession.inputNames, feeds, 'data-parallel gradients stage'))) as Feeds;
      this.gradients.gradients.forEach((g, i) => {
        const src = out[g.output].data as Float32Array;
        const dst = grads.subarray(this.offsets[i], this.offsets[i] + this.sizes[i]);
        if (k === 0) dst.set(src);
        else for (let j = 0; j < dst.length; j++) dst[j] += src[j];
      });
      means.add(b, out);
    }
    await this.collective.allreduceSumAsync(grads);
    await this.collective.allreduceSumAsync(means.sums);

    const feeds: Feeds = {
      [STEP_INPUTS.globalStep]: int32Scalar(step),
      [STEP_INPUTS.learningRate]: float32Scalar(this.settings.learningRate),
      [STEP_INPUTS.warmupSteps]: int32Scalar(this.settings.numWarmupSteps),
      [STEP_INPUTS.trainSteps]: int32Scalar(this.settings.numTrainSteps),
    };
    if (lossScale !== undefined && this.gradients.lossScale) feeds[STEP_INPUTS.lossScale] = float32Scalar(lossScale);
    this.gradients.gradients.forEach((g, i) => {
      feeds[reducedGradInput(g.param)] = hostTensor('float32', grads.subarray(this.offsets[i], this.offsets[i] + this.sizes[i]), this.update.parameters[i].shape);
    });
    const out = (await this.updateSession.run(feedsFor(this.updateSession.inputNames, { ...state, ...feeds }, 'data-parallel update stage'))) as Feeds;
    const loss = means.total;
    const gradNorm = Number((out.grad_norm.data as Float32Array)[0]);
    const outputs = means.means();
    let next: Feeds | null = null;
    if (Number.isFinite(loss) && Number.isFinite(gradNorm)) {
      next = { ...state };
      for (const h of this.update.handoff) if (h.input !== STEP_INPUTS.globalStep) next[h.input] = out[h.output] as HostTensor;
    }
    return { next, loss, outputs, learningRate: Number((out.learning_rate_used.data as Float32Array)[0]), gradNorm };
  }
}
