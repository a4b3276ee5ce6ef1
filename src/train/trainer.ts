/**
 * The training step driver: one onnxruntime session of the compiled training graph, reused for
 * every step, and the training state (parameters and optimizer slots) held as the onnxruntime
 * tensors the previous run returned. onnxruntime copies every output into a fresh ArrayBuffer,
 * so those outputs are fed straight back as the next run's inputs (the manifest's handoff
 * pairs): no copy through JS arrays, no aliasing between steps. A step whose loss or gradient
 * norm is not finite leaves the state as it was (the old tensors are still held).
 *
 * The loop, not the graph, owns the scalar inputs: global_step and micro_step (so a skipped step
 * still advances the schedule), the learning-rate schedule's settings, the dropout key
 * (dropout_seed, dropout_step = global_step * K + micro_step, so masks depend only on where the
 * run is, which is what makes a resumed run identical) and, with gradient accumulation, the
 * totals over the K micro-batches of an update, computed before they run.
 */
import type { ExecutionOptions } from '../backends/target.ts';
import { availableParallelism } from 'node:os';
import { OptionError, UserError } from '../util/errors.ts';
import { compileModel, type CompiledModel, type TrainSettings } from '../compile.ts';
import { CPU, float32Scalar, hostTensor, int32Scalar, targetFor, type Executable, type ExecutionTarget, type HostTensor } from '../backends/target.ts';
import type { AlbertConfig } from '../model/config.ts';
import { STEP_INPUTS, type OptimizerName } from '../passes/optimizer.ts';
import { DynamicLossScale, MAX_LOSS_SCALE, type LossScaleSettings } from './loss-scale.ts';
import { mergedTraining, ParallelStep, type Collective } from './data-parallel.ts';
import { accumulationTotals, combinedOutputs, feedsFor, UpdateMeans } from './update-figures.ts';
import { LOSS_SCALE_STEPS, LOSS_SCALE_USED, MULTI_STEP_NAMES, multiStepModel, trainingStepLoop } from '../backends/onnx/multi-step.ts';
import { encodeModel } from '../backends/onnx/emit.ts';
import { onnx } from '../backends/onnx/proto.ts';
import type { TrainingManifest } from '../manifest.ts';
import { killPoint } from './kill-points.ts';
import type { BatchFeeder, Feeds, TaskGraph } from './task.ts';

export interface TrainerOptions {
  config: AlbertConfig;
  /** The task's head and shape options. */
  graph: TaskGraph;
  maxSeqLength: number;
  optimizer: OptimizerName;
  /** Optimizer details beyond the original's defaults (weight decay, betas, clipping, frozen parameters). */
  train?: Omit<TrainSettings, 'optimizer' | 'gradAccum'>;
  /** Micro-batches per update (default 1). */
  gradAccum?: number;
  /** Peak learning rate, warmup and decay steps of the schedule (the original's flags). */
  learningRate: number;
  numWarmupSteps: number;
  numTrainSteps: number;
  /** Key of the dropout masks. */
  seed: number;
  /** onnxruntime intra-op threads (default: all cores). */
  threads?: number;
  /** Where the step runs (default: the CPU), its fused kernels and what it recomputes (default: all fused, attention recomputed). */
  execution?: ExecutionOptions;
  /** With execution.mixedPrecision: the dynamic loss scale's start and growth (loss-scale.ts). */
  lossScale?: LossScaleSettings;
  /**
   * Data-parallel training over these workers (size > 1): each step() gets the micro-batches of
   * every worker, gradAccum per worker (data-parallel.ts). CPU and CUDA only.
   */
  collective?: Collective;
}

