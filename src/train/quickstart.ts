/**
 * The embedded default run behind `npm start` / `albert quickstart`: the whole pretraining path
 * on a generated corpus, with no downloads, in a few minutes on two CPU cores:
 *
 *   1. corpus     a generated corpus with learnable structure (src/data/synthetic-corpus.ts),
 *                 split by document into training text and held-out text
 *   2. tokenizer  a SentencePiece unigram model trained on the training text (trainUnigram)
 *   3. data       TFRecords of pretraining examples for both (createPretrainingData)
 *   4. pretrain   a small ALBERT trained with LAMB, evaluated on the held-out examples at each
 *                 checkpoint (pretrain)
 *   5. fine-tuning data   a generated sentence-pair task: two consecutive sentences of a document,
 *                 in their order or swapped ("ordered" / "swapped"), written as TSV files with a
 *                 header (finetune/data/train.tsv from the training documents, dev.tsv from the
 *                 held-out ones), as `albert finetune classify` reads them
 *   6. fine-tune  the classifier on that task from the pretrained model (finetune/pretrained) ...
 *   7. fine-tune  ... and from fresh weights (finetune/fresh), with the same budget and settings,
 *                 so the report shows what pretraining buys
 * and then report.html: loss and accuracy curves, the final evaluation against the frequency
 * baseline (always predicting the most frequent masked token), both fine-tuning curves against
 * the majority baseline, the settings and timings.
 *
 * Every stage is seeded, so the same flags give the same files. A second run in the same
 * directory regenerates stages 1-3 and 5 (the same bytes) and resumes pretraining and
 * fine-tuning from their checkpoints (fine-tuning from the pretrained model starts afresh when
 * pretraining trained further in that run). The settings a folder's run was made with are kept
 * in its quickstart.json; a run with settings that would regenerate other data, or that its
 * checkpoints could not resume with, is refused before anything in the folder changes.
 */
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { writeAtomic } from '../util/atomic-write.ts';
import { makeDir } from '../util/make-dir.ts';
import { acquireDirLock, DirWriteError, type DirLock } from '../util/dir-lock.ts';
import { createPretrainingData } from '../tasks/pretraining/data/create.ts';
import { syntheticCorpusLines } from '../data/synthetic-corpus.ts';
import { finetuneClassify } from '../tasks/classification/own-finetune.ts';
import type { FinetuneResult } from '../tasks/classification/finetune.ts';
import { classificationMetrics, majorityBaseline } from '../tasks/classification/metrics.ts';
import type { ClassificationEval } from '../tasks/classification/task.ts';
import { OptionError, UserError } from '../util/errors.ts';
import type { AlbertConfig } from '../model/config.ts';
import { AlbertTokenizer } from '../text/albert-tokenizer.ts';
import { trainUnigram } from '../text/train/unigram-trainer.ts';
import { pretrain, type PretrainResult } from '../tasks/pretraining/pretrain.ts';
import { sentenceOrderLabelCounts, sentenceOrderMajority, type SentenceOrderMajority } from '../tasks/pretraining/evaluate.ts';
import type { ProgressSink } from './progress.ts';
import type { CurvePoint } from './report.ts';
import { renderTrainingReport } from './report.ts';
import { ORDER_LABELS, sentenceOrderPairs, writePairsTsv } from './quickstart-finetune-data.ts';

export { ORDER_LABELS, sentenceOrderPairs };
import { buildReport, pct } from './quickstart-report.ts';
import type { TrainPoint } from './checkpoint.ts';
import { checkThreads } from '../backends/onnx/session.ts';

export interface QuickstartOptions {
  out: string;
  /** Training steps (default QUICKSTART_DEFAULTS.steps). */
  steps?: number;
  threads?: number;
  /** Documents of generated training text (default QUICKSTART_DEFAULTS.documents). */
  documents?: number;
  /** Documents of generated held-out text (default QUICKSTART_DEFAULTS.evalDocuments). */
  evalDocuments?: number;
  seed?: number;
  /** Fine-tuning steps of each of the two fine-tuning runs (default QUICKSTART_DEFAULTS.finetune.steps). */
  finetuneSteps?: number;
  progress: ProgressSink;
}

