/**
 * The seam between the task-agnostic training loop (src/train/loop.ts) and a task (pretraining,
 * GLUE, your own classification data, SQuAD, RACE). The loop owns the session, the state
 * hand-off between runs, gradient accumulation, checkpoints, exact resume, the evaluation
 * schedule, the best checkpoint, progress and NaN handling; a task owns everything that knows
 * what the data means:
 *  - its head and label space (what the training graph is compiled for),
 *  - its data: batches, their feeds, and a cursor that puts the data back where it was,
 *  - how each loss and metric output of a micro-batch weighs in the value of a whole update,
 *    and the totals over an update that gradient accumulation needs,
 *  - evaluation over a whole set (metrics that are not means of batch means: MCC, F1,
 *    correlations), the line people read, the original's eval_results.txt,
 *  - what a saved model carries (HF architecture, label names).
 * The loop reads the names of losses and metrics from the training manifest, never from a
 * list of its own.
 */
import type { HostTensor } from '../backends/target.ts';
import type { SaveHfOptions } from '../model/weights/save-hf.ts';
import type { ProgressSink } from './progress.ts';

export type Feeds = Record<string, HostTensor>;

/** The head a task trains and the shape options its graph needs. */
export interface TaskGraph {
  head: string;
  numLabels?: number;
  numChoices?: number;
  maxPredictions?: number;
}

/**
 * How one loss or metric output of a micro-batch weighs in the update's value: the update's
 * value is sum_k v_k (w_k + epsilon) / (sum_k w_k + epsilon). For a plain mean over examples the
 * weight is the micro-batch's example count and epsilon 0; a weighted loss whose denominator
 * carries an epsilon (the masked-LM loss) names it, so that it counts once per update.
 */
export interface OutputWeight {
  weight: number;
  epsilon?: number;
}

/** Training batches, endlessly (epochs follow each other), from a cursor the checkpoint keeps. */
export interface BatchSource<B> {
  next(): Promise<B>;
  /** Where the next batch comes from: JSON that `openTrainData` takes back. */
  cursor(): unknown;
  close(): Promise<void>;
}

/** The result of one evaluation: JSON that the training state keeps. */
export interface EvalReport {
  /** The updates the evaluated parameters had. */
  step: number;
  seconds: number;
  [figure: string]: unknown;
}

export interface TaskEvaluator {
  compileSeconds: number;
  /** Evaluates the given parameters (graph input name -> tensor) on the whole evaluation set. */
  evaluate(step: number, params: Feeds): Promise<EvalReport>;
}

/** How the training step reads a task's micro-batches (what the Trainer needs of a task). */
export type BatchFeeder<B> = Pick<Task<B>, 'feeds' | 'rows' | 'tokens' | 'accumulationTotal' | 'outputWeight'>;

/** What a task's result files are made from: the model a run ends with. */
export interface ResultsContext {
  outputDir: string;
  /** The parameters (graph input name -> tensor). */
  params: Feeds;
  /** Where they come from (best/, the final model, a checkpoint), for messages and reports. */
  from: string;
  /** The updates they had. */
  step: number;
  threads: number;
  progress: ProgressSink;
}

export interface TaskResults {
  /** The files written. */
  files: string[];
  /** The evaluation the results carry, when there was one. */
  eval: EvalReport | null;
}

export interface Task<B> {
  /** For messages and the summary: "pretraining", "glue MRPC", "classify". */
  readonly name: string;
  readonly graph: TaskGraph;
  /** The evaluation figure that picks the best checkpoint (higher is better). */
  readonly mainMetric: string;
  /** What the HF config.json of checkpoints and of the final model carries (head, labels). */
  readonly saveOptions: Omit<SaveHfOptions, 'spmModelFile' | 'extraMetadata'>;

  /** The feeds of one micro-batch (token inputs and labels), wrapped without a copy where possible. */
  feeds(b: B): Feeds;
  /** Examples in a micro-batch, and tokens fed (padding included). */
  rows(b: B): number;
  tokens(b: B): number;
  /** The micro-batch's part of a total that accumulation declares (e.g. accum_examples). */
  accumulationTotal(name: string, b: B): number;
  /** The weight of a loss or metric output (see OutputWeight). */
  outputWeight(output: string, b: B): OutputWeight;

  /** Training data in micro-batches of `batchSize`, from `cursor` (null: the beginning). */
  openTrainData(batchSize: number, cursor: unknown): BatchSource<B>;
  /** Checks, before anything slow, that the training data has at least one micro-batch. */
  checkTrainData?(batchSize: number): Promise<void>;

  /** Evaluation on the task's held-out set (absent: the task has none configured). */
  createEvaluator?(threads: number): Promise<TaskEvaluator>;
  /** One line for people about an evaluation. */
  evalLine(e: EvalReport): string;
  /** The original's eval_results.txt (`key = value` lines). */
  evalResultsText(e: EvalReport): string;
  /**
   * Post-processing: the task's result files (predictions on the evaluation and test sets,
   * submission files) from the model the run ends with, which is the best checkpoint when the
   * run evaluated, else the final model. Absent: the task writes nothing beyond the loop's files.
   */
  writeResults?(ctx: ResultsContext): Promise<TaskResults>;
}
