/**
 * The task-agnostic training loop: what `albert pretrain`, `albert finetune glue` and
 * `albert finetune classify` (and SQuAD and RACE after them) share. It trains a task's head with
 * one compiled training step, saves checkpoints every N steps and at the end, evaluates at each
 * checkpoint, keeps the best checkpoint by the task's main metric, and resumes exactly where a
 * killed run stopped:
 *
 *   <output_dir>/checkpoint-<step>/   see checkpoint.ts (the last keepCheckpointMax kept)
 *   <output_dir>/best/                the checkpoint with the best evaluation
 *   <output_dir>/model.safetensors, config.json (, spiece.model)   the final model
 *   <output_dir>/eval_results.txt     the last evaluation, in the original's format
 *
 * Exact resume: the data order comes from the task's cursor saved in the checkpoint, dropout
 * masks are keyed by (seed, global_step * K + micro_step), and parameters and slots are saved
 * as float32 bits; so a run killed at any moment and resumed ends with the same bytes as one
 * that was never interrupted (with the same thread count).
 *
 * Ctrl-C (SIGINT) or SIGTERM while training stops the loop at the end of the step under way
 * (src/train/interrupt.ts): with saveOnInterrupt it writes a checkpoint there, then it stops the
 * progress bar, says in one line where the next run resumes and throws TrainingInterrupted
 * (exit status 130 from the CLI). A second signal stops at once.
 *
 * Errors about options name them as the library's API does ({trainBatchSize}); the commands
 * turn those names into their flags.
 */
import { createHash } from 'node:crypto';
import type { ExecutionOptions } from '../backends/target.ts';
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { availableParallelism, totalmem } from 'node:os';
import { basename, join } from 'node:path';
import { hostTensor } from '../backends/target.ts';
import type { TrainSettings } from '../compile.ts';
import { fsReason } from '../data/tfrecord.ts';
import { toHfJson, type AlbertConfig } from '../model/config.ts';
import { InitRng, initialValues } from '../model/init.ts';
import type { ParamSpec } from '../model/params.ts';
import { saveHfModel } from '../model/weights/save-hf.ts';
import { OPTIMIZER_NAMES, type OptimizerName } from '../passes/optimizer.ts';
import { writeAtomic } from '../util/atomic-write.ts';
import { analyzeGraph } from '../inspect/analyze.ts';
import { acquireDirLock, DirWriteError, type DirLock } from '../util/dir-lock.ts';
import { OptionError, UserError } from '../util/errors.ts';
import { makeDir } from '../util/make-dir.ts';
import {
  BEST_DIR,
  bestStep,
  cleanStaleFiles,
  latestCheckpoint,
  listCheckpoints,
  MODEL_FILE,
  verifyCheckpoint,
  pruneCheckpoints,
  readCheckpoint,
  saveBest,
  STATE_FILE,
  writeCheckpoint,
  type CheckpointInfo,
  type RunSettings,
  type TrainingState,
  type TrainPoint,
} from './checkpoint.ts';
import { InterruptWatch, TrainingInterrupted } from './interrupt.ts';
import { killPoint } from './kill-points.ts';
import { formatDuration, type ProgressSink } from './progress.ts';
import type { EvalReport, Feeds, Task, TaskResults } from './task.ts';
import { MIN_LOSS_SCALE } from './loss-scale.ts';
import type { Workers } from './data-parallel.ts';
import { checkStepsPerRun, Trainer, type StepResult } from './trainer.ts';
import { checkThreads } from '../backends/onnx/session.ts';

export interface LoopOptions {
  outputDir: string;
  /** The command named in the output directory's lock (default: the task's name). */
  command?: string;
  config: AlbertConfig;
  /** The model's parameters (encoder and the task's head). */
  specs: ParamSpec[];
  doTrain: boolean;
  doEval: boolean;
  /** The batch of one update; with gradAccum K it is split into K micro-batches. */
  trainBatchSize: number;
  maxSeqLength: number;
  optimizer: OptimizerName;
  /** Optimizer details beyond the defaults (weight decay, clipping, frozen parameters). */
  train?: Omit<TrainSettings, 'optimizer' | 'gradAccum'>;
  learningRate: number;
  numTrainSteps: number;
  numWarmupSteps: number;
  saveCheckpointsSteps: number;
  /** 0 keeps every checkpoint. */
  keepCheckpointMax: number;
  gradAccum?: number;
  /** Default: all cores. */
  threads?: number;
  seed: number;
  skipNonfiniteSteps?: boolean;
  /** Insist on resuming (an error when the output directory has no checkpoint). */
  resume?: boolean;
  /**
   * The task's settings a resumed run must keep, by their snake_case names, each with the
   * option that sets it (for the error that refuses a changed one).
   */
  taskSettings?: Record<string, { value: unknown; option: string }>;
  /** Train even when the step's memory estimate exceeds this machine's memory. */
  noMemoryCheck?: boolean;
  /** Where the step runs (default: the CPU), its fused kernels and what it recomputes (default: all fused, attention recomputed). */
  execution?: ExecutionOptions;
  /** The weights of a fresh run (a checkpoint, or fresh values): called only when not resuming. */
  initialValues: () => Promise<{ values: Map<string, Float32Array>; from: string | null }>;
  /** Copied next to the final model as spiece.model (HF's AlbertTokenizer finds it there). */
  spmModelFile?: string;
  /** On Ctrl-C, write a checkpoint at the step reached before stopping (default: the progress sink's saveOnInterrupt). */
  saveOnInterrupt?: boolean;
  /**
   * Data-parallel training (MPI): every worker runs this loop; trainBatchSize is the update's
   * whole batch, split into gradAccum micro-batches per worker. Worker 0 alone locks the output
   * directory, evaluates and writes checkpoints; it sends its starting state to the others.
   */
  workers?: Workers;
  progress: ProgressSink;
}

