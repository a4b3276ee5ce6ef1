/**
 * `albert pretrain`: the original run_pretraining.py as a library call. It trains the
 * pretraining head (MLM + SOP) on TFRecords of pretraining examples through the task-agnostic
 * loop (src/train/loop.ts: checkpoints, evaluation at each, the best checkpoint by masked-LM
 * accuracy in best/, exact resume after a kill, the final model in the output directory).
 */
import type { Workers } from '../../train/data-parallel.ts';
import type { ExecutionOptions } from '../../backends/target.ts';
import { loadAlbertConfig, type AlbertConfig } from '../../model/config.ts';
import { modelParams } from '../../model/params.ts';
import { formatLoadReport, loadCheckpoint, loadConfigForCheckpoint } from '../../model/weights/load.ts';
import type { OptimizerName } from '../../passes/optimizer.ts';
import { checkInteger, freshParameters, resumePoint, runTraining, type LoopResult } from '../../train/loop.ts';
import { checkThreads } from '../../backends/onnx/session.ts';
import type { ProgressSink } from '../../train/progress.ts';
import { OptionError } from '../../util/errors.ts';
import { basename } from 'node:path';
import type { EvalResult } from './evaluate.ts';
import { pretrainingTask } from './task.ts';

export interface PretrainOptions {
  /** Data-parallel workers (MPI), as the training loop takes them. */
  workers?: Workers;
  /** Training TFRecord files (required with doTrain). */
  inputFiles?: string[];
  /** Held-out TFRecord files; default: the input files, as the original evaluates. */
  evalFiles?: string[];
  outputDir: string;
  /** Weights to start from (any form loadCheckpoint reads). */
  initCheckpoint?: string;
  /** Load weights holding NaN or Inf instead of refusing them (for debugging; loadCheckpoint's allowNonFinite). */
  allowNonFinite?: boolean;
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
  /** Train even when the step's memory estimate exceeds this machine's memory. */
  noMemoryCheck?: boolean;
  /** Where the step runs (default: the CPU), its fused kernels and what it recomputes (default: all fused, attention recomputed). */
  execution?: ExecutionOptions;
  progress: ProgressSink;
}

/** What a pretraining run did: the loop's result with the pretraining evaluation's figures. */
export interface PretrainResult extends Omit<LoopResult, 'evals' | 'finalEval'> {
  evals: EvalResult[];
  finalEval: EvalResult | null;
}

function resolveConfig(o: PretrainOptions, saved: AlbertConfig | null): AlbertConfig {
  if (typeof o.config === 'object') return o.config;
  if (o.config) return loadAlbertConfig(o.config);
  if (saved) return saved;
  if (o.initCheckpoint) {
    const c = loadConfigForCheckpoint(o.initCheckpoint);
    if (c) return c;
    throw new OptionError(`{initCheckpoint} ${o.initCheckpoint} has no albert_config.json or config.json next to it: pass {config}`);
  }
  throw new OptionError('missing {config} (a preset name such as base, a config JSON file, or a directory holding one)');
}

/** Runs pretraining and/or evaluation as `opts` says; see the file comment. */
export async function pretrain(opts: PretrainOptions): Promise<PretrainResult> {
  if (!opts.doTrain && !opts.doEval) throw new OptionError('at least one of {doTrain} or {doEval} must be given');
  checkInteger(opts.evalBatchSize, 'evalBatchSize');
  checkInteger(opts.maxPredictionsPerSeq, 'maxPredictionsPerSeq');
  checkInteger(opts.maxEvalSteps, 'maxEvalSteps');
  checkThreads(opts.threads);
  if (opts.doTrain && (!opts.inputFiles || opts.inputFiles.length === 0)) throw new OptionError('{doTrain} needs {inputFiles}');
  const inputFiles = opts.inputFiles ?? [];
  const config = resolveConfig(opts, resumePoint(opts.outputDir)?.state.settings.config ?? null);
  const specs = modelParams(config, 'pretraining');
  const evalFiles = opts.doEval ? (opts.evalFiles && opts.evalFiles.length > 0 ? opts.evalFiles : inputFiles) : [];
  if (opts.doEval && evalFiles.length === 0) throw new OptionError('{doEval} needs {evalFiles} (or {inputFiles}, which the original evaluates on)');
  if (opts.doEval && !(opts.evalFiles && opts.evalFiles.length > 0)) opts.progress.note('no evaluation files given: evaluating on the training files, as the original does');
  const task = pretrainingTask({
    config,
    maxSeqLength: opts.maxSeqLength,
    maxPredictionsPerSeq: opts.maxPredictionsPerSeq,
    inputFiles,
    evalFiles,
    evalBatchSize: opts.evalBatchSize,
    maxEvalSteps: opts.maxEvalSteps,
    seed: opts.seed,
    shuffleBuffer: opts.shuffleBuffer,
  });
  const r = await runTraining(task, {
    outputDir: opts.outputDir,
    config,
    specs,
    doTrain: opts.doTrain,
    doEval: opts.doEval,
    trainBatchSize: opts.trainBatchSize,
    maxSeqLength: opts.maxSeqLength,
    optimizer: opts.optimizer,
    learningRate: opts.learningRate,
    numTrainSteps: opts.numTrainSteps,
    numWarmupSteps: opts.numWarmupSteps,
    saveCheckpointsSteps: opts.saveCheckpointsSteps,
    keepCheckpointMax: opts.keepCheckpointMax,
    gradAccum: opts.gradAccum,
    threads: opts.threads,
    seed: opts.seed,
    skipNonfiniteSteps: opts.skipNonfiniteSteps,
    resume: opts.resume,
    taskSettings: {
      max_predictions_per_seq: { value: opts.maxPredictionsPerSeq, option: 'maxPredictionsPerSeq' },
      input_files: { value: inputFiles.map((f) => basename(f)), option: 'inputFiles' },
    },
    spmModelFile: opts.spmModelFile,
    noMemoryCheck: opts.noMemoryCheck,
    execution: opts.execution,
    workers: opts.workers,
    progress: opts.progress,
    initialValues: async () => {
      if (opts.initCheckpoint) {
        const loaded = await loadCheckpoint(opts.initCheckpoint, specs, { seed: opts.seed, allowNonFinite: opts.allowNonFinite });
        for (const l of formatLoadReport(loaded.report)) opts.progress.note(l);
        return { values: loaded.values, from: opts.initCheckpoint };
      }
      return { values: freshParameters(specs, opts.seed), from: null };
    },
  });
  return r as unknown as PretrainResult;
}
