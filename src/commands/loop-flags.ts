/**
 * The flags of the training loop that every training command shares (pretrain, finetune glue,
 * classify, race, multiple-choice, squad): run control, resume, progress and JSON lines. The
 * training data, schedule and model flags stay with each command.
 */
import { Flags } from '@oclif/core';
import { allowNonFiniteFlag } from './base.ts';
import { deviceFlag, kernelFlags, stepsPerRunFlag } from './kernel-flags.ts';
import { workersFlag } from './workers.ts';

export const loopFlags = {
  'keep-checkpoint-max': Flags.integer({ default: 5, min: 0, description: 'keep the newest this many checkpoints (0: all)' }),
  'grad-accum': Flags.integer({ default: 1, min: 1, description: 'micro-batches per update (gradient accumulation; exact: the update equals one big batch\'s)' }),
  threads: Flags.integer({ min: 1, description: 'onnxruntime intra-op threads (default: all cores); resume with the same number for identical bytes' }),
  seed: Flags.integer({ default: 12345, description: 'seed of fresh weights, the data order and the dropout masks' }),
  'skip-nonfinite-steps': Flags.boolean({ default: false, description: 'skip a step whose loss is NaN/Inf (no update) instead of stopping' }),
  'no-memory-check': Flags.boolean({ default: false, description: 'train even when the step\'s memory estimate (as `albert inspect` computes it) exceeds this machine\'s memory' }),
  'allow-nonfinite-weights': allowNonFiniteFlag,
  resume: Flags.boolean({ default: false, description: 'require a checkpoint in --output-dir to resume from (one found there is resumed from anyway)' }),
  'log-every-steps': Flags.integer({ min: 1, description: 'without a terminal: a progress line every this many steps (default: every 10 s)' }),
  'metrics-file': Flags.string({ description: 'write JSON lines (steps, evals, checkpoints, summary) to this file' }),
  // Its own flag rather than a CSV written by itself next to --metrics-file: no file appears that
  // was not asked for, no name is derived that could clash with the JSON file's, and CSV alone
  // (without JSON lines) is possible.
  'metrics-csv': Flags.string({ description: 'write the steps as CSV to this file (one row per step) and the evaluations to the same name with .eval before its extension' }),
  tensorboard: Flags.string({ description: 'write TensorBoard event files to this directory (losses, metrics, learning rate, gradient norm, evaluations)' }),
  'save-on-interrupt': Flags.boolean({ default: false, description: 'on Ctrl-C (SIGINT/SIGTERM), write a checkpoint at the step reached before stopping (without it the next run resumes from the last scheduled checkpoint)' }),
  json: Flags.boolean({ default: false, description: 'print JSON lines (steps, evals, checkpoints, summary) on stdout' }),
  ...kernelFlags(),
  device: deviceFlag,
  'steps-per-run': stepsPerRunFlag,
  workers: workersFlag,
};

/**
 * The progress options (src/train/progress.ts) behind the loop's reporting flags, for a command's
 * createProgress call: the sink carries them into the training loop, so the library functions
 * between the command and the loop need not know them.
 */
export function loopProgressOptions(flags: Record<string, unknown>): { metricsCsv?: string; tensorboardDir?: string; saveOnInterrupt: boolean } {
  return {
    metricsCsv: flags['metrics-csv'] as string | undefined,
    tensorboardDir: flags.tensorboard as string | undefined,
    saveOnInterrupt: flags['save-on-interrupt'] === true,
  };
}
