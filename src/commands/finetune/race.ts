import { Flags } from '@oclif/core';
import { AlbertCommand } from '../base.ts';
import { commonOptions, finetuneFlags, finetuneOptionFlags, numberFlag, recipeOptions, aka } from './flags.ts';
import { raceOriginalFlags } from '../original-flags.ts';

export default class FinetuneRace extends AlbertCommand {
  static override summary = 'Fine-tune ALBERT on RACE (multiple-choice reading comprehension), as the original run_race.py.';
  static override description =
    'Reads --data-dir/RACE/{train,dev,test}/{middle,high}/*.txt (one JSON example per file: article, questions, options, answers as letters), or single files with ' +
    '--train-file/--eval-file/--predict-file; each option becomes [CLS] article [SEP] qa [SEP] (a "_" in the question takes the option, else question + " " + option; ' +
    'the qa keeps its last --max-qa-length pieces); the multiple-choice head (pooled -> dropout -> dense H -> 1) scores the four and a softmax picks one. ' +
    'Defaults are the v2 recipe (lr 1e-5, 12000 steps, 1000 warmup, batch 32, seq 512; pass --albert-dropout-rate 0 for v2 models). Writes what `albert finetune glue` writes; ' +
    'eval_results carry accuracy on middle, high and all, best/ by overall accuracy.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> --data-dir data --init-checkpoint albert-base-hf --output-dir out/race --do-train --do-eval --albert-dropout-rate 0',
  ];
  static override optionFlags = { ...finetuneOptionFlags, outDir: '--export-dir' };
  static override originalFlags = raceOriginalFlags;

  static override flags = {
    'data-dir': Flags.string({ description: 'the folder holding RACE/ ({train,dev,test}/{middle,high}/*.txt), or RACE itself' }),
    'train-file': Flags.string({ description: 'a single training file instead of --data-dir\'s train split (.txt/.json with one example, or .jsonl)' }),
    'eval-file': Flags.string({ description: 'a single dev file instead of --data-dir\'s dev split' }),
    'predict-file': Flags.string({ description: 'a single file to predict instead of --data-dir\'s test split' }),
    'max-seq-length': Flags.integer({ default: 512, min: 4, description: 'tokens per option sequence' }),
    'max-qa-length': Flags.integer({ default: 128, min: 1, description: 'the question-with-option keeps its last this many pieces' }),
    'train-batch-size': Flags.integer({ default: 32, min: 1, description: 'questions per update' }),
    'learning-rate': numberFlag({ default: 1e-5, description: 'peak learning rate' }),
    'num-train-steps': Flags.integer({ default: 12000, min: 1, ...aka('updates in all', 'train-step') }),
    'num-warmup-steps': Flags.integer({ default: 1000, min: 0, ...aka('linear warmup steps', 'warmup-step') }),
    ...finetuneFlags,
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(FinetuneRace);
    const { finetuneRace } = await import('../../tasks/race/finetune.ts');
    const { progress, options } = await commonOptions(flags);
    const r = await finetuneRace({
      ...recipeOptions(flags),
      ...(options as unknown as Parameters<typeof finetuneRace>[0]),
      dataDir: flags['data-dir'],
      trainFile: flags['train-file'],
      evalFile: flags['eval-file'],
      predictFile: flags['predict-file'],
      maxQaLength: flags['max-qa-length'],
    });
    progress.stop();
    if (!flags.json) for (const f of r.files) this.note(`wrote ${f}`);
  }
}
