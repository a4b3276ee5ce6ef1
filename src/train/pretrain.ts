/**
 * `albert pretrain`: the original run_pretraining.py as a library call. It trains the
 * pretraining head (MLM + SOP) on TFRecords of pretraining examples, saves checkpoints every N
 * steps and at the end, evaluates on held-out data at each checkpoint, keeps the best
 * checkpoint by masked-LM accuracy, and resumes exactly where a killed run stopped:
 *
 *   <output_dir>/checkpoint-<step>/   see checkpoint.ts (the last --keep-checkpoint-max kept)
 *   <output_dir>/best/                the checkpoint with the best eval masked_lm_accuracy
 *   <output_dir>/model.safetensors, config.json (, spiece.model)   the final model
 *   <output_dir>/eval_results.txt     the last evaluation, in the original's format
 *
 * Exact resume: the data order comes from the dataset cursor saved in the checkpoint, dropout
 * masks are keyed by (seed, global_step * K + micro_step), and parameters and slots are saved
 * as float32 bits; so a run killed at any moment and resumed ends with the same bytes as one
 * that was never interrupted (with the same thread count).
 */
import { accessSync, constants, mkdirSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { writeAtomic } from '../util/atomic-write.ts';
import { PretrainingDataset, type PretrainingBatch } from '../data/pretraining-dataset.ts';
import { fsReason, readTFRecords } from '../data/tfrecord.ts';
import { UserError } from '../ir/errors.ts';
import { loadAlbertConfig, type AlbertConfig } from '../model/config.ts';
import { InitRng, initialValues } from '../model/init.ts';
import { modelParams, type ParamSpec } from '../model/params.ts';
import { formatLoadReport, loadCheckpoint, loadConfigForCheckpoint } from '../model/weights/load.ts';
import { saveHfModel } from '../model/weights/save-hf.ts';
import { OPTIMIZER_NAMES, type OptimizerName } from '../passes/optimizer.ts';
import {
  bestStep,
  cleanStaleFiles,
  latestCheckpoint,
  listCheckpoints,
  pruneCheckpoints,
  readCheckpoint,
  readTrainingState,
  saveBest,
  STATE_FILE,
  writeCheckpoint,
  type RunSettings,
  type TrainingState,
  type TrainPoint,
} from './checkpoint.ts';
import { Evaluator, type EvalResult } from './eval.ts';
import { killPoint } from './kill-points.ts';
import { formatDuration, type ProgressSink } from './progress.ts';
import { Trainer, type StepResult } from './trainer.ts';

export interface PretrainOptions {
  /** Training TFRecord files (required with doTrain). */
  inputFiles?: string[];
  /** Held-out TFRecord files; default: the input files, as the original evaluates. */
  evalFiles?: string[];
  outputDir: string;
  /** Weights to start from (any form loadCheckpoint reads). */
  initCheckpoint?: string;
  /** A preset name, a config file or a directory holding one; default: the checkpoint's. */
  config?: string | AlbertConfig;
  doTrain: boolean;
  doEval: boolean;
  /** The batch of one update; with gradAccum K it is split into K micro-batches. */
  trainBatchSize: number;
  evalBatchSize: number;
  maxSeqLength: number;
  maxPredictionsPerSeq: number;
  optimizer: OptimizerName;
  learningRate: number;
  numTrainSteps: number;
  numWarmupSteps: number;
  saveCheckpointsSteps: number;
  /** 0 keeps every checkpoint. */
  keepCheckpointMax: number;
  maxEvalSteps: number;
  gradAccum?: number;
  /** Default: all cores. */
  threads?: number;
  seed: number;
  skipNonfiniteSteps?: boolean;
  /** Insist on resuming (an error when the output directory has no checkpoint). A checkpoint found there is resumed from anyway. */
  resume?: boolean;
  /** Copied next to the final model as spiece.model (HF's AlbertTokenizer finds it there). */
  spmModelFile?: string;
  /** Records in the training shuffle buffer (default 100, as run_pretraining.py's d.shuffle(buffer_size=100)). */
  shuffleBuffer?: number;
  progress: ProgressSink;
}

export interface PretrainResult {
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
  evals: EvalResult[];
  finalEval: EvalResult | null;
  best: { step: number; masked_lm_accuracy: number; dir: string } | null;
  history: TrainPoint[];
  settings: RunSettings;
  numParameters: number;
}

/** Flag names of the settings a resumed run must keep. */
const SETTING_FLAGS: Record<Exclude<keyof RunSettings, 'config'>, string> = {
  train_batch_size: '--train-batch-size',
  max_seq_length: '--max-seq-length',
  max_predictions_per_seq: '--max-predictions-per-seq',
  optimizer: '--optimizer',
  learning_rate: '--learning-rate',
  num_warmup_steps: '--num-warmup-steps',
  grad_accum: '--grad-accum',
  seed: '--seed',
  input_files: '--input-file',
};

function checkResumable(saved: RunSettings, now: RunSettings, where: string): void {
  const cfgDiff = (Object.keys(now.config) as (keyof AlbertConfig)[]).find((k) => saved.config?.[k] !== now.config[k]);
  if (cfgDiff) {
    throw new UserError(
      `${where}: the checkpoint's model config has ${cfgDiff} = ${JSON.stringify(saved.config?.[cfgDiff])}, the given config ${JSON.stringify(now.config[cfgDiff])} (resume with the same config, or use another --output-dir)`,
    );
  }
  for (const [key, flag] of Object.entries(SETTING_FLAGS) as [keyof typeof SETTING_FLAGS, string][]) {
    const a = JSON.stringify(saved[key]);
    const b = JSON.stringify(now[key]);
    if (a !== b) throw new UserError(`${where}: this run was started with ${flag} ${a}, now ${b} (resume with the same flags, or use another --output-dir)`);
  }
}

function positive(v: number, flag: string, min = 1): void {
  if (!Number.isInteger(v) || v < min) throw new UserError(`${flag} must be an integer >= ${min}; got ${v}`);
}

function checkOptions(o: PretrainOptions): void {
  if (!o.doTrain && !o.doEval) throw new UserError('at least one of --do-train or --do-eval must be given');
  positive(o.trainBatchSize, '--train-batch-size');
  positive(o.evalBatchSize, '--eval-batch-size');
  positive(o.maxSeqLength, '--max-seq-length', 2);
  positive(o.maxPredictionsPerSeq, '--max-predictions-per-seq');
  positive(o.numTrainSteps, '--num-train-steps');
  positive(o.numWarmupSteps, '--num-warmup-steps', 0);
  positive(o.saveCheckpointsSteps, '--save-checkpoints-steps');
  positive(o.keepCheckpointMax, '--keep-checkpoint-max', 0);
  positive(o.maxEvalSteps, '--max-eval-steps');
  positive(o.gradAccum ?? 1, '--grad-accum');
  if (o.threads !== undefined) positive(o.threads, '--threads');
  if (!Number.isSafeInteger(o.seed)) throw new UserError(`--seed must be an integer; got ${o.seed}`);
  if (!(OPTIMIZER_NAMES as readonly string[]).includes(o.optimizer)) throw new UserError(`--optimizer ${o.optimizer}: expected one of ${OPTIMIZER_NAMES.join(', ')}`);
  if (!(Number.isFinite(o.learningRate) && o.learningRate > 0)) throw new UserError(`--learning-rate must be a positive number; got ${o.learningRate}`);
  const K = o.gradAccum ?? 1;
  if (o.trainBatchSize % K !== 0) throw new UserError(`--train-batch-size ${o.trainBatchSize} is not a multiple of --grad-accum ${K} (each update takes ${K} equal micro-batches)`);
  if (o.doTrain && (!o.inputFiles || o.inputFiles.length === 0)) throw new UserError('--do-train needs --input-file');
}

/** Makes the output directory and checks it takes files. */
function prepareOutputDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
    if (!statSync(dir).isDirectory()) throw new UserError(`--output-dir ${dir}: not a directory`);
    accessSync(dir, constants.W_OK);
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError(`--output-dir ${dir}: cannot write there (${fsReason(e)})`);
  }
}