/** What one update did, the K micro-batches of it together. */
export interface StepResult {
  /** The 0-based step that was taken (the original global_step before the update). */
  step: number;
  /** False when the loss or the gradient norm was NaN/Inf: the state was left unchanged. */
  finite: boolean;
  loss: number;
  /** Every loss and metric output the manifest names (loss excepted), over the whole update. */
  outputs: Record<string, number>;
  learningRate: number;
  gradNorm: number;
  /**
   * Mixed precision: the loss scale this update ran with, and whether it overflowed (not finite:
   * skipped, and the scale halved for the next one). Absent in float32 training.
   */
  lossScale?: { scale: number; overflow: boolean };
  /** Tokens fed (batch x sequence length x K, padding included). */
  tokens: number;
  seconds: number;
}

export class Trainer<B> {
  readonly gradAccum: number;
  readonly threads: number;
  /** Seconds spent compiling the graph and creating the session. */
  compileSeconds = 0;
  sessionSeconds = 0;
  /** Parameters and optimizer slots by graph input name: the tensors fed to the next run. */
  private state: Feeds = {};
  /** The Loop over several steps (steps()), opened at its first use. */
  private multiStep: Executable | null = null;
  /** The losses and metrics a step reports as the update's means (update-figures.ts). */
  private readonly combined: string[];
  /** The dynamic loss scale of a mixed-precision step (null in float32). */
  readonly lossScaler: DynamicLossScale | null;
  private inputNames: string[] = [];

  private constructor(
    readonly opts: TrainerOptions,
    private readonly task: BatchFeeder<B>,
    readonly compiled: CompiledModel,
    readonly training: TrainingManifest,
    private readonly session: Executable,
    private readonly target: ExecutionTarget = targetFor(CPU),
    private readonly parallel: ParallelStep<B> | null = null,
  ) {
    this.gradAccum = training.accumulation?.steps ?? 1;
    this.threads = opts.threads ?? availableParallelism();
    this.inputNames = [...session.inputNames];
    this.combined = combinedOutputs(training);
    this.lossScaler = training.scalarInputs.some((s) => s.name === STEP_INPUTS.lossScale) ? new DynamicLossScale(opts.lossScale) : null;
  }

  /** Compiles the training step of the task's head and opens its session. */
  static async create<B>(opts: TrainerOptions, task: BatchFeeder<B>): Promise<Trainer<B>> {
    if (opts.collective && opts.collective.size > 1) return Trainer.createParallel(opts, task, opts.collective);
    const t0 = performance.now();
    const compiled = compileStep(opts, { gradAccum: opts.gradAccum ?? 1 });
    const t1 = performance.now();
    const training = compiled.manifest.training;
    if (!training) throw new Error('compileModel returned a train graph without its training manifest');
    // Without the memory pattern: it plans one block for every intermediate of the first run,
    // which for a whole training step doubled peak RSS (ALBERT-base 8x128: 3.8 -> 2.1 GB,
    // 8x512: 19 -> 9.7 GB) at the same speed.
    // On a device with its own memory (WebGPU), parameters and slots stay there between steps:
    // only losses and metrics come back to the host each run.
    const device = opts.execution?.device ?? CPU;
    const outputsOnDevice = device.name === 'webgpu' ? stateOutputs(training) : [];
    const target = targetFor(device);
    let session: Executable;
    try {
      session = await target.open(compiled.model, { threads: opts.threads ?? availableParallelism(), memPattern: false, outputsOnDevice });
    } catch (e) {
      if (device.name === 'cpu') throw e;
      const why = (e instanceof Error ? e.message : String(e)).split('\n').find((l) => l.trim() !== '')?.trim();
      throw new OptionError(`{device} ${device.name}${device.index !== undefined ? `:${device.index}` : ''}: onnxruntime could not open the training step there (${why}); \`albert doctor\` says what is missing`);
    }
    const trainer = new Trainer<B>(opts, task, compiled, training, session, target);
    trainer.compileSeconds = (t1 - t0) / 1000;
    trainer.sessionSeconds = (performance.now() - t1) / 1000;
    return trainer;
  }

