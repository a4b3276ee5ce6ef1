/**
 * `albert finetune squad`: the original run_squad_v1.py / run_squad_v2.py as a library call.
 * Reads the SQuAD JSON, windows it into features, trains the span head (`squad`, HF's
 * AlbertForQuestionAnswering) or the original v2 head (`squad2`) through the task-agnostic loop,
 * and with `doPredict` writes predictions.json, nbest_predictions.json, null_odds.json (v2.0)
 * and, when the predict file has answers, the official scores (eval_results.json), evaluating at
 * every checkpoint and keeping the best by F1.
 */
import type { Workers } from '../../train/data-parallel.ts';
import type { ExecutionOptions } from '../../backends/target.ts';
import { hostTensor } from '../../backends/target.ts';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { exportModel, writeExport } from '../../export/export.ts';
import { resolveFinetuneConfig, spmNextToCheckpoint } from '../finetune-setup.ts';
import type { AlbertConfig } from '../../model/config.ts';
import { modelParams } from '../../model/params.ts';
import { formatLoadReport, loadCheckpoint } from '../../model/weights/load.ts';
import type { OptimizerName } from '../../passes/optimizer.ts';
import { AlbertTokenizer } from '../../text/albert-tokenizer.ts';
import { BEST_DIR, MODEL_FILE } from '../../train/checkpoint.ts';
import { checkInteger, freshParameters, lockOutputDir, resumePoint, runTraining, type LoopResult } from '../../train/loop.ts';
import type { ProgressSink } from '../../train/progress.ts';
import type { Feeds, TaskResults } from '../../train/task.ts';
import { OptionError } from '../../util/errors.ts';
import { readSquadFile, type SquadVersion } from './data.ts';
import { featureKey, readSquadFeatureFile, writeSquadFeatureFile } from './feature-file.ts';
import { squadFeatures, type SquadFeatures } from './features.ts';
import { DEFAULT_MAX_ANSWER_LENGTH, DEFAULT_N_BEST_SIZE } from './postprocess.ts';
import { squadTask, type SquadHead } from './task.ts';

export interface SquadFinetuneOptions {
  version: SquadVersion;
  /** Default: squad (the span head) for 1.1, squad2 (the original v2 head) for 2.0. */
  head?: SquadHead;
  trainFile?: string;
  predictFile?: string;
  /** TFRecord files of the windows, reused when the data, tokenizer and window settings match (else rebuilt). */
  trainFeatureFile?: string;
  predictFeatureFile?: string;
  outputDir: string;
  initCheckpoint?: string;
  config?: string | AlbertConfig;
  spmModelFile?: string;
  doLowerCase?: boolean;
  maxSeqLength?: number;
  docStride?: number;
  maxQueryLength?: number;
  doTrain: boolean;
  doPredict: boolean;
  trainBatchSize?: number;
  predictBatchSize?: number;
  learningRate?: number;
  numTrainEpochs?: number;
  warmupProportion?: number;
  saveCheckpointsSteps?: number;
  keepCheckpointMax?: number;
  nBestSize?: number;
  maxAnswerLength?: number;
  nullScoreDiffThreshold?: number;
  /** The v2 head's beam: starts, and ends per start (the original's 5 and 5). */
  startNTop?: number;
  endNTop?: number;
  dropoutProb?: number;
  albertDropoutRate?: number;
  optimizer?: OptimizerName;
  gradAccum?: number;
  threads?: number;
  seed?: number;
  exportDir?: string;
  resume?: boolean;
  skipNonfiniteSteps?: boolean;
  noMemoryCheck?: boolean;
  /** Where the step runs (default: the CPU), its fused kernels and what it recomputes (default: all fused, attention recomputed). */
  execution?: ExecutionOptions;
  /** Data-parallel workers (MPI), as the training loop takes them; worker 0 alone writes files. */
  workers?: Workers;
  allowNonFinite?: boolean;
  progress: ProgressSink;
}

/** The original scripts' defaults. */
export const SQUAD_DEFAULTS = {
  maxSeqLength: 384,
  docStride: 128,
  maxQueryLength: 64,
  trainBatchSize: 48,
  predictBatchSize: 8,
  learningRate: 5e-5,
  numTrainEpochs: 2,
  warmupProportion: 0.1,
  saveCheckpointsSteps: 1000,
  keepCheckpointMax: 5,
} as const;

export interface SquadFinetuneResult {
  loop: LoopResult | null;
  results: (TaskResults & { from: string }) | null;
  files: string[];
}

function spmOf(o: SquadFinetuneOptions): string {
  if (o.spmModelFile) return o.spmModelFile;
  const next = spmNextToCheckpoint(o.initCheckpoint);
  if (!next) throw new OptionError('no tokenizer: pass {spmModelFile} (a SentencePiece .model)');
  return next;
}