export const QUICKSTART_DEFAULTS = {
  steps: 1500,
  documents: 4000,
  evalDocuments: 400,
  /** As large as the unigram trainer can learn from the generated text. */
  vocabSize: 200,
  maxSeqLength: 64,
  maxPredictionsPerSeq: 10,
  dupeFactor: 5,
  trainBatchSize: 32,
  evalBatchSize: 64,
  learningRate: 1e-2,
  warmupFraction: 0.1,
  checkpoints: 6,
  seed: 12345,
  /** The sentence-order classification task fine-tuned after pretraining (twice: pretrained and fresh). */
  finetune: {
    steps: 200,
    /** Sentence pairs: one per document, at most this many (training documents / held-out documents). */
    trainPairs: 4000,
    devPairs: 300,
    batchSize: 16,
    evalBatchSize: 100,
    maxSeqLength: 64,
    learningRate: 1e-4,
    warmupFraction: 0.1,
    /** Evaluations on the dev pairs (one per checkpoint) over the run. */
    evaluations: 8,
  },
} as const;


/** The model: ALBERT's shape (E < H, one shared block) at a size that learns in minutes on a CPU. */
export function quickstartConfig(vocabSize: number): AlbertConfig {
  return {
    vocabSize,
    embeddingSize: 64,
    hiddenSize: 128,
    numHiddenLayers: 4,
    numHiddenGroups: 1,
    numAttentionHeads: 4,
    intermediateSize: 512,
    innerGroupNum: 1,
    hiddenAct: 'gelu_new',
    hiddenDropoutProb: 0,
    attentionProbsDropoutProb: 0,
    maxPositionEmbeddings: 128,
    typeVocabSize: 2,
    initializerRange: 0.02,
    layerNormEps: 1e-12,
    classifierDropoutProb: 0.1,
  };
}

/** One fine-tuning run of the quickstart: its dev curve and final figures. */
export interface QuickstartFinetuneRun {
  /** "pretrained" or "fresh". */
  init: 'pretrained' | 'fresh';
  outputDir: string;
  /** Dev evaluations by step (accuracy, macro_f1, eval_loss, ...). */
  evals: ClassificationEval[];
  /** The evaluation at the last step. */
  final: ClassificationEval | null;
  best: { step: number; accuracy: number } | null;
  history: TrainPoint[];
  finalTrainLoss: number | null;
  stepsRun: number;
  trainSeconds: number;
  seconds: number;
}

export interface QuickstartFinetune {
  task: string;
  files: { train: string; dev: string };
  trainExamples: number;
  devExamples: number;
  /** Accuracy of always predicting the most frequent dev label, and that label. */
  majorityBaseline: { accuracy: number; macro_f1: number; label: string };
  settings: { steps: number; batchSize: number; maxSeqLength: number; learningRate: number; warmupSteps: number; optimizer: string; evalEvery: number; dropout: number };
  pretrained: QuickstartFinetuneRun;
  fresh: QuickstartFinetuneRun;
}

export interface QuickstartResult {
  out: string;
  reportPath: string;
  pretrain: PretrainResult;
  finetune: QuickstartFinetune;
  stages: { name: string; seconds: number; detail: string }[];
  seconds: number;
  /** The most frequent masked token of the held-out data, as a piece. */
  baselinePiece: string;
  /** The most frequent sentence-order label of the held-out data and its rate (null: no evaluation). */
  sentenceOrderMajority: SentenceOrderMajority | null;
}

/** The generated corpus split into training and held-out documents, with the text of each file. */
interface CorpusText {
  trainText: string;
  evalText: string;
  trainDocs: string[][];
  evalDocs: string[][];
}

/** Splits the generated corpus into training and held-out text, by document. */
function corpusText(documents: number, evalDocuments: number, seed: number): CorpusText {
  const docs: string[][] = [[]];
  for (const line of syntheticCorpusLines({ documents: documents + evalDocuments, seed })) {
    if (line === '') docs.push([]);
    else docs[docs.length - 1].push(line);
  }
  const text = (ds: string[][]): string => `${ds.map((d) => d.join('\n')).join('\n\n')}\n`;
  const trainDocs = docs.slice(0, documents);
  const evalDocs = docs.slice(documents);
  return { trainText: text(trainDocs), evalText: text(evalDocs), trainDocs, evalDocs };
}

function writeCorpus(dir: string, c: CorpusText): { train: string; eval: string; trainDocs: string[][]; evalDocs: string[][] } {
  const train = join(dir, 'train.txt');
  const evalFile = join(dir, 'eval.txt');
  writeAtomic(train, c.trainText);
  writeAtomic(evalFile, c.evalText);
  return { train, eval: evalFile, trainDocs: c.trainDocs, evalDocs: c.evalDocs };
}

