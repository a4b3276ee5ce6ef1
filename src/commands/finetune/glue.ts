import { Flags } from '@oclif/core';
import { AlbertCommand } from '../base.ts';
import { commonOptions, finetuneFlags, finetuneOptionFlags, numberFlag, recipeOptions, aka } from './flags.ts';
import { classifierOriginalFlags } from '../original-flags.ts';

export default class FinetuneGlue extends AlbertCommand {
  static override summary = 'Fine-tune ALBERT on a GLUE task, as the original run_classifier.py / run_glue.sh.';
  static override description =
    'Tasks: CoLA, SST-2, MRPC, STS-B (regression), QQP, MNLI (matched and mismatched), QNLI, RTE, WNLI, and AX (predict only, with an MNLI model). ' +
    '--data-dir is the task\'s folder of the GLUE download (or the GLUE root holding it). ' +
    'Flags left out take run_glue.sh\'s values for the task: --train-batch-size, --learning-rate, --num-train-steps, --num-warmup-steps and --max-seq-length (SST-2 32/1e-5/20935/1256, MNLI 128/3e-5/10000/1000, CoLA 16/1e-5/5336/320, QNLI 32/1e-5/33112/1986, QQP 128/5e-5/14000/1000, RTE 32/3e-5/800/200, STS-B 16/2e-5/3598/214, MRPC 32/2e-5/800/200; seq 512). ' +
    'Writes checkpoints (exact resume after a kill), best/ (the best dev score), the final model in the HuggingFace layout of AlbertForSequenceClassification with the label names, ' +
    'eval_results.txt/.json, eval_predictions.tsv (MNLI: -m and -mm), test_results.tsv (class probabilities) and the GLUE server\'s <TASK>.tsv; --export-dir writes the ONNX export.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> --task-name MRPC --data-dir glue_data/MRPC --init-checkpoint albert-base-hf --output-dir out/mrpc --do-train --do-eval --do-predict --max-seq-length 128',
    '<%= config.bin %> <%= command.id %> --task-name AX --data-dir glue_data/diagnostic --init-checkpoint out/mnli/best --output-dir out/ax --do-predict',
  ];
  // outDir: writeExport's, for the --export-dir export.
  static override optionFlags = { ...finetuneOptionFlags, outDir: '--export-dir' };
  static override originalFlags = classifierOriginalFlags;

  static override flags = {
    'task-name': Flags.string({ required: true, description: 'CoLA, SST-2, MRPC, STS-B, QQP, MNLI, QNLI, RTE, WNLI or AX' }),
    'data-dir': Flags.string({ required: true, description: 'the task\'s GLUE folder (train.tsv, dev.tsv, test.tsv; MNLI dev_matched.tsv, ...)' }),
    'max-seq-length': Flags.integer({ min: 3, description: 'tokens per example (default 512, run_glue.sh\'s)' }),
    'train-batch-size': Flags.integer({ min: 1, description: 'examples per update (default: run_glue.sh\'s for the task)' }),
    'learning-rate': numberFlag({ description: 'peak learning rate (default: run_glue.sh\'s for the task)' }),
    'num-train-steps': Flags.integer({ min: 1, ...aka('updates in all (default: run_glue.sh\'s for the task)', 'train-step') }),
    'num-warmup-steps': Flags.integer({ min: 0, ...aka('linear warmup steps (default: run_glue.sh\'s for the task)', 'warmup-step') }),
    ...finetuneFlags,
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(FinetuneGlue);
    const { finetuneGlue } = await import('../../tasks/glue/finetune.ts');
    const { progress, options } = await commonOptions(flags);
    const r = await finetuneGlue({
      ...recipeOptions(flags),
      ...(options as unknown as Parameters<typeof finetuneGlue>[0]),
      taskName: flags['task-name'],
      dataDir: flags['data-dir'],
    });
    progress.stop();
    if (!flags.json) for (const f of r.files) this.note(`wrote ${f}`);
  }
}