/** Fails when the files hold fewer than `need` records (reads no further than that). */
async function checkEnoughRecords(files: string[], need: number, flag: string, size: number): Promise<void> {
  let n = 0;
  for await (const _ of readTFRecords(files)) {
    void _;
    if (++n >= need) return;
  }
  throw new UserError(`${flag} ${size} exceeds the ${n} record${n === 1 ? '' : 's'} in ${files.join(', ')}`);
}

function resolveConfig(o: PretrainOptions, saved: AlbertConfig | null): AlbertConfig {
  if (typeof o.config === 'object') return o.config;
  if (o.config) return loadAlbertConfig(o.config);
  if (saved) return saved;
  if (o.initCheckpoint) {
    const c = loadConfigForCheckpoint(o.initCheckpoint);
    if (c) return c;
    throw new UserError(`--init-checkpoint ${o.initCheckpoint} has no albert_config.json or config.json next to it: pass --albert-config-file`);
  }
  throw new UserError('missing --albert-config-file (a preset name such as base, a config JSON file, or a directory holding one)');
}

function freshParameters(specs: ParamSpec[], seed: number): Map<string, Float32Array> {
  const rng = new InitRng(seed);
  return new Map(specs.map((s) => [s.name, initialValues(s.init, s.shape.reduce((a, d) => a * d, 1), rng)]));
}