export interface LoopResult {
  task: string;
  outputDir: string;
  /** Where the final model is (config.json + model.safetensors). */
  modelDir: string;
  resumedFrom: string | null;
  startStep: number;
  finalStep: number;
  stepsRun: number;
  /** Wall time of this call, and of its training steps alone. */
  seconds: number;
  trainSeconds: number;
  tokensPerSecond: number;
  compileSeconds: number;
  threads: number;
  skippedSteps: number[];
  /** Mean training loss of the last (up to) 20 steps of this run. */
  finalTrainLoss: number | null;
  evals: EvalReport[];
  finalEval: EvalReport | null;
  best: { step: number; metric: string; value: number; dir: string } | null;
  history: TrainPoint[];
  settings: RunSettings;
  numParameters: number;
  /** The task's result files and where the model they come from is (a task without writeResults: null). */
  results: (TaskResults & { from: string }) | null;
}

/** The loop's own settings a resumed run must keep, with the option that sets each. */
const LOOP_SETTINGS: Record<string, string> = {
  train_batch_size: 'trainBatchSize',
  max_seq_length: 'maxSeqLength',
  optimizer: 'optimizer',
  learning_rate: 'learningRate',
  num_warmup_steps: 'numWarmupSteps',
  grad_accum: 'gradAccum',
  seed: 'seed',
};

/** The config file key of a config field (vocabSize -> vocab_size), from the file layout's own mapping. */
function configKey(field: keyof AlbertConfig, cfg: AlbertConfig): string {
  const probe = '\u0000probe';
  const json = toHfJson(cfg);
  const probed = toHfJson({ ...cfg, [field]: probe });
  return Object.keys(probed).find((k) => probed[k] === probe && json[k] !== probe) ?? field;
}

function checkResumable(saved: RunSettings, now: RunSettings, options: Record<string, string>, where: string): void {
  const savedConfig: Partial<AlbertConfig> = saved.config ?? {};
  const changed = (Object.keys(now.config) as (keyof AlbertConfig)[]).find((k) => savedConfig[k] !== now.config[k]);
  if (changed) {
    // Named and shown as in the config file (vocab_size, not vocabSize), as users wrote it.
    const key = configKey(changed, now.config);
    const was = changed in savedConfig ? JSON.stringify(toHfJson({ ...now.config, ...savedConfig })[key]) : 'nothing';
    throw new UserError(
      `${where}: the checkpoint's model config has ${key} = ${was}, the given config ${JSON.stringify(toHfJson(now.config)[key])} (resume with the same config, or use another output directory)`,
    );
  }
  for (const [key, option] of Object.entries(options)) {
    const a = JSON.stringify(saved[key]);
    const b = JSON.stringify(now[key]);
    if (a !== b) throw new OptionError(`${where}: this run was started with {${option}} ${a}, now ${b} (resume with the same settings, or use another {outputDir})`);
  }
}

/** An integer option of at least `min`. */
export function checkInteger(v: number, option: string, min = 1): void {
  if (!Number.isInteger(v) || v < min) throw new OptionError(`{${option}} must be an integer >= ${min}; got ${v}`);
}