  /** The two stages of a data-parallel step, each worker with its own sessions. */
  private static async createParallel<B>(opts: TrainerOptions, task: BatchFeeder<B>, collective: Collective): Promise<Trainer<B>> {
    const device = opts.execution?.device ?? CPU;
    if (device.name === 'webgpu') throw new OptionError('{device} webgpu: data-parallel training runs on cpu or cuda');
    const t0 = performance.now();
    const [gradients, update] = [compileStep(opts, { gradAccum: 1, stage: 'gradients' }), compileStep(opts, { gradAccum: 1, stage: 'update' })];
    const t1 = performance.now();
    const target = targetFor(device);
    const open = (c: CompiledModel): Promise<Executable> => target.open(c.model, { threads: opts.threads ?? availableParallelism(), memPattern: false, outputsOnDevice: [] });
    const [gradSession, updateSession] = [await open(gradients), await open(update)];
    const local = opts.gradAccum ?? 1;
    const training = mergedTraining(gradients.manifest.gradientStage!, update.manifest.training!, local);
    const shapes = new Map(gradients.manifest.parameters.map((p) => [p.input, p.shape]));
    const settings = { learningRate: opts.learningRate, numWarmupSteps: opts.numWarmupSteps, numTrainSteps: opts.numTrainSteps, seed: opts.seed, local };
    const parallel = new ParallelStep<B>(gradients.manifest.gradientStage!, update.manifest.training!, gradSession, updateSession, collective, task, settings, shapes);
    const trainer = new Trainer<B>(opts, task, gradients, training, gradSession, target, parallel);
    trainer.compileSeconds = (t1 - t0) / 1000;
    trainer.sessionSeconds = (performance.now() - t1) / 1000;
    return trainer;
  }

  /** Workers of a data-parallel run (1 otherwise). */
  get workers(): number {
    return this.parallel ? this.opts.collective!.size : 1;
  }

  /** Graph input names of the trained parameters, in the manifest's order. */
  get parameterNames(): string[] {
    return this.training.parameters.map((p) => p.input);
  }

  /** Names of the slots a checkpoint keeps (adam_m, adam_v; the accumulator is empty between updates). */
  get slotNames(): string[] {
    return this.training.parameters.flatMap((p) => p.slots.map((s) => s.input).filter((n) => !n.endsWith('/grad_acc')));
  }

  /**
   * Sets the parameters (TF names, TF layout) and the optimizer slots; slots not given start at
   * zero (a fresh run). Every trained and frozen parameter must be given.
   */
  setState(params: Map<string, Float32Array>, slots: Map<string, Float32Array> = new Map()): void {
    const next: Feeds = {};
    const shapes = new Map(this.compiled.manifest.parameters.map((p) => [p.input, p.shape]));
    for (const [name, shape] of shapes) {
      const v = params.get(name);
      const n = shape.reduce((a, d) => a * d, 1);
      if (!v) throw new UserError(`no value for parameter ${name}`);
      if (v.length !== n) throw new UserError(`parameter ${name} has ${v.length} values; its shape [${shape.join(', ')}] needs ${n}`);
      next[name] = hostTensor('float32', v, shape);
    }
    for (const p of this.training.parameters) {
      for (const s of p.slots) {
        const n = p.shape.reduce((a, d) => a * d, 1);
        const v = slots.get(s.input) ?? new Float32Array(n);
        if (v.length !== n) throw new UserError(`optimizer slot ${s.input} has ${v.length} values; its parameter's shape [${p.shape.join(', ')}] needs ${n}`);
        next[s.input] = hostTensor('float32', v, p.shape);
      }
    }
    this.state = next;
  }

  /** Whether some of the state lives in the device's memory (read it with syncToHost first). */
  get stateOnDevice(): boolean {
    return Object.values(this.state).some((t) => t.location !== 'cpu');
  }

  /**
   * Brings parameters and slots kept on the device back to host memory (a no-op on the CPU):
   * before checkpoints, evaluation and saving. The next step uploads them again.
   */
  async syncToHost(): Promise<void> {
    if (!this.stateOnDevice) return;
    const host = await this.target.toHost(this.state);
    for (const [n, t] of Object.entries(this.state)) if (host[n] !== t) t.dispose();
    this.state = host;
  }

