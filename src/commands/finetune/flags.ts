/**
 * The flags `albert finetune glue` and `albert finetune classify` share: the original
 * run_classifier.py's, in kebab case, plus ours. Values a user leaves out of the GLUE command
 * take run_glue.sh's for the task (so those flags have no oclif default there).
 */
import { joinWorkers, quietUnlessLeader } from '../workers.ts';
import { executionOf } from '../kernel-flags.ts';
import { Flags } from '@oclif/core';
import { loopFlags, loopProgressOptions } from '../loop-flags.ts';
import { numberFlag } from '../number-flag.ts';
import type { ProgressSink } from '../../train/progress.ts';
import { snakeSummary } from '../json-keys.ts';
import { aka } from '../flag-names.ts';

export { aka, numberFlag };

export const finetuneFlags = {
  ...loopFlags,
  'output-dir': Flags.string({ char: 'o', required: true, ...aka('checkpoints, best/, the final model, eval_results.txt, predictions and submission files go here; a checkpoint here is resumed from', 'out') }),
  'init-checkpoint': Flags.string({ description: 'weights to start from: a TF checkpoint (model.ckpt-best), an HF directory, a .safetensors file, a .tar.gz, one of our checkpoints or an `albert export` directory (default: fresh weights)' }),
  config: Flags.string({ char: 'c', ...aka('model config: a preset (tiny, base, ...), albert_config.json / config.json, or a directory (default: the checkpoint\'s)', 'albert-config-file') }),
  'spm-model-file': Flags.string({ description: 'SentencePiece model (default: the one next to --init-checkpoint)' }),
  'vocab-file': Flags.string({ description: 'WordPiece vocab.txt (Chinese models) instead of --spm-model-file' }),
  'do-lower-case': Flags.boolean({ default: true, allowNo: true, description: 'lowercase the text (the released models are uncased)' }),
  'do-train': Flags.boolean({ default: false, description: 'fine-tune' }),
  'do-eval': Flags.boolean({ default: false, description: 'evaluate on the dev set at every checkpoint and write eval_results.txt and dev predictions' }),
  'do-predict': Flags.boolean({ default: false, description: 'predict the test set: test_results.tsv and the submission file' }),
  'eval-batch-size': Flags.integer({ default: 8, min: 1, description: 'examples per evaluation batch' }),
  'predict-batch-size': Flags.integer({ default: 8, min: 1, description: 'examples per prediction batch' }),
  'save-checkpoints-steps': Flags.integer({ default: 1000, min: 1, description: 'save (and evaluate) every this many steps, and at the end' }),
  optimizer: Flags.string({ default: 'adamw', options: ['adamw', 'lamb'], description: 'the optimizer (the original fine-tunes with AdamW)' }),
  'cached-dir': Flags.string({ description: 'cache the encoded features here as TFRecords (reused when the data, tokenizer, sequence length and labels match)' }),
  'dropout-prob': numberFlag({ default: 0.1, description: 'dropout on the pooled output before the classifier' }),
  'albert-dropout-rate': numberFlag({ description: 'the encoder\'s dropout while fine-tuning (default: the config\'s; 0 is the v2 recipe)' }),
  'reinit-head': Flags.boolean({ default: false, description: 'start the classifier head afresh (e.g. a checkpoint fine-tuned with another label count)' }),
  'export-dir': Flags.string({ description: 'write the ONNX export of the resulting model here (for transformers.js and `albert predict text-classification`)' }),
};

/** Library option -> flag, where the flag is not the option's kebab-case name (flag-names.ts). */
export const finetuneOptionFlags: Record<string, string> = {
  trainStep: '--num-train-steps',
  warmupStep: '--num-warmup-steps',
};

/** The classify and multiple-choice libraries' names for the dev and test data. */
export const ownDataOptionFlags: Record<string, string> = { validationFile: '--eval-file', testFile: '--predict-file' };

type ParsedFinetuneFlags = {
  [K in keyof typeof finetuneFlags]: unknown;
} & { fusion?: string; 'no-fuse'?: boolean; recompute?: string; device?: string; fp16?: boolean };

/** The options both commands pass to the library from the shared flags. */
export async function commonOptions(flags: ParsedFinetuneFlags & Record<string, unknown>): Promise<{ progress: ProgressSink; options: Record<string, unknown> }> {
  const { createProgress } = await import('../../train/progress.ts');
  const { resumePoint } = await import('../../train/loop.ts');
  const outputDir = flags['output-dir'] as string;
  const workers = await joinWorkers(flags as { workers?: number });
  const progress = quietUnlessLeader(workers, snakeSummary(await createProgress({
    label: 'finetune',
    tty: process.stderr.isTTY === true && !flags.json,
    json: flags.json as boolean,
    metricsFile: flags['metrics-file'] as string | undefined,
    metricsStartStep: () => resumePoint(outputDir)?.latest.step ?? 0,
    logEverySteps: flags['log-every-steps'] as number | undefined,
    ...loopProgressOptions(flags),
  })));
  return {
    progress,
    options: {
      outputDir,
      initCheckpoint: flags['init-checkpoint'],
      allowNonFinite: flags['allow-nonfinite-weights'],
      config: flags.config,
      spmModelFile: flags['spm-model-file'],
      vocabFile: flags['vocab-file'],
      doLowerCase: flags['do-lower-case'],
      doTrain: flags['do-train'],
      doEval: flags['do-eval'],
      doPredict: flags['do-predict'],
      evalBatchSize: flags['eval-batch-size'],
      predictBatchSize: flags['predict-batch-size'],
      saveCheckpointsSteps: flags['save-checkpoints-steps'],
      keepCheckpointMax: flags['keep-checkpoint-max'],
      optimizer: flags.optimizer,
      cachedDir: flags['cached-dir'],
      dropoutProb: flags['dropout-prob'],
      albertDropoutRate: flags['albert-dropout-rate'],
      reinitHead: flags['reinit-head'],
      gradAccum: flags['grad-accum'],
      threads: flags.threads,
      seed: flags.seed,
      skipNonfiniteSteps: flags['skip-nonfinite-steps'],
      noMemoryCheck: flags['no-memory-check'],
      execution: executionOf(flags),
      workers,
      resume: flags.resume,
      exportDir: flags['export-dir'],
      progress,
    },
  };
}

/** The schedule and size flags every fine-tuning command has, as the library's recipe options (absent: the task's defaults). */
export function recipeOptions(flags: Record<string, unknown>): { maxSeqLength?: number; trainBatchSize?: number; learningRate?: number; trainStep?: number; warmupStep?: number } {
  const n = (k: string): number | undefined => (flags[k] === undefined ? undefined : (flags[k] as number));
  return { maxSeqLength: n('max-seq-length'), trainBatchSize: n('train-batch-size'), learningRate: n('learning-rate'), trainStep: n('num-train-steps'), warmupStep: n('num-warmup-steps') };
}
