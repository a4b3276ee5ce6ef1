/**
 * Fine-tuning a sentence(-pair) classifier or regressor: what `albert finetune glue` and
 * `albert finetune classify` share (the original run_classifier.py's flow). The data side
 * (which files, which labels, which metrics, which submission files) comes from the caller as
 * a ClassificationData; this module turns it into features (cached) and a classification Task,
 * runs the task-agnostic training loop, and the task's post-processing (writeResults) writes
 * what the original writes:
 *
 *   <output_dir>/checkpoint-<step>/, best/, model.safetensors + config.json   (the loop)
 *   eval_results.txt, eval_results.json   the evaluation of the model the results come from
 *   eval_predictions.tsv                  index<TAB>prediction per dev example (one file per dev set)
 *   test_results.tsv                      class probabilities per test example (the score for regression;
 *                                         MNLI: test_results-m.tsv and test_results-mm.tsv)
 *   <submission>.tsv                      the GLUE server's file: index<TAB>prediction
 *
 * The results come from the best checkpoint when the run evaluated during training (the
 * original picks its best trial the same way), otherwise from the final model. The saved
 * config.json carries the label names (id2label), so predict and export show them.
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
import { modelParams, type ParamSpec } from '../../model/params.ts';
import { CheckpointMismatchError, formatLoadReport, loadCheckpoint } from '../../model/weights/load.ts';
import type { OptimizerName } from '../../passes/optimizer.ts';
import type { TokenizerSpec } from '../../text/load-tokenizer.ts';
import { BEST_DIR, MODEL_FILE } from '../../train/checkpoint.ts';
import { checkInteger, freshParameters, lockOutputDir, resumePoint, runTraining, type LoopResult } from '../../train/loop.ts';
import { checkThreads } from '../../backends/onnx/session.ts';
import type { ProgressSink } from '../../train/progress.ts';
import type { Feeds } from '../../train/task.ts';
import { OptionError, UserError } from '../../util/errors.ts';
import type { TextExample } from '../glue/readers.ts';
import { cachedFeatures, pairEncoder, type ClassificationFeatures } from './features.ts';
import { classificationTask, classifierGraph, type ClassificationEval, type EvalSet, type TestSet } from './task.ts';

/** A split as read: its examples and the file they came from. */
export interface SplitData {
  /** For cache names and messages: "train", "dev_matched", ... */
  split: string;
  file: string;
  examples: TextExample[];
  /** Features the data source made itself (multiple choice: RACE); else the examples are encoded as text pairs. */
  features?: ClassificationFeatures;
}

/** What a data source (GLUE, your own files) gives the fine-tuning flow. */
export interface ClassificationData {
  /** For messages and cache names: "glue-mrpc", "classify". */
  name: string;
  /** Label names, or null for regression. Multiple choice: a name per choice. */
  labels: string[] | null;
  /** Multiple choice: choices per example (its splits carry their own features). */
  choices?: number;
  /** Reads a split only when it is needed (so --do-predict alone needs no training file). */
  train(): SplitData;
  /** Evaluation sets: metric suffix ('' or '_mm') and the predictions file each writes. */
  dev(): (SplitData & { suffix: string; predictionsFile: string })[];
  /** Test sets with the class-probability file and the submission file (if any) each writes. */
  test(): (SplitData & { resultsFile: string; submission?: string })[];
  metrics(predictions: Float64Array, labels: ArrayLike<number>): Record<string, number>;
  mainMetric: string;
  /** Settings a resumed run must keep besides the loop's (task name, files). */
  settings: Record<string, { value: unknown; option: string }>;
}