  private hostState(name: string): HostTensor {
    const t = this.state[name];
    if (t.location !== 'cpu') throw new Error(`trainer state ${name} is on the device: call syncToHost() first`);
    return t;
  }

  /** Current parameter values by TF name: views of the live tensors, valid until the next step. */
  parameterValues(): Map<string, Float32Array> {
    return new Map(this.compiled.manifest.parameters.map((p) => [p.input, this.hostState(p.input).data as Float32Array]));
  }

  /** Current optimizer slots (adam_m, adam_v) by name: views, valid until the next step. */
  slotValues(): Map<string, Float32Array> {
    return new Map(this.slotNames.map((n) => [n, this.hostState(n).data as Float32Array]));
  }

  /** The live parameter tensors, to feed another graph (evaluation) without a copy. */
  parameterTensors(): Feeds {
    return Object.fromEntries(this.compiled.manifest.parameters.map((p) => [p.input, this.hostState(p.input)]));
  }

  /**
   * Takes optimizer step `step` (0-based) on the K micro-batches of one update. A non-finite loss
   * or gradient norm returns finite: false and keeps the state as it was before the step.
   */
  async step(step: number, micro: B[]): Promise<StepResult> {
    if (this.parallel) return this.stepParallel(step, micro);
    const K = this.gradAccum;
    if (micro.length !== K) throw new Error(`step(): ${micro.length} micro-batches given, the graph accumulates ${K}`);
    const t0 = performance.now();
    const o = this.opts;
    const task = this.task;
    const common: Feeds = {
      global_step: int32Scalar(step),
      learning_rate: float32Scalar(o.learningRate),
      num_warmup_steps: int32Scalar(o.numWarmupSteps),
      num_train_steps: int32Scalar(o.numTrainSteps),
    };
    if (this.training.dropout) common[this.training.dropout.seed] = int32Scalar(o.seed);
    const scale = this.lossScaler?.scale;
    if (scale !== undefined) common[STEP_INPUTS.lossScale] = float32Scalar(scale);
    if (this.training.accumulation) Object.assign(common, accumulationTotals(this.training.accumulation.totals, task, micro));
    // Losses (the total "loss" aside) and metrics are combined over the micro-batches.
    const means = new UpdateMeans(this.combined, task, K > 1 ? this.training.accumulation!.lossShare : 'loss');
    let state = this.state;
    let finite = true;
    let lr = 0;
    let gradNorm = 0;
    let tokens = 0;
    let last: Feeds = {};
    for (let k = 0; k < K; k++) {
      const b = micro[k];
      tokens += task.tokens(b);
      const feeds: Feeds = { ...state, ...common, ...task.feeds(b) };
      if (this.training.accumulation) feeds[this.training.accumulation.microStep] = int32Scalar(k);
      if (this.training.dropout) feeds[this.training.dropout.step] = int32Scalar(step * K + k);
      const out = (await this.session.run(feedsFor(this.inputNames, feeds, 'training graph'))) as Feeds;
      last = out;
      const value = (name: string): number => Number((out[name].data as Float32Array)[0]);
      if (!Number.isFinite(means.add(b, out))) finite = false;
      lr = value('learning_rate_used');
      gradNorm = value('grad_norm');
      const next: Feeds = {};
      for (const h of this.training.handoff) {
        if (h.input === 'global_step' || h.input === this.training.accumulation?.microStep) continue;
        next[h.input] = out[h.output];
      }
      for (const f of this.training.frozen) next[f] = state[f];
      // Device buffers of the state this run replaced are freed now (the Node binding does not
      // free them on garbage collection); the state the step started from is kept until the
      // update is known to be finite.
      if (state !== this.state) disposeReplaced(state, next);
      state = next;
      killPoint('mid-step', step + 1);
    }
    // One micro-batch: the graph's own values, bit for bit.
    const outputs = K === 1 ? Object.fromEntries(this.combined.map((n) => [n, Number((last[n].data as Float32Array)[0])])) : means.means();
    const loss = means.total;
    if (!Number.isFinite(gradNorm)) finite = false;
    this.lossScaler?.update(finite);
    if (finite) {
      disposeReplaced(this.state, state);
      this.state = state;
    } else if (state !== this.state) disposeReplaced(state, this.state);
    const lossScale = scale !== undefined ? { lossScale: { scale, overflow: !finite } } : {};
    return { step, finite, loss, outputs, learningRate: lr, gradNorm, ...lossScale, tokens, seconds: (performance.now() - t0) / 1000 };
  }