function checkOptions(o: LoopOptions): void {
  if (!o.doTrain && !o.doEval) throw new OptionError('at least one of {doTrain} or {doEval} must be given');
  checkInteger(o.trainBatchSize, 'trainBatchSize');
  checkInteger(o.maxSeqLength, 'maxSeqLength', 2);
  checkInteger(o.numTrainSteps, 'numTrainSteps');
  checkInteger(o.numWarmupSteps, 'numWarmupSteps', 0);
  checkInteger(o.saveCheckpointsSteps, 'saveCheckpointsSteps');
  checkInteger(o.keepCheckpointMax, 'keepCheckpointMax', 0);
  checkInteger(o.gradAccum ?? 1, 'gradAccum');
  checkThreads(o.threads);
  if (!Number.isSafeInteger(o.seed)) throw new OptionError(`{seed} must be an integer; got ${o.seed}`);
  if (!(OPTIMIZER_NAMES as readonly string[]).includes(o.optimizer)) throw new OptionError(`{optimizer} ${o.optimizer}: expected one of ${OPTIMIZER_NAMES.join(', ')}`);
  if (!(Number.isFinite(o.learningRate) && o.learningRate > 0)) throw new OptionError(`{learningRate} must be a positive number; got ${o.learningRate}`);
  const K = o.gradAccum ?? 1;
  if (o.trainBatchSize % K !== 0) throw new OptionError(`{trainBatchSize} ${o.trainBatchSize} is not a multiple of {gradAccum} ${K} (each update takes ${K} equal micro-batches)`);
  if (o.maxSeqLength > o.config.maxPositionEmbeddings) {
    throw new OptionError(`{maxSeqLength} ${o.maxSeqLength} exceeds the config's max_position_embeddings ${o.config.maxPositionEmbeddings}`);
  }
}

/** Makes the output directory and checks it takes files. */
export function prepareOutputDir(dir: string): void {
  try {
    makeDir(dir, 'output directory');
    if (!statSync(dir).isDirectory()) throw new OptionError(`{outputDir} ${dir}: not a directory`);
    accessSync(dir, constants.W_OK);
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new OptionError(`{outputDir} ${dir}: cannot write there (${fsReason(e)})`);
  }
}

/**
 * Makes this process the one owner of the output directory (src/util/dir-lock.ts), creating it
 * when missing; a directory it created is removed on release if nothing was written there.
 * Re-entrant: the finetune flow locks before the loop, which locks again. Release when done.
 */
export function lockOutputDir(dir: string, command: string, note?: (line: string) => void): DirLock {
  try {
    return acquireDirLock(dir, command, { note });
  } catch (e) {
    if (e instanceof DirWriteError) throw new OptionError(`{outputDir} ${dir}: cannot write there (${e.reason})`);
    throw e;
  }
}

/**
 * Where a run in `outputDir` continues from: its newest intact checkpoint and training state, if
 * any. A newer checkpoint that cannot be read (training state, model or optimizer file missing or
 * corrupt) is skipped with a one-line note saying why; when none is intact, a one-line error.
 */
export function resumePoint(outputDir: string, note?: (line: string) => void): { latest: CheckpointInfo; state: TrainingState } | null {
  const all = listCheckpoints(outputDir);
  const skipped: string[] = [];
  for (let i = all.length - 1; i >= 0; i--) {
    const c = all[i];
    try {
      return { latest: c, state: verifyCheckpoint(c.dir) };
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      skipped.push(`${basename(c.dir)}: ${e.message}`);
      note?.(`skipping ${c.dir}, which cannot be read (${e.message})`);
    }
  }
  if (all.length > 0) {
    throw new UserError(`${outputDir}: no intact checkpoint to resume from (${all.length} found, none readable; the newest: ${skipped[0]}); remove them or use another output directory`);
  }
  return null;
}

export function freshParameters(specs: ParamSpec[], seed: number): Map<string, Float32Array> {
  const rng = new InitRng(seed);
  return new Map(specs.map((s) => [s.name, initialValues(s.init, s.shape.reduce((a, d) => a * d, 1), rng)]));
}

/** The snake_case settings of the run (the loop's and the task's) and the option behind each. */
/** Micro-batches per update, all workers together: what a checkpoint's grad_accum means. */
function microBatchesPerUpdate(o: LoopOptions): number {
  return (o.gradAccum ?? 1) * (o.workers?.size ?? 1);
}

function runSettings(o: LoopOptions): { settings: RunSettings; options: Record<string, string> } {
  const settings: RunSettings = {
    config: o.config,
    train_batch_size: o.trainBatchSize,
    max_seq_length: o.maxSeqLength,
    optimizer: o.optimizer,
    learning_rate: o.learningRate,
    num_warmup_steps: o.numWarmupSteps,
    grad_accum: microBatchesPerUpdate(o),
    seed: o.seed,
  };
  const options = { ...LOOP_SETTINGS };
  for (const [k, s] of Object.entries(o.taskSettings ?? {})) {
    settings[k] = s.value;
    options[k] = s.option;
  }
  return { settings, options };
}

/**
 * Refuses a micro-batch whose training step cannot fit in this machine's memory: the peak of
 * activations alive at once, as `albert inspect` estimates it on the compiled step, plus the
 * parameters, their optimizer slots and the step's new values. The estimate is below what
 * onnxruntime really takes (ALBERT-base 32 x 128: 5.5 GB estimated, 7.8 GB peak RSS), so only
 * runs that surely fail are refused, before the kernel kills them.
 */
