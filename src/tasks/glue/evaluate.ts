/**
 * Scores a GLUE predictions file against the dev labels with the official metrics: what
 * `albert finetune glue` reports at --do-eval, recomputed from its eval_predictions.tsv (MNLI:
 * eval_predictions-m.tsv / -mm.tsv), or from any file in the same layout (the GLUE server's
 * submission format): a header line `index\tprediction` (optional), then one line
 * `<index>\t<prediction>` per dev example. The index is the example's running index in the dev
 * file from 0 (the readers' `id`); the prediction is a label name of the task (`entailment`,
 * `1`) or, for STS-B, a similarity score. The lines may come in any order; every dev example
 * must have exactly one.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { OptionError, UserError } from '../../util/errors.ts';
import { glueMetrics, mainMetric, majorityBaseline } from '../classification/metrics.ts';
import { readGlueSplit } from './readers.ts';
import { glueTask, type GlueSplitFile, type GlueTask } from './tasks.ts';

/** One line of a predictions file. */
export interface PredictionRow {
  /** The index column as written (a dev example's id). */
  index: string;
  /** The class id (position of the label name in task.labels) or, for STS-B, the score. */
  prediction: number;
  /** 1-based line in the file, for error messages. */
  line: number;
}

export interface PredictionsFile {
  /** The path that was read. */
  file: string;
  /** Whether the file began with the `index\tprediction` header. */
  header: boolean;
  rows: PredictionRow[];
}

export interface GlueEvaluateOptions {
  /** A GLUE task name, as glueTask() accepts it ('MRPC', 'sts-b', 'MNLI', ...). */
  taskName: string;
  /** The task's GLUE folder, or the GLUE root holding it (as readGlueSplit). */
  dataDir: string;
  /** The predictions file. */
  predictions: string;
  /** The dev split: 'dev', or for MNLI 'dev_matched' / 'dev_mismatched' (default: from the file name). */
  split?: string;
}

/** The result, also the `--json` document of `albert evaluate glue`. */
export interface GlueEvaluation {
  /** The task's display name ('MRPC', 'MNLI', ...). */
  task: string;
  /** The dev split scored ('dev', 'dev_matched', 'dev_mismatched'). */
  split: string;
  /** The predictions file. */
  file: string;
  /** Dev examples scored (all of them). */
  examples: number;
  /** glueMetrics of the task (accuracy, f1, acc_and_f1, mcc, pearson, spearmanr, corr). */
  metrics: Record<string, number>;
  /** The key of `metrics` the original reports for the task (mainMetric). */
  main_metric: string;
  /**
   * Classification tasks: every metric of always answering the most frequent dev label (which
   * one, and the metrics as `metrics` has them), the baseline a model must beat. Absent for
   * STS-B (scores, not classes: a constant prediction has no correlation to speak of).
   */
  majority_baseline?: { label: string; metrics: Record<string, number> };
}

/** A decimal number as Python's float() reads the ones we write (no hex, no empty string). */
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function isHeader(cols: string[]): boolean {
  return cols.length === 2 && /^(index|id)$/i.test(cols[0]) && /^(prediction|label)$/i.test(cols[1]);
}

/**
 * Reads a predictions file for `task`: label names become class ids in the task's label order,
 * STS-B scores numbers. Fails with a one-line error naming the file and line on a line that is
 * not `index<TAB>prediction`, an unknown label name, a score that is not a number, a repeated
 * index or a file without predictions. Which indices are expected is the caller's business.
 */
