/**
 * The original scripts' flags that are not simply the snake_case spelling of one of ours, per
 * command (argv.ts applies them). The rule for each: a flag about where the original ran (the
 * TPU, Google Cloud, TensorFlow internals) has no meaning here and nothing to get wrong, so it is
 * accepted with a note and a pasted command line still runs; a flag that would change the result
 * in a way we do not implement is refused, since ignoring it would train something else than
 * the user asked for, unless it has the one value we always use.
 */
import type { OriginalFlagTable } from './argv.ts';

/** Where the original placed its work: a TPU and its Google Cloud project. */
const TPU: OriginalFlagTable = {
  use_tpu: { ignore: 'no TPU here: the step runs in onnxruntime, on --device', bool: true },
  tpu_name: { ignore: 'no TPU here' },
  tpu_zone: { ignore: 'no TPU here' },
  gcp_project: { ignore: 'no TPU here' },
  master: { ignore: 'no TPU here' },
  num_tpu_cores: { ignore: 'no TPU here' },
  // TPUEstimator's steps per host round trip; progress and checkpoints follow --log-every-steps and --save-checkpoints-steps.
  iterations_per_loop: { ignore: 'steps per TPU loop; progress follows --log-every-steps' },
};

const HUB: OriginalFlagTable = {
  // Loading a TF-Hub module needs TensorFlow and the network; the same weights come as checkpoints.
  albert_hub_module_handle: { refuse: 'TF-Hub modules are not loaded here; download the model and pass --init-checkpoint' },
};

export const pretrainOriginalFlags: OriginalFlagTable = {
  ...TPU,
  poly_power: { only: 1, refuse: 'only 1 (linear decay) is implemented' },
  start_warmup_step: { only: 0, refuse: 'only 0 is implemented (the warmup starts at the first step)' },
  init_from_group0: { only: false, refuse: 'not implemented: the layer-group weights load as the checkpoint holds them', bool: true },
  masked_lm_budget: { only: 0, refuse: 'not implemented (0: no budget)' },
};

/** run_classifier.py's, for `albert finetune glue` (and classify, which takes the same flags). */
export const classifierOriginalFlags: OriginalFlagTable = {
  ...TPU,
  ...HUB,
  // The original exports only when the dev score beats it; --export-dir here always exports.
  threshold_to_export: { refuse: 'not implemented: --export-dir always exports the final model (best/ holds the best checkpoint)' },
};

/** run_squad_v1.py's and run_squad_v2.py's. */
export const squadOriginalFlags: OriginalFlagTable = {
  ...TPU,
  ...HUB,
  predict_feature_left_file: { ignore: 'the maps it held are part of --predict-feature-file here' },
  // A kernel choice of the original's TF graph; our compiler lowers einsum itself.
  use_einsum: { ignore: 'the compiler chooses how to lower einsum', bool: true },
  // The original tokenizes with the SentencePiece model whenever one is given, as here.
  vocab_file: { ignore: 'SQuAD fine-tuning tokenizes with --spm-model-file' },
};

export const raceOriginalFlags: OriginalFlagTable = {
  ...TPU,
  ...HUB,
  num_keep_checkpoint: { to: 'keep-checkpoint-max' },
  task_name: { only: 'race', refuse: 'only "race" is a task of this command' },
  high_only: { only: false, refuse: 'not implemented: train on one level with --train-file', bool: true },
  middle_only: { only: false, refuse: 'not implemented: train on one level with --train-file', bool: true },
};

export const createPretrainingDataOriginalFlags: OriginalFlagTable = {
  // How Python opened the files ("r" or "rb"); the text is read as UTF-8 either way.
  input_file_mode: { ignore: 'the input is read as UTF-8 text' },
  do_permutation: { only: false, refuse: 'not implemented (the original marks it experimental)', bool: true },
};
