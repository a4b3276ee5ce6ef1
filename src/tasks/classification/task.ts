/**
 * Sentence(-pair) classification and regression as a Task of the training loop: GLUE and users'
 * own data alike. The training data is the encoded training set, shuffled anew every epoch by
 * a seeded generator (the cursor is the epoch and the position in it, so a resumed run reads
 * the same batches); evaluation runs the classifier's inference graph (no dropout) with the
 * live parameters over every evaluation set and computes the metrics over the whole set
 * (MCC, F1 and correlations are not means of batch means), plus the evaluation loss.
 */
import { availableParallelism } from 'node:os';
import { emitModel, encodeModel } from '../../backends/onnx/emit.ts';
import { hostTensor, targetFor, type Executable } from '../../backends/target.ts';
import { buildAlbertGraph } from '../../model/albert.ts';
import type { AlbertConfig } from '../../model/config.ts';
import { lowerEinsumPass } from '../../passes/lower-einsum.ts';
import { cleanupPasses, runPipeline } from '../../passes/pipeline.ts';
import { ACCUM_INPUTS } from '../../train-graph/loss-share.ts';
import { shuffledEpochs } from '../../train/epochs.ts';
import type { BatchSource, EvalReport, Feeds, ResultsContext, Task, TaskEvaluator, TaskResults } from '../../train/task.ts';
import { writeAtomic } from '../../util/atomic-write.ts';
import { join } from 'node:path';
import { OptionError, UserError } from '../../util/errors.ts';
import { emptyFeatures, type ClassificationFeatures } from './features.ts';
import { majorityBaseline } from './metrics.ts';

/** Rows [from, from + n) of a feature set, as one batch (a view, no copy, where the rows are contiguous). */
export interface ClassificationBatch {
  rows: number;
  seqLength: number;
  /** Multiple choice: sequences per example (the token arrays are [rows, choices, seqLength]). */
  choices?: number;
  inputIds: Int32Array;
  inputMask: Int32Array;
  segmentIds: Int32Array;
  labels: Int32Array | Float32Array;
}

export function batchFeeds(b: ClassificationBatch, withLabels = true): Feeds {
  const shape = b.choices ? [b.rows, b.choices, b.seqLength] : [b.rows, b.seqLength];
  const feeds: Feeds = {
    input_ids: hostTensor('int32', b.inputIds, shape),
    input_mask: hostTensor('int32', b.inputMask, shape),
    segment_ids: hostTensor('int32', b.segmentIds, shape),
  };
  if (withLabels) feeds.label_ids = b.labels instanceof Float32Array ? hostTensor('float32', b.labels, [b.rows]) : hostTensor('int32', b.labels, [b.rows]);
  return feeds;
}

function slice(f: ClassificationFeatures, from: number, n: number): ClassificationBatch {
  // One example's tokens: one sequence, or one per choice.
  const S = f.seqLength * (f.choices ?? 1);
  return {
    rows: n,
    seqLength: f.seqLength,
    choices: f.choices,
    inputIds: f.inputIds.subarray(from * S, (from + n) * S),
    inputMask: f.inputMask.subarray(from * S, (from + n) * S),
    segmentIds: f.segmentIds.subarray(from * S, (from + n) * S),
    labels: f.labels.subarray(from, from + n),
  };
}

/** The rows of `order` gathered into one batch. */
function gather(f: ClassificationFeatures, order: ArrayLike<number>): ClassificationBatch {
  const S = f.seqLength * (f.choices ?? 1);
  const n = order.length;
  const { inputIds, inputMask, segmentIds, labels } = emptyFeatures(Array.from(order, String), S, f.labels instanceof Float32Array);
  const b: ClassificationBatch = { rows: n, seqLength: f.seqLength, choices: f.choices, inputIds, inputMask, segmentIds, labels };
  for (let i = 0; i < n; i++) {
    const r = order[i];
    b.inputIds.set(f.inputIds.subarray(r * S, (r + 1) * S), i * S);
    b.inputMask.set(f.inputMask.subarray(r * S, (r + 1) * S), i * S);
    b.segmentIds.set(f.segmentIds.subarray(r * S, (r + 1) * S), i * S);
    b.labels[i] = f.labels[r];
  }
  return b;
}

/** The training set as an endless stream of shuffled epochs; a batch may span two epochs. */
export function epochBatches(f: ClassificationFeatures, batchSize: number, seed: number, cursor: unknown): BatchSource<ClassificationBatch> {
  return shuffledEpochs(f.count, batchSize, seed, cursor, (rows) => gather(f, rows));
}

