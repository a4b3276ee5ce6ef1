import { basename } from 'node:path';
import { Flags } from '@oclif/core';
import { HEAD_NAMES } from '../model/params.ts';
import { AlbertCommand, allowNonFiniteFlag } from './base.ts';
import { snakeKeys } from './json-keys.ts';

export default class Convert extends AlbertCommand {
  static override summary = 'Convert a checkpoint (TF, safetensors, directory or .tar.gz) to a HuggingFace model directory.';
  static override description =
    'Loads --from (a TF checkpoint prefix, a .safetensors file, a checkpoint directory, or a released .tar.gz) with the config stored next to it (or --config), reports what was loaded, initialised and left unused on stderr, and writes config.json, model.safetensors and spiece.model (when the checkpoint has a SentencePiece model or --spm-model-file names one) to --out. The head defaults to the one whose weights the checkpoint holds: pretraining (MLM + SOP), mlm, a task head, or the encoder alone.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> --from albert_base_v2.tar.gz --out hf/albert-base-v2',
    '<%= config.bin %> <%= command.id %> --from model/model.ckpt-10000 --config model/albert_config.json --head classifier --num-labels 3 --out hf/mnli',
  ];

  static override flags = {
    from: Flags.string({ required: true, description: 'TF checkpoint prefix, .safetensors file, checkpoint directory, or .tar.gz/.tgz archive' }),
    out: Flags.string({ char: 'o', required: true, description: 'output directory (HF layout)' }),
    config: Flags.string({ char: 'c', description: 'preset, config JSON file or directory (default: albert_config.json or config.json next to the checkpoint)' }),
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
      from: flags.from,
      out: flags.out,
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
    this.note(`wrote ${flags.out}: ${r.architecture}, ${r.head} head, ${r.tensors} tensors, files ${r.files.map((f) => basename(f)).join(', ')}${spm}`);
    if (flags.json) {
      const { report } = r;
      await this.writeStdout(
        `${JSON.stringify(snakeKeys({ out: flags.out, files: r.files, architecture: r.architecture, head: r.head, numLabels: r.numLabels, tensors: r.tensors, source: report.source, format: report.format, loaded: report.loaded, missing: report.missing, unexpected: report.unexpected, notes: report.notes }), null, 2)}\n`,
      );
    }
  }
}