function checkStepMemory<B>(trainer: Trainer<B>, microBatch: number, seqLength: number, K: number): void {
  const report = analyzeGraph(trainer.compiled.graph, { batchSize: microBatch, seqLength, dims: { batch: microBatch, seq: seqLength } });
  const slots = 1 + trainer.slotNames.length / Math.max(1, trainer.parameterNames.length) + (K > 1 ? 1 : 0);
  const paramBytes = report.parameters.count * 4 * (1 + slots);
  const activationBytes = report.memory?.peakLiveBytes ?? 0;
  const need = activationBytes + paramBytes;
  const have = totalmem();
  if (need > have) {
    const gb = (x: number): string => `${(x / 2 ** 30).toFixed(1)} GiB`;
    throw new OptionError(
      `a training step of ${microBatch} x ${seqLength} tokens needs about ${gb(need)} (${gb(activationBytes)} of activations at their peak, as \`albert inspect\` estimates, and ${gb(paramBytes)} of parameters and optimizer state), more than this machine's ${gb(have)} of memory: lower {trainBatchSize} or {maxSeqLength}, split the batch with {gradAccum}, or pass {noMemoryCheck} to try anyway`,
    );
  }
}

/**
 * Trains and/or evaluates `task` as `opts` says; see the file comment. The output directory is
 * locked for the whole call (another run on it is refused) and cleaned of a killed run's
 * leftovers only under the lock.
 */
export async function runTraining<B>(task: Task<B>, opts: LoopOptions): Promise<LoopResult> {
  const t0 = performance.now();
  checkOptions(opts);
  // Worker 0 owns the output directory; the others never touch it (no shared file system needed).
  const leader = !opts.workers || opts.workers.rank === 0;
  const lock = leader ? lockOutputDir(opts.outputDir, opts.command ?? task.name, (l) => opts.progress.note(l)) : null;
  try {
    if (leader) cleanStaleFiles(opts.outputDir);
    return await runLocked(task, opts, t0);
  } catch (e) {
    // Said here, after the progress bar has stopped (the terminal is restored) and the data closed.
    if (e instanceof TrainingInterrupted) opts.progress.note(e.message);
    throw e;
  } finally {
    lock?.release();
  }
}

/**
 * Checkpoints (and so evaluations) still to come after `step` of `total`, saving every `every`
 * steps and at the end.
 */
export function savesLeft(step: number, total: number, every: number): number {
  if (step >= total) return 0;
  return Math.floor(total / every) - Math.floor(step / every) + (total % every === 0 ? 0 : 1);
}

const mean = (xs: number[]): number => (xs.length > 0 ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);

/**
 * Seconds left after `step` of `total`: the steps left at `secondsPerStep`, and the checkpoints
 * left (each with its evaluation when the run evaluates) at the mean time of those so far
 * (none so far: not counted yet).
 */
export function estimateEta(o: { step: number; total: number; every: number; secondsPerStep: number; evalSeconds: number[]; checkpointSeconds: number[] }): number {
  return o.secondsPerStep * (o.total - o.step) + savesLeft(o.step, o.total, o.every) * (mean(o.evalSeconds) + mean(o.checkpointSeconds));
}