/** One evaluation set: its name suffix in the metrics ('' or '_mm' for MNLI mismatched), its features and the file its predictions go to. */
export interface EvalSet {
  suffix: string;
  name: string;
  features: ClassificationFeatures;
  /** eval_predictions.tsv (MNLI: eval_predictions-m.tsv, -mm.tsv). */
  predictionsFile: string;
}

/** One test set: its features, its class-probability file and the submission file it writes (if any). */
export interface TestSet {
  features: ClassificationFeatures;
  resultsFile: string;
  submission?: string;
}

export interface ClassificationTaskOptions {
  /** For messages: "glue MRPC", "classify". */
  name: string;
  config: AlbertConfig;
  /** Label names; null for regression (one output). Multiple choice: a name per choice (A, B, C, D). */
  labels: string[] | null;
  /** Multiple choice: the number of choices per example (the features are [count, choices, seq]). */
  choices?: number;
  train: ClassificationFeatures | null;
  evalSets: EvalSet[];
  evalBatchSize: number;
  testSets: TestSet[];
  predictBatchSize: number;
  seed: number;
  /** The metrics of one evaluation set from its predictions (class ids or scores) and labels. */
  metrics(predictions: Float64Array, labels: ArrayLike<number>): Record<string, number>;
  mainMetric: string;
}

/** The head of a classification task: a classifier over labels, or a scorer of each of `choices` sequences. */
export function classifierGraph(numLabels: number, choices?: number): { head: string; numLabels?: number; numChoices?: number } {
  return choices ? { head: 'multiple-choice', numChoices: choices } : { head: 'classifier', numLabels };
}

/** The inference graph of the classifier with the parameters as inputs (fed live tensors). */
export function buildClassifierEvalModel(cfg: AlbertConfig, numLabels: number, choices?: number): Uint8Array {
  const g = buildAlbertGraph({ ...cfg, hiddenDropoutProb: 0, attentionProbsDropoutProb: 0, classifierDropoutProb: 0 }, { train: false, ...classifierGraph(numLabels, choices) });
  runPipeline(g, [...cleanupPasses(), lowerEinsumPass(), ...cleanupPasses()], { verify: true });
  return encodeModel(emitModel(g, { paramsAs: 'inputs', docString: 'ALBERT classifier evaluation (no dropout) compiled by albert-compiler' }));
}

/** Runs the classifier over a feature set in batches: [count, numLabels] logits. */
export class ClassifierRunner {
  private constructor(
    private readonly session: Executable,
    readonly numLabels: number,
    readonly compileSeconds: number,
  ) {}

  /** `choices`: a multiple-choice scorer, whose `numLabels` logits per example are its choices. */
  static async create(cfg: AlbertConfig, numLabels: number, threads = availableParallelism(), choices?: number): Promise<ClassifierRunner> {
    const t0 = performance.now();
    const session = await targetFor().open(buildClassifierEvalModel(cfg, numLabels, choices), { threads });
    return new ClassifierRunner(session, numLabels, (performance.now() - t0) / 1000);
  }

  async logits(params: Feeds, f: ClassificationFeatures, batchSize: number): Promise<Float32Array> {
    const out = new Float32Array(f.count * this.numLabels);
    for (let from = 0; from < f.count; from += batchSize) {
      const n = Math.min(batchSize, f.count - from);
      const feeds: Feeds = { ...params, ...batchFeeds(slice(f, from, n), false) };
      const run: Feeds = {};
      for (const name of this.session.inputNames) run[name] = feeds[name];
      const r = (await this.session.run(run)) as Feeds;
      out.set(r.logits.data as Float32Array, from * this.numLabels);
    }
    return out;
  }
}

/** Class ids (argmax, the first of tied maxima, as tf.argmax) or the scores of a regression head. */
export function predictionsOf(logits: Float32Array, numLabels: number): Float64Array {
  const n = logits.length / numLabels;
  const p = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    if (numLabels === 1) {
      p[i] = logits[i];
      continue;
    }
    let best = 0;
    for (let k = 1; k < numLabels; k++) if (logits[i * numLabels + k] > logits[i * numLabels + best]) best = k;
    p[i] = best;
  }
  return p;
}

/** Softmax probabilities per row, in float64. */
export function probabilities(logits: Float32Array, numLabels: number): Float64Array {
  const out = new Float64Array(logits.length);
  for (let i = 0; i < logits.length; i += numLabels) {
    let m = -Infinity;
    for (let k = 0; k < numLabels; k++) m = Math.max(m, logits[i + k]);
    let s = 0;
    for (let k = 0; k < numLabels; k++) s += Math.exp(logits[i + k] - m);
    for (let k = 0; k < numLabels; k++) out[i + k] = Math.exp(logits[i + k] - m) / s;
  }
  return out;
}

