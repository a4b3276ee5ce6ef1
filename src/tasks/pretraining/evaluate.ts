/**
 * Evaluation of a pretraining model on held-out TFRecords, as run_pretraining's --do_eval does:
 * masked_lm_accuracy and masked_lm_loss weighted by masked_lm_weights, sentence_order_accuracy
 * and sentence_order_loss averaged over examples, all over the whole evaluated set (not a mean
 * of batch means).
 *
 * The graph is the training forward pass (labels in, losses out) with dropout off and the
 * metrics of src/train/metrics.ts added, compiled once with the parameters as inputs, so the
 * trainer's live parameter tensors are fed to it directly at every evaluation.
 *
 * It also computes the frequency baseline: the accuracy of always predicting the most frequent
 * masked token of the evaluated data (weighted like the accuracy). A model that learned
 * anything beats it; a model stuck on unigram statistics sits on it. Likewise for sentence order,
 * the majority baseline: the rate of the most frequent sentence-order label of the evaluated
 * examples. It is not 50%: a single-segment instance always takes a random B (label 1), as in the
 * original, so label 1 is usually the more frequent one.
 */
import { availableParallelism } from 'node:os';
import { emitModel, encodeModel } from '../../backends/onnx/emit.ts';
import { targetFor, type Executable, type HostTensor } from '../../backends/target.ts';
import { PretrainingDataset, type PretrainingBatch } from './dataset.ts';
import { WEIGHTED_LOSS_EPSILON } from '../../ir/composites.ts';
import { buildAlbertGraph } from '../../model/albert.ts';
import type { AlbertConfig } from '../../model/config.ts';
import { lowerEinsumPass } from '../../passes/lower-einsum.ts';
import { cleanupPasses, runPipeline } from '../../passes/pipeline.ts';
import { addMetrics } from '../../train-graph/metrics.ts';
import { batchFeeds } from './feeds.ts';

export interface EvalGraphOptions {
  maxSeqLength: number;
  maxPredictions: number;
}

/** The same config with every dropout probability 0: buildAlbertGraph then adds no dropout. */
export function withoutDropout(cfg: AlbertConfig): AlbertConfig {
  return { ...cfg, hiddenDropoutProb: 0, attentionProbsDropoutProb: 0, classifierDropoutProb: 0 };
}

/** The evaluation graph as ONNX bytes: (params, batch) -> (losses, accuracies). */
export function buildEvalModel(cfg: AlbertConfig, opts: EvalGraphOptions): { model: Uint8Array; nodes: number } {
  const g = buildAlbertGraph(withoutDropout(cfg), { head: 'pretraining', train: true, maxSeqLength: opts.maxSeqLength, maxPredictions: opts.maxPredictions });
  addMetrics(g);
  runPipeline(g, [...cleanupPasses(), lowerEinsumPass(), ...cleanupPasses()], { verify: true });
  const model = emitModel(g, { paramsAs: 'inputs', docString: 'ALBERT pretraining evaluation (no dropout) compiled by albert-compiler' });
  return { model: encodeModel(model), nodes: g.nodes.length };
}

export interface EvalResult {
  /** The step the evaluated parameters come from (after that many updates). */
  step: number;
  masked_lm_accuracy: number;
  masked_lm_loss: number;
  sentence_order_accuracy: number;
  sentence_order_loss: number;
  /** masked_lm_loss + sentence_order_loss (the training loss on this data). */
  loss: number;
  batches: number;
  examples: number;
  /** Sum of masked_lm_weights: the number of masked tokens scored. */
  masked_tokens: number;
  /** Always predicting the most frequent masked token: its id and accuracy. */
  frequency_baseline: { token_id: number; accuracy: number };
  /**
   * Always answering the most frequent sentence-order label of the evaluated examples: that
   * label and its rate (absent from evaluations saved before it was computed).
   */
  sentence_order_majority?: SentenceOrderMajority;
  seconds: number;
}

export interface SentenceOrderMajority {
  /** 0 (in order) or 1 (swapped, or B from another document). */
  label: number;
  accuracy: number;
}

/** The majority baseline of sentence-order labels from their counts by label (ties: the smaller label). */
export function sentenceOrderMajority(counts: readonly number[]): SentenceOrderMajority {
  const total = counts.reduce((a, b) => a + b, 0);
  let label = 0;
  for (let l = 1; l < counts.length; l++) if (counts[l] > counts[label]) label = l;
  return { label, accuracy: total > 0 ? counts[label] / total : 0 };
}

/**
 * The sentence-order label counts of pretraining TFRecords read as the evaluation reads them
 * (in file order, whole batches of `batchSize`, at most `maxSteps` of them): for the majority
 * baseline of an evaluation that did not record it.
 */
