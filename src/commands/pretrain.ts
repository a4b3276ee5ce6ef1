import { Flags } from '@oclif/core';
import { executionOf } from './kernel-flags.ts';
import { joinWorkers, quietUnlessLeader } from './workers.ts';
import { loopFlags, loopProgressOptions } from './loop-flags.ts';
import { numberFlag } from './number-flag.ts';
import { UserError } from '../ir/errors.ts';
import { AlbertCommand } from './base.ts';
import { pretrainOriginalFlags } from './original-flags.ts';
import { snakeSummary } from './json-keys.ts';
import { aka } from './flag-names.ts';


export default class Pretrain extends AlbertCommand {
  static override summary = 'Pretrain ALBERT (masked LM + sentence order) on TFRecords, as the original run_pretraining.py.';
  static override description =
    'Compiles one training step (forward, backward, LAMB or AdamW) to ONNX and runs it in onnxruntime, one session for the whole run. ' +
    'Checkpoints go to --output-dir/checkpoint-<step> every --save-checkpoints-steps and at the end (weights as HF safetensors, optimizer slots, training state; ' +
    'the last --keep-checkpoint-max kept); a checkpoint found there is resumed from exactly (the result is the same bytes as an uninterrupted run). ' +
    'With --do-eval the held-out data is evaluated at every checkpoint (masked_lm_accuracy, masked_lm_loss, sentence_order_accuracy, sentence_order_loss) and the best checkpoint by masked-LM accuracy is kept in --output-dir/best. ' +
    'The final model is --output-dir/model.safetensors + config.json. Defaults are the original recipe (batch 4096, seq 512, lr 0.00176, 125k steps): set them for your machine. ' +
    'Progress: a bar on a terminal, plain lines otherwise (stderr); --json prints JSON lines on stdout, --metrics-file writes them to a file.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> --input-file "data/train-*.tfrecord" --eval-file data/eval.tfrecord --output-dir out/pretrain --config base --do-train --do-eval --train-batch-size 32 --max-seq-length 128 --num-train-steps 10000 --num-warmup-steps 500 --learning-rate 0.00176',
    '<%= config.bin %> <%= command.id %> --input-file data/train.tfrecord --output-dir out/pretrain --do-train --resume',
    '<%= config.bin %> <%= command.id %> --eval-file data/eval.tfrecord --output-dir out/pretrain --do-eval --max-seq-length 128',
  ];

  static override optionFlags = { inputFiles: '--input-file', evalFiles: '--eval-file', maxPredictions: '--max-predictions-per-seq' };
  static override originalFlags = pretrainOriginalFlags;

  static override flags = {
    ...loopFlags,
    'input-file': Flags.string({ description: 'training TFRecord files: comma-separated paths or globs' }),
    'eval-file': Flags.string({ description: 'held-out TFRecord files for --do-eval (default: --input-file, as the original)' }),
    'output-dir': Flags.string({ char: 'o', required: true, ...aka('checkpoints, best/, the final model and eval_results.txt go here; a checkpoint here is resumed from', 'out') }),
    'init-checkpoint': Flags.string({ description: 'weights to start from: a TF checkpoint, .safetensors, HF directory or .tar.gz' }),
    config: Flags.string({ char: 'c', ...aka('model config: a preset (tiny, base, large, ...), albert_config.json / config.json, or a directory (default: the checkpoint\'s)', 'albert-config-file') }),
    'do-train': Flags.boolean({ default: false, description: 'train' }),
    'do-eval': Flags.boolean({ default: false, description: 'evaluate on --eval-file at every checkpoint (or, without --do-train, the given model once)' }),
    'train-batch-size': Flags.integer({ default: 4096, min: 1, description: 'examples per update (split into --grad-accum micro-batches)' }),
    'eval-batch-size': Flags.integer({ default: 64, min: 1, description: 'examples per evaluation batch' }),
    'max-seq-length': Flags.integer({ default: 512, min: 2, description: 'sequence length of the data (every record must have it)' }),
    'max-predictions-per-seq': Flags.integer({ default: 20, min: 1, description: 'masked positions per record in the data' }),
    optimizer: Flags.string({ default: 'lamb', options: ['lamb', 'adamw'], description: 'the optimizer' }),
    'learning-rate': numberFlag({ default: 0.00176, description: 'peak learning rate (linear warmup, then linear decay to 0)' }),
    'num-train-steps': Flags.integer({ default: 125000, min: 1, description: 'updates in all (the decay reaches 0 there)' }),
    'num-warmup-steps': Flags.integer({ default: 3125, min: 0, description: 'linear warmup steps' }),
    'save-checkpoints-steps': Flags.integer({ default: 5000, min: 1, description: 'save (and evaluate) every this many steps, and at the end' }),
    'max-eval-steps': Flags.integer({ default: 100, min: 1, description: 'evaluate on at most this many batches' }),
    'spm-model-file': Flags.string({ description: 'SentencePiece model to copy next to the final model as spiece.model' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Pretrain);
    const { expandFilePatterns } = await import('../tasks/pretraining/data/documents.ts');
    const { pretrain } = await import('../tasks/pretraining/pretrain.ts');
    const { createProgress } = await import('../train/progress.ts');
    const { resumePoint } = await import('../train/loop.ts');
    if (!flags['do-train'] && !flags['do-eval']) throw new UserError('at least one of --do-train or --do-eval must be given');
    const inputFiles = flags['input-file'] ? expandFilePatterns(flags['input-file'], '--input-file') : undefined;
    if (flags['do-train'] && !inputFiles) throw new UserError('--do-train needs --input-file');
    const evalFiles = flags['eval-file'] ? expandFilePatterns(flags['eval-file'], '--eval-file') : undefined;
    const workers = await joinWorkers(flags);
    const progress = quietUnlessLeader(workers, snakeSummary(await createProgress({
      label: 'pretrain',
      tty: process.stderr.isTTY === true && !flags.json,
      json: flags.json,
      metricsFile: flags['metrics-file'],
      // A resumed run drops the lines the killed one logged after its last checkpoint; asked at
      // the first line, after pretrain() has checked its inputs and cleaned the output directory.
      metricsStartStep: () => resumePoint(flags['output-dir'])?.latest.step ?? 0,
      logEverySteps: flags['log-every-steps'],
      ...loopProgressOptions(flags),
    })));
    await pretrain({
      inputFiles,
      evalFiles,
      outputDir: flags['output-dir'],
      initCheckpoint: flags['init-checkpoint'],
      allowNonFinite: flags['allow-nonfinite-weights'],
      config: flags.config,
      doTrain: flags['do-train'],
      doEval: flags['do-eval'],
      trainBatchSize: flags['train-batch-size'],
      evalBatchSize: flags['eval-batch-size'],
      maxSeqLength: flags['max-seq-length'],
      maxPredictionsPerSeq: flags['max-predictions-per-seq'],
      optimizer: flags.optimizer as 'lamb' | 'adamw',
      learningRate: flags['learning-rate'],
      numTrainSteps: flags['num-train-steps'],
      numWarmupSteps: flags['num-warmup-steps'],
      saveCheckpointsSteps: flags['save-checkpoints-steps'],
      keepCheckpointMax: flags['keep-checkpoint-max'],
      maxEvalSteps: flags['max-eval-steps'],
      gradAccum: flags['grad-accum'],
      threads: flags.threads,
      seed: flags.seed,
      skipNonfiniteSteps: flags['skip-nonfinite-steps'],
      noMemoryCheck: flags['no-memory-check'],
      execution: executionOf(flags),
      workers,
      resume: flags.resume,
      spmModelFile: flags['spm-model-file'],
      progress,
    });
  }
}