function evalResultsText(e: EvalResult): string {
  const rows: [string, number][] = [
    ['global_step', e.step],
    ['loss', e.loss],
    ['masked_lm_accuracy', e.masked_lm_accuracy],
    ['masked_lm_loss', e.masked_lm_loss],
    ['sentence_order_accuracy', e.sentence_order_accuracy],
    ['sentence_order_loss', e.sentence_order_loss],
    ['frequency_baseline_accuracy', e.frequency_baseline.accuracy],
  ];
  return rows.map(([k, v]) => `${k} = ${v}\n`).join('');
}

/** Runs pretraining and/or evaluation as `opts` says; see the file comment. */
export async function pretrain(opts: PretrainOptions): Promise<PretrainResult> {
  const t0 = performance.now();
  checkOptions(opts);
  const progress = opts.progress;
  const out = opts.outputDir;
  prepareOutputDir(out);
  cleanStaleFiles(out);
  const K = opts.gradAccum ?? 1;
  const microBatch = opts.trainBatchSize / K;
  const threads = opts.threads ?? availableParallelism();

  // ---- where we start from ----
  const latest = latestCheckpoint(out);
  if (opts.resume && !latest) throw new UserError(`--resume: no checkpoint in ${out} (expected ${join(out, 'checkpoint-<step>')})`);
  let savedState: TrainingState | null = null;
  if (latest) {
    savedState = readTrainingState(join(latest.dir, STATE_FILE));
  }
  const config = resolveConfig(opts, savedState?.settings.config ?? null);
  const specs = modelParams(config, 'pretraining');
  const inputFiles = opts.inputFiles ?? [];
  const settings: RunSettings = {
    config,
    train_batch_size: opts.trainBatchSize,
    max_seq_length: opts.maxSeqLength,
    max_predictions_per_seq: opts.maxPredictionsPerSeq,
    optimizer: opts.optimizer,
    learning_rate: opts.learningRate,
    num_warmup_steps: opts.numWarmupSteps,
    grad_accum: K,
    seed: opts.seed,
    input_files: inputFiles.map((f) => basename(f)),
  };
  if (opts.maxSeqLength > config.maxPositionEmbeddings) {
    throw new UserError(`--max-seq-length ${opts.maxSeqLength} exceeds the config's max_position_embeddings ${config.maxPositionEmbeddings}`);
  }
  if (savedState && opts.doTrain) checkResumable(savedState.settings, settings, join(latest!.dir, STATE_FILE));
  const evalFiles = opts.doEval ? (opts.evalFiles && opts.evalFiles.length > 0 ? opts.evalFiles : inputFiles) : [];
  if (opts.doEval && evalFiles.length === 0) throw new UserError('--do-eval needs --eval-file (or --input-file, which the original evaluates on)');
  if (opts.doEval && !(opts.evalFiles && opts.evalFiles.length > 0)) progress.note('no --eval-file: evaluating on the training files, as the original does');

  // The data is checked before anything slow happens.
  if (opts.doTrain) await checkEnoughRecords(inputFiles, microBatch, K > 1 ? '--train-batch-size / --grad-accum =' : '--train-batch-size', microBatch);
  if (opts.doEval) await checkEnoughRecords(evalFiles, opts.evalBatchSize, '--eval-batch-size', opts.evalBatchSize);

  const evaluator = opts.doEval ? await Evaluator.create(config, { maxSeqLength: opts.maxSeqLength, maxPredictions: opts.maxPredictionsPerSeq, threads }) : null;
  const evaluate = async (step: number, params: Record<string, ort.Tensor>): Promise<EvalResult> =>
    evaluator!.evaluate(step, params, { files: evalFiles, batchSize: opts.evalBatchSize, maxSteps: opts.maxEvalSteps, vocabSize: config.vocabSize });

  const numParameters = specs.reduce((s, p) => s + p.shape.reduce((a, d) => a * d, 1), 0);
  const base = { outputDir: out, modelDir: out, settings, threads, numParameters };

  // ---- evaluation only ----
  if (!opts.doTrain) {
    let values: Map<string, Float32Array>;
    let step = 0;
    let from: string;
    if (latest) {
      ({ values } = await readCheckpoint(latest.dir, specs, []));
      step = latest.step;
      from = latest.dir;
    } else if (opts.initCheckpoint) {
      const loaded = await loadCheckpoint(opts.initCheckpoint, specs, { seed: opts.seed });
      for (const l of formatLoadReport(loaded.report)) progress.note(l);
      values = loaded.values;
      from = opts.initCheckpoint;
    } else {
      throw new UserError(`--do-eval without --do-train evaluates a trained model: pass --init-checkpoint, or an --output-dir holding a checkpoint`);
    }
    progress.note(`evaluating ${from} on ${evalFiles.join(', ')}`);
    const params = Object.fromEntries(specs.map((s) => [s.name, new ort.Tensor('float32', values.get(s.name)!, s.shape)]));
    const result = await evaluate(step, params);
    progress.eval(result);
    writeAtomic(join(out, 'eval_results.txt'), evalResultsText(result));
    const seconds = (performance.now() - t0) / 1000;
    const r: PretrainResult = {
      ...base,
      modelDir: from,
      resumedFrom: null,
      startStep: step,
      finalStep: step,
      stepsRun: 0,
      seconds,
      trainSeconds: 0,
      tokensPerSecond: 0,
      compileSeconds: evaluator!.compileSeconds,
      skippedSteps: [],
      finalTrainLoss: null,
      evals: [result],
      finalEval: result,
      best: null,
      history: [],
    };
    progress.summary(summaryLines(r), summaryData(r));
    return r;
  }

  // ---- training ----
  const trainer = await Trainer.create({
    config,
    maxSeqLength: opts.maxSeqLength,
    maxPredictions: opts.maxPredictionsPerSeq,
    optimizer: opts.optimizer,
    gradAccum: K,
    learningRate: opts.learningRate,
    numWarmupSteps: opts.numWarmupSteps,
    numTrainSteps: opts.numTrainSteps,
    seed: opts.seed,
    threads,
  });
  let startStep = 0;
  let state: TrainingState;
  let resumedFrom: string | null = null;
  if (latest && savedState) {
    const ck = await readCheckpoint(latest.dir, specs, trainer.slotNames);
    trainer.setState(ck.values, ck.slots);
    state = ck.state;
    startStep = state.global_step;
    resumedFrom = latest.dir;
    if (opts.initCheckpoint) progress.note(`resuming from ${latest.dir}; --init-checkpoint is not used`);
    else progress.note(`resuming from ${latest.dir} (step ${startStep})`);
    if (state.num_train_steps !== opts.numTrainSteps) {
      progress.note(`--num-train-steps is ${opts.numTrainSteps} (the checkpoint was made with ${state.num_train_steps}): the learning-rate decay follows the new value from here on`);
    }
    state.num_train_steps = opts.numTrainSteps;
    // A kill between writing a best checkpoint and copying it to best/ is repaired here.
    if (state.best && bestStep(out) !== state.best.step) {
      const b = listCheckpoints(out).find((c) => c.step === state.best!.step);
      if (b) saveBest(out, b.dir, b.step);
    }
  } else {
    let values: Map<string, Float32Array>;
    if (opts.initCheckpoint) {
      const loaded = await loadCheckpoint(opts.initCheckpoint, specs, { seed: opts.seed });
      for (const l of formatLoadReport(loaded.report)) progress.note(l);
      values = loaded.values;
    } else {
      values = freshParameters(specs, opts.seed);
    }
    trainer.setState(values);
    state = {
      format: 'albert-compiler/training-state@1',
      global_step: 0,
      num_train_steps: opts.numTrainSteps,
      settings,
      rng: { dropout_seed: opts.seed, next_dropout_step: 0 },
      data_cursor: null as unknown as TrainingState['data_cursor'],
      skipped_steps: [],
      elapsed_seconds: 0,
      evals: [],
      best: null,
      history: [],
    };
  }

  let ds: PretrainingDataset;
  try {
    ds = new PretrainingDataset(inputFiles, {
      batchSize: microBatch,
      maxSeqLength: opts.maxSeqLength,
      maxPredictions: opts.maxPredictionsPerSeq,
      shuffle: true,
      repeat: true,
      seed: opts.seed,
      shuffleBuffer: opts.shuffleBuffer ?? 100,
      vocabSize: config.vocabSize,
      cursor: resumedFrom ? state.data_cursor : undefined,
    });
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

  const saveAt = async (): Promise<void> => {
    let newBest = false;
    if (evaluator && !state.evals.some((e) => e.step === step)) {
      const e = await evaluate(step, trainer.parameterTensors());
      state.evals.push(e);
      progress.eval(e);
      if (!state.best || e.masked_lm_accuracy > state.best.masked_lm_accuracy) {
        state.best = { step, masked_lm_accuracy: e.masked_lm_accuracy };
        newBest = true;
      }
    }
    state.global_step = step;
    state.rng = { dropout_seed: opts.seed, next_dropout_step: step * K };
    state.data_cursor = ds.cursor();
    state.elapsed_seconds = elapsedBefore + trainSeconds;
    const dir = writeCheckpoint(out, { config, specs, values: trainer.parameterValues(), slots: trainer.slotValues(), state });
    progress.checkpoint(step, dir);
    killPoint('after-checkpoint', step);
    if (newBest) saveBest(out, dir, step);
    pruneCheckpoints(out, opts.keepCheckpointMax);
  };

  progress.start(startStep, N);
  try {
    if (startStep === 0 && N > 0) progress.note(`compiled the training step in ${trainer.compileSeconds.toFixed(2)} s (${trainer.compiled.stats.nodes} nodes); ${numParameters.toLocaleString('en-US')} parameters; ${threads} thread${threads === 1 ? '' : 's'}`);
    while (step < N) {
      const micro: PretrainingBatch[] = [];
      for (let k = 0; k < K; k++) micro.push((await ds.next())!);
      const r = await trainer.step(step, micro);
      trainSeconds += r.seconds;
      if (!r.finite) {
        const what = Number.isFinite(r.loss) ? `the gradient norm is ${r.gradNorm}` : `the loss is ${r.loss}`;
        if (!opts.skipNonfiniteSteps) {
          const last = latestCheckpoint(out);
          throw new UserError(
            `step ${step + 1}: ${what}; training stopped, parameters and checkpoints left as they were (last good checkpoint: ${last ? last.dir : 'none yet'}); --skip-nonfinite-steps skips such steps`,
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
        masked_lm_loss: r.maskedLmLoss,
        sentence_order_loss: r.sentenceOrderLoss,
        masked_lm_accuracy: r.maskedLmAccuracy,
        sentence_order_accuracy: r.sentenceOrderAccuracy,
        learning_rate: r.learningRate,
        grad_norm: r.gradNorm,
        seconds: r.seconds,
        tokens_per_second: tps,
        eta_seconds: (secs / recent.length) * (N - step),
        ...(r.finite ? {} : { skipped: true }),
      });
      if (r.finite && (step % historyEvery === 0 || step === N)) {
        state.history.push({ step, loss: r.loss, masked_lm_accuracy: r.maskedLmAccuracy, sentence_order_accuracy: r.sentenceOrderAccuracy, learning_rate: r.learningRate });
      }
      if (step % opts.saveCheckpointsSteps === 0 || step === N) await saveAt();
    }
    // A run resumed from its final checkpoint has nothing left to do but what follows.
    if (evaluator && !state.evals.some((e) => e.step === step)) await saveAt();
    saveHfModel(out, config, specs, trainer.parameterValues(), { spmModelFile: opts.spmModelFile, extraMetadata: { global_step: String(step) } });
  } finally {
    progress.stop();
    await ds.close();
  }
  const finalEval = state.evals.find((e) => e.step === step) ?? null;
  if (finalEval) writeAtomic(join(out, 'eval_results.txt'), evalResultsText(finalEval));
  const r: PretrainResult = {
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
    best: state.best ? { ...state.best, dir: join(out, 'best') } : null,
    history: state.history,
  };
  progress.summary(summaryLines(r), summaryData(r));
  return r;
}

export function summaryLines(r: PretrainResult): string[] {
  const lines: string[] = [];
  if (r.stepsRun > 0) {
    lines.push(
      `pretrain: ${r.stepsRun} step${r.stepsRun === 1 ? '' : 's'} (${r.startStep} -> ${r.finalStep}) in ${formatDuration(r.trainSeconds)}: ` +
        `${(r.trainSeconds / r.stepsRun).toFixed(3)} s/step, ${Math.round(r.tokensPerSecond).toLocaleString('en-US')} tokens/s (${r.threads} thread${r.threads === 1 ? '' : 's'})`,
    );
  } else if (r.resumedFrom) {
    lines.push(`pretrain: already at step ${r.finalStep} (${r.resumedFrom}); nothing left to train`);
  }
  if (r.finalTrainLoss !== null) lines.push(`final training loss ${r.finalTrainLoss.toFixed(4)} (mean of the last steps)`);
  if (r.skippedSteps.length > 0) lines.push(`skipped ${r.skippedSteps.length} step${r.skippedSteps.length === 1 ? '' : 's'} with a non-finite loss: ${r.skippedSteps.slice(0, 10).join(', ')}${r.skippedSteps.length > 10 ? ', ...' : ''}`);
  const e = r.finalEval;
  if (e) {
    lines.push(
      `eval at step ${e.step}: masked_lm_accuracy ${e.masked_lm_accuracy.toFixed(4)} (frequency baseline ${e.frequency_baseline.accuracy.toFixed(4)}), masked_lm_loss ${e.masked_lm_loss.toFixed(4)}, ` +
        `sentence_order_accuracy ${e.sentence_order_accuracy.toFixed(4)}, sentence_order_loss ${e.sentence_order_loss.toFixed(4)}`,
    );
  }
  if (r.best) lines.push(`best checkpoint: ${r.best.dir} (step ${r.best.step}, masked_lm_accuracy ${r.best.masked_lm_accuracy.toFixed(4)})`);
  if (r.stepsRun > 0 || r.resumedFrom) lines.push(`model: ${join(r.modelDir, 'model.safetensors')} (step ${r.finalStep})`);
  return lines;
}

function summaryData(r: PretrainResult): Record<string, unknown> {
  const { history: _h, evals: _e, settings, ...rest } = r;
  void _h;
  void _e;
  return { ...rest, settings: { ...settings, config: undefined } };
}