  /** step() of a data-parallel run: `micro` holds every worker's micro-batches of this update. */
  private async stepParallel(step: number, micro: B[]): Promise<StepResult> {
    const t0 = performance.now();
    const scale = this.lossScaler?.scale;
    const r = await this.parallel!.run(step, micro, this.state, scale, this.combined);
    killPoint('mid-step', step + 1);
    const finite = r.next !== null;
    if (r.next) this.state = r.next;
    this.lossScaler?.update(finite);
    const tokens = micro.reduce((a, b) => a + this.task.tokens(b), 0);
    const lossScale = scale !== undefined ? { lossScale: { scale, overflow: !finite } } : {};
    return { step, finite, loss: r.loss, outputs: r.outputs, learningRate: r.learningRate, gradNorm: r.gradNorm, ...lossScale, tokens, seconds: (performance.now() - t0) / 1000 };
  }

  /**
   * Takes steps first, first + 1, ... on `batches` (one micro-batch each) in one session run: the
   * step graph in an ONNX Loop (backends/onnx/multi-step.ts), parameters and slots carried inside
   * onnxruntime between the steps. A non-finite step leaves the state as it was, as step() does.
   * One micro-batch per update, on the CPU or CUDA; under mixed precision the loss scale moves
   * inside the loop as between runs.
   */
  async steps(first: number, batches: B[]): Promise<StepResult[]> {
    if (batches.length === 0) return [];
    checkStepsPerRun({ microBatches: this.gradAccum * this.workers, device: this.opts.execution?.device?.name ?? 'cpu' });
    const t0 = performance.now();
    const multi = (this.multiStep ??= await this.openMultiStep());
    const o = this.opts;
    const N = MULTI_STEP_NAMES;
    const feeds: Feeds = {
      [N.initial(STEP_INPUTS.globalStep)]: int32Scalar(first),
      [STEP_INPUTS.learningRate]: float32Scalar(o.learningRate),
      [STEP_INPUTS.warmupSteps]: int32Scalar(o.numWarmupSteps),
      [STEP_INPUTS.trainSteps]: int32Scalar(o.numTrainSteps),
    };
    if (this.training.dropout) feeds[this.training.dropout.seed] = int32Scalar(o.seed);
    const scaler = this.lossScaler;
    if (scaler) {
      const s = scaler.state();
      feeds[N.initial(STEP_INPUTS.lossScale)] = float32Scalar(s.scale);
      feeds[N.initial(LOSS_SCALE_STEPS)] = int32Scalar(s.good_steps);
    }
    for (const h of this.training.handoff) if (h.input !== STEP_INPUTS.globalStep) feeds[N.initial(h.input)] = this.state[h.input];
    for (const f of this.training.frozen) feeds[f] = this.state[f];
    const each = batches.map((b) => this.task.feeds(b));
    for (const name of Object.keys(each[0])) feeds[N.stacked(name)] = stackTensors(each.map((f) => f[name]));
    const out = (await multi.run(feedsFor(multi.inputNames, feeds, 'multi-step graph'))) as Feeds;
    const next: Feeds = { ...this.state };
    for (const h of this.training.handoff) if (h.input !== STEP_INPUTS.globalStep) next[h.input] = out[N.final(h.output)];
    this.state = next;
    // The loop moved the scale as the scaler would have between runs; it goes on from there.
    if (scaler) scaler.restore({ scale: Number((out[N.final(STEP_INPUTS.lossScale)].data as Float32Array)[0]), good_steps: Number((out[N.final(LOSS_SCALE_STEPS)].data as Int32Array)[0]) }, 'the multi-step loop');
    const seconds = (performance.now() - t0) / 1000 / batches.length;
    const at = (name: string, i: number): number => Number((out[N.collected(name)].data as Float32Array)[i]);
    return batches.map((b, i) => {
      const loss = at('loss', i);
      const gradNorm = at('grad_norm', i);
      const outputs = Object.fromEntries(this.combined.map((n) => [n, at(n, i)]));
      const finite = Number.isFinite(loss) && Number.isFinite(gradNorm);
      const lossScale = scaler ? { lossScale: { scale: at(LOSS_SCALE_USED, i), overflow: !finite } } : {};
      return { step: first + i, finite, loss, outputs, learningRate: at('learning_rate_used', i), gradNorm, ...lossScale, tokens: this.task.tokens(b), seconds };
    });
  }