export async function sentenceOrderLabelCounts(data: EvalDataOptions & EvalGraphOptions): Promise<number[]> {
  const ds = new PretrainingDataset(data.files, { batchSize: data.batchSize, maxSeqLength: data.maxSeqLength, maxPredictions: data.maxPredictions, shuffle: false, repeat: false, vocabSize: data.vocabSize });
  const counts = [0, 0];
  try {
    for (let batches = 0; data.maxSteps === undefined || batches < data.maxSteps; batches++) {
      const b = await ds.next();
      if (!b) break;
      for (const l of b.next_sentence_labels) counts[l] = (counts[l] ?? 0) + 1;
    }
  } finally {
    await ds.close();
  }
  return counts;
}

export interface EvalDataOptions {
  files: string[];
  batchSize: number;
  /** At most this many batches (default: the whole files). */
  maxSteps?: number;
  vocabSize?: number;
}

export class Evaluator {
  private constructor(
    private readonly session: Executable,
    readonly opts: EvalGraphOptions,
    readonly compileSeconds: number,
  ) {}

  static async create(cfg: AlbertConfig, opts: EvalGraphOptions & { threads?: number }): Promise<Evaluator> {
    const t0 = performance.now();
    const { model } = buildEvalModel(cfg, opts);
    const session = await targetFor().open(model, { threads: opts.threads ?? availableParallelism() });
    return new Evaluator(session, opts, (performance.now() - t0) / 1000);
  }

  /** Evaluates `params` (live tensors by TF name) on the data, read in file order. */
  async evaluate(step: number, params: Record<string, HostTensor>, data: EvalDataOptions): Promise<EvalResult> {
    const t0 = performance.now();
    const ds = new PretrainingDataset(data.files, {
      batchSize: data.batchSize,
      maxSeqLength: this.opts.maxSeqLength,
      maxPredictions: this.opts.maxPredictions,
      shuffle: false,
      repeat: false,
      vocabSize: data.vocabSize,
    });
    let batches = 0;
    let examples = 0;
    let weight = 0;
    let mlmHits = 0;
    let mlmNll = 0;
    let sopHits = 0;
    let sopNll = 0;
    const counts = new Map<number, number>();
    const sopCounts = [0, 0];
    try {
      for (;;) {
        if (data.maxSteps !== undefined && batches >= data.maxSteps) break;
        const b: PretrainingBatch | null = await ds.next();
        if (!b) break;
        const B = b.next_sentence_labels.length;
        const feeds: Record<string, HostTensor> = { ...params, ...batchFeeds(b, B) };
        const run: Record<string, HostTensor> = {};
        for (const n of this.session.inputNames) run[n] = feeds[n];
        const out = (await this.session.run(run)) as Record<string, HostTensor>;
        const value = (name: string): number => Number((out[name].data as Float32Array)[0]);
        let w = 0;
        for (let i = 0; i < b.masked_lm_weights.length; i++) {
          const wi = b.masked_lm_weights[i];
          if (wi === 0) continue;
          w += wi;
          const id = b.masked_lm_ids[i];
          counts.set(id, (counts.get(id) ?? 0) + wi);
        }
        // The graph's masked-LM loss is sum(w * nll) / (sum(w) + epsilon): undo its denominator.
        mlmNll += value('masked_lm_loss') * (w + WEIGHTED_LOSS_EPSILON);
        mlmHits += value('masked_lm_accuracy') * w;
        weight += w;
        sopNll += value('sentence_order_loss') * B;
        sopHits += value('sentence_order_accuracy') * B;
        for (const l of b.next_sentence_labels) sopCounts[l] = (sopCounts[l] ?? 0) + 1;
        examples += B;
        batches += 1;
      }
    } finally {
      await ds.close();
    }
    let top = 0;
    let topCount = -1;
    for (const [id, c] of counts) if (c > topCount || (c === topCount && id < top)) [top, topCount] = [id, c];
    const mlmLoss = weight > 0 ? mlmNll / weight : 0;
    const sopLoss = examples > 0 ? sopNll / examples : 0;
    return {
      step,
      masked_lm_accuracy: weight > 0 ? mlmHits / weight : 0,
      masked_lm_loss: mlmLoss,
      sentence_order_accuracy: examples > 0 ? sopHits / examples : 0,
      sentence_order_loss: sopLoss,
      loss: mlmLoss + sopLoss,
      batches,
      examples,
      masked_tokens: weight,
      frequency_baseline: { token_id: top, accuracy: weight > 0 ? Math.max(0, topCount) / weight : 0 },
      sentence_order_majority: sentenceOrderMajority(sopCounts),
      seconds: (performance.now() - t0) / 1000,
    };
  }
}