async function runLocked<B>(task: Task<B>, opts: LoopOptions, t0: number): Promise<LoopResult> {
  const progress = opts.progress;
  const out = opts.outputDir;
  const K = opts.gradAccum ?? 1;
  const W = opts.workers;
  const leader = !W || W.rank === 0;
  const perUpdate = microBatchesPerUpdate(opts);
  if (opts.trainBatchSize % perUpdate !== 0) throw new OptionError(`{trainBatchSize} ${opts.trainBatchSize} does not split into ${perUpdate} equal micro-batches (${W ? `${W.size} workers x ` : ''}{gradAccum} ${K})`);
  if (W && !opts.doTrain) throw new OptionError('evaluation alone runs in one process: leave out mpirun (or {workers}) with {doEval} and no {doTrain}');
  const microBatch = opts.trainBatchSize / perUpdate;
  const stepsPerRun = opts.execution?.stepsPerRun ?? 1;
  if (stepsPerRun > 1) checkStepsPerRun({ microBatches: perUpdate, device: opts.execution?.device?.name ?? 'cpu' });
  const threads = opts.threads ?? availableParallelism();
  const { config, specs } = opts;

  const resume = leader ? resumePoint(out, (l) => progress.note(l)) : null;
  if (opts.resume && !resume) throw new OptionError(`{resume}: no checkpoint in ${out} (expected ${join(out, 'checkpoint-<step>')})`);
  const latest = resume?.latest ?? null;
  const { settings, options } = runSettings(opts);
  if (resume && opts.doTrain) checkResumable(resume.state.settings, settings, options, join(resume.latest.dir, STATE_FILE));
  if (opts.doEval && !task.createEvaluator) throw new Error(`task ${task.name}: doEval without an evaluation set`);

  // The data is checked before anything slow happens.
  if (opts.doTrain) await task.checkTrainData?.(microBatch);

  const evaluator = opts.doEval && leader ? await task.createEvaluator!(threads) : null;
  const numParameters = specs.reduce((s, p) => s + p.shape.reduce((a, d) => a * d, 1), 0);
  const base = { task: task.name, outputDir: out, modelDir: out, settings, threads, numParameters };
  const tensors = (values: Map<string, Float32Array>): Feeds => Object.fromEntries(specs.map((s) => [s.name, hostTensor('float32', values.get(s.name)!, s.shape)]));

  // ---- evaluation only ----
  if (!opts.doTrain) {
    let values: Map<string, Float32Array>;
    let step = 0;
    let from: string;
    if (latest) {
      ({ values } = await readCheckpoint(latest.dir, specs, []));
      step = latest.step;
      from = latest.dir;
    } else {
      const init = await opts.initialValues();
      if (!init.from) throw new OptionError(`{doEval} without {doTrain} evaluates a trained model: pass {initCheckpoint}, or an {outputDir} holding a checkpoint`);
      values = init.values;
      from = init.from;
    }
    progress.note(`evaluating ${from}`);
    const result = await evaluator!.evaluate(step, tensors(values));
    progress.eval(result, task.evalLine(result));
    writeAtomic(join(out, 'eval_results.txt'), task.evalResultsText(result));
    const r: LoopResult = {
      ...base,
      modelDir: from,
      resumedFrom: null,
      startStep: step,
      finalStep: step,
      stepsRun: 0,
      seconds: (performance.now() - t0) / 1000,
      trainSeconds: 0,
      tokensPerSecond: 0,
      compileSeconds: evaluator!.compileSeconds,
      skippedSteps: [],
      finalTrainLoss: null,
      evals: [result],
      finalEval: result,
      best: null,
      history: [],
      results: null,
    };
    progress.summary(summaryLines(r, task), summaryData(r));
    return r;
  }

  // ---- training ----
  const trainer = await Trainer.create(
    {
      config,
      graph: task.graph,
      maxSeqLength: opts.maxSeqLength,
      optimizer: opts.optimizer,
      train: opts.train,
      gradAccum: K,
      learningRate: opts.learningRate,
      numWarmupSteps: opts.numWarmupSteps,
      numTrainSteps: opts.numTrainSteps,
      seed: opts.seed,
      threads,
      execution: opts.execution,
      collective: W,
    },
    task,
  );
  if (!opts.noMemoryCheck) checkStepMemory(trainer, microBatch, opts.maxSeqLength, K);
  let startStep = 0;
  let state: TrainingState;
  let resumedFrom: string | null = null;
  if (resume) {
    const ck = await readCheckpoint(resume.latest.dir, specs, trainer.slotNames);
    trainer.setState(ck.values, ck.slots);
    state = ck.state;
    startStep = state.global_step;
    resumedFrom = resume.latest.dir;
    progress.note(`resuming from ${resume.latest.dir} (step ${startStep})`);
    if (state.num_train_steps !== opts.numTrainSteps) {
      progress.note(`the number of training steps is ${opts.numTrainSteps} (the checkpoint was made with ${state.num_train_steps}): the learning-rate decay follows the new value from here on`);
    }
    state.num_train_steps = opts.numTrainSteps;
    // The loss scale goes on where it was (a float32 checkpoint resumed in mixed precision starts it afresh).
    if (trainer.lossScaler && state.loss_scale) trainer.lossScaler.restore(state.loss_scale, join(resume.latest.dir, STATE_FILE));
    // A kill between writing a best checkpoint and copying it to best/ is repaired here.
    if (state.best && bestStep(out) !== state.best.step) {
      const b = listCheckpoints(out).find((c) => c.step === state.best!.step);
      if (b) saveBest(out, b.dir, b.step);
    }
  } else {
    const init = await opts.initialValues();
    trainer.setState(init.values);
    state = {
      format: 'albert-compiler/training-state@1',
      global_step: 0,
      num_train_steps: opts.numTrainSteps,
      settings,
      rng: { dropout_seed: opts.seed, next_dropout_step: 0 },
      data_cursor: null,
      skipped_steps: [],
      elapsed_seconds: 0,
      evals: [],
      best: null,
      history: [],
    };
  }

  if (W && W.size > 1) {
    // Every worker starts from worker 0's state: parameters, slots, step, data cursor, loss scale.
    state = shareStart(W, trainer, state);
    startStep = state.global_step;
  }
  state.workers = W?.size ?? 1;

  let data;
  try {
    data = task.openTrainData(microBatch, resumedFrom || state.global_step > 0 ? state.data_cursor : null);
  } catch (e) {
    // The cursor's complaint names the file it came from.
    if (resumedFrom && e instanceof UserError && e.message.startsWith('dataset cursor: ')) {
      throw new UserError(`${join(resumedFrom, STATE_FILE)}: field "data_cursor": ${e.message.slice('dataset cursor: '.length)}`);
    }
    throw e;
  }

  const N = opts.numTrainSteps;
  const historyEvery = Math.max(1, Math.ceil(N / 400));
  const recent: StepResult[] = [];
  const losses: number[] = [];
  let trainSeconds = 0;
  let tokens = 0;
  let step = startStep;
  const elapsedBefore = state.elapsed_seconds;
  const metric = task.mainMetric;
  // Seconds each evaluation and each checkpoint of this run took, for the ETA.
  const evalTimes: number[] = [];
  const checkpointTimes: number[] = [];

  /** Writes checkpoint-<step> from the state now (evaluations, best: as they are). */
  const writeState = (): string => {
    const t = performance.now();
    state.global_step = step;
    state.rng = { dropout_seed: opts.seed, next_dropout_step: step * perUpdate };
    state.data_cursor = data.cursor();
    state.elapsed_seconds = elapsedBefore + trainSeconds;
    if (trainer.lossScaler) state.loss_scale = trainer.lossScaler.state();
    const dir = writeCheckpoint(out, { config, specs, save: task.saveOptions, values: trainer.parameterValues(), slots: trainer.slotValues(), state });
    checkpointTimes.push((performance.now() - t) / 1000);
    progress.checkpoint(step, dir);
    return dir;
  };

  const saveAt = async (): Promise<void> => {
    // Parameters and slots kept on a device (WebGPU) come back to the host for evaluation and the checkpoint.
    await trainer.syncToHost();
    let newBest = false;
    if (evaluator && !state.evals.some((e) => e.step === step)) {
      const t = performance.now();
      progress.evalStart?.(step);
      const e = await evaluator.evaluate(step, trainer.parameterTensors());
      evalTimes.push((performance.now() - t) / 1000);
      state.evals.push(e);
      progress.eval(e, task.evalLine(e));
      const v = Number(e[metric]);
      if (!state.best || v > state.best[metric]) {
        state.best = { step, [metric]: v };
        newBest = true;
      }
    }
    const dir = writeState();
    killPoint('after-checkpoint', step);
    if (newBest) saveBest(out, dir, step);
    pruneCheckpoints(out, opts.keepCheckpointMax);
  };

  // Ctrl-C: stop after the step under way (see the file comment).
  const saveOnInterrupt = opts.saveOnInterrupt ?? progress.saveOnInterrupt ?? false;
  const interrupt = new InterruptWatch({
    onFirst: () => progress.note(`stopping after this step${saveOnInterrupt ? ' and saving a checkpoint' : ''} (interrupt again to stop at once)`),
    onForce: (signal) => {
      progress.stop();
      progress.note(new TrainingInterrupted(signal, step, latestCheckpoint(out)?.dir ?? null).message);
    },
  });
  const stopOnInterrupt = async (): Promise<void> => {
    let signal = interrupt.signal;
    // Workers stop together, at the same step: mpirun passes the signal to all of them, but not
    // at the same instant.
    if (W && W.size > 1) {
      const flag = Float64Array.of(signal === 'SIGTERM' ? 2 : signal ? 1 : 0);
      await W.allreduceSumAsync(flag);
      if (!signal && flag[0] > 0) signal = flag[0] >= 2 ? 'SIGTERM' : 'SIGINT';
    }
    if (!signal) return;
    // Not at step 0: a checkpoint of the initial weights resumes as starting over does.
    if (leader && saveOnInterrupt && step > 0 && latestCheckpoint(out)?.step !== step) {
      await trainer.syncToHost();
      // No evaluation: the run resumed from here must evaluate, and pick the best, exactly as an
      // uninterrupted one does.
      writeState();
      pruneCheckpoints(out, opts.keepCheckpointMax);
    }
    throw new TrainingInterrupted(signal, step, latestCheckpoint(out)?.dir ?? null);
  };

  // The task's outputs as a step reports them (StepResult.outputs): the manifest's losses and
  // metrics but the total loss and the update's own figures.
  const own = new Set(['loss', 'learning_rate_used', 'grad_norm']);
  const stepOutputs = [...new Set([...trainer.training.losses, ...trainer.training.metrics])].filter((n) => !own.has(n));
  const metricOutputs = trainer.training.metrics.filter((n) => !own.has(n));
  progress.start(startStep, N, { outputs: stepOutputs, metrics: metricOutputs });
  try {
    if (startStep === 0 && N > 0) progress.note(`compiled the training step in ${trainer.compileSeconds.toFixed(2)} s (${trainer.compiled.stats.nodes} nodes); ${numParameters.toLocaleString('en-US')} parameters; ${threads} thread${threads === 1 ? '' : 's'}`);
    while (step < N) {
      await stopOnInterrupt();
      // With several steps per session run: as many as fit before the next checkpoint.
      const count = Math.min(stepsPerRun, N - step, opts.saveCheckpointsSteps - (step % opts.saveCheckpointsSteps));
      let results: StepResult[];
      if (count > 1) {
        const batches: B[] = [];
        for (let i = 0; i < count; i++) batches.push(await data.next());
        results = await trainer.steps(step, batches);
      } else {
        const micro: B[] = [];
        for (let k = 0; k < perUpdate; k++) micro.push(await data.next());
        results = [await trainer.step(step, micro)];
      }
      for (const r of results) {
        trainSeconds += r.seconds;
        if (r.lossScale?.overflow) {
          // Mixed precision: an overflow is the loss scaler's business (the update was skipped and
          // the scale halved), unless no scale is small enough: then the run has diverged.
          if (trainer.lossScaler!.scale < MIN_LOSS_SCALE) {
            const last = latestCheckpoint(out);
            throw new UserError(`step ${step + 1}: the gradients are not finite even at a loss scale of ${r.lossScale.scale}: training diverged (last good checkpoint: ${last ? last.dir : 'none yet'})`);
          }
        } else if (!r.finite) {
          const what = Number.isFinite(r.loss) ? `the gradient norm is ${r.gradNorm}` : `the loss is ${r.loss}`;
          if (!opts.skipNonfiniteSteps) {
            const last = latestCheckpoint(out);
            throw new OptionError(
              `step ${step + 1}: ${what}; training stopped, parameters and checkpoints left as they were (last good checkpoint: ${last ? last.dir : 'none yet'}); {skipNonfiniteSteps} skips such steps`,
            );
          }
          state.skipped_steps.push(step + 1);
        }
        step += 1;
        tokens += r.tokens;
        recent.push(r);
        if (recent.length > 20) recent.shift();
        if (r.finite) {
          losses.push(r.loss);
          if (losses.length > 20) losses.shift();
        }
        const secs = recent.reduce((a, x) => a + x.seconds, 0);
        const tps = recent.reduce((a, x) => a + x.tokens, 0) / Math.max(secs, 1e-9);
        progress.step({
          step,
          total: N,
          loss: r.loss,
          ...r.outputs,
          learning_rate: r.learningRate,
          grad_norm: r.gradNorm,
          seconds: r.seconds,
          tokens_per_second: tps,
          // Steps left at the recent pace, and the evaluations and checkpoints left at this run's pace so far.
          eta_seconds: estimateEta({ step, total: N, every: opts.saveCheckpointsSteps, secondsPerStep: secs / recent.length, evalSeconds: evalTimes, checkpointSeconds: checkpointTimes }),
          ...(r.lossScale ? { loss_scale: r.lossScale.scale } : {}),
          ...(r.finite ? {} : { skipped: true }),
        });
        if (r.finite && (step % historyEvery === 0 || step === N)) {
          const metrics = Object.fromEntries(Object.entries(r.outputs).filter(([k]) => !k.endsWith('_loss')));
          state.history.push({ step, loss: r.loss, ...metrics, learning_rate: r.learningRate, grad_norm: r.gradNorm });
        }
        if (step % opts.saveCheckpointsSteps === 0 || step === N) {
          if (W && W.size > 1) await checkSameParameters(W, trainer, step);
          if (leader) await saveAt();
        }
      }
    }
    // A run resumed from its final checkpoint has nothing left to do but what follows.
    if (evaluator && !state.evals.some((e) => e.step === step)) await saveAt();
    await trainer.syncToHost();
    if (leader) saveHfModel(out, config, specs, trainer.parameterValues(), { ...task.saveOptions, spmModelFile: opts.spmModelFile, extraMetadata: { global_step: String(step) } });
    // Training is done; a signal that came during the last step still stops before the results.
    await stopOnInterrupt();
  } finally {
    interrupt.dispose();
    progress.stop();
    await data.close();
  }
  const finalEval = state.evals.find((e) => e.step === step) ?? null;
  if (finalEval) writeAtomic(join(out, 'eval_results.txt'), task.evalResultsText(finalEval));
  let results: LoopResult['results'] = null;
  if (task.writeResults && leader) {
    // The best checkpoint when the run evaluated (as the original's best trial), else the final model.
    const bestDir = join(out, BEST_DIR);
    const best = state.best && existsSync(join(bestDir, MODEL_FILE)) ? state.best : null;
    const params = best ? tensors((await readCheckpoint(bestDir, specs, [])).values) : trainer.parameterTensors();
    const from = best ? bestDir : out;
    results = { ...(await task.writeResults({ outputDir: out, params, from, step: best ? best.step : step, threads, progress })), from };
  }
  const r: LoopResult = {
    ...base,
    resumedFrom,
    startStep,
    finalStep: step,
    stepsRun: step - startStep,
    seconds: (performance.now() - t0) / 1000,
    trainSeconds,
    tokensPerSecond: trainSeconds > 0 ? tokens / trainSeconds : 0,
    compileSeconds: trainer.compileSeconds + (evaluator?.compileSeconds ?? 0),
    skippedSteps: state.skipped_steps,
    finalTrainLoss: losses.length > 0 ? losses.reduce((a, b) => a + b, 0) / losses.length : null,
    evals: state.evals,
    finalEval,
    best: state.best ? { step: state.best.step, metric, value: state.best[metric], dir: join(out, BEST_DIR) } : null,
    history: state.history,
    results,
  };
  progress.summary(summaryLines(r, task), summaryData(r));
  return r;
}

