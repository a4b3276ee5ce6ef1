import { Flags } from '@oclif/core';
import { AlbertCommand } from './base.ts';

export default class Quickstart extends AlbertCommand {
  static override summary = 'Run the whole pretraining path on a generated corpus (no downloads), fine-tune the result against fresh weights, and write report.html.';
  static override description =
    'Generates a corpus with learnable structure, trains a SentencePiece tokenizer on it, creates pretraining TFRecords (training and held-out), pretrains a small ALBERT (H=128, E=64, 4 layers sharing one block) with LAMB, evaluates it at each checkpoint, then fine-tunes a classifier on a generated sentence-pair task (two consecutive held-out sentences: in order or swapped; TSV files under <out>/finetune/data) twice with the same budget, from the pretrained model and from fresh weights, and writes <out>/report.html: loss and accuracy curves, the final held-out masked-LM accuracy against the frequency baseline (always predicting the most frequent masked token), sentence-order accuracy, both fine-tuning dev-accuracy curves against the majority baseline, settings and timings. ' +
    'Takes a few minutes on two CPU cores. Run again in the same directory: the data is regenerated identically and pretraining and fine-tuning resume from their checkpoints. --json prints the training events and a summary as JSON lines on stdout.';
  static override examples = ['<%= config.bin %> <%= command.id %> --out out/quickstart', '<%= config.bin %> <%= command.id %> --out /tmp/qs --steps 100'];

  static override flags = {
    out: Flags.string({ char: 'o', default: 'out/quickstart', description: 'output directory (corpus/, tokenizer/, data/, pretrain/, finetune/, report.html)' }),
    steps: Flags.integer({ min: 1, description: 'training steps (default 1500)' }),
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
    const progress = await createProgress({ tty: process.stderr.isTTY === true && !flags.json, json: flags.json });
    const r = await quickstart({
      out: flags.out,
      steps: flags.steps,
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
      output_dir: x.outputDir,
      final_eval: x.final,
      best: x.best,
      curve: x.evals.map((v) => ({ step: v.step, accuracy: v.accuracy, macro_f1: v.macro_f1, eval_loss: v.eval_loss })),
      final_train_loss: x.finalTrainLoss,
      steps_run: x.stepsRun,
      train_seconds: x.trainSeconds,
    });
    const finetune = {
      task: f.task,
      files: f.files,
      train_examples: f.trainExamples,
      dev_examples: f.devExamples,
      majority_baseline: f.majorityBaseline,
      settings: f.settings,
      pretrained: run(f.pretrained),
      fresh: run(f.fresh),
    };
    for (const l of lines) this.note(l);
    if (flags.json) await this.writeStdout(`${JSON.stringify({ type: 'quickstart', report: r.reportPath, seconds: r.seconds, stages: r.stages, final_eval: e, baseline_piece: r.baselinePiece, finetune })}\n`);
  }
}