/** Mean cross-entropy (classification) or mean squared error (regression) of the logits, in float64. */
export function evalLoss(logits: Float32Array, labels: ArrayLike<number>, numLabels: number): number {
  const n = labels.length;
  let s = 0;
  for (let i = 0; i < n; i++) {
    if (numLabels === 1) {
      const d = logits[i] - labels[i];
      s += d * d;
      continue;
    }
    let m = -Infinity;
    for (let k = 0; k < numLabels; k++) m = Math.max(m, logits[i * numLabels + k]);
    let z = 0;
    for (let k = 0; k < numLabels; k++) z += Math.exp(logits[i * numLabels + k] - m);
    s += m + Math.log(z) - logits[i * numLabels + labels[i]];
  }
  return s / n;
}

export interface ClassificationEval extends EvalReport {
  examples: number;
  eval_loss: number;
}

/** The evaluation of every set: metrics (suffixed per set), losses and counts. */
export async function evaluateSets(runner: ClassifierRunner, params: Feeds, sets: EvalSet[], batchSize: number, metrics: ClassificationTaskOptions['metrics'], step: number): Promise<{ report: ClassificationEval; logits: Float32Array[] }> {
  const t0 = performance.now();
  const report: ClassificationEval = { step, seconds: 0, examples: 0, eval_loss: 0 };
  const all: Float32Array[] = [];
  for (const s of sets) {
    const logits = await runner.logits(params, s.features, batchSize);
    all.push(logits);
    const m = metrics(predictionsOf(logits, runner.numLabels), s.features.labels);
    for (const [k, v] of Object.entries(m)) report[`${k}${s.suffix}`] = v;
    // Classes (not scores): each metric of always answering the set's most frequent label beside
    // the model's, as a model that learned nothing can reach it whenever the classes are unbalanced.
    if (runner.numLabels > 1 && s.features.count > 0) {
      const base = majorityBaseline(s.features.labels, metrics);
      report[`majority_class${s.suffix}`] = base.label;
      for (const [k, v] of Object.entries(base.metrics)) report[`majority_${k}${s.suffix}`] = v;
    }
    report[`eval_loss${s.suffix}`] = evalLoss(logits, s.features.labels, runner.numLabels);
    report[`examples${s.suffix}`] = s.features.count;
  }
  report.seconds = (performance.now() - t0) / 1000;
  return { report, logits: all };
}

/** index<TAB>prediction lines under a header: label names, or scores for regression. */
export function tsvPredictions(ids: string[], predictions: Float64Array, labels: string[] | null): string {
  const rows = ['index\tprediction'];
  predictions.forEach((p, i) => rows.push(`${ids[i]}\t${labels === null ? String(p) : labels[p]}`));
  return `${rows.join('\n')}\n`;
}

/** Class probabilities per line, tab-separated (the original's test_results.tsv); the score for regression. */
export function probabilityLines(logits: Float32Array, numLabels: number): string {
  if (numLabels === 1) return `${Array.from(logits, String).join('\n')}\n`;
  const p = probabilities(logits, numLabels);
  const rows: string[] = [];
  for (let i = 0; i < p.length; i += numLabels) rows.push(Array.from(p.subarray(i, i + numLabels), String).join('\t'));
  return `${rows.join('\n')}\n`;
}

const fmt = (x: unknown): string => (typeof x === 'number' ? (Number.isInteger(x) ? String(x) : x.toFixed(4)) : String(x));

/**
 * One line about an evaluation: each figure, with the majority baseline's value of it beside it
 * where there is one ("accuracy 0.8100 (majority 0.6190)"), then which label that baseline
 * always answers for each evaluation set.
 */
export function classificationEvalLine(e: EvalReport, labels: string[] | null): string {
  const shown = Object.entries(e).filter(([k]) => !['step', 'seconds'].includes(k) && !k.startsWith('examples') && !k.startsWith('majority_'));
  const figures = shown.map(([k, v]) => (e[`majority_${k}`] === undefined ? `${k} ${fmt(v)}` : `${k} ${fmt(v)} (majority ${fmt(e[`majority_${k}`])})`));
  const classes = Object.entries(e)
    .filter(([k, v]) => k.startsWith('majority_class') && typeof v === 'number')
    .map(([k, v]) => {
      const suffix = k.slice('majority_class'.length);
      const name = labels?.[v as number] ?? String(v);
      return `majority baseline${suffix ? ` (${suffix.replace(/^_/, '')})` : ''}: always "${name}"`;
    });
  return `eval at step ${e.step}: ${figures.join(', ')} (${fmt(e.examples)} examples, ${(e.seconds as number).toFixed(1)} s${classes.length ? `; ${classes.join('; ')}` : ''})`;
}

