/**
 * `albert finetune classify`: fine-tuning on your own CSV, TSV or JSON Lines files. The labels
 * are discovered from the training and validation files (sorted; stored in config.json as
 * id2label), or the label column is a number to regress on. Otherwise it behaves exactly like
 * the GLUE command; its metrics are accuracy and macro-F1, or Pearson and Spearman.
 */
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { readClassifierLabels } from '../../model/weights/save-hf.ts';
import { BEST_DIR, latestCheckpoint, MODEL_FILE } from '../../train/checkpoint.ts';
import { OptionError } from '../../util/errors.ts';
import type { TextExample } from '../glue/readers.ts';
import { finetuneClassifier, type ClassificationData, type FinetuneOptions, type FinetuneResult, type SplitData } from './finetune.ts';
import { classificationMetrics, regressionMetrics } from './metrics.ts';
import { discoverLabels, readTable, tableExamples, type ColumnSpec } from './own-data.ts';

export interface ClassifyOptions extends FinetuneOptions {
  trainFile?: string;
  validationFile?: string;
  testFile?: string;
  textColumn: string;
  textPairColumn?: string;
  labelColumn: string;
  regression?: boolean;
  /** The label names when no training/validation file is read (evaluating or predicting with a trained model). */
  labels?: string[];
}

export function ownData(o: ClassifyOptions): ClassificationData {
  const spec: ColumnSpec = { textColumn: o.textColumn, textPairColumn: o.textPairColumn, labelColumn: o.labelColumn };
  const cache = new Map<string, SplitData>();
  const read = (file: string | undefined, option: string, split: string, labelled: boolean): SplitData => {
    if (!file) throw new OptionError(`{${option}} is needed for this run`);
    const key = `${split}:${file}`;
    if (!cache.has(key)) {
      const t = readTable(file);
      // A test file may have the label column (it is then ignored) or not.
      const withLabel = labelled || t.columns.includes(o.labelColumn);
      const examples: TextExample[] = tableExamples(t, withLabel ? spec : { ...spec, labelColumn: undefined });
      if (!labelled) for (const e of examples) e.label = null;
      cache.set(key, { split, file, examples });
    }
    return cache.get(key)!;
  };
  let labels: string[] | null = null;
  if (!o.regression) {
    if (o.labels) labels = o.labels;
    else {
      const sets: TextExample[][] = [];
      if (o.trainFile) sets.push(read(o.trainFile, 'trainFile', 'train', true).examples);
      if (o.validationFile && (o.doEval || !o.trainFile)) sets.push(read(o.validationFile, 'validationFile', 'validation', true).examples);
      if (sets.length === 0) throw new OptionError('the labels come from {trainFile} or {validationFile}: give one of them');
      labels = discoverLabels(sets);
      if (labels.length < 2) throw new OptionError(`{labelColumn} "${o.labelColumn}" has only one value (${JSON.stringify(labels[0])}): a classifier needs at least two labels (or pass {regression})`);
    }
  }
  return {
    name: 'classify',
    labels,
    train: () => read(o.trainFile, 'trainFile', 'train', true),
    dev: () => [{ ...read(o.validationFile, 'validationFile', 'validation', true), suffix: '', predictionsFile: 'eval_predictions.tsv' }],
    test: () => [{ ...read(o.testFile, 'testFile', 'test', false), resultsFile: 'test_results.tsv', submission: 'test_predictions.tsv' }],
    metrics: labels === null ? (p, l) => regressionMetrics(p, l) : (p, l) => classificationMetrics(p, l, labels!.length),
    mainMetric: labels === null ? 'pearson' : 'accuracy',
    settings: {
      train_file: { value: o.trainFile ? basename(o.trainFile) : null, option: 'trainFile' },
      text_column: { value: o.textColumn, option: 'textColumn' },
      text_pair_column: { value: o.textPairColumn ?? null, option: 'textPairColumn' },
      label_column: { value: o.labelColumn, option: 'labelColumn' },
    },
  };
}

/**
 * The label names of the model an evaluation- or prediction-only run uses (the output
 * directory's best or final model, else the initial checkpoint): a dev or test file need not
 * hold every label, so rediscovering them there could renumber the classes.
 */
function trainedLabels(o: ClassifyOptions): string[] | undefined {
  const dirs = [join(o.outputDir, BEST_DIR), o.outputDir, latestCheckpoint(o.outputDir)?.dir, o.initCheckpoint].filter((d): d is string => d !== undefined);
  for (const d of dirs) {
    if (!existsSync(join(d, MODEL_FILE)) && d !== o.initCheckpoint) continue;
    const info = existsSync(join(d, 'config.json')) ? readClassifierLabels(d) : null;
    if (info && !info.regression && !info.names.every((n) => /^LABEL_\d+$/.test(n))) return info.names;
  }
  return undefined;
}

export async function finetuneClassify(o: ClassifyOptions): Promise<FinetuneResult & { labels: string[] | null }> {
  const labels = o.labels ?? (!o.doTrain && !o.regression ? trainedLabels(o) : undefined);
  const data = ownData({ ...o, labels });
  const r = await finetuneClassifier(data, o);
  return { ...r, labels: data.labels };
}
