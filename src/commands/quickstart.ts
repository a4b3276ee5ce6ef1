import { Flags } from '@oclif/core';
import { AlbertCommand } from './base.ts';
import { aka } from './flag-names.ts';
import { snakeKeys, snakeSummary } from './json-keys.ts';

export default class Quickstart extends AlbertCommand {
  static override summary = 'Run the whole pretraining path on a generated corpus (no downloads), fine-tune the result against fresh weights, and write report.html.';
  static override description =
    'Generates a corpus with learnable structure, trains a SentencePiece tokenizer on it, creates pretraining TFRecords (training and held-out), pretrains a small ALBERT (H=128, E=64, 4 layers sharing one block) with LAMB, evaluates it at each checkpoint, then fine-tunes a classifier on a generated sentence-pair task (two consecutive held-out sentences: in order or swapped; TSV files under <out>/finetune/data) twice with the same budget, from the pretrained model and from fresh weights, and writes <out>/report.html: loss and accuracy curves, the final held-out masked-LM accuracy against the frequency baseline (always predicting the most frequent masked token), sentence-order accuracy, both fine-tuning dev-accuracy curves against the majority baseline, settings and timings. ' +
    'Takes a few minutes on two CPU cores. Run again in the same directory: the data is regenerated identically and pretraining and fine-tuning resume from their checkpoints. --json prints the training events and a summary as JSON lines on stdout.';
  static override examples = ['<%= config.bin %> <%= command.id %> --output-dir out/quickstart', '<%= config.bin %> <%= command.id %> --output-dir /tmp/qs --num-train-steps 100'];

  // out, steps: quickstart()'s names (and its quickstart.json's) for the directory and the pretraining steps.
  static override optionFlags = { out: '--output-dir', steps: '--num-train-steps' };

  static override flags = {
    'output-dir': Flags.string({ char: 'o', default: 'out/quickstart', ...aka('output directory (corpus/, tokenizer/, data/, pretrain/, finetune/, report.html)', 'out') }),
    'num-train-steps': Flags.integer({ min: 1, ...aka('pretraining steps (default 1500)', 'steps') }),
    'finetune-steps': Flags.integer({ min: 1, description: 'steps of each of the two fine-tuning runs (default 200)' }),
    documents: Flags.integer({ min: 50, description: 'generated training documents (default 4000)' }),
    'eval-documents': Flags.integer({ min: 10, description: 'generated held-out documents (default 400)' }),
    threads: Flags.integer({ min: 1, description: 'onnxruntime intra-op threads (default: all cores)' }),
    seed: Flags.integer({ description: 'seed of every stage (default 12345)' }),
    json: Flags.boolean({ default: false, description: 'print JSON lines (training events, summary) on stdout' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Quickstart);
    const { quickstart } = await import('../train/quickstart.ts');
    const { createProgress } = await import('../train/progress.ts');
    const progress = snakeSummary(await createProgress({ tty: process.stderr.isTTY === true && !flags.json, json: flags.json }));
    const r = await quickstart({
      out: flags['output-dir'],
      steps: flags['num-train-steps'],
      finetuneSteps: flags['finetune-steps'],
      documents: flags.documents,
      evalDocuments: flags['eval-documents'],
      threads: flags.threads,
      seed: flags.seed,
      progress,
    });
    const e = r.pretrain.finalEval;
    const f = r.finetune;
    const pct = (x: unknown): string => (typeof x === 'number' ? `${(100 * x).toFixed(1)}%` : '-');
    const lines = [
      `quickstart finished in ${(r.seconds / 60).toFixed(1)} min`,
      ...(e
        ? [
            `held-out masked-LM accuracy ${(100 * e.masked_lm_accuracy).toFixed(1)}% vs frequency baseline ${(100 * e.frequency_baseline.accuracy).toFixed(1)}% (always "${r.baselinePiece}")`,
            `held-out sentence-order accuracy ${(100 * e.sentence_order_accuracy).toFixed(1)}% vs majority baseline ${r.sentenceOrderMajority ? `${(100 * r.sentenceOrderMajority.accuracy).toFixed(1)}% (always label ${r.sentenceOrderMajority.label})` : 'unknown'}`,
          ]
        : []),
      `fine-tuned ${f.settings.steps} steps on sentence order (${f.devExamples} held-out dev pairs): dev accuracy ${pct(f.pretrained.final?.accuracy)} from the pretrained model vs ${pct(f.fresh.final?.accuracy)} from fresh weights ` +
        `(macro-F1 ${pct(f.pretrained.final?.macro_f1)} vs ${pct(f.fresh.final?.macro_f1)}; majority baseline ${pct(f.majorityBaseline.accuracy)})`,
      `report: ${r.reportPath}`,
    ];
    const run = (x: typeof f.pretrained): Record<string, unknown> => ({
      outputDir: x.outputDir,
      finalEval: x.final,
      best: x.best,
      curve: x.evals.map((v) => ({ step: v.step, accuracy: v.accuracy, macro_f1: v.macro_f1, eval_loss: v.eval_loss })),
      finalTrainLoss: x.finalTrainLoss,
      stepsRun: x.stepsRun,
      trainSeconds: x.trainSeconds,
    });
    const finetune = {
      task: f.task,
      files: f.files,
      trainExamples: f.trainExamples,
      devExamples: f.devExamples,
      majorityBaseline: f.majorityBaseline,
      settings: f.settings,
      pretrained: run(f.pretrained),
      fresh: run(f.fresh),
    };
    for (const l of lines) this.note(l);
    if (flags.json) {
      // The library's field names in snake_case down to the settings and the two runs; the evaluations' metric names are the original's already.
      const doc = { type: 'quickstart', report: r.reportPath, seconds: r.seconds, stages: r.stages, finalEval: e, baselinePiece: r.baselinePiece, sentenceOrderMajority: r.sentenceOrderMajority, finetune };
      await this.writeStdout(`${JSON.stringify(snakeKeys(doc, ['stages', 'finetune', 'finetune.settings', 'finetune.majorityBaseline', 'finetune.pretrained', 'finetune.fresh']))}\n`);
    }
  }
}