export interface FinetuneOptions {
  outputDir: string;
  /** Data-parallel workers (MPI), as the training loop takes them; worker 0 alone writes results. */
  workers?: Workers;
  initCheckpoint?: string;
  /** Load weights holding NaN or Inf instead of refusing them (for debugging; loadCheckpoint's allowNonFinite). */
  allowNonFinite?: boolean;
  /** Preset, config file or directory, or a config; default: the checkpoint's. */
  config?: string | AlbertConfig;
  /** The tokenizer; default: the SentencePiece model next to the checkpoint. */
  spmModelFile?: string;
  vocabFile?: string;
  doLowerCase?: boolean;
  maxSeqLength: number;
  doTrain: boolean;
  doEval: boolean;
  doPredict: boolean;
  trainBatchSize: number;
  evalBatchSize: number;
  predictBatchSize: number;
  learningRate: number;
  trainStep: number;
  warmupStep: number;
  saveCheckpointsSteps: number;
  keepCheckpointMax: number;
  optimizer: OptimizerName;
  cachedDir?: string;
  /** The classifier's dropout (default 0.1, the original's). */
  dropoutProb?: number;
  /** Overrides the encoder's dropout for fine-tuning (0 is the v2 recipe). */
  albertDropoutRate?: number;
  gradAccum?: number;
  threads?: number;
  seed: number;
  /** Writes the ONNX export of the resulting model here. */
  exportDir?: string;
  /** Start the classifier head afresh when the checkpoint's does not fit the task. */
  reinitHead?: boolean;
  resume?: boolean;
  skipNonfiniteSteps?: boolean;
  /** Train even when the step's memory estimate exceeds this machine's memory. */
  noMemoryCheck?: boolean;
  /** Where the step runs (default: the CPU), its fused kernels and what it recomputes (default: all fused, attention recomputed). */
  execution?: ExecutionOptions;
  progress: ProgressSink;
}

export interface FinetuneResult {
  loop: LoopResult | null;
  /** Where the results (evaluation, predictions, export) come from. */
  resultsFrom: string;
  eval: ClassificationEval | null;
  files: string[];
}

function checkProbability(x: number | undefined, option: string): void {
  if (x !== undefined && !(Number.isFinite(x) && x >= 0 && x < 1)) throw new OptionError(`{${option}} must be in [0, 1); got ${x}`);
}

function tokenizerSpec(o: FinetuneOptions): TokenizerSpec {
  if (o.spmModelFile || o.vocabFile) return { spmModelFile: o.spmModelFile, vocabFile: o.vocabFile, doLowerCase: o.doLowerCase };
  const next = spmNextToCheckpoint(o.initCheckpoint);
  if (!next) throw new OptionError('no tokenizer: pass {spmModelFile} (a SentencePiece .model) or {vocabFile} (a WordPiece vocab.txt)');
  return { spmModelFile: next, doLowerCase: o.doLowerCase };
}

/** The initial weights: the checkpoint (its head kept when it fits the task), or fresh ones. */
async function initialValues(o: FinetuneOptions, specs: ParamSpec[], numLabels: number, progress: ProgressSink): Promise<{ values: Map<string, Float32Array>; from: string | null }> {
  if (!o.initCheckpoint) {
    progress.note('no initial checkpoint: training starts from freshly initialised weights (fine-tuning a pretrained model does far better)');
    return { values: freshParameters(specs, o.seed), from: null };
  }
  // The head's tensors under TF names (output_weights, output_bias) or HF names (classifier.weight, classifier.bias).
  const isHead = (name: string): boolean => name.startsWith('output_') || name.startsWith('classifier');
  let loaded;
  try {
    loaded = await loadCheckpoint(o.initCheckpoint, specs, { seed: o.seed, allowNonFinite: o.allowNonFinite });
  } catch (e) {
    if (!(e instanceof CheckpointMismatchError) || !e.mismatched.every((m) => isHead(m.name))) throw e;
    const got = e.mismatched[0].got;
    if (!o.reinitHead) {
      throw new OptionError(
        `{initCheckpoint} ${o.initCheckpoint}: its classifier head has ${got[0]} output${got[0] === 1 ? '' : 's'}, the task needs ${numLabels} (pass {reinitHead} to start the head afresh)`,
      );
    }
    // The encoder from the checkpoint, the head fresh.
    const encoder = await loadCheckpoint(o.initCheckpoint, specs.filter((s) => !isHead(s.name)), { seed: o.seed, allowNonFinite: o.allowNonFinite });
    const fresh = freshParameters(specs, o.seed);
    for (const s of specs) if (isHead(s.name)) encoder.values.set(s.name, fresh.get(s.name)!);
    progress.note(`the checkpoint's classifier head (${got[0]} outputs) does not fit the task (${numLabels}): starting the head afresh`);
    loaded = encoder;
  }
  for (const l of formatLoadReport(loaded.report)) progress.note(l);
  if (o.reinitHead && loaded.report.loaded.some(isHead)) {
    const fresh = freshParameters(specs, o.seed);
    for (const s of specs) if (isHead(s.name)) loaded.values.set(s.name, fresh.get(s.name)!);
    progress.note('starting the classifier head afresh, as asked');
  }
  return { values: loaded.values, from: o.initCheckpoint };
}

