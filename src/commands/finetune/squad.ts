import { joinWorkers, quietUnlessLeader } from '../workers.ts';
import { Flags } from '@oclif/core';
import { executionOf } from '../kernel-flags.ts';
import { loopFlags, loopProgressOptions } from '../loop-flags.ts';
import { AlbertCommand } from '../base.ts';
import { numberFlag } from '../number-flag.ts';
import { squadOriginalFlags } from '../original-flags.ts';
import { snakeSummary } from '../json-keys.ts';
import { aka } from '../flag-names.ts';

export default class FinetuneSquad extends AlbertCommand {
  static override summary = 'Fine-tune ALBERT on SQuAD v1.1 or v2.0, as the original run_squad_v1.py / run_squad_v2.py.';
  static override description =
    'Reads the SQuAD JSON, windows each passage ([CLS] question [SEP] window [SEP], --doc-stride, --max-query-length, the max-context rule), ' +
    'trains the span head (--head squad, HF AlbertForQuestionAnswering) or the original v2 head (--head squad2: end conditioned on the start, a beam of ' +
    '--start-n-top x --end-n-top computed in the graph, an answer-class head), and with --do-predict writes predictions.json, nbest_predictions.json, ' +
    'null_odds.json (v2.0) and, when --predict-file has answers, the official scores (eval_results.json), evaluated at every checkpoint with best/ by F1. ' +
    'Defaults are the original scripts\'.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> --version 1.1 --train-file train-v1.1.json --predict-file dev-v1.1.json --init-checkpoint albert-base-hf --output-dir out/squad1 --do-train --do-predict',
    '<%= config.bin %> <%= command.id %> --version 2.0 --train-file train-v2.0.json --predict-file dev-v2.0.json --init-checkpoint albert-base-hf --output-dir out/squad2 --do-train --do-predict',
  ];
  static override optionFlags = { allowNonFinite: '--allow-nonfinite-weights' };
  static override originalFlags = squadOriginalFlags;

  static override flags = {
    ...loopFlags,
    version: Flags.string({ required: true, options: ['1.1', '2.0'], description: 'the SQuAD version of the data' }),
    head: Flags.string({ options: ['squad', 'squad2'], description: 'squad: the span head (HF); squad2: the original v2 head (default: squad for 1.1, squad2 for 2.0)' }),
    'train-file': Flags.string({ description: 'SQuAD JSON to train on' }),
    'predict-file': Flags.string({ description: 'SQuAD JSON to predict (scored when it has answers)' }),
    'train-feature-file': Flags.string({ description: 'TFRecord of the training windows: written, and reused when the data, tokenizer and window settings match' }),
    'predict-feature-file': Flags.string({ description: 'TFRecord of the prediction windows and their maps (the original\'s --predict_feature_left_file is part of it)' }),
    'output-dir': Flags.string({ char: 'o', required: true, ...aka('checkpoints, best/, the final model, predictions.json, nbest_predictions.json, null_odds.json, eval_results.json', 'out') }),
    'init-checkpoint': Flags.string({ description: 'weights to start from: a TF checkpoint, an HF directory, a .safetensors file, a .tar.gz, one of our checkpoints or an `albert export` directory (default: fresh weights)' }),
    config: Flags.string({ char: 'c', ...aka('model config: a preset, albert_config.json / config.json, or a directory (default: the checkpoint\'s)', 'albert-config-file') }),
    'spm-model-file': Flags.string({ description: 'SentencePiece model (default: the one next to --init-checkpoint)' }),
    'do-lower-case': Flags.boolean({ default: true, allowNo: true, description: 'lowercase the text (the released models are uncased)' }),
    'max-seq-length': Flags.integer({ default: 384, min: 8, description: 'tokens per window' }),
    'doc-stride': Flags.integer({ default: 128, min: 1, description: 'a new window every this many passage pieces' }),
    'max-query-length': Flags.integer({ default: 64, min: 1, description: 'the question is cut to this many pieces' }),
    'do-train': Flags.boolean({ default: false, description: 'fine-tune' }),
    'do-predict': Flags.boolean({ default: false, description: 'predict --predict-file (and score it when it has answers)' }),
    'train-batch-size': Flags.integer({ default: 48, min: 1, description: 'windows per update' }),
    'predict-batch-size': Flags.integer({ default: 8, min: 1, description: 'windows per prediction batch' }),
    'learning-rate': numberFlag({ default: 5e-5, description: 'peak learning rate' }),
    'num-train-epochs': numberFlag({ default: 2, description: 'epochs over the training questions (steps = questions / batch x epochs)' }),
    'warmup-proportion': numberFlag({ default: 0.1, description: 'the share of the steps spent warming up' }),
    'save-checkpoints-steps': Flags.integer({ default: 1000, min: 1, description: 'save (and evaluate) every this many steps, and at the end' }),
    'n-best-size': Flags.integer({ default: 20, min: 1, description: 'answers kept per question in nbest_predictions.json' }),
    'max-answer-length': Flags.integer({ default: 30, min: 1, description: 'longest answer, in pieces' }),
    'start-n-top': Flags.integer({ min: 1, description: 'squad2 head: starts in the beam (default 5, as the original)' }),
    'end-n-top': Flags.integer({ min: 1, description: 'squad2 head: ends per start in the beam (default 5)' }),
    'null-score-diff-threshold': numberFlag({ default: 0, description: 'v2.0: predict no answer when the null score beats the best answer by more than this' }),
    'dropout-prob': numberFlag({ default: 0.1, description: 'dropout of the v2 answer-class head' }),
    'albert-dropout-rate': numberFlag({ description: 'the encoder\'s dropout while fine-tuning (default: the config\'s)' }),
    optimizer: Flags.string({ default: 'adamw', options: ['adamw', 'lamb'], description: 'the optimizer' }),
    'export-dir': Flags.string({ description: 'write the ONNX export of the resulting model here' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(FinetuneSquad);
    const { finetuneSquad } = await import('../../tasks/squad/finetune.ts');
    const { createProgress } = await import('../../train/progress.ts');
    const { resumePoint } = await import('../../train/loop.ts');
    const outputDir = flags['output-dir'];
    const workers = await joinWorkers(flags);
    const progress = quietUnlessLeader(workers, snakeSummary(await createProgress({
      label: 'finetune',
      tty: process.stderr.isTTY === true && !flags.json,
      json: flags.json,
      metricsFile: flags['metrics-file'],
      metricsStartStep: () => resumePoint(outputDir)?.latest.step ?? 0,
      logEverySteps: flags['log-every-steps'],
      ...loopProgressOptions(flags),
    })));
    const r = await finetuneSquad({
      version: flags.version as '1.1' | '2.0',
      head: flags.head as 'squad' | 'squad2' | undefined,
      trainFile: flags['train-file'],
      predictFile: flags['predict-file'],
      trainFeatureFile: flags['train-feature-file'],
      predictFeatureFile: flags['predict-feature-file'],
      outputDir,
      initCheckpoint: flags['init-checkpoint'],
      config: flags.config,
      spmModelFile: flags['spm-model-file'],
      doLowerCase: flags['do-lower-case'],
      maxSeqLength: flags['max-seq-length'],
      docStride: flags['doc-stride'],
      maxQueryLength: flags['max-query-length'],
      doTrain: flags['do-train'],
      doPredict: flags['do-predict'],
      trainBatchSize: flags['train-batch-size'],
      predictBatchSize: flags['predict-batch-size'],
      learningRate: flags['learning-rate'],
      numTrainEpochs: flags['num-train-epochs'],
      warmupProportion: flags['warmup-proportion'],
      saveCheckpointsSteps: flags['save-checkpoints-steps'],
      keepCheckpointMax: flags['keep-checkpoint-max'],
      nBestSize: flags['n-best-size'],
      maxAnswerLength: flags['max-answer-length'],
      nullScoreDiffThreshold: flags['null-score-diff-threshold'],
      startNTop: flags['start-n-top'],
      endNTop: flags['end-n-top'],
      dropoutProb: flags['dropout-prob'],
      albertDropoutRate: flags['albert-dropout-rate'],
      optimizer: flags.optimizer as 'adamw' | 'lamb',
      gradAccum: flags['grad-accum'],
      threads: flags.threads,
      seed: flags.seed,
      exportDir: flags['export-dir'],
      resume: flags.resume,
      skipNonfiniteSteps: flags['skip-nonfinite-steps'],
      noMemoryCheck: flags['no-memory-check'],
      execution: executionOf(flags),
      workers,
      allowNonFinite: flags['allow-nonfinite-weights'],
      progress,
    });
    progress.stop();
    if (!flags.json) for (const f of r.files) this.note(`wrote ${f}`);
  }
}
