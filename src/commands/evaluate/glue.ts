import { Flags } from '@oclif/core';
import { AlbertCommand } from '../base.ts';
import { snakeKeys } from '../json-keys.ts';

export default class EvaluateGlue extends AlbertCommand {
  static override summary = 'Score a GLUE predictions file against the dev labels with the official metrics.';
  static override description =
    'Reads --predictions, a file of lines `<index>\\t<prediction>` (header `index\\tprediction` optional) as `albert finetune glue` writes them ' +
    '(eval_predictions.tsv; MNLI eval_predictions-m.tsv / -mm.tsv), where the index is the dev example\'s running index from 0 and the prediction a label name ' +
    '(STS-B: a score), and recomputes the task\'s metrics against the dev file in --data-dir: accuracy (SST-2, MNLI, QNLI, RTE, WNLI), ' +
    'accuracy and F1 (MRPC, QQP), MCC (CoLA), Pearson and Spearman (STS-B). Every dev example needs exactly one prediction. ' +
    'MNLI: --split dev_matched or dev_mismatched, by default from the file name (-mm or mismatched: dev_mismatched). ' +
    'Prints a table on stdout, or one JSON document with --json.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> --task-name MRPC --data-dir glue_data/MRPC --predictions out/mrpc/eval_predictions.tsv',
    '<%= config.bin %> <%= command.id %> --task-name MNLI --data-dir glue_data --predictions out/mnli/eval_predictions-mm.tsv --json',
  ];

  static override flags = {
    'task-name': Flags.string({ required: true, description: 'CoLA, SST-2, MRPC, STS-B, QQP, MNLI, QNLI, RTE or WNLI' }),
    'data-dir': Flags.string({ required: true, description: 'the task\'s GLUE folder holding dev.tsv (MNLI dev_matched.tsv, dev_mismatched.tsv), or the GLUE root' }),
    predictions: Flags.string({ char: 'p', required: true, description: 'the predictions file (index<TAB>prediction per line)' }),
    split: Flags.string({ description: 'dev, or for MNLI dev_matched / dev_mismatched (default: from the file name)' }),
    json: Flags.boolean({ default: false, description: 'print one JSON document on stdout' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(EvaluateGlue);
    const { evaluateGluePredictions } = await import('../../tasks/glue/evaluate.ts');
    const r = evaluateGluePredictions({
      taskName: flags['task-name'],
      dataDir: flags['data-dir'],
      predictions: flags.predictions,
      split: flags.split,
    });
    if (flags.json) {
      // The metrics' names (and the baseline's) are data: only the top-level keys are converted.
      await this.writeStdout(`${JSON.stringify(snakeKeys(r as unknown as Record<string, unknown>), null, 2)}\n`);
      return;
    }
    const names = Object.keys(r.metrics);
    const width = Math.max(6, ...names.map((m) => m.length));
    const base = r.majority_baseline;
    const lines = [`${r.task} ${r.split}: ${r.examples} examples, ${r.file}`, `${'metric'.padEnd(width)}  value${base ? `   majority (always "${base.label}")` : ''}`];
    for (const m of names) {
      const majority = base && m in base.metrics ? `   ${base.metrics[m].toFixed(4)}` : '';
      lines.push(`${m.padEnd(width)}  ${r.metrics[m].toFixed(4)}${majority}${m === r.main_metric ? '  (main)' : ''}`);
    }
    await this.writeStdout(`${lines.join('\n')}\n`);
  }
}
