import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Flags } from '@oclif/core';
import { UserError } from '../ir/errors.ts';
import { HEAD_NAMES } from '../model/params.ts';
import { AlbertCommand } from './base.ts';

export default class Compile extends AlbertCommand {
  static override summary = 'Compile an ALBERT model (a head, for inference or gradients) to ONNX.';
  static override description =
    'Builds the model graph from a config, runs the passes (autodiff for --mode grad, clean-ups, einsum lowering) and writes model.onnx and manifest.json to --out. A summary goes to stderr; --json prints one JSON document on stdout.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> --config tiny --head pretraining --mode grad --out build/tiny',
    '<%= config.bin %> <%= command.id %> --config albert_config.json --head classifier --num-labels 3 --mode infer --out build/cls',
  ];

  static override flags = {
    config: Flags.string({ char: 'c', required: true, description: 'preset name (tiny, base, large, ...), a config JSON file, or a directory holding one' }),
    head: Flags.string({ required: true, options: [...HEAD_NAMES], description: 'task head on top of the encoder' }),
    mode: Flags.string({ required: true, options: ['infer', 'grad'], description: 'infer: forward graph, weights as initializers; grad: loss and gradients, parameters as inputs' }),
    'num-labels': Flags.integer({ min: 1, description: 'number of classes (classifier head)' }),
    'num-choices': Flags.integer({ min: 1, description: 'number of answer choices (multiple-choice head)' }),
    'max-seq-length': Flags.integer({ min: 1, description: 'longest sequence the model will take (checked against max_position_embeddings; seq stays a dynamic dim)' }),
    'max-predictions': Flags.integer({ min: 1, description: 'masked positions per sequence, the original max_predictions_per_seq (pretraining/mlm; default 20)' }),
    'keep-einsum': Flags.boolean({ default: false, description: 'leave Einsum ops in the graph instead of lowering them' }),
    'dump-after': Flags.string({
      multiple: true,
      multipleNonGreedy: true,
      delimiter: ',',
      description:
        'write the IR after this pass to the file <out>/dump-<pass>.txt (repeatable or comma-separated; "all" for every pass); a pass that runs again writes dump-<pass>-2.txt, ...',
    }),
    seed: Flags.integer({ description: 'seed for the initial weights of an inference model' }),
    out: Flags.string({ char: 'o', required: true, description: 'output directory' }),
    json: Flags.boolean({ default: false, description: 'print a JSON summary on stdout' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Compile);
    const { compileModel, writeCompiled, writeAtomic } = await import('../compile.ts');
    const dumps: string[] = [];
    const seen = new Map<string, number>();
    const dump = (pass: string, text: string): void => {
      const k = (seen.get(pass) ?? 0) + 1;
      seen.set(pass, k);
      const safe = pass.replace(/[^A-Za-z0-9_.-]+/g, '_');
      const file = join(flags.out, `dump-${safe}${k > 1 ? `-${k}` : ''}.txt`);
      if (dumps.length === 0) makeDir(flags.out);
      writeAtomic(file, `${text}\n`);
      dumps.push(file);
    };
    const compiled = compileModel({
      config: flags.config,
      head: flags.head,
      mode: flags.mode as 'infer' | 'grad',
      numLabels: flags['num-labels'],
      numChoices: flags['num-choices'],
      maxSeqLength: flags['max-seq-length'],
      maxPredictions: flags['max-predictions'],
      keepEinsum: flags['keep-einsum'],
      dumpAfter: flags['dump-after'],
      dump,
      seed: flags.seed,
    });
    const { modelPath, manifestPath } = writeCompiled(compiled, flags.out);
    const s = compiled.stats;
    const top = Object.entries(s.ops)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 6)
      .map(([op, n]) => `${op} ${n}`)
      .join(', ');
    this.note(`compiled ${flags.config} ${flags.head} (${flags.mode}) in ${s.seconds.toFixed(2)} s`);
    this.note(`  wrote      ${modelPath} (${(compiled.model.length / 1024).toFixed(1)} KiB), ${manifestPath}`);
    if (dumps.length) this.note(`  dumps      ${dumps.length === 1 ? dumps[0] : `${dumps.length} files dump-*.txt in ${flags.out}`}`);
    this.note(`  nodes      ${s.nodes} (${Object.keys(s.ops).length} op kinds: ${top}${Object.keys(s.ops).length > 6 ? ', ...' : ''})`);
    this.note(`  parameters ${s.parameters.toLocaleString('en-US')}`);
    if (flags.json) {
      await this.writeStdout(
        `${JSON.stringify({ modelPath, manifestPath, dumps, modelBytes: compiled.model.length, nodes: s.nodes, ops: s.ops, parameters: s.parameters, seconds: s.seconds }, null, 2)}\n`,
      );
    }
  }
}

function makeDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new UserError(`cannot create output directory ${dir}: ${(e as Error).message}`);
  }
}
