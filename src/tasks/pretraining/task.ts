/**
 * Pretraining (masked LM + sentence order) as a Task of the training loop: TFRecords of
 * pretraining examples in, the pretraining head trained, the held-out data evaluated with
 * masked_lm_accuracy as the figure that picks the best checkpoint.
 */
import { readTFRecords } from '../../data/tfrecord.ts';
import { WEIGHTED_LOSS_EPSILON } from '../../ir/composites.ts';
import type { AlbertConfig } from '../../model/config.ts';
import { ACCUM_INPUTS } from '../../train-graph/loss-share.ts';
import type { BatchFeeder, BatchSource, EvalReport, OutputWeight, Task, TaskEvaluator } from '../../train/task.ts';
import { OptionError, UserError } from '../../util/errors.ts';
import { PretrainingDataset, type DatasetCursor, type PretrainingBatch } from './dataset.ts';
import { Evaluator, type EvalResult } from './evaluate.ts';
import { batchFeeds } from './feeds.ts';

export { batchFeeds };

function sum(a: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return s;
}

export interface PretrainingTaskOptions {
  config: AlbertConfig;
  maxSeqLength: number;
  maxPredictionsPerSeq: number;
  inputFiles: string[];
  /** Held-out files (empty: no evaluation). */
  evalFiles: string[];
  evalBatchSize: number;
  maxEvalSteps: number;
  seed: number;
  /** Records in the training shuffle buffer (default 100, as run_pretraining.py's). */
  shuffleBuffer?: number;
}

/** Fails when the files hold fewer than `need` records (reads no further than that). */
async function checkEnoughRecords(files: string[], need: number, option: string): Promise<void> {
  let n = 0;
  for await (const _ of readTFRecords(files)) {
    void _;
    if (++n >= need) return;
  }
  throw new OptionError(`{${option}} ${need} exceeds the ${n} record${n === 1 ? '' : 's'} in ${files.join(', ')}`);
}

const rows = (b: PretrainingBatch): number => b.next_sentence_labels.length;

/** How the training step reads pretraining batches (the part of the task the Trainer needs). */
export const pretrainingBatches: BatchFeeder<PretrainingBatch> = {
  feeds: (b) => batchFeeds(b, rows(b)),
  rows,
  tokens: (b) => b.input_ids.length,
  accumulationTotal(name, b) {
    if (name === ACCUM_INPUTS.examples) return rows(b);
    if (name === ACCUM_INPUTS.maskedLmWeight) return sum(b.masked_lm_weights);
    throw new Error(`pretraining: unknown accumulation total "${name}"`);
  },
  outputWeight(output, b): OutputWeight {
    // The masked-LM figures are weighted by masked_lm_weights; the loss's denominator has an epsilon.
    if (output === 'masked_lm_loss') return { weight: sum(b.masked_lm_weights), epsilon: WEIGHTED_LOSS_EPSILON };
    if (output === 'masked_lm_accuracy') return { weight: sum(b.masked_lm_weights) };
    return { weight: rows(b) };
  },
};

export function pretrainingTask(o: PretrainingTaskOptions): Task<PretrainingBatch> {
  return {
    name: 'pretrain',
    graph: { head: 'pretraining', maxPredictions: o.maxPredictionsPerSeq },
    mainMetric: 'masked_lm_accuracy',
    saveOptions: {},
    ...pretrainingBatches,
    async checkTrainData(batchSize) {
      await checkEnoughRecords(o.inputFiles, batchSize, 'trainBatchSize');
    },
    openTrainData(batchSize, cursor): BatchSource<PretrainingBatch> {
      const ds = new PretrainingDataset(o.inputFiles, {
        batchSize,
        maxSeqLength: o.maxSeqLength,
        maxPredictions: o.maxPredictionsPerSeq,
        shuffle: true,
        repeat: true,
        seed: o.seed,
        shuffleBuffer: o.shuffleBuffer ?? 100,
        vocabSize: o.config.vocabSize,
        cursor: (cursor as DatasetCursor | null) ?? undefined,
      });
      return {
        next: async () => (await ds.next())!,
        cursor: () => ds.cursor(),
        close: () => ds.close(),
      };
    },
    ...(o.evalFiles.length > 0
      ? {
          async createEvaluator(threads: number): Promise<TaskEvaluator> {
            await checkEnoughRecords(o.evalFiles, o.evalBatchSize, 'evalBatchSize');
            const ev = await Evaluator.create(o.config, { maxSeqLength: o.maxSeqLength, maxPredictions: o.maxPredictionsPerSeq, threads });
            return {
              compileSeconds: ev.compileSeconds,
              evaluate: async (step, params) => {
                try {
                  return (await ev.evaluate(step, params, { files: o.evalFiles, batchSize: o.evalBatchSize, maxSteps: o.maxEvalSteps, vocabSize: o.config.vocabSize })) as unknown as EvalReport;
                } catch (e) {
                  if (e instanceof UserError && /exceeds the \d+ records?/.test(e.message)) throw new OptionError(`{evalBatchSize} ${o.evalBatchSize} ${e.message.replace(/^batch size \d+ /, '')}`);
                  throw e;
                }
              },
            };
          },
        }
      : {}),
    evalLine: (r) => evalLine(r as unknown as EvalResult),
    evalResultsText: (r) => evalResultsText(r as unknown as EvalResult),
  };
}

const fmt = (x: number, digits = 4): string => (Number.isFinite(x) ? x.toFixed(digits) : String(x));

export function evalLine(e: EvalResult): string {
  return (
    `eval at step ${e.step}: masked_lm_accuracy ${fmt(e.masked_lm_accuracy)} (frequency baseline ${fmt(e.frequency_baseline.accuracy)}), ` +
    `masked_lm_loss ${fmt(e.masked_lm_loss)}, sentence_order_accuracy ${fmt(e.sentence_order_accuracy)}${e.sentence_order_majority ? ` (majority baseline ${fmt(e.sentence_order_majority.accuracy)})` : ''}, sentence_order_loss ${fmt(e.sentence_order_loss)} ` +
    `(${e.examples} examples, ${e.masked_tokens} masked tokens, ${e.seconds.toFixed(1)} s)`
  );
}

export function evalResultsText(e: EvalResult): string {
  const rows: [string, number][] = [
    ['global_step', e.step],
    ['loss', e.loss],
    ['masked_lm_accuracy', e.masked_lm_accuracy],
    ['masked_lm_loss', e.masked_lm_loss],
    ['sentence_order_accuracy', e.sentence_order_accuracy],
    ['sentence_order_loss', e.sentence_order_loss],
    ['frequency_baseline_accuracy', e.frequency_baseline.accuracy],
    ...(e.sentence_order_majority ? [['sentence_order_majority_accuracy', e.sentence_order_majority.accuracy] as [string, number]] : []),
  ];
  return rows.map(([k, v]) => `${k} = ${v}\n`).join('');
}