export function classificationTask(o: ClassificationTaskOptions): Task<ClassificationBatch> {
  const numLabels = o.labels === null ? 1 : o.labels.length;
  const train = o.train;
  // One inference session serves the evaluations during training and the results after it.
  let runner: Promise<ClassifierRunner> | null = null;
  const runnerFor = (threads: number): Promise<ClassifierRunner> => (runner ??= ClassifierRunner.create(o.config, numLabels, threads, o.choices));
  return {
    name: o.name,
    graph: classifierGraph(numLabels, o.choices),
    mainMetric: o.mainMetric,
    saveOptions: o.choices ? { head: 'multiple-choice' } : { head: 'classifier', labels: o.labels === null ? { regression: true } : { names: o.labels } },
    feeds: (b) => batchFeeds(b),
    rows: (b) => b.rows,
    tokens: (b) => b.inputIds.length,
    accumulationTotal(name, b) {
      if (name === ACCUM_INPUTS.examples) return b.rows;
      throw new Error(`${o.name}: unknown accumulation total "${name}"`);
    },
    outputWeight: (_output, b) => ({ weight: b.rows }),
    async checkTrainData(batchSize) {
      if (!train || train.count === 0) throw new UserError(`${o.name}: no training examples`);
      // Batches wrap around epochs, but one batch larger than the whole set is surely a mistake.
      if (batchSize > train.count) throw new OptionError(`{trainBatchSize} ${batchSize} exceeds the ${train.count} training examples`);
    },
    openTrainData(batchSize, cursor) {
      if (!train) throw new Error(`${o.name}: training without training features`);
      return epochBatches(train, batchSize, o.seed, cursor);
    },
    ...(o.evalSets.length > 0
      ? {
          async createEvaluator(threads: number): Promise<TaskEvaluator> {
            const r = await runnerFor(threads);
            return {
              compileSeconds: r.compileSeconds,
              evaluate: async (step, params) => (await evaluateSets(r, params, o.evalSets, o.evalBatchSize, o.metrics, step)).report,
            };
          },
        }
      : {}),
    async writeResults(ctx: ResultsContext): Promise<TaskResults> {
      const files: string[] = [];
      const out = (name: string, text: string): void => {
        const p = join(ctx.outputDir, name);
        writeAtomic(p, text);
        files.push(p);
      };
      if (o.evalSets.length === 0 && o.testSets.length === 0) return { files, eval: null };
      const runner = await runnerFor(ctx.threads);
      let report: ClassificationEval | null = null;
      if (o.evalSets.length > 0) {
        const r = await evaluateSets(runner, ctx.params, o.evalSets, o.evalBatchSize, o.metrics, ctx.step);
        report = r.report;
        ctx.progress.note(`results from ${ctx.from}`);
        ctx.progress.eval(report, this.evalLine(report));
        out('eval_results.txt', this.evalResultsText(report));
        out('eval_results.json', `${JSON.stringify({ task: o.name, model: ctx.from, ...report }, null, 1)}\n`);
        o.evalSets.forEach((s, i) => out(s.predictionsFile, tsvPredictions(s.features.ids, predictionsOf(r.logits[i], numLabels), o.labels)));
      }
      for (const t of o.testSets) {
        const logits = await runner.logits(ctx.params, t.features, o.predictBatchSize);
        out(t.resultsFile, probabilityLines(logits, numLabels));
        if (t.submission) out(t.submission, tsvPredictions(t.features.ids, predictionsOf(logits, numLabels), o.labels));
      }
      return { files, eval: report };
    },
    evalLine(e) {
      return classificationEvalLine(e, o.labels);
    },
    evalResultsText(e) {
      // The original's lines: eval_<metric> = value, sorted, with global_step and eval_loss.
      const rows: [string, unknown][] = [['global_step', e.step]];
      for (const [k, v] of Object.entries(e)) {
        if (k === 'step' || k === 'seconds') continue;
        rows.push([k.startsWith('eval_') ? k : `eval_${k}`, v]);
      }
      rows.sort((a, b) => a[0].localeCompare(b[0]));
      return rows.map(([k, v]) => `${k} = ${v}\n`).join('');
    },
  };
}
