/**
 * SQuAD v1.1 / v2.0 as a Task of the training loop. Training reads the windowed features
 * (features.ts) in shuffled epochs; evaluation runs the head's inference graph (no dropout) over
 * every window of the prediction set with the live parameters, post-processes the windows of
 * each example into its answer (postprocess.ts: n-best, max-context rule, null answer) and
 * scores the answers with the official evaluation (metrics.ts) when the set has answers. The
 * results are the original's files: predictions.json, nbest_predictions.json, null_odds.json
 * (v2.0) and eval_results.json.
 */
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { emitModel, encodeModel } from '../../backends/onnx/emit.ts';
import { hostTensor, targetFor, type Executable } from '../../backends/target.ts';
import { buildAlbertGraph } from '../../model/albert.ts';
import type { AlbertConfig } from '../../model/config.ts';
import { lowerEinsumPass } from '../../passes/lower-einsum.ts';
import { cleanupPasses, runPipeline } from '../../passes/pipeline.ts';
import { ACCUM_INPUTS } from '../../train-graph/loss-share.ts';
import { shuffledEpochs } from '../../train/epochs.ts';
import type { EvalReport, Feeds, ResultsContext, Task, TaskEvaluator, TaskResults } from '../../train/task.ts';
import { writeAtomic } from '../../util/atomic-write.ts';
import { OptionError, UserError } from '../../util/errors.ts';
import type { SquadExample, SquadVersion } from './data.ts';
import type { SquadFeatures } from './features.ts';
import { evaluateSquad, type SquadEvalArticle } from './metrics.ts';
import { nbestJson, nbestV1, nbestV2Beam, nullOddsJson, predictionsJson, type SquadFeatureSpans, type SquadPrediction } from './postprocess.ts';

export type SquadHead = 'squad' | 'squad2';

/** Rows of the training features as one batch. */
export interface SquadBatch {
  rows: number;
  seqLength: number;
  inputIds: Int32Array;
  inputMask: Int32Array;
  segmentIds: Int32Array;
  pMask: Float32Array;
  startPositions: Int32Array;
  endPositions: Int32Array;
  isImpossible: Float32Array;
}

function gather(f: SquadFeatures, rows: number[]): SquadBatch {
  const S = f.seqLength;
  const n = rows.length;
  const b: SquadBatch = {
    rows: n,
    seqLength: S,
    inputIds: new Int32Array(n * S),
    inputMask: new Int32Array(n * S),
    segmentIds: new Int32Array(n * S),
    pMask: new Float32Array(n * S),
    startPositions: new Int32Array(n),
    endPositions: new Int32Array(n),
    isImpossible: new Float32Array(n),
  };
  rows.forEach((r, i) => {
    b.inputIds.set(f.inputIds.subarray(r * S, (r + 1) * S), i * S);
    b.inputMask.set(f.inputMask.subarray(r * S, (r + 1) * S), i * S);
    b.segmentIds.set(f.segmentIds.subarray(r * S, (r + 1) * S), i * S);
    b.pMask.set(f.pMask.subarray(r * S, (r + 1) * S), i * S);
    b.startPositions[i] = f.startPositions[r];
    b.endPositions[i] = f.endPositions[r];
    b.isImpossible[i] = f.isImpossible[r];
  });
  return b;
}

function tokenFeeds(b: Pick<SquadBatch, 'rows' | 'seqLength' | 'inputIds' | 'inputMask' | 'segmentIds' | 'pMask'>, head: SquadHead): Feeds {
  const shape = [b.rows, b.seqLength];
  const feeds: Feeds = {
    input_ids: hostTensor('int32', b.inputIds, shape),
    input_mask: hostTensor('int32', b.inputMask, shape),
    segment_ids: hostTensor('int32', b.segmentIds, shape),
  };
  // The v2 head masks the logits of tokens that cannot be part of an answer.
  if (head === 'squad2') feeds.p_mask = hostTensor('float32', b.pMask, shape);
  return feeds;
}