  private async openMultiStep(): Promise<Executable> {
    const spec = trainingStepLoop(this.training, this.inputNames, this.lossScaler ? { growthInterval: this.lossScaler.growthInterval, max: MAX_LOSS_SCALE } : undefined);
    const model = encodeModel(multiStepModel(onnx.ModelProto.decode(this.compiled.model), spec));
    return this.target.open(model, { threads: this.threads, memPattern: false, outputsOnDevice: [] });
  }
}

/** The training step (or one stage of it) of the trainer's head, as its options say. */
function compileStep(opts: TrainerOptions, train: Pick<TrainSettings, 'gradAccum' | 'stage'>): CompiledModel {
  return compileModel({
    config: opts.config,
    head: opts.graph.head,
    numLabels: opts.graph.numLabels,
    numChoices: opts.graph.numChoices,
    maxPredictions: opts.graph.maxPredictions,
    mode: 'train',
    fusion: opts.execution?.fusion,
    recompute: opts.execution?.recompute,
    mixedPrecision: opts.execution?.mixedPrecision,
    maxSeqLength: opts.maxSeqLength,
    train: { ...opts.train, optimizer: opts.optimizer, ...train },
  });
}

/**
 * Refuses several steps per run where the Loop cannot take them: an update of several
 * micro-batches (accumulation, data-parallel workers), or WebGPU, whose state stays on the device
 * between runs already. The loop asks before compiling anything; steps() asks again.
 */
export function checkStepsPerRun(o: { microBatches: number; device: string }): void {
  if (o.microBatches > 1 || o.device === 'webgpu') {
    throw new OptionError('{stepsPerRun} runs several updates of one micro-batch each, on cpu or cuda, in one process: not with {gradAccum} > 1, {device} webgpu or data-parallel workers');
  }
}

/** Per-step tensors of one input stacked along a new leading axis. */
function stackTensors(ts: HostTensor[]): HostTensor {
  const first = ts[0];
  const n = first.data.length;
  const Ctor = (first.data as Float32Array).constructor as new (n: number) => Float32Array;
  const data = new Ctor(n * ts.length);
  ts.forEach((t, i) => data.set(t.data as Float32Array, i * n));
  return hostTensor(first.type as 'float32', data, [ts.length, ...first.dims]);
}

/** The outputs that become the next run's parameters and slots (what may stay on a device). */

function stateOutputs(training: TrainingManifest): string[] {
  const scalars = new Set<string>(['global_step', training.accumulation?.microStep ?? '']);
  return training.handoff.filter((h) => !scalars.has(h.input)).map((h) => h.output);
}

/** Frees the device buffers of `old` that `kept` no longer holds (host tensors need nothing). */
function disposeReplaced(old: Feeds, kept: Feeds): void {
  const live = new Set(Object.values(kept));
  for (const t of Object.values(old)) if (t.location === 'gpu-buffer' && !live.has(t)) t.dispose();
}