export function readPredictions(path: string, task: GlueTask): PredictionsFile {
  const st = statSync(path, { throwIfNoEntry: false });
  if (st === undefined) throw new UserError(`${path}: no such file (the predictions file)`);
  if (!st.isFile()) throw new UserError(`${path}: not a file (the predictions file)`);
  let text = readFileSync(path, 'utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const lines = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  while (lines.length > 0 && lines[lines.length - 1].trim() === '') lines.pop();
  if (lines.length === 0) throw new UserError(`${path}: no predictions (the file is empty)`);

  const labelIds = task.labels ? new Map(task.labels.map((l, i) => [l, i])) : null;
  const header = isHeader(lines[0].split('\t').map((c) => c.trim()));
  const rows: PredictionRow[] = [];
  const seen = new Map<string, number>();
  for (let i = header ? 1 : 0; i < lines.length; i++) {
    const line = i + 1;
    const at = `${path}:${line}`;
    if (!lines[i].includes('\t')) {
      const what = lines[i].trim() === '' ? 'an empty line' : `"${lines[i].length > 40 ? `${lines[i].slice(0, 40)}...` : lines[i]}"`;
      throw new UserError(`${at}: expected "index<TAB>prediction", found ${what} (no tab)`);
    }
    const cols = lines[i].split('\t').map((c) => c.trim());
    if (cols.length !== 2) throw new UserError(`${at}: expected 2 tab-separated columns (index, prediction), found ${cols.length}`);
    const [index, value] = cols;
    if (index === '') throw new UserError(`${at}: the index column is empty`);
    let prediction: number;
    if (labelIds) {
      const id = labelIds.get(value);
      if (id === undefined) {
        throw new UserError(`${at}: prediction "${value}" is not a label of ${task.displayName} (${task.labels!.join(', ')})`);
      }
      prediction = id;
    } else {
      prediction = Number(value);
      if (!NUMBER.test(value) || !Number.isFinite(prediction)) {
        throw new UserError(`${at}: prediction "${value}" is not a number (${task.displayName} predictions are similarity scores)`);
      }
    }
    const first = seen.get(index);
    if (first !== undefined) throw new UserError(`${at}: index ${index} appears again (first on line ${first})`);
    seen.set(index, line);
    rows.push({ index, prediction, line });
  }
  if (rows.length === 0) throw new UserError(`${path}: no predictions (the file has only a header line)`);
  return { file: path, header, rows };
}

/**
 * The dev split to score: `split` if given (one of the task's dev splits), else the task's only
 * one; for MNLI the task name's spelling (MNLI-MM, mismnli) or else the file's name: `-mm` or
 * `mismatched` in it means dev_mismatched, anything else dev_matched.
 */
function devSplit(task: GlueTask, taskName: string, predictions: string, split: string | undefined): GlueSplitFile {
  const names = task.dev.map((s) => s.split);
  if (split !== undefined) {
    const s = task.dev.find((d) => d.split === split);
    if (s === undefined) throw new OptionError(`{split} "${split}" is not a dev split of ${task.displayName} (${names.join(', ')})`);
    return s;
  }
  if (task.dev.length === 1) return task.dev[0];
  const key = taskName.toLowerCase().replace(/[-_\s]/g, '');
  const name = basename(predictions).toLowerCase();
  const mismatched = key === 'mnlimm' || key === 'mismnli' || (key !== 'mnlim' && (/-mm\b|_mm\b|mismatched/.test(name)));
  const want = mismatched ? 'dev_mismatched' : 'dev_matched';
  const s = task.dev.find((d) => d.split === want);
  if (s === undefined) throw new Error(`GLUE task ${task.displayName} has no ${want} split`);
  return s;
}

/** Scores a predictions file against a GLUE task's dev labels with the task's official metrics. */
export function evaluateGluePredictions(o: GlueEvaluateOptions): GlueEvaluation {
  const task = glueTask(o.taskName);
  if (task.dev.length === 0) {
    throw new OptionError(
      `{taskName} ${task.displayName} has no dev labels to score against (the diagnostic set is test-only: ` +
        'predict it with an MNLI model and score it on the GLUE server)',
    );
  }
  const split = devSplit(task, o.taskName, o.predictions, o.split);
  if (!existsSync(o.predictions)) throw new UserError(`${o.predictions}: no such file (the predictions file)`);
  const dev = readGlueSplit(task, o.dataDir, split, 'dev');
  const preds = readPredictions(o.predictions, task);

  const position = new Map(dev.examples.map((e, i) => [e.id, i]));
  const n = dev.examples.length;
  const predictions = new Float64Array(n);
  const given = new Uint8Array(n);
  for (const r of preds.rows) {
    const i = position.get(r.index);
    if (i === undefined) {
      throw new UserError(
        `${preds.file}:${r.line}: index ${r.index} is not an example of ${task.displayName} ${split.split} ` +
          `(${dev.file} has ${n} examples, indices 0 to ${n - 1})`,
      );
    }
    predictions[i] = r.prediction;
    given[i] = 1;
  }
  const missing = n - preds.rows.length;
  if (missing > 0) {
    const first = dev.examples[given.indexOf(0)].id;
    throw new UserError(
      `${preds.file}: ${missing} of the ${n} ${task.displayName} ${split.split} examples have no prediction (the first: index ${first})`,
    );
  }
  const labels = new Float64Array(n);
  dev.examples.forEach((e, i) => {
    labels[i] = task.labels ? task.labels.indexOf(e.label!) : Number(e.label);
  });
  return {
    task: task.displayName,
    split: split.split,
    file: preds.file,
    examples: n,
    metrics: glueMetrics(task.name, predictions, labels),
    main_metric: mainMetric(task.name),
    ...(task.labels ? { majority_baseline: glueMajority(task, labels) } : {}),
  };
}

function glueMajority(task: GlueTask, labels: Float64Array): { label: string; metrics: Record<string, number> } {
  const b = majorityBaseline(labels, (p, l) => glueMetrics(task.name, p, l));
  return { label: task.labels![b.label], metrics: b.metrics };
}