function trainFeeds(b: SquadBatch, head: SquadHead): Feeds {
  const feeds = tokenFeeds(b, head);
  feeds.start_positions = hostTensor('int32', b.startPositions, [b.rows]);
  feeds.end_positions = hostTensor('int32', b.endPositions, [b.rows]);
  if (head === 'squad2') feeds.is_impossible = hostTensor('float32', b.isImpossible, [b.rows]);
  return feeds;
}

/** The head's inference graph with the parameters as inputs (fed the live tensors). */
function buildSquadEvalModel(cfg: AlbertConfig, head: SquadHead, beam: Beam): Uint8Array {
  const g = buildAlbertGraph({ ...cfg, hiddenDropoutProb: 0, attentionProbsDropoutProb: 0, classifierDropoutProb: 0 }, { head, train: false, ...beam });
  runPipeline(g, [...cleanupPasses(), lowerEinsumPass(), ...cleanupPasses()], { verify: true });
  return encodeModel(emitModel(g, { paramsAs: 'inputs', docString: `ALBERT ${head} evaluation (no dropout) compiled by albert-compiler` }));
}

/** The v2 head's beam: start_n_top starts, end_n_top ends for each (the original's 5 and 5). */
export interface Beam {
  startNTop?: number;
  endNTop?: number;
}

/** Everything the inference graph returns for a set of windows, rows concatenated in feature order. */
type HeadOutputs = Record<string, { data: Float32Array | Int32Array | BigInt64Array; width: number }>;

export class SquadRunner {
  private constructor(
    private readonly session: Executable,
    readonly head: SquadHead,
    readonly compileSeconds: number,
  ) {}

  static async create(cfg: AlbertConfig, head: SquadHead, beam: Beam = {}, threads = availableParallelism()): Promise<SquadRunner> {
    const t0 = performance.now();
    const session = await targetFor().open(buildSquadEvalModel(cfg, head, beam), { threads });
    return new SquadRunner(session, head, (performance.now() - t0) / 1000);
  }

  async run(params: Feeds, f: SquadFeatures, batchSize: number): Promise<HeadOutputs> {
    const S = f.seqLength;
    const parts = new Map<string, { chunks: (Float32Array | Int32Array | BigInt64Array)[]; width: number }>();
    for (let from = 0; from < f.count; from += batchSize) {
      const n = Math.min(batchSize, f.count - from);
      const rows = { rows: n, seqLength: S, inputIds: f.inputIds.subarray(from * S, (from + n) * S), inputMask: f.inputMask.subarray(from * S, (from + n) * S), segmentIds: f.segmentIds.subarray(from * S, (from + n) * S), pMask: Float32Array.from(f.pMask.subarray(from * S, (from + n) * S)) };
      const feeds: Feeds = { ...params, ...tokenFeeds(rows, this.head) };
      const run: Feeds = {};
      for (const name of this.session.inputNames) run[name] = feeds[name];
      const out = (await this.session.run(run)) as Feeds;
      for (const name of this.session.outputNames) {
        const t = out[name];
        const data = t.data as Float32Array | Int32Array | BigInt64Array;
        const p = parts.get(name) ?? { chunks: [], width: data.length / n };
        p.chunks.push(data);
        parts.set(name, p);
      }
    }
    const result: HeadOutputs = {};
    for (const [name, p] of parts) {
      const total = p.chunks.reduce((a, c) => a + c.length, 0);
      const first = p.chunks[0];
      const data = first instanceof BigInt64Array ? new BigInt64Array(total) : first instanceof Int32Array ? new Int32Array(total) : new Float32Array(total);
      let at = 0;
      for (const c of p.chunks) {
        (data as Float32Array).set(c as Float32Array, at);
        at += c.length;
      }
      result[name] = { data, width: p.width };
    }
    return result;
  }
}

