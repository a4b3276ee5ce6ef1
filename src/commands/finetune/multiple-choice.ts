import { Flags } from '@oclif/core';
import { AlbertCommand } from '../base.ts';
import { commonOptions, finetuneFlags, finetuneOptionFlags, numberFlag, ownDataOptionFlags, recipeOptions, aka } from './flags.ts';

export default class FinetuneMultipleChoice extends AlbertCommand {
  static override summary = 'Fine-tune ALBERT on your own multiple-choice questions (JSONL), with the RACE head.';
  static override description =
    'Each line of --train-file/--eval-file/--predict-file is {"context", "question", "options": [...], "label"}: any number of options, the same on every line; ' +
    'label is the right option\'s index (0-based) or its text (may be left out in the test file). Each option becomes [CLS] context [SEP] qa [SEP] ' +
    '(a "_" in the question takes the option, else question + " " + option; the qa keeps its last --max-qa-length pieces); the multiple-choice head ' +
    '(pooled -> dropout -> dense H -> 1) scores them and a softmax picks one. Writes what `albert finetune race` writes (predictions hold the option index); ' +
    'eval_results carry accuracy, best/ by accuracy.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> --train-file train.jsonl --eval-file dev.jsonl --init-checkpoint albert-base-hf --output-dir out/mc --do-train --do-eval',
  ];
  static override optionFlags = { ...finetuneOptionFlags, ...ownDataOptionFlags, outDir: '--export-dir' };

  static override flags = {
    'train-file': Flags.string({ description: 'training questions (JSONL: context, question, options, label)' }),
    'eval-file': Flags.string(aka('dev questions, evaluated at every checkpoint (JSONL)', 'validation-file')),
    'predict-file': Flags.string(aka('questions to predict (JSONL; label optional)', 'test-file')),
    'max-seq-length': Flags.integer({ default: 128, min: 4, description: 'tokens per option sequence' }),
    'max-qa-length': Flags.integer({ default: 64, min: 1, description: 'the question-with-option keeps its last this many pieces' }),
    'train-batch-size': Flags.integer({ default: 16, min: 1, description: 'questions per update' }),
    'learning-rate': numberFlag({ default: 2e-5, description: 'peak learning rate' }),
    'num-train-steps': Flags.integer({ default: 1000, min: 1, ...aka('updates in all', 'train-step') }),
    'num-warmup-steps': Flags.integer({ default: 100, min: 0, ...aka('linear warmup steps', 'warmup-step') }),
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
      validationFile: flags['eval-file'],
      testFile: flags['predict-file'],
      maxQaLength: flags['max-qa-length'],
    });
    progress.stop();
    if (!flags.json) for (const f of r.files) this.note(`wrote ${f}`);
  }
}
