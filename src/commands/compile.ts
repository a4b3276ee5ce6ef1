import { join } from 'node:path';
import { kernelFlags, kernelsOf } from './kernel-flags.ts';
import { Flags } from '@oclif/core';
import { numberFlag } from './number-flag.ts';
import { UserError } from '../ir/errors.ts';
import { makeDir as makeDirectory } from '../util/make-dir.ts';
import { HEAD_NAMES } from '../model/params.ts';
import { AlbertCommand } from './base.ts';
import { snakeKeys } from './json-keys.ts';
import { aka } from './flag-names.ts';


/** Flags that only a --mode train graph takes. */
const TRAIN_FLAGS = ['optimizer', 'grad-accum', 'freeze', 'bias-correction', 'weight-decay', 'beta1', 'beta2', 'epsilon', 'clip-norm'] as const;

export default class Compile extends AlbertCommand {
  // maxPredictions: compileModel's; the flag is the pretraining data's name for the same number.
  static override optionFlags = { maxPredictions: '--max-predictions-per-seq' };

  static override summary = 'Compile an ALBERT model (a head, for inference, gradients or a whole training step) to ONNX.';
  static override description =
    'Builds the model graph from a config, runs the passes (autodiff for --mode grad and train, the optimizer for --mode train, clean-ups, einsum lowering) and writes model.onnx and manifest.json to --output-dir. A --mode train graph is one optimizer step: (params, optimizer slots, global_step, learning-rate settings, batch) -> (loss, metrics, new params, new slots); manifest.json lists which output feeds which input next time. A summary goes to stderr; --json prints one JSON document on stdout.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> --config tiny --head pretraining --mode grad --output-dir build/tiny',
    '<%= config.bin %> <%= command.id %> --config base --head pretraining --mode train --optimizer lamb --grad-accum 4 --output-dir build/base-train',
    '<%= config.bin %> <%= command.id %> --config base --head classifier --num-labels 3 --mode train --freeze "^bert/embeddings/" --output-dir build/cls-train',
    '<%= config.bin %> <%= command.id %> --config albert_config.json --head classifier --num-labels 3 --mode infer --output-dir build/cls',
  ];

  static override flags = {
    config: Flags.string({ char: 'c', required: true, ...aka('preset name (tiny, base, large, ...), a config JSON file, or a directory holding one', 'albert-config-file') }),
    head: Flags.string({ required: true, options: [...HEAD_NAMES], description: 'task head on top of the encoder' }),
    mode: Flags.string({
      required: true,
      options: ['infer', 'grad', 'train'],
      description: 'infer: forward graph, weights as initializers; grad: loss and gradients, parameters as inputs; train: one optimizer step (new parameters and slots as outputs)',
    }),
    optimizer: Flags.string({ options: ['adamw', 'lamb'], description: '(--mode train) the optimizer; default lamb for --head pretraining, adamw otherwise, as the original scripts' }),
    'grad-accum': Flags.integer({ min: 1, description: '(--mode train) micro-steps per update: accumulate K micro-batch gradients, update on the last (default 1)' }),
    freeze: Flags.string({
      multiple: true,
      multipleNonGreedy: true,
      description: '(--mode train) do not train parameters whose TF name matches this regular expression (repeatable), e.g. "^bert/embeddings/"',
    }),
    'bias-correction': Flags.boolean({ description: '(--mode train) Adam bias correction (the original ALBERT optimisers have none)' }),
    'weight-decay': numberFlag({ description: '(--mode train) decoupled weight decay rate, not applied to LayerNorm and bias parameters (default 0.01)' }),
    beta1: numberFlag({ description: '(--mode train) Adam beta1 (default 0.9)' }),
    beta2: numberFlag({ description: '(--mode train) Adam beta2 (default 0.999)' }),
    epsilon: numberFlag({ description: '(--mode train) Adam epsilon (default 1e-6)' }),
    'clip-norm': numberFlag({ description: '(--mode train) clip gradients to this global norm, 0 for no clipping (default 1.0)' }),
    'num-labels': Flags.integer({ min: 1, description: 'number of classes (classifier head)' }),
    'num-choices': Flags.integer({ min: 1, description: 'number of answer choices (multiple-choice head)' }),
    'max-seq-length': Flags.integer({ min: 1, description: 'longest sequence the model will take (checked against max_position_embeddings; seq stays a dynamic dim)' }),
    'max-predictions-per-seq': Flags.integer({ min: 1, ...aka('masked positions per sequence (pretraining/mlm; default 20)', 'max-predictions') }),
    'keep-einsum': Flags.boolean({ default: false, description: 'leave Einsum ops in the graph instead of lowering them' }),
    ...kernelFlags(),
    'dump-after': Flags.string({
      multiple: true,
      multipleNonGreedy: true,
      delimiter: ',',
      description:
        'write the IR after this pass to the file <output-dir>/dump-<pass>.txt (repeatable or comma-separated; "all" for every pass); a pass that runs again writes dump-<pass>-2.txt, ...',
    }),
    seed: Flags.integer({ description: 'seed for the initial weights of an inference model' }),
    'output-dir': Flags.string({ char: 'o', required: true, ...aka('output directory', 'out') }),
    json: Flags.boolean({ default: false, description: 'print a JSON summary on stdout' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Compile);
    if (flags.mode !== 'train') {
      const given = TRAIN_FLAGS.filter((f) => flags[f] !== undefined);
      if (given.length) throw new UserError(`--${given[0]} applies to --mode train only (got --mode ${flags.mode})`);
    }
    const { compileModel, writeCompiled } = await import('../compile.ts');
    const { writeAtomic } = await import('../util/atomic-write.ts');
    const { tryAcquireDirLock } = await import('../util/dir-lock.ts');
    // One writer per --output-dir (src/util/dir-lock.ts): taken when the first file is about to be
    // written, released at the end (and on any exit).
    let lock: { release(): void } | null = null;
    const dumps: string[] = [];
    const seen = new Map<string, number>();
    const dump = (pass: string, text: string): void => {
      const k = (seen.get(pass) ?? 0) + 1;
      seen.set(pass, k);
      const safe = pass.replace(/[^A-Za-z0-9_.-]+/g, '_');
      const file = join(flags['output-dir'], `dump-${safe}${k > 1 ? `-${k}` : ''}.txt`);
      if (dumps.length === 0) {
        makeDir(flags['output-dir']);
        lock ??= tryAcquireDirLock(flags['output-dir'], 'compile');
      }
      writeAtomic(file, `${text}\n`);
      dumps.push(file);
    };
    const compiled = compileModel({
      config: flags.config,
      head: flags.head,
      mode: flags.mode as 'infer' | 'grad' | 'train',
      numLabels: flags['num-labels'],
      numChoices: flags['num-choices'],
      maxSeqLength: flags['max-seq-length'],
      maxPredictions: flags['max-predictions-per-seq'],
      keepEinsum: flags['keep-einsum'],
      ...kernelsOf(flags),
      dumpAfter: flags['dump-after'],
      dump,
      seed: flags.seed,
      train:
        flags.mode === 'train'
          ? {
              optimizer: flags.optimizer as 'adamw' | 'lamb' | undefined,
              gradAccum: flags['grad-accum'],
              freeze: flags.freeze,
              biasCorrection: flags['bias-correction'],
              weightDecay: flags['weight-decay'],
              beta1: flags.beta1,
              beta2: flags.beta2,
              epsilon: flags.epsilon,
              clipNorm: flags['clip-norm'],
            }
          : undefined,
    });
    lock ??= tryAcquireDirLock(flags['output-dir'], 'compile');
    const { modelPath, manifestPath } = writeCompiled(compiled, flags['output-dir']);
    lock?.release();
    const s = compiled.stats;
    const top = Object.entries(s.ops)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 6)
      .map(([op, n]) => `${op} ${n}`)
      .join(', ');
    this.note(`compiled ${flags.config} ${flags.head} (${flags.mode}) in ${s.seconds.toFixed(2)} s`);
    this.note(`  wrote      ${modelPath} (${(compiled.model.length / 1024).toFixed(1)} KiB), ${manifestPath}`);
    if (dumps.length) this.note(`  dumps      ${dumps.length === 1 ? dumps[0] : `${dumps.length} files dump-*.txt in ${flags['output-dir']}`}`);
    this.note(`  nodes      ${s.nodes} (${Object.keys(s.ops).length} op kinds: ${top}${Object.keys(s.ops).length > 6 ? ', ...' : ''})`);
    this.note(`  parameters ${s.parameters.toLocaleString('en-US')}`);
    const t = compiled.manifest.training;
    if (t) {
      const o = t.settings;
      const trained = t.parameters.reduce((n, p) => n + p.shape.reduce((a, b) => a * b, 1), 0);
      this.note(
        `  optimizer  ${o.optimizer} (beta1 ${o.beta1}, beta2 ${o.beta2}, epsilon ${o.epsilon}, weight decay ${o.weightDecay}, bias correction ${o.biasCorrection ? 'on' : 'off'}, clip norm ${o.clipNorm || 'off'}${o.gradAccum > 1 ? `, ${o.gradAccum} micro-steps per update` : ''})`,
      );
      this.note(`  training   ${t.parameters.length} tensors (${trained.toLocaleString('en-US')} values)${t.frozen.length ? `, ${t.frozen.length} frozen` : ''}`);
    }
    if (flags.json) {
      await this.writeStdout(
        `${JSON.stringify(snakeKeys({ modelPath, manifestPath, dumps, modelBytes: compiled.model.length, nodes: s.nodes, ops: s.ops, parameters: s.parameters, seconds: s.seconds, ...(t ? { optimizer: t.settings, trainedParameters: t.parameters.length, frozenParameters: t.frozen } : {}) }, ['optimizer']), null, 2)}\n`,
      );
    }
  }
}

function makeDir(dir: string): void {
  makeDirectory(dir, 'output directory');
}