/** Per-feature spans for post-processing, from the features' maps. */
export function featureSpans(f: SquadFeatures): SquadFeatureSpans[] {
  return f.features.map((x) => ({
    exampleIndex: x.exampleIndex,
    tokenToOrigChar: Array.from(x.tokenToOrigStart, (s, i) => (s < 0 ? null : ([s, x.tokenToOrigEnd[i]] as const))),
    tokenIsMaxContext: Array.from(x.tokenIsMaxContext, (v) => v === 1),
  }));
}

export interface PostprocessSettings {
  version: SquadVersion;
  nBestSize: number;
  maxAnswerLength: number;
  nullScoreDiffThreshold: number;
}

/** The head's outputs for every window -> one answer per example. */
export function answersOf(outputs: HeadOutputs, f: SquadFeatures, examples: SquadExample[], head: SquadHead, p: PostprocessSettings): SquadPrediction[] {
  const spans = featureSpans(f);
  const texts = examples.map((e) => ({ id: e.id, context: e.context }));
  if (head === 'squad') {
    return nbestV1(spans, { start: outputs.start_logits.data as Float32Array, end: outputs.end_logits.data as Float32Array, seqLength: f.seqLength }, texts, { version: p.version, nBestSize: p.nBestSize, maxAnswerLength: p.maxAnswerLength, nullScoreDiffThreshold: p.nullScoreDiffThreshold });
  }
  const need = ['start_top_log_probs', 'start_top_index', 'end_top_log_probs', 'end_top_index', 'cls_logits'];
  const missing = need.filter((n) => !outputs[n]);
  if (missing.length > 0) throw new Error(`squad2 inference graph: no ${missing.join(', ')} output (the beam is computed in the graph)`);
  const startNTop = outputs.start_top_log_probs.width;
  return nbestV2Beam(
    spans,
    {
      startNTop,
      endNTop: outputs.end_top_log_probs.width / startNTop,
      startTopLogProbs: outputs.start_top_log_probs.data as Float32Array,
      startTopIndex: outputs.start_top_index.data as Int32Array | BigInt64Array,
      endTopLogProbs: outputs.end_top_log_probs.data as Float32Array,
      endTopIndex: outputs.end_top_index.data as Int32Array | BigInt64Array,
      clsLogits: outputs.cls_logits.data as Float32Array,
    },
    texts,
    { nBestSize: p.nBestSize, maxAnswerLength: p.maxAnswerLength, nullScoreDiffThreshold: p.nullScoreDiffThreshold },
  );
}

/** The prediction set as the official evaluation reads it. */
export function evalArticles(examples: SquadExample[]): SquadEvalArticle[] {
  return [{ paragraphs: [{ qas: examples.map((e) => ({ id: e.id, answers: e.answers.map((a) => ({ text: a.text })), is_impossible: e.isImpossible })) }] }];
}

export interface SquadEval extends EvalReport {
  exact: number;
  f1: number;
  examples: number;
}

export interface SquadTaskOptions {
  config: AlbertConfig;
  head: SquadHead;
  version: SquadVersion;
  train: SquadFeatures | null;
  /** The prediction set: its examples and features, and whether it has answers to score. */
  predict: { examples: SquadExample[]; features: SquadFeatures; scored: boolean } | null;
  predictBatchSize: number;
  seed: number;
  postprocess: PostprocessSettings;
  /** The v2 head's beam sizes (default 5 and 5). */
  beam?: Beam;
}

