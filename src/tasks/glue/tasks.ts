/**
 * The GLUE benchmark's tasks as the original ALBERT fine-tunes them (google-research/albert,
 * classifier_utils.py processors and run_glue.sh): which files each task reads, its label set,
 * whether its examples are sentence pairs, which files the GLUE server expects for the test
 * predictions, and the fine-tuning recipe.
 *
 * Files: the name of each split's file inside the data directory. The original's data_dir is
 * the GLUE root and every task has its own subdirectory there (`glue_data/MNLI/train.tsv`,
 * `glue_data/diagnostic/diagnostic.tsv`); `directory` names that subdirectory, and the readers
 * accept either the task's own directory or the GLUE root (see readGlueSplit).
 *
 * Recipes: run_glue.sh's warmup steps, learning rate, train steps and batch size, with its
 * max_seq_length 512 (AdamW). run_glue.sh does not fine-tune WNLI or AX:
 * - WNLI: 635 training examples; we follow the small-task recipes of run_glue.sh (RTE: 2,490
 *   examples, 800 steps of 32 = about 10 epochs, 25% warmup; MRPC alike) and train about 10
 *   epochs: 200 steps of 32 with 50 warmup steps (25%), learning rate 2e-5 (MRPC's, between
 *   RTE's 3e-5 and the large tasks' 1e-5). WNLI's dev set is adversarial to its training set;
 *   models fine-tuned on it usually end at the majority class (56.3% on dev), as in the GLUE
 *   paper's baselines.
 * - AX (the GLUE diagnostic set) has no training data: it is predicted by a model fine-tuned on
 *   MNLI (its labels are MNLI's), so its recipe is MNLI's.
 */
import { UserError } from '../../ir/errors.ts';

export type GlueTaskName = 'cola' | 'sst-2' | 'mrpc' | 'sts-b' | 'qqp' | 'mnli' | 'qnli' | 'rte' | 'wnli' | 'ax';

/** One split of a task: a file in the data directory. */
export interface GlueSplitFile {
  /** 'train' | 'dev' | 'dev_matched' | 'dev_mismatched' | 'test' | 'test_matched' | 'test_mismatched' | 'diagnostic' */
  split: string;
  /** The file's name inside the data directory (or inside the task's subdirectory of the GLUE root). */
  file: string;
  /** Test splits: the file the GLUE server expects in a submission ('CoLA.tsv', 'MNLI-m.tsv', 'AX.tsv', ...). */
  submission?: string;
  /** Dev splits: the file dev-set predictions are written to ('eval_predictions.tsv', MNLI 'eval_predictions-m.tsv' / '-mm'). */
  predictionsFile?: string;
}

/** The fine-tuning settings of run_glue.sh (AdamW, linear warmup then linear decay). */
export interface GlueRecipe {
  warmupSteps: number;
  learningRate: number;
  trainSteps: number;
  batchSize: number;
  maxSeqLength: number;
}

export interface GlueTask {
  name: GlueTaskName;
  /** 'CoLA', 'SST-2', 'MRPC', 'STS-B', 'QQP', 'MNLI', 'QNLI', 'RTE', 'WNLI', 'AX' */
  displayName: string;
  /** The label set in the order of the classifier's outputs (the original's get_labels()); null: regression (STS-B). */
  labels: string[] | null;
  /** Sentence pairs (text_a and text_b) or single sentences. */
  pair: boolean;
  /** The task's subdirectory in the GLUE download (glue_data/<directory>/), as the original's data_dir layout. */
  directory: string;
  /** null: no training data (AX is predicted by an MNLI model). */
  train: GlueSplitFile | null;
  dev: GlueSplitFile[];
  test: GlueSplitFile[];
  recipe: GlueRecipe;
}

const BINARY = ['0', '1'];
const NLI3 = ['contradiction', 'entailment', 'neutral'];
const NLI2 = ['entailment', 'not_entailment'];
const SEQ = 512;

function recipe(warmupSteps: number, learningRate: number, trainSteps: number, batchSize: number): GlueRecipe {
  return { warmupSteps, learningRate, trainSteps, batchSize, maxSeqLength: SEQ };
}

