import { Flags } from '@oclif/core';
import { AlbertCommand } from '../base.ts';
import { commonOptions, finetuneFlags, finetuneOptionFlags, numberFlag, recipeOptions } from './flags.ts';

export default class FinetuneMultipleChoice extends AlbertCommand {
  static override summary = 'Fine-tune ALBERT on your own multiple-choice questions (JSONL), with the RACE head.';
  static override description =
    'Each line of --train-file/--validation-file/--test-file is {"context", "question", "options": [...], "label"}: any number of options, the same on every line; ' +
    'label is the right option\'s index (0-based) or its text (may be left out in the test file). Each option becomes [CLS] context [SEP] qa [SEP] ' +
    '(a "_" in the question takes the option, else question + " " + option; the qa keeps its last --max-qa-length pieces); the multiple-choice head ' +
    '(pooled -> dropout -> dense H -> 1) scores them and a softmax picks one. Writes what `albert finetune race` writes (predictions hold the option index); ' +
    'eval_results carry accuracy, best/ by accuracy.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> --train-file train.jsonl --validation-file dev.jsonl --init-checkpoint albert-base-hf --output-dir out/mc --do-train --do-eval',
  ];
  static override optionFlags = { ...finetuneOptionFlags, outDir: '--export-dir' };

  static override flags = {
    'train-file': Flags.string({ description: 'training questions (JSONL: context, question, options, label)' }),
    'validation-file': Flags.string({ description: 'dev questions, evaluated at every checkpoint (JSONL)' }),
    'test-file': Flags.string({ description: 'questions to predict (JSONL; label optional)' }),
    'max-seq-length': Flags.integer({ default: 128, min: 4, description: 'tokens per option sequence' }),
    'max-qa-length': Flags.integer({ default: 64, min: 1, description: 'the question-with-option keeps its last this many pieces' }),
    'train-batch-size': Flags.integer({ default: 16, min: 1, description: 'questions per update' }),
    'learning-rate': numberFlag({ default: 2e-5, description: 'peak learning rate' }),
    'train-step': Flags.integer({ default: 1000, min: 1, description: 'updates in all' }),
    'warmup-step': Flags.integer({ default: 100, min: 0, description: 'linear warmup steps' }),
    ...finetuneFlags,
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(FinetuneMultipleChoice);
    const { finetuneMultipleChoice } = await import('../../tasks/race/own-data.ts');
    const { progress, options } = await commonOptions(flags);
    const r = await finetuneMultipleChoice({
      ...recipeOptions(flags),
      ...(options as unknown as Parameters<typeof finetuneMultipleChoice>[0]),
      trainFile: flags['train-file'],
      validationFile: flags['validation-file'],
      testFile: flags['test-file'],
      maxQaLength: flags['max-qa-length'],
    });
    progress.stop();
    if (!flags.json) for (const f of r.files) this.note(`wrote ${f}`);
  }
}