export function squadTask(o: SquadTaskOptions): Task<SquadBatch> {
  const head = o.head;
  let runner: Promise<SquadRunner> | null = null;
  const runnerFor = (threads: number): Promise<SquadRunner> => (runner ??= SquadRunner.create(o.config, head, o.beam ?? {}, threads));
  const predict = o.predict;
  const evaluate = async (r: SquadRunner, params: Feeds, step: number): Promise<{ report: SquadEval | null; answers: SquadPrediction[] }> => {
    const t0 = performance.now();
    const outputs = await r.run(params, predict!.features, o.predictBatchSize);
    const answers = answersOf(outputs, predict!.features, predict!.examples, head, o.postprocess);
    if (!predict!.scored) return { report: null, answers };
    const naProbs = o.version === '2.0' ? new Map(answers.map((a) => [a.id, a.nullOdds ?? 0])) : undefined;
    const ev = evaluateSquad(evalArticles(predict!.examples), new Map(answers.map((a) => [a.id, a.prediction])), { version: o.version, naProbs });
    const scores = ev.scores as unknown as Record<string, number>;
    const report: SquadEval = {
      step,
      seconds: 0,
      ...scores,
      exact: scores.exact ?? scores.exact_match,
      f1: scores.f1,
      examples: predict!.examples.length,
    };
    report.seconds = (performance.now() - t0) / 1000;
    return { report, answers };
  };
  const fmt = (x: unknown): string => (typeof x === 'number' ? (Number.isInteger(x) ? String(x) : x.toFixed(2)) : String(x));
  const task: Task<SquadBatch> = {
    name: `squad v${o.version}`,
    graph: { head },
    mainMetric: 'f1',
    saveOptions: { head },
    feeds: (b) => trainFeeds(b, head),
    rows: (b) => b.rows,
    tokens: (b) => b.inputIds.length,
    accumulationTotal(name, b) {
      if (name === ACCUM_INPUTS.examples) return b.rows;
      throw new Error(`squad: unknown accumulation total "${name}"`);
    },
    outputWeight: (_output, b) => ({ weight: b.rows }),
    async checkTrainData(batchSize) {
      if (!o.train || o.train.count === 0) throw new UserError('squad: no training features');
      if (batchSize > o.train.count) throw new OptionError(`{trainBatchSize} ${batchSize} exceeds the ${o.train.count} training windows`);
    },
    openTrainData(batchSize, cursor) {
      const f = o.train;
      if (!f) throw new Error('squad: training without training features');
      return shuffledEpochs(f.count, batchSize, o.seed, cursor, (rows) => gather(f, rows));
    },
    ...(predict && predict.scored
      ? {
          async createEvaluator(threads: number): Promise<TaskEvaluator> {
            const r = await runnerFor(threads);
            return { compileSeconds: r.compileSeconds, evaluate: async (step, params) => (await evaluate(r, params, step)).report! };
          },
        }
      : {}),
    evalLine(e) {
      const shown = Object.entries(e).filter(([k]) => !['step', 'seconds', 'examples'].includes(k));
      return `eval at step ${e.step}: ${shown.map(([k, v]) => `${k} ${fmt(v)}`).join(', ')} (${fmt(e.examples)} questions, ${(e.seconds as number).toFixed(1)} s)`;
    },
    evalResultsText(e) {
      const rows: [string, unknown][] = [['global_step', e.step], ...Object.entries(e).filter(([k]) => k !== 'step' && k !== 'seconds')];
      return rows.map(([k, v]) => `${k} = ${v}\n`).join('');
    },
    async writeResults(ctx: ResultsContext): Promise<TaskResults> {
      const files: string[] = [];
      if (!predict) return { files, eval: null };
      const out = (name: string, text: string): void => {
        const p = join(ctx.outputDir, name);
        writeAtomic(p, text);
        files.push(p);
      };
      const { report, answers } = await evaluate(await runnerFor(ctx.threads), ctx.params, ctx.step);
      out('predictions.json', predictionsJson(answers));
      out('nbest_predictions.json', nbestJson(answers));
      if (o.version === '2.0') out('null_odds.json', nullOddsJson(answers));
      if (report) {
        ctx.progress.note(`results from ${ctx.from}`);
        ctx.progress.eval(report, task.evalLine(report));
        out('eval_results.json', `${JSON.stringify({ task: task.name, model: ctx.from, ...report }, null, 1)}\n`);
      }
      return { files, eval: report };
    },
  };
  return task;
}
