import { Flags } from '@oclif/core';
import { AlbertCommand } from '../base.ts';
import { classifierOriginalFlags } from '../original-flags.ts';
import { commonOptions, finetuneFlags, finetuneOptionFlags, numberFlag, ownDataOptionFlags, recipeOptions, aka } from './flags.ts';

export default class FinetuneClassify extends AlbertCommand {
  static override summary = 'Fine-tune ALBERT on your own classification or regression data (CSV, TSV or JSON Lines).';
  static override description =
    'Reads --train-file, --eval-file and --predict-file by extension (.csv with quoted fields, .tsv, .jsonl), takes the text from --text-column (and --text-pair-column), ' +
    'discovers the labels of --label-column (sorted; stored in config.json), or regresses on it with --regression, and otherwise behaves as `albert finetune glue`: ' +
    'checkpoints, best/, the final model with its label names, eval_results.txt/.json (accuracy and macro-F1, or Pearson and Spearman), eval_predictions.tsv, test_results.tsv and test_predictions.tsv.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> --train-file train.csv --eval-file dev.csv --text-column review --label-column sentiment --init-checkpoint albert-base-hf --output-dir out/reviews --do-train --do-eval --max-seq-length 128',
  ];
  // outDir: writeExport's, for the --export-dir export.
  static override optionFlags = { ...finetuneOptionFlags, ...ownDataOptionFlags, outDir: '--export-dir' };
  // run_classifier.py's flags, as `albert finetune glue` takes them: a pasted line keeps its TPU flags.
  static override originalFlags = classifierOriginalFlags;

  static override flags = {
    'train-file': Flags.string({ description: 'training data (.csv, .tsv, .jsonl)' }),
    'eval-file': Flags.string(aka('dev data for --do-eval', 'validation-file')),
    'predict-file': Flags.string(aka('data to predict with --do-predict (the label column may be absent)', 'test-file')),
    'text-column': Flags.string({ required: true, description: 'the column holding the text' }),
    'text-pair-column': Flags.string({ description: 'the column holding the second text of a pair' }),
    'label-column': Flags.string({ required: true, description: 'the column holding the label (or the number, with --regression)' }),
    regression: Flags.boolean({ default: false, description: 'the label is a number: one output, squared error, Pearson and Spearman' }),
    'max-seq-length': Flags.integer({ default: 128, min: 3, description: 'tokens per example' }),
    'train-batch-size': Flags.integer({ default: 32, min: 1, description: 'examples per update' }),
    'learning-rate': numberFlag({ default: 2e-5, description: 'peak learning rate (linear warmup, then linear decay to 0)' }),
    'num-train-steps': Flags.integer({ default: 1000, min: 1, ...aka('updates in all', 'train-step') }),
    'num-warmup-steps': Flags.integer({ default: 100, min: 0, ...aka('linear warmup steps', 'warmup-step') }),
    ...finetuneFlags,
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(FinetuneClassify);
    const { finetuneClassify } = await import('../../tasks/classification/own-finetune.ts');
    const { progress, options } = await commonOptions(flags);
    const r = await finetuneClassify({
      ...recipeOptions(flags),
      ...(options as unknown as Parameters<typeof finetuneClassify>[0]),
      trainFile: flags['train-file'],
      validationFile: flags['eval-file'],
      testFile: flags['predict-file'],
      textColumn: flags['text-column'],
      textPairColumn: flags['text-pair-column'],
      labelColumn: flags['label-column'],
      regression: flags.regression,
    });
    progress.stop();
    if (!flags.json) for (const f of r.files) this.note(`wrote ${f}`);
  }
}