/** A task with the usual files: train.tsv, dev.tsv, test.tsv. */
function simple(
  name: GlueTaskName,
  displayName: string,
  labels: string[] | null,
  pair: boolean,
  r: GlueRecipe,
): GlueTask {
  return {
    name,
    displayName,
    labels,
    pair,
    directory: displayName,
    train: { split: 'train', file: 'train.tsv' },
    dev: [{ split: 'dev', file: 'dev.tsv', predictionsFile: 'eval_predictions.tsv' }],
    test: [{ split: 'test', file: 'test.tsv', submission: `${displayName}.tsv` }],
    recipe: r,
  };
}

const MNLI_RECIPE = recipe(1000, 3e-5, 10000, 128);

export const GLUE_TASKS: Record<GlueTaskName, GlueTask> = {
  cola: simple('cola', 'CoLA', BINARY, false, recipe(320, 1e-5, 5336, 16)),
  'sst-2': simple('sst-2', 'SST-2', BINARY, false, recipe(1256, 1e-5, 20935, 32)),
  mrpc: simple('mrpc', 'MRPC', BINARY, true, recipe(200, 2e-5, 800, 32)),
  'sts-b': simple('sts-b', 'STS-B', null, true, recipe(214, 2e-5, 3598, 16)),
  qqp: simple('qqp', 'QQP', BINARY, true, recipe(1000, 5e-5, 14000, 128)),
  mnli: {
    name: 'mnli',
    displayName: 'MNLI',
    labels: NLI3,
    pair: true,
    directory: 'MNLI',
    train: { split: 'train', file: 'train.tsv' },
    dev: [
      { split: 'dev_matched', file: 'dev_matched.tsv', predictionsFile: 'eval_predictions-m.tsv' },
      { split: 'dev_mismatched', file: 'dev_mismatched.tsv', predictionsFile: 'eval_predictions-mm.tsv' },
    ],
    test: [
      { split: 'test_matched', file: 'test_matched.tsv', submission: 'MNLI-m.tsv' },
      { split: 'test_mismatched', file: 'test_mismatched.tsv', submission: 'MNLI-mm.tsv' },
    ],
    recipe: MNLI_RECIPE,
  },
  qnli: simple('qnli', 'QNLI', NLI2, true, recipe(1986, 1e-5, 33112, 32)),
  rte: simple('rte', 'RTE', NLI2, true, recipe(200, 3e-5, 800, 32)),
  // Not in run_glue.sh: about 10 epochs of the 635 examples, see the comment at the top.
  wnli: simple('wnli', 'WNLI', BINARY, true, recipe(50, 2e-5, 200, 32)),
  // Predict-only with a model fine-tuned on MNLI: MNLI's labels and recipe.
  ax: {
    name: 'ax',
    displayName: 'AX',
    labels: NLI3,
    pair: true,
    directory: 'diagnostic',
    train: null,
    dev: [],
    test: [{ split: 'diagnostic', file: 'diagnostic.tsv', submission: 'AX.tsv' }],
    recipe: MNLI_RECIPE,
  },
};

/** Spellings beyond the canonical names, after lower-casing and dropping '-', '_' and spaces. */
const ALIASES: Record<string, GlueTaskName> = {
  cola: 'cola',
  sst2: 'sst-2',
  mrpc: 'mrpc',
  stsb: 'sts-b',
  qqp: 'qqp',
  mnli: 'mnli',
  mnlim: 'mnli',
  mnlimm: 'mnli',
  mismnli: 'mnli', // the original's task name for evaluating on the mismatched dev set
  qnli: 'qnli',
  rte: 'rte',
  wnli: 'wnli',
  ax: 'ax',
  diagnostic: 'ax',
};

/** The task called `name`, case-insensitively ('sst2', 'SST-2', 'stsb', 'STS-B', 'MNLI', ...). */
export function glueTask(name: string): GlueTask {
  const key = name.toLowerCase().replace(/[-_\s]/g, '');
  const task = Object.hasOwn(ALIASES, key) ? ALIASES[key] : undefined;
  if (task === undefined) {
    const valid = Object.values(GLUE_TASKS).map((t) => t.displayName).join(', ');
    throw new UserError(`unknown GLUE task "${name}" (tasks: ${valid})`);
  }
  return GLUE_TASKS[task];
}