/**
 * Worker 0's starting state on every worker: the training state as JSON, then each parameter and
 * optimizer slot, broadcast in the manifest's order. Returns the state (worker 0's own on it).
 */
function shareStart<B>(w: Workers, trainer: Trainer<B>, state: TrainingState): TrainingState {
  const text = new TextEncoder().encode(w.rank === 0 ? JSON.stringify(state) : '');
  const length = Int32Array.of(text.length);
  w.bcast(length, 0);
  const buf = w.rank === 0 ? text : new Uint8Array(length[0]);
  w.bcast(buf, 0);
  const shared = w.rank === 0 ? state : (JSON.parse(new TextDecoder().decode(buf)) as TrainingState);
  const params = trainer.parameterValues();
  for (const v of params.values()) w.bcast(v, 0);
  const slots = trainer.slotValues();
  for (const n of trainer.slotNames) w.bcast(slots.get(n)!, 0);
  if (w.rank !== 0) {
    trainer.setState(params, slots);
    if (trainer.lossScaler && shared.loss_scale) trainer.lossScaler.restore(shared.loss_scale, 'the state worker 0 sent');
  }
  return shared;
}

/** At a checkpoint: the workers' parameters must be the same bytes (a digest of each compared). */
async function checkSameParameters<B>(w: Workers, trainer: Trainer<B>, step: number): Promise<void> {
  const hash = createHash('sha256');
  for (const v of trainer.parameterValues().values()) hash.update(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
  const digests = w.allgather(new Uint8Array(hash.digest())).map((d) => Buffer.from(d).toString('hex'));
  const odd = digests.findIndex((d) => d !== digests[0]);
  if (odd >= 0) throw new UserError(`step ${step}: worker ${odd}'s parameters differ from worker 0's (digests ${digests[odd].slice(0, 12)} vs ${digests[0].slice(0, 12)}): the workers no longer train the same model`);
}

export function summaryLines(r: LoopResult, task: Pick<Task<unknown>, 'evalLine'>): string[] {
  const lines: string[] = [];
  if (r.stepsRun > 0) {
    lines.push(
      `${r.task}: ${r.stepsRun} step${r.stepsRun === 1 ? '' : 's'} (${r.startStep} -> ${r.finalStep}) in ${formatDuration(r.trainSeconds)}: ` +
        `${(r.trainSeconds / r.stepsRun).toFixed(3)} s/step, ${Math.round(r.tokensPerSecond).toLocaleString('en-US')} tokens/s (${r.threads} thread${r.threads === 1 ? '' : 's'})`,
    );
  } else if (r.resumedFrom) {
    lines.push(`${r.task}: already at step ${r.finalStep} (${r.resumedFrom}); nothing left to train`);
  }
  if (r.finalTrainLoss !== null) lines.push(`final training loss ${r.finalTrainLoss.toFixed(4)} (mean of the last steps)`);
  if (r.skippedSteps.length > 0) lines.push(`skipped ${r.skippedSteps.length} step${r.skippedSteps.length === 1 ? '' : 's'} with a non-finite loss: ${r.skippedSteps.slice(0, 10).join(', ')}${r.skippedSteps.length > 10 ? ', ...' : ''}`);
  if (r.finalEval) lines.push(task.evalLine(r.finalEval));
  if (r.best) lines.push(`best checkpoint: ${r.best.dir} (step ${r.best.step}, ${r.best.metric} ${r.best.value.toFixed(4)})`);
  if (r.stepsRun > 0 || r.resumedFrom) lines.push(`model: ${join(r.modelDir, MODEL_FILE)} (step ${r.finalStep})`);
  if (r.results && r.results.files.length > 0) lines.push(`results from ${r.results.from}: ${r.results.files.map((f) => basename(f)).join(', ')}`);
  return lines;
}

function summaryData(r: LoopResult): Record<string, unknown> {
  const { history: _h, evals: _e, settings, ...rest } = r;
  void _h;
  void _e;
  return { ...rest, settings: { ...settings, config: undefined } };
}
