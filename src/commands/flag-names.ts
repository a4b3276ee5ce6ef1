/**
 * One name per concept across the commands. Each concept has one canonical flag, the one --help
 * lists and errors name; the other spellings in use (the original scripts', older ones of ours)
 * are oclif aliases, so pasted and old command lines keep working (argv.ts resolves them too).
 *
 * The choices, and why:
 * - `--config` (`-c`) for the model config, alias `--albert-config-file`: the short name HF
 *   users know, already the name in the compile/convert/export/inspect/predict commands, and the
 *   library's own option name (`{config}` needs no translation); the original scripts' spelling
 *   `--albert_config_file` stays as the alias.
 * - `--init-checkpoint` for the weights to start from, alias `--from` (convert): the original's.
 * - `--max-seq-length` for the sequence length, alias `--seq-length` (run): the original's.
 * - `--max-predictions-per-seq` for the masked positions, alias `--max-predictions` (compile).
 * - `--output-dir` (`-o`) for the output directory, alias `--out`: the original scripts' and
 *   every training command's; the shorter `--out` of compile/convert/export/quickstart remains.
 * - `--num-train-steps` / `--num-warmup-steps` for the step counts, aliases `--train-step` /
 *   `--warmup-step` (run_classifier's and run_race's) and `--steps` (quickstart): plural as every
 *   other step-count flag (`--save-checkpoints-steps`, `--max-eval-steps`, `--log-every-steps`).
 * - `--eval-file` / `--predict-file` for dev and test data, aliases `--validation-file` /
 *   `--test-file`: the original scripts' names, and the data that `--do-eval` / `--do-predict` read.
 * - `--seed` for the seed, alias `--random-seed` (create-pretraining-data's original name).
 */

/** The flag's aliases, and its description naming them (oclif's help does not list aliases). */
export function aka(description: string, ...aliases: string[]): { description: string; aliases: string[] } {
  return { description: `${description} (alias: ${aliases.map((a) => `--${a}`).join(', ')})`, aliases };
}

/** The aliases of the canonical flags, by canonical name. */
export const ALIASES = {
  config: ['albert-config-file'],
  'init-checkpoint': ['from'],
  'max-seq-length': ['seq-length'],
  'max-predictions-per-seq': ['max-predictions'],
  'output-dir': ['out'],
  'num-train-steps': ['train-step', 'steps'],
  'num-warmup-steps': ['warmup-step'],
  'eval-file': ['validation-file'],
  'predict-file': ['test-file'],
  seed: ['random-seed'],
} as const satisfies Record<string, readonly string[]>;