export async function finetuneSquad(o: SquadFinetuneOptions): Promise<SquadFinetuneResult> {
  // The output directory is this run's until it returns (the loop takes the same lock again);
  // of a data-parallel run's workers, worker 0's alone.
  const lock = !o.workers || o.workers.rank === 0 ? lockOutputDir(o.outputDir, `finetune squad v${o.version}`, (l) => o.progress.note(l)) : null;
  try {
    return await finetuneLocked(o);
  } finally {
    lock?.release();
  }
}

async function finetuneLocked(o: SquadFinetuneOptions): Promise<SquadFinetuneResult> {
  if (!o.doTrain && !o.doPredict) throw new OptionError('at least one of {doTrain} or {doPredict} must be given');
  if (o.version !== '1.1' && o.version !== '2.0') throw new OptionError(`{version} must be 1.1 or 2.0; got ${String(o.version)}`);
  const head: SquadHead = o.head ?? (o.version === '2.0' ? 'squad2' : 'squad');
  if (head === 'squad2' && o.version !== '2.0') throw new OptionError('{head} squad2 is the SQuAD 2.0 head: use it with {version} 2.0');
  if (head !== 'squad2' && (o.startNTop !== undefined || o.endNTop !== undefined)) throw new OptionError('{startNTop} and {endNTop} set the beam of the squad2 head (the span head has none)');
  const D = SQUAD_DEFAULTS;
  const maxSeqLength = o.maxSeqLength ?? D.maxSeqLength;
  const docStride = o.docStride ?? D.docStride;
  const maxQueryLength = o.maxQueryLength ?? D.maxQueryLength;
  const trainBatchSize = o.trainBatchSize ?? D.trainBatchSize;
  const predictBatchSize = o.predictBatchSize ?? D.predictBatchSize;
  checkInteger(predictBatchSize, 'predictBatchSize');
  const epochs = o.numTrainEpochs ?? D.numTrainEpochs;
  if (!(Number.isFinite(epochs) && epochs > 0)) throw new OptionError(`{numTrainEpochs} must be a positive number; got ${epochs}`);
  const warmup = o.warmupProportion ?? D.warmupProportion;
  if (!(Number.isFinite(warmup) && warmup >= 0 && warmup <= 1)) throw new OptionError(`{warmupProportion} must be in [0, 1]; got ${warmup}`);
  const seed = o.seed ?? 12345;
  const progress = o.progress;
  const saved = resumePoint(o.outputDir);
  const config = resolveFinetuneConfig(o, saved?.state.settings.config ?? null);
  const specs = modelParams(config, head);
  const spm = spmOf(o);
  const tokenizer = AlbertTokenizer.fromSpmFile(spm, { doLowerCase: o.doLowerCase ?? true });
  const featureOpts = { maxSeqLength, docStride, maxQueryLength };
  const windows = async (file: string, examples: Parameters<typeof squadFeatures>[0], training: boolean, featureFile: string | undefined): Promise<SquadFeatures> => {
    if (!featureFile) return squadFeatures(examples, tokenizer, { ...featureOpts, training });
    const key = featureKey({ dataFile: file, spmModelFile: spm, doLowerCase: o.doLowerCase ?? true, ...featureOpts, training, version: o.version });
    const cached = readSquadFeatureFile(featureFile, key);
    if (cached) {
      progress.note(`read the windows of ${file} from ${featureFile}`);
      return cached;
    }
    const f = squadFeatures(examples, tokenizer, { ...featureOpts, training });
    if (o.workers && o.workers.rank !== 0) return f;
    await writeSquadFeatureFile(featureFile, key, f);
    progress.note(`wrote the windows of ${file} to ${featureFile}`);
    return f;
  };

  // Data first: a bad file fails before anything slow.
  let train = null;
  let trainExamples = 0;
  if (o.doTrain) {
    if (!o.trainFile) throw new OptionError('{doTrain} needs {trainFile}');
    const r = readSquadFile(o.trainFile, { training: true, version: o.version });
    if (r.skipped.length > 0) progress.note(`${o.trainFile}: skipped ${r.skipped.length} question${r.skipped.length === 1 ? '' : 's'} whose answer_start does not match the answer text (as the original does), e.g. ${r.skipped[0].id}: ${r.skipped[0].reason}`);
    if (r.examples.length === 0) throw new OptionError(`{trainFile} ${o.trainFile}: no questions to train on`);
    train = await windows(o.trainFile, r.examples, true, o.trainFeatureFile);
    trainExamples = r.examples.length;
    progress.note(`${o.trainFile}: ${r.examples.length} questions -> ${train.count} windows of ${maxSeqLength} tokens`);
  }
  let predict = null;
  if (o.doPredict) {
    if (!o.predictFile) throw new OptionError('{doPredict} needs {predictFile}');
    const r = readSquadFile(o.predictFile, { training: false, version: o.version });
    if (r.examples.length === 0) throw new OptionError(`{predictFile} ${o.predictFile}: no questions`);
    const features = await windows(o.predictFile, r.examples, false, o.predictFeatureFile);
    // Scored when every answerable question has an answer (a test file without answers is only predicted).
    const scored = r.examples.every((e) => e.isImpossible || e.answers.length > 0);
    predict = { examples: r.examples, features, scored };
    progress.note(`${o.predictFile}: ${r.examples.length} questions -> ${features.count} windows${scored ? '' : ' (no answers: predictions only)'}`);
  }
  const task = squadTask({
    config,
    head,
    version: o.version,
    train,
    predict,
    predictBatchSize,
    seed,
    beam: { startNTop: o.startNTop, endNTop: o.endNTop },
    postprocess: {
      version: o.version,
      nBestSize: o.nBestSize ?? DEFAULT_N_BEST_SIZE,
      maxAnswerLength: o.maxAnswerLength ?? DEFAULT_MAX_ANSWER_LENGTH,
      nullScoreDiffThreshold: o.nullScoreDiffThreshold ?? 0,
    },
  });

  const initialValues = async (): Promise<{ values: Map<string, Float32Array>; from: string | null }> => {
    if (!o.initCheckpoint) {
      progress.note('no initial checkpoint: training starts from freshly initialised weights (fine-tuning a pretrained model does far better)');
      return { values: freshParameters(specs, seed), from: null };
    }
    const loaded = await loadCheckpoint(o.initCheckpoint, specs, { seed, allowNonFinite: o.allowNonFinite });
    for (const l of formatLoadReport(loaded.report)) progress.note(l);
    return { values: loaded.values, from: o.initCheckpoint };
  };

  let loop: LoopResult | null = null;
  let results: SquadFinetuneResult['results'] = null;
  if (o.doTrain) {
    // The original: num_train_steps = examples / batch x epochs, warmup a proportion of it.
    const steps = Math.max(1, Math.floor((trainExamples / trainBatchSize) * epochs));
    loop = await runTraining(task, {
      outputDir: o.outputDir,
      command: `finetune squad v${o.version}`,
      config,
      specs,
      doTrain: true,
      doEval: predict !== null && predict.scored,
      trainBatchSize,
      maxSeqLength,
      optimizer: o.optimizer ?? 'adamw',
      learningRate: o.learningRate ?? D.learningRate,
      numTrainSteps: steps,
      numWarmupSteps: Math.floor(steps * warmup),
      saveCheckpointsSteps: o.saveCheckpointsSteps ?? D.saveCheckpointsSteps,
      keepCheckpointMax: o.keepCheckpointMax ?? D.keepCheckpointMax,
      gradAccum: o.gradAccum,
      threads: o.threads,
      seed,
      skipNonfiniteSteps: o.skipNonfiniteSteps,
      noMemoryCheck: o.noMemoryCheck,
      execution: o.execution,
      workers: o.workers,
      resume: o.resume,
      taskSettings: {
        version: { value: o.version, option: 'version' },
        head: { value: head, option: 'head' },
        doc_stride: { value: docStride, option: 'docStride' },
        max_query_length: { value: maxQueryLength, option: 'maxQueryLength' },
        num_train_epochs: { value: epochs, option: 'numTrainEpochs' },
      },
      spmModelFile: spm,
      progress,
      initialValues,
    });
    results = loop.results;
    // The other workers are done: worker 0 writes the predictions and the export.
    if (o.workers && o.workers.rank !== 0) return { loop, results: null, files: [] };
  } else {
    // Prediction only: the output directory's best or final model, else the initial checkpoint.
    let from: string;
    let values: Map<string, Float32Array>;
    if (saved) {
      from = existsSync(join(o.outputDir, BEST_DIR, MODEL_FILE)) ? join(o.outputDir, BEST_DIR) : existsSync(join(o.outputDir, MODEL_FILE)) ? o.outputDir : saved.latest.dir;
      values = (await loadCheckpoint(from, specs, { allowNonFinite: o.allowNonFinite })).values;
    } else if (o.initCheckpoint) {
      from = o.initCheckpoint;
      values = (await initialValues()).values;
    } else throw new OptionError('{doPredict} without {doTrain} needs a trained model: pass {initCheckpoint}, or an {outputDir} holding one');
    const params: Feeds = Object.fromEntries(specs.map((s) => [s.name, hostTensor('float32', values.get(s.name)!, s.shape)]));
    results = { ...(await task.writeResults!({ outputDir: o.outputDir, params, from, step: saved?.state.global_step ?? 0, threads: o.threads ?? availableParallelism(), progress })), from };
  }
  const files = [...(results?.files ?? [])];
  if (o.exportDir && results) {
    const ex = await exportModel({ initCheckpoint: results.from, head, config, spmModelFile: spm, allowNonFinite: o.allowNonFinite, log: (l) => progress.note(l) });
    files.push(...writeExport(ex, o.exportDir));
  }
  return { loop, results, files };
}
