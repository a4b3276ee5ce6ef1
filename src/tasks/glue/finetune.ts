/**
 * `albert finetune glue`: the original run_classifier.py on one GLUE task. The task table
 * (tasks.ts) gives the files, labels and run_glue.sh's settings; the readers follow the
 * original's column layouts; the metrics are the official GLUE ones; the flow (features,
 * training, evaluation, predictions, submission files) is the shared classifier fine-tuning.
 */
import { basename } from 'node:path';
import { glueMetrics, mainMetric } from '../classification/metrics.ts';
import { finetuneClassifier, type ClassificationData, type FinetuneOptions, type FinetuneResult } from '../classification/finetune.ts';
import { OptionError } from '../../util/errors.ts';
import { withRecipe } from '../finetune-setup.ts';
import { readGlueSplit } from './readers.ts';
import { glueTask, type GlueRecipe, type GlueTask } from './tasks.ts';

export interface GlueFinetuneOptions extends Omit<FinetuneOptions, 'trainBatchSize' | 'learningRate' | 'trainStep' | 'warmupStep' | 'maxSeqLength'> {
  taskName: string;
  dataDir: string;
  /** Defaults: the task's run_glue.sh values. */
  trainBatchSize?: number;
  learningRate?: number;
  trainStep?: number;
  warmupStep?: number;
  maxSeqLength?: number;
}

/** The GLUE task as a fine-tuning data source. */
export function glueData(task: GlueTask, dataDir: string): ClassificationData {
  const split = (s: NonNullable<GlueTask['train']>, kind: 'train' | 'dev' | 'test'): { split: string; file: string; examples: ReturnType<typeof readGlueSplit>['examples'] } => {
    const r = readGlueSplit(task, dataDir, s, kind);
    return { split: s.split, file: r.file, examples: r.examples };
  };
  return {
    name: `glue-${task.name}`,
    labels: task.labels,
    train: () => {
      if (!task.train) throw new OptionError(`{taskName} ${task.displayName} has no training data: it is predicted by a model fine-tuned on MNLI (use {doPredict} with {initCheckpoint})`);
      return split(task.train, 'train');
    },
    dev: () => {
      if (task.dev.length === 0) throw new OptionError(`{taskName} ${task.displayName} has no dev set to evaluate (use {doPredict})`);
      return task.dev.map((d, i) => ({ ...split(d, 'dev'), suffix: i === 0 ? '' : '_mm', predictionsFile: d.predictionsFile ?? `eval_predictions-${d.split}.tsv` }));
    },
    // One test set writes test_results.tsv as the original; MNLI's two are told apart as its submission files are (-m, -mm).
    test: () => task.test.map((t) => ({ ...split(t, 'test'), submission: t.submission, resultsFile: task.test.length > 1 ? `test_results-${(t.submission ?? t.split).replace(/^.*-|\.tsv$/g, '')}.tsv` : 'test_results.tsv' })),
    metrics: (p, l) => glueMetrics(task.name, p, l),
    mainMetric: mainMetric(task.name),
    settings: { task_name: { value: task.name, option: 'taskName' }, data_dir: { value: basename(dataDir), option: 'dataDir' } },
  };
}

/** The run_glue.sh settings the options leave out. */
export function withGlueRecipe(o: GlueFinetuneOptions, r: GlueRecipe): FinetuneOptions {
  return withRecipe(o, { maxSeqLength: r.maxSeqLength, trainBatchSize: r.batchSize, learningRate: r.learningRate, trainStep: r.trainSteps, warmupStep: r.warmupSteps });
}

export async function finetuneGlue(o: GlueFinetuneOptions): Promise<FinetuneResult & { task: GlueTask }> {
  const task = glueTask(o.taskName);
  const r = await finetuneClassifier(glueData(task, o.dataDir), withGlueRecipe(o, task.recipe));
  return { ...r, task };
}