/** The file in --out that records the settings its quickstart run was made with. */
export const QUICKSTART_FILE = 'quickstart.json';
const QUICKSTART_FORMAT = 'albert-quickstart@1';

/**
 * The settings that decide a quickstart folder's files and runs. The seed and the two document
 * counts generate the corpus, and so the tokenizer and every data file. The step counts set the
 * warmup of pretraining and of fine-tuning (a tenth of the steps), which a resumed run must keep:
 * more steps with the same warmup train further. Threads change neither.
 */
export interface QuickstartSettings {
  seed: number;
  documents: number;
  evalDocuments: number;
  steps: number;
  finetuneSteps: number;
}

const SETTING_KEYS = ['seed', 'documents', 'evalDocuments', 'steps', 'finetuneSteps'] as const;

function readSettings(file: string): QuickstartSettings {
  let v: unknown;
  try {
    v = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new OptionError(`${file}: cannot read the settings of the quickstart run in {out} (${(e as Error).message}); use another {out}`);
  }
  const o = typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {};
  const bad = o.format !== QUICKSTART_FORMAT ? 'format' : SETTING_KEYS.find((k) => !Number.isInteger(o[k]));
  if (bad !== undefined) throw new OptionError(`${file}: not the settings of a quickstart run (field "${bad}" is ${JSON.stringify(o[bad]) ?? 'missing'}); use another {out}`);
  return { seed: o.seed as number, documents: o.documents as number, evalDocuments: o.evalDocuments as number, steps: o.steps as number, finetuneSteps: o.finetuneSteps as number };
}

function writeSettings(out: string, s: QuickstartSettings): void {
  writeAtomic(join(out, QUICKSTART_FILE), `${JSON.stringify({ format: QUICKSTART_FORMAT, ...Object.fromEntries(SETTING_KEYS.map((k) => [k, s[k]])) }, null, 2)}\n`);
}

/**
 * Refuses, before anything in `out` changes, a folder that holds a quickstart run these settings
 * would not continue: one whose data they would regenerate differently, or whose checkpoints
 * could not resume with them. Says what the folder holds: no quickstart run ('new'; also a run
 * that stopped before pretraining wrote anything, as all it has is generated again), a run with
 * its settings in quickstart.json ('recorded'), or a run from before quickstart.json whose corpus
 * is byte for byte the one these settings generate ('legacy'; any other such folder is refused,
 * as its settings are unknown).
 */
export function checkQuickstartFolder(out: string, s: QuickstartSettings, corpus: () => CorpusText = () => corpusText(s.documents, s.evalDocuments, s.seed)): 'new' | 'recorded' | 'legacy' {
  const file = join(out, QUICKSTART_FILE);
  const trained = ['pretrain', 'finetune/pretrained', 'finetune/fresh'].some((d) => {
    try {
      return readdirSync(join(out, d)).length > 0;
    } catch (e) {
      return (e as NodeJS.ErrnoException).code !== 'ENOENT';
    }
  });
  if (!trained) return 'new';
  if (existsSync(file)) {
    const was = readSettings(file);
    const warmup = (steps: number): number => Math.round(steps * QUICKSTART_DEFAULTS.warmupFraction);
    for (const k of SETTING_KEYS) {
      const bySteps = k === 'steps' || k === 'finetuneSteps';
      if (bySteps ? warmup(was[k]) === warmup(s[k]) : was[k] === s[k]) continue;
      const why = bySteps ? ` (a warmup of ${warmup(s[k])} step${warmup(s[k]) === 1 ? '' : 's'} instead of ${warmup(was[k])}, which its checkpoints cannot resume with)` : '';
      throw new OptionError(`{out} ${out} holds a quickstart run made with {${k}} ${was[k]}, not ${s[k]}${why}: re-run with {${k}} ${was[k]}, or use another {out}`);
    }
    return 'recorded';
  }
  const c = corpus();
  for (const [name, text] of [['train.txt', c.trainText], ['eval.txt', c.evalText]] as const) {
    let held: Buffer | null = null;
    try {
      held = readFileSync(join(out, 'corpus', name));
    } catch {
      // missing or unreadable: cannot be compared
    }
    if (held === null || !held.equals(Buffer.from(text))) {
      throw new OptionError(
        `{out} ${out} holds a quickstart run without ${QUICKSTART_FILE} whose corpus/${name} ${held === null ? 'cannot be read to compare with' : 'differs from'} the one {seed} ${s.seed}, {documents} ${s.documents} and {evalDocuments} ${s.evalDocuments} generate: re-run with the settings it was made with, or use another {out}`,
      );
    }
  }
  return 'legacy';
}

