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
 *   5. report     report.html: loss and accuracy curves, the final evaluation against the
 *                 frequency baseline (always predicting the most frequent masked token), the
 *                 settings and timings
 *
 * Every stage is seeded, so the same flags give the same files. A second run in the same
 * directory regenerates stages 1-3 (the same bytes) and resumes pretraining from its checkpoint.
 */
import { mkdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { writeAtomic } from '../util/atomic-write.ts';
import { createPretrainingData } from '../tasks/pretraining/data/create.ts';
import { syntheticCorpusLines } from '../data/synthetic-corpus.ts';
import { UserError } from '../ir/errors.ts';
import type { AlbertConfig } from '../model/config.ts';
import { AlbertTokenizer } from '../text/albert-tokenizer.ts';
import { trainUnigram } from '../text/train/unigram-trainer.ts';
import { pretrain, type PretrainResult } from '../tasks/pretraining/pretrain.ts';
import type { ProgressSink } from './progress.ts';
import { renderTrainingReport, type Curve, type TrainingReport } from './report.ts';

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

export interface QuickstartResult {
  out: string;
  reportPath: string;
  pretrain: PretrainResult;
  stages: { name: string; seconds: number; detail: string }[];
  seconds: number;
  /** The most frequent masked token of the held-out data, as a piece. */
  baselinePiece: string;
}

/** Splits the generated corpus into training and held-out text, by document. */
function writeCorpus(dir: string, documents: number, evalDocuments: number, seed: number): { train: string; eval: string } {
  const docs: string[][] = [[]];
  for (const line of syntheticCorpusLines({ documents: documents + evalDocuments, seed })) {
    if (line === '') docs.push([]);
    else docs[docs.length - 1].push(line);
  }
  const text = (ds: string[][]): string => `${ds.map((d) => d.join('\n')).join('\n\n')}\n`;
  const train = join(dir, 'train.txt');
  const evalFile = join(dir, 'eval.txt');
  writeAtomic(train, text(docs.slice(0, documents)));
  writeAtomic(evalFile, text(docs.slice(documents)));
  return { train, eval: evalFile };
}

export async function quickstart(opts: QuickstartOptions): Promise<QuickstartResult> {
  const t0 = performance.now();
  const D = QUICKSTART_DEFAULTS;
  const steps = opts.steps ?? D.steps;
  const documents = opts.documents ?? D.documents;
  const evalDocuments = opts.evalDocuments ?? D.evalDocuments;
  const seed = opts.seed ?? D.seed;
  const threads = opts.threads ?? availableParallelism();
  if (!Number.isInteger(steps) || steps < 1) throw new UserError(`--steps must be a positive integer; got ${steps}`);
  if (!Number.isInteger(documents) || documents < 50) throw new UserError(`--documents must be an integer >= 50; got ${documents}`);
  if (!Number.isInteger(evalDocuments) || evalDocuments < 10) throw new UserError(`--eval-documents must be an integer >= 10; got ${evalDocuments}`);
  const out = opts.out;
  const dirs = { corpus: join(out, 'corpus'), tokenizer: join(out, 'tokenizer'), data: join(out, 'data'), pretrain: join(out, 'pretrain') };
  try {
    for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true });
  } catch (e) {
    throw new UserError(`--out ${out}: cannot write there (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const note = (line: string): void => opts.progress.note(line);
  const stages: QuickstartResult['stages'] = [];
  const stage = async <T>(name: string, run: () => Promise<T> | T, detail: (r: T) => string): Promise<T> => {
    const t = performance.now();
    note(`[${stages.length + 1}/5] ${name} ...`);
    const r = await run();
    const seconds = (performance.now() - t) / 1000;
    const said = detail(r);
    stages.push({ name, seconds, detail: said });
    note(`      ${said} (${seconds.toFixed(1)} s)`);
    return r;
  };

  const corpus = await stage('generate the corpus', () => writeCorpus(dirs.corpus, documents, evalDocuments, seed), (c) => `${documents} training and ${evalDocuments} held-out documents: ${c.train}, ${c.eval}`);
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
        progress: opts.progress,
      }),
    (r) => `${r.finalStep} steps; model in ${r.modelDir}`,
  );
  const e = result.finalEval;
  const baselinePiece = e ? (tokenizer.convertIdsToTokens([e.frequency_baseline.token_id])[0] ?? String(e.frequency_baseline.token_id)) : '?';
  const reportPath = join(out, 'report.html');
  const seconds = (performance.now() - t0) / 1000;
  const report = buildReport({ result, stages, seconds, baselinePiece, config, steps, threads, documents, data: { train: data.train.instances, held: data.held.instances, vocab: tokenizer.vocabSize } });
  writeAtomic(reportPath, renderTrainingReport(report));
  return { out, reportPath: resolve(reportPath), pretrain: result, stages, seconds, baselinePiece };
}

const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;

interface ReportInput {
  result: PretrainResult;
  stages: QuickstartResult['stages'];
  seconds: number;
  baselinePiece: string;
  config: AlbertConfig;
  steps: number;
  threads: number;
  documents: number;
  data: { train: number; held: number; vocab: number };
}

function buildReport(r: ReportInput): TrainingReport {
  const p = r.result;
  const e = p.finalEval;
  const h = p.history;
  const ev = p.evals;
  const base = e?.frequency_baseline.accuracy ?? 0;
  const curve = (label: string, colour: string, points: { step: number; value: number }[]): Curve => ({ label, colour, points });
  const summary = e
    ? `After ${p.finalStep} training steps, the model predicts ${pct(e.masked_lm_accuracy)} of the masked tokens of the held-out data correctly, ` +
      `against ${pct(base)} for always predicting the most frequent masked token ("${r.baselinePiece}"); it tells swapped segments from ordered ones ${pct(e.sentence_order_accuracy)} of the time (chance: 50%). ` +
      `The whole run took ${(r.seconds / 60).toFixed(1)} minutes on ${r.threads} thread${r.threads === 1 ? '' : 's'}.`
    : `Trained ${p.finalStep} steps (no evaluation).`;
  const s = p.settings;
  return {
    title: 'ALBERT pretraining quickstart',
    summary,
    sections: [
      {
        title: 'Final evaluation (held-out data)',
        rows: e
          ? [
              ['masked_lm_accuracy', e.masked_lm_accuracy.toFixed(4)],
              ['frequency baseline (masked LM)', `${base.toFixed(4)} (always "${r.baselinePiece}")`],
              ['masked_lm_loss', e.masked_lm_loss.toFixed(4)],
              ['sentence_order_accuracy', e.sentence_order_accuracy.toFixed(4)],
              ['sentence_order_loss', e.sentence_order_loss.toFixed(4)],
              ['examples / masked tokens', `${e.examples} / ${e.masked_tokens}`],
              ['step', String(e.step)],
              ['best checkpoint', p.best ? `${p.best.dir} (step ${p.best.step}, ${p.best.metric} ${p.best.value.toFixed(4)})` : '-'],
            ]
          : [],
      },
      {
        title: 'Settings',
        rows: [
          ['model', `ALBERT H=${r.config.hiddenSize} E=${r.config.embeddingSize} L=${r.config.numHiddenLayers} (one shared block) heads=${r.config.numAttentionHeads} I=${r.config.intermediateSize} vocab=${r.config.vocabSize}`],
          ['parameters', p.numParameters.toLocaleString('en-US')],
          ['optimizer', `${String(s.optimizer).toUpperCase()}, peak learning rate ${s.learning_rate}, ${s.num_warmup_steps} warmup steps, linear decay over ${r.steps} steps`],
          ['batch', `${s.train_batch_size} x ${s.max_seq_length} tokens, up to ${s.max_predictions_per_seq} masked per sequence`],
          ['data', `${r.documents} generated documents -> ${r.data.train.toLocaleString('en-US')} training examples; ${r.data.held.toLocaleString('en-US')} held-out examples`],
          ['threads', String(r.threads)],
          ['seed', String(s.seed)],
        ],
      },
      {
        title: 'Time',
        rows: [
          ...r.stages.map((st): [string, string] => [st.name, `${st.seconds.toFixed(1)} s`]),
          ['training steps', p.stepsRun > 0 ? `${(p.trainSeconds / p.stepsRun).toFixed(3)} s/step, ${Math.round(p.tokensPerSecond).toLocaleString('en-US')} tokens/s` : '(resumed at the end: no steps run)'],
          ['total', `${r.seconds.toFixed(1)} s`],
        ],
      },
    ],
    charts: [
      {
        title: 'Loss',
        yLabel: 'loss (MLM + SOP)',
        curves: [
          curve('training batch', '#4a7bd0', h.map((x) => ({ step: x.step, value: x.loss }))),
          curve('held-out', '#d07a2a', ev.map((x) => ({ step: x.step, value: x.loss }))),
        ],
        yMin: 0,
      },
      {
        title: 'Masked-LM accuracy',
        yLabel: 'accuracy',
        curves: [
          curve('training batch', '#4a7bd0', h.map((x) => ({ step: x.step, value: x.masked_lm_accuracy }))),
          curve('held-out', '#d07a2a', ev.map((x) => ({ step: x.step, value: x.masked_lm_accuracy }))),
        ],
        yMin: 0,
        yMax: 1,
        reference: { label: `frequency baseline ${pct(base)}`, value: base },
      },
      {
        title: 'Sentence-order accuracy',
        yLabel: 'accuracy',
        curves: [
          curve('training batch', '#4a7bd0', h.map((x) => ({ step: x.step, value: x.sentence_order_accuracy }))),
          curve('held-out', '#d07a2a', ev.map((x) => ({ step: x.step, value: x.sentence_order_accuracy }))),
        ],
        yMin: 0,
        yMax: 1,
        reference: { label: 'chance 50%', value: 0.5 },
      },
    ],
  };
}