export async function finetuneClassifier(data: ClassificationData, o: FinetuneOptions): Promise<FinetuneResult> {
  if (!o.doTrain && !o.doEval && !o.doPredict) throw new OptionError('at least one of {doTrain}, {doEval} or {doPredict} must be given');
  for (const [v, name] of [
    [o.evalBatchSize, 'evalBatchSize'],
    [o.predictBatchSize, 'predictBatchSize'],
  ] as const) checkInteger(v, name);
  checkInteger(o.maxSeqLength, 'maxSeqLength', 3);
  checkThreads(o.threads);
  checkProbability(o.dropoutProb, 'dropoutProb');
  checkProbability(o.albertDropoutRate, 'albertDropoutRate');
  // The output directory is this run's until it returns (the loop takes the same lock again);
  // of a data-parallel run's workers, worker 0's alone.
  const lock = !o.workers || o.workers.rank === 0 ? lockOutputDir(o.outputDir, `finetune ${data.name}`, (l) => o.progress.note(l)) : null;
  try {
    return await finetuneLocked(data, o);
  } finally {
    lock?.release();
  }
}

async function finetuneLocked(data: ClassificationData, o: FinetuneOptions): Promise<FinetuneResult> {
  const progress = o.progress;
  // Training resumes through the loop, which says what it skipped; said here only without it.
  const saved = resumePoint(o.outputDir, o.doTrain ? undefined : (l) => progress.note(l));
  const config = resolveFinetuneConfig(o, saved?.state.settings.config ?? null);
  if (o.maxSeqLength > config.maxPositionEmbeddings) throw new OptionError(`{maxSeqLength} ${o.maxSeqLength} exceeds the config's max_position_embeddings ${config.maxPositionEmbeddings}`);
  const numLabels = data.labels === null ? 1 : data.labels.length;
  const graph = classifierGraph(numLabels, data.choices);
  const specs = modelParams(config, graph.head, { numLabels: graph.numLabels });
  // The head's outputs: the labels, or one score per choice.
  const headOutputs = data.choices ? 1 : numLabels;

  // Data first: a bad file fails before anything slow.
  const encoder = pairEncoder(tokenizerSpec(o));
  const featuresOf = async (s: SplitData): Promise<ClassificationFeatures> => {
    if (s.features) return s.features;
    if (s.examples.length === 0) throw new UserError(`${s.file}: no examples`);
    const r = await cachedFeatures(s.examples, encoder, data.labels, o.maxSeqLength, { cachedDir: o.cachedDir, name: `${data.name}_${s.split}`, sourceFile: s.file });
    if (r.path) progress.note(`${r.cached ? 'read cached features' : 'cached features'} ${r.path} (${s.examples.length} examples)`);
    return r.features;
  };
  const train = o.doTrain ? await featuresOf(data.train()) : null;
  const devSplits = o.doEval ? data.dev() : [];
  const evalSets: EvalSet[] = [];
  for (const d of devSplits) evalSets.push({ suffix: d.suffix, name: d.split, predictionsFile: d.predictionsFile, features: await featuresOf(d) });
  const testSplits = o.doPredict ? data.test() : [];
  const testSets: TestSet[] = [];
  for (const t of testSplits) testSets.push({ resultsFile: t.resultsFile, submission: t.submission, features: await featuresOf(t) });

  const task = classificationTask({
    name: data.name,
    config,
    labels: data.labels,
    choices: data.choices,
    train,
    evalSets,
    evalBatchSize: o.evalBatchSize,
    testSets,
    predictBatchSize: o.predictBatchSize,
    seed: o.seed,
    metrics: data.metrics,
    mainMetric: data.mainMetric,
  });

  let loop: LoopResult | null = null;
  if (o.doTrain) {
    loop = await runTraining(task, {
      outputDir: o.outputDir,
      config,
      specs,
      doTrain: true,
      doEval: o.doEval,
      trainBatchSize: o.trainBatchSize,
      maxSeqLength: o.maxSeqLength,
      optimizer: o.optimizer,
      learningRate: o.learningRate,
      numTrainSteps: o.trainStep,
      numWarmupSteps: o.warmupStep,
      saveCheckpointsSteps: o.saveCheckpointsSteps,
      keepCheckpointMax: o.keepCheckpointMax,
      gradAccum: o.gradAccum,
      threads: o.threads,
      seed: o.seed,
      skipNonfiniteSteps: o.skipNonfiniteSteps,
      noMemoryCheck: o.noMemoryCheck,
      execution: o.execution,
      workers: o.workers,
      resume: o.resume,
      taskSettings: {
        ...data.settings,
        labels: { value: data.labels, option: 'labels' },
        dropout_prob: { value: config.classifierDropoutProb, option: 'dropoutProb' },
        albert_dropout_rate: { value: config.hiddenDropoutProb, option: 'albertDropoutRate' },
      },
      spmModelFile: tokenizerSpec(o).spmModelFile,
      progress,
      initialValues: () => initialValues(o, specs, headOutputs, progress),
    });
  }

  // The other workers are done: worker 0 writes the results and the export.
  if (loop && o.workers && o.workers.rank !== 0) return { loop, resultsFrom: loop.modelDir, eval: null, files: [] };
  // ---- results: written by the loop from its best (or final) model; without training, from the given one ----
  let results = loop?.results ?? null;
  if (!loop) {
    let from: string;
    if (saved) from = existsSync(join(o.outputDir, BEST_DIR, MODEL_FILE)) ? join(o.outputDir, BEST_DIR) : existsSync(join(o.outputDir, MODEL_FILE)) ? o.outputDir : saved.latest.dir;
    else if (o.initCheckpoint) from = o.initCheckpoint;
    else throw new OptionError('{doEval} and {doPredict} without {doTrain} need a trained model: pass {initCheckpoint}, or an {outputDir} holding one');
    const values = from === o.initCheckpoint ? (await initialValues({ ...o, reinitHead: false }, specs, headOutputs, progress)).values : (await loadCheckpoint(from, specs, { allowNonFinite: o.allowNonFinite })).values;
    const params: Feeds = Object.fromEntries(specs.map((s) => [s.name, hostTensor('float32', values.get(s.name)!, s.shape)]));
    const step = saved?.state.global_step ?? 0;
    results = { ...(await task.writeResults!({ outputDir: o.outputDir, params, from, step, threads: o.threads ?? availableParallelism(), progress })), from };
  }
  const from = results!.from;
  const files = [...results!.files];
  if (o.exportDir) {
    const ex = await exportModel({ initCheckpoint: from, head: graph.head, config, numLabels: graph.numLabels, spmModelFile: tokenizerSpec(o).spmModelFile, allowNonFinite: o.allowNonFinite, log: (l) => progress.note(l) });
    files.push(...writeExport(ex, o.exportDir));
    progress.note(`exported ${from} to ${o.exportDir}`);
  }
  return { loop, resultsFrom: from, eval: results!.eval as ClassificationEval | null, files };
}