export async function quickstart(opts: QuickstartOptions): Promise<QuickstartResult> {
  // One run per folder (src/util/dir-lock.ts): taken before anything there is read or changed.
  let lock: DirLock;
  try {
    lock = acquireDirLock(opts.out, 'quickstart', { note: (l) => opts.progress.note(l) });
  } catch (e) {
    if (e instanceof DirWriteError) throw new OptionError(`{out} ${opts.out}: cannot write there (${e.reason})`);
    throw e;
  }
  try {
    return await quickstartLocked(opts);
  } finally {
    lock.release();
  }
}

async function quickstartLocked(opts: QuickstartOptions): Promise<QuickstartResult> {
  const t0 = performance.now();
  const D = QUICKSTART_DEFAULTS;
  const steps = opts.steps ?? D.steps;
  const documents = opts.documents ?? D.documents;
  const evalDocuments = opts.evalDocuments ?? D.evalDocuments;
  const seed = opts.seed ?? D.seed;
  checkThreads(opts.threads); // up front, not after the corpus and tokenizer stages
  const threads = opts.threads ?? availableParallelism();
  const F = D.finetune;
  const finetuneSteps = opts.finetuneSteps ?? F.steps;
  if (!Number.isInteger(steps) || steps < 1) throw new OptionError(`{steps} must be a positive integer; got ${steps}`);
  if (!Number.isInteger(finetuneSteps) || finetuneSteps < 1) throw new OptionError(`{finetuneSteps} must be a positive integer; got ${finetuneSteps}`);
  if (!Number.isInteger(documents) || documents < 50) throw new OptionError(`{documents} must be an integer >= 50; got ${documents}`);
  if (!Number.isInteger(evalDocuments) || evalDocuments < 10) throw new OptionError(`{evalDocuments} must be an integer >= 10; got ${evalDocuments}`);
  const out = opts.out;
  const settings: QuickstartSettings = { seed, documents, evalDocuments, steps, finetuneSteps };
  let text: CorpusText | undefined;
  const corpusOnce = (): CorpusText => (text ??= corpusText(documents, evalDocuments, seed));
  // Before anything in the folder changes: a run these settings would not continue is refused.
  const held = checkQuickstartFolder(out, settings, corpusOnce);
  const dirs = {
    corpus: join(out, 'corpus'),
    tokenizer: join(out, 'tokenizer'),
    data: join(out, 'data'),
    pretrain: join(out, 'pretrain'),
    finetuneData: join(out, 'finetune', 'data'),
    finetunePretrained: join(out, 'finetune', 'pretrained'),
    finetuneFresh: join(out, 'finetune', 'fresh'),
  };
  try {
    makeDir(out);
    // First, so that a folder with any of the run's files has its settings.
    if (held === 'new') writeSettings(out, settings);
    for (const d of Object.values(dirs)) makeDir(d);
  } catch (e) {
    throw new OptionError(`{out} ${out}: cannot write there (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const note = (line: string): void => opts.progress.note(line);
  const stages: QuickstartResult['stages'] = [];
  const stage = async <T>(name: string, run: () => Promise<T> | T, detail: (r: T) => string): Promise<T> => {
    const t = performance.now();
    note(`[${stages.length + 1}/7] ${name} ...`);
    const r = await run();
    const seconds = (performance.now() - t) / 1000;
    const said = detail(r);
    stages.push({ name, seconds, detail: said });
    note(`      ${said} (${seconds.toFixed(1)} s)`);
    return r;
  };

  const corpus = await stage('generate the corpus', () => writeCorpus(dirs.corpus, corpusOnce()), (c) => `${documents} training and ${evalDocuments} held-out documents: ${c.train}, ${c.eval}`);
  const spm = await stage(
    'train the tokenizer',
    () => {
      const train = (vocabSize: number): ReturnType<typeof trainUnigram> => trainUnigram({ input: [corpus.train], vocabSize, modelPrefix: join(dirs.tokenizer, 'spm'), doLowerCase: true, seed });
      try {
        return train(D.vocabSize);
      } catch (e) {
        // A small corpus (--documents) cannot fill the default vocabulary: take what it allows, as a person re-running spm_train would.
        const most = e instanceof UserError ? /at most (\d+) pieces can be learned/.exec(e.message) : null;
        if (!most) throw e;
        return train(Number(most[1]));
      }
    },
    (r) => `SentencePiece unigram, ${r.stats.vocabSize} pieces: ${r.modelPath}`,
  );
  const tokenizer = AlbertTokenizer.fromSpmFile(spm.modelPath, { doLowerCase: true });
  const data = await stage(
    'create pretraining data',
    async () => {
      const common = { tokenizer, maxSeqLength: D.maxSeqLength, maxPredictionsPerSeq: D.maxPredictionsPerSeq };
      const train = await createPretrainingData({ ...common, inputFiles: [corpus.train], outputFiles: [join(dirs.data, 'train.tfrecord')], dupeFactor: D.dupeFactor, randomSeed: seed });
      const held = await createPretrainingData({ ...common, inputFiles: [corpus.eval], outputFiles: [join(dirs.data, 'eval.tfrecord')], dupeFactor: 1, randomSeed: seed + 1 });
      return { train, held };
    },
    (r) => `${r.train.instances.toLocaleString('en-US')} training and ${r.held.instances.toLocaleString('en-US')} held-out examples (seq ${D.maxSeqLength}, up to ${D.maxPredictionsPerSeq} masked)`,
  );
  const config = quickstartConfig(tokenizer.vocabSize);
  // The report's gradient-norm curve: the step events carry each step's norm (the loop's history
  // points may not), so they are kept here as they pass on to the caller's sink.
  const gradNorms: CurvePoint[] = [];
  const sink = opts.progress;
  const pretrainProgress: ProgressSink = {
    start: (from, total) => sink.start(from, total),
    step: (ev) => {
      if (!ev.skipped && Number.isFinite(ev.grad_norm)) gradNorms.push({ step: ev.step, value: ev.grad_norm });
      sink.step(ev);
    },
    eval: (ev, line) => sink.eval(ev, line),
    checkpoint: (step, path) => sink.checkpoint(step, path),
    note: (line) => sink.note(line),
    summary: (lines, data) => sink.summary(lines, data),
    stop: () => sink.stop(),
  };
  const saveEvery = Math.max(1, Math.ceil(steps / D.checkpoints));
  const result = await stage(
    'pretrain ALBERT',
    () =>
      pretrain({
        inputFiles: data.train.outputFiles,
        evalFiles: data.held.outputFiles,
        outputDir: dirs.pretrain,
        config,
        doTrain: true,
        doEval: true,
        trainBatchSize: D.trainBatchSize,
        evalBatchSize: D.evalBatchSize,
        maxSeqLength: D.maxSeqLength,
        maxPredictionsPerSeq: D.maxPredictionsPerSeq,
        optimizer: 'lamb',
        learningRate: D.learningRate,
        numTrainSteps: steps,
        numWarmupSteps: Math.round(steps * D.warmupFraction),
        saveCheckpointsSteps: saveEvery,
        keepCheckpointMax: 2,
        maxEvalSteps: 1000,
        threads,
        seed,
        spmModelFile: spm.modelPath,
        progress: pretrainProgress,
      }),
    (r) => `${r.finalStep} steps; model in ${r.modelDir}`,
  );
  const e = result.finalEval;
  const baselinePiece = e ? (tokenizer.convertIdsToTokens([e.frequency_baseline.token_id])[0] ?? String(e.frequency_baseline.token_id)) : '?';
  // The sentence-order majority baseline of the held-out data: from the evaluation, or, for an
  // evaluation saved before it recorded one, counted from the examples it read.
  const sopMajority: SentenceOrderMajority | null = e
    ? (e.sentence_order_majority ??
      sentenceOrderMajority(
        await sentenceOrderLabelCounts({ files: data.held.outputFiles, batchSize: D.evalBatchSize, maxSteps: 1000, maxSeqLength: D.maxSeqLength, maxPredictions: D.maxPredictionsPerSeq, vocabSize: config.vocabSize }),
      ))
    : null;

  // ---- fine-tuning: the same task, the same budget, from the pretrained model and from fresh weights ----
  const ftData = await stage(
    'create fine-tuning data',
    () => {
      const train = sentenceOrderPairs(corpus.trainDocs, F.trainPairs, seed);
      const dev = sentenceOrderPairs(corpus.evalDocs, F.devPairs, seed + 1);
      const files = { train: join(dirs.finetuneData, 'train.tsv'), dev: join(dirs.finetuneData, 'dev.tsv') };
      writePairsTsv(files.train, train);
      writePairsTsv(files.dev, dev);
      // The majority baseline: always the most frequent dev label, scored like the runs.
      const labels = dev.map((p) => ORDER_LABELS.indexOf(p.label));
      const m = majorityBaseline(labels, (p, l) => classificationMetrics(p, l, ORDER_LABELS.length));
      return { files, train: train.length, dev: dev.length, majority: { accuracy: m.metrics.accuracy, macro_f1: m.metrics.macro_f1, label: ORDER_LABELS[m.label] } };
    },
    (r) => `sentence order (${ORDER_LABELS.join(' / ')}): ${r.train.toLocaleString('en-US')} training pairs, ${r.dev} held-out dev pairs: ${r.files.train}, ${r.files.dev}`,
  );
  const evalEvery = Math.max(1, Math.ceil(finetuneSteps / F.evaluations));
  const warmupSteps = Math.round(finetuneSteps * F.warmupFraction);
  // Pretraining that trained further in this run makes an earlier fine-tuning from it stale.
  if (result.stepsRun > 0) rmSync(dirs.finetunePretrained, { recursive: true, force: true });
  const finetuneRun = async (init: 'pretrained' | 'fresh'): Promise<QuickstartFinetuneRun> => {
    const outputDir = init === 'pretrained' ? dirs.finetunePretrained : dirs.finetuneFresh;
    const r: FinetuneResult = await finetuneClassify({
      trainFile: ftData.files.train,
      validationFile: ftData.files.dev,
      textColumn: 'sentence1',
      textPairColumn: 'sentence2',
      labelColumn: 'label',
      outputDir,
      ...(init === 'pretrained' ? { initCheckpoint: dirs.pretrain } : {}),
      config,
      spmModelFile: spm.modelPath,
      doLowerCase: true,
      maxSeqLength: F.maxSeqLength,
      doTrain: true,
      doEval: true,
      doPredict: false,
      trainBatchSize: F.batchSize,
      evalBatchSize: F.evalBatchSize,
      predictBatchSize: F.evalBatchSize,
      learningRate: F.learningRate,
      trainStep: finetuneSteps,
      warmupStep: warmupSteps,
      saveCheckpointsSteps: evalEvery,
      keepCheckpointMax: 1,
      optimizer: 'adamw',
      dropoutProb: 0,
      albertDropoutRate: 0,
      threads,
      seed,
      progress: opts.progress,
    });
    const loop = r.loop!;
    const evals = loop.evals as ClassificationEval[];
    return {
      init,
      outputDir,
      evals,
      final: (loop.finalEval as ClassificationEval | null) ?? null,
      best: loop.best ? { step: loop.best.step, accuracy: loop.best.value } : null,
      history: loop.history,
      finalTrainLoss: loop.finalTrainLoss,
      stepsRun: loop.stepsRun,
      trainSeconds: loop.trainSeconds,
      seconds: loop.seconds,
    };
  };
  const accOf = (run: QuickstartFinetuneRun): string => (run.final ? `dev accuracy ${pct(Number(run.final.accuracy))}` : 'no evaluation');
  const pretrained = await stage('fine-tune from the pretrained model', () => finetuneRun('pretrained'), (r) => `${finetuneSteps} steps: ${accOf(r)}; model in ${r.outputDir}`);
  const fresh = await stage('fine-tune from fresh weights', () => finetuneRun('fresh'), (r) => `${finetuneSteps} steps: ${accOf(r)}; model in ${r.outputDir}`);
  const finetune: QuickstartFinetune = {
    task: 'sentence order',
    files: ftData.files,
    trainExamples: ftData.train,
    devExamples: ftData.dev,
    majorityBaseline: ftData.majority,
    settings: { steps: finetuneSteps, batchSize: F.batchSize, maxSeqLength: F.maxSeqLength, learningRate: F.learningRate, warmupSteps, optimizer: 'adamw', evalEvery, dropout: 0 },
    pretrained,
    fresh,
  };

  const reportPath = join(out, 'report.html');
  const seconds = (performance.now() - t0) / 1000;
  const report = buildReport({ result, finetune, stages, seconds, baselinePiece, config, steps, threads, documents, data: { train: data.train.instances, held: data.held.instances, vocab: tokenizer.vocabSize }, sentenceOrderMajority: sopMajority, gradNorms });
  writeAtomic(reportPath, renderTrainingReport(report));
  // A folder from before quickstart.json gets it once every stage has accepted these settings.
  if (held === 'legacy') writeSettings(out, settings);
  return { out, reportPath: resolve(reportPath), pretrain: result, finetune, stages, seconds, baselinePiece, sentenceOrderMajority: sopMajority };
}
