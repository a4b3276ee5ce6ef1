import { basename } from 'node:path';
import { Flags } from '@oclif/core';
import { HEAD_NAMES } from '../model/params.ts';
import { AlbertCommand, allowNonFiniteFlag } from './base.ts';
import { snakeKeys } from './json-keys.ts';
import { aka } from './flag-names.ts';

export default class Convert extends AlbertCommand {
  static override summary = 'Convert a checkpoint (TF, safetensors, directory or .tar.gz) to a HuggingFace model directory.';
  static override description =
    'Loads --init-checkpoint (a TF checkpoint prefix, a .safetensors file, a checkpoint directory, or a released .tar.gz) with the config stored next to it (or --config), reports what was loaded, initialised and left unused on stderr, and writes config.json, model.safetensors and spiece.model (when the checkpoint has a SentencePiece model or --spm-model-file names one) to --output-dir. The head defaults to the one whose weights the checkpoint holds: pretraining (MLM + SOP), mlm, a task head, or the encoder alone.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> --init-checkpoint albert_base_v2.tar.gz --output-dir hf/albert-base-v2',
    '<%= config.bin %> <%= command.id %> --init-checkpoint model/model.ckpt-10000 --config model/albert_config.json --head classifier --num-labels 3 --output-dir hf/mnli',
  ];

  // from, out: convertToHf's names for the checkpoint and the output directory.
  static override optionFlags = { from: '--init-checkpoint', out: '--output-dir' };

  static override flags = {
    'init-checkpoint': Flags.string({ required: true, ...aka('TF checkpoint prefix, .safetensors file, checkpoint directory, or .tar.gz/.tgz archive', 'from') }),
    'output-dir': Flags.string({ char: 'o', required: true, ...aka('output directory (HF layout)', 'out') }),
    config: Flags.string({ char: 'c', ...aka('preset, config JSON file or directory (default: albert_config.json or config.json next to the checkpoint)', 'albert-config-file') }),
    head: Flags.string({ options: [...HEAD_NAMES], description: 'head to write (default: the one the checkpoint holds)' }),
    'num-labels': Flags.integer({ min: 1, description: 'number of classes of a classifier head (default: from the checkpoint)' }),
    'spm-model-file': Flags.string({ description: 'SentencePiece model to copy in as spiece.model (default: spiece.model or 30k-clean.model next to the checkpoint)' }),
    seed: Flags.integer({ description: 'seed for parameters the checkpoint lacks (default 12345)' }),
    'allow-nonfinite-weights': allowNonFiniteFlag,
    json: Flags.boolean({ default: false, description: 'print a JSON summary on stdout' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Convert);
    const { convertToHf } = await import('../model/weights/convert.ts');
    const { formatLoadReport } = await import('../model/weights/load.ts');
    const r = await convertToHf({
      from: flags['init-checkpoint'],
      out: flags['output-dir'],
      config: flags.config,
      head: flags.head,
      numLabels: flags['num-labels'],
      spmModelFile: flags['spm-model-file'],
      seed: flags.seed,
      allowNonFinite: flags['allow-nonfinite-weights'],
      log: (line) => this.note(line),
    });
    for (const line of formatLoadReport(r.report)) this.note(line);
    const spm = r.spmModelFile ? ` (SentencePiece model from ${basename(r.spmModelFile)})` : '';
    this.note(`wrote ${flags['output-dir']}: ${r.architecture}, ${r.head} head, ${r.tensors} tensors, files ${r.files.map((f) => basename(f)).join(', ')}${spm}`);
    if (flags.json) {
      const { report } = r;
      await this.writeStdout(
        `${JSON.stringify(snakeKeys({ outputDir: flags['output-dir'], files: r.files, architecture: r.architecture, head: r.head, numLabels: r.numLabels, tensors: r.tensors, source: report.source, format: report.format, loaded: report.loaded, missing: report.missing, unexpected: report.unexpected, notes: report.notes }), null, 2)}\n`,
      );
    }
  }
}
