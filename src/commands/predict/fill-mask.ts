import { Args, Flags } from '@oclif/core';
import { AlbertCommand } from '../base.ts';
import { modelLoadFlags, modelLoadOptions } from './model-flags.ts';
import { snakeKeys } from '../json-keys.ts';

export default class FillMaskCommand extends AlbertCommand {
  static override summary = 'Predict the tokens behind each [MASK] in a text with a masked-LM model.';
  static override description =
    'Loads --model, an `albert export` directory (onnx/model.onnx, config.json, spiece.model) or a checkpoint with an MLM head (exported in memory, SentencePiece model from --spm-model-file or next to it), encodes the text with ALBERT\'s tokenizer ([MASK] as the mask token wherever it stands), runs the model in onnxruntime and prints, for each [MASK], the --top-k pieces with their softmax probabilities, then the text filled with the best ones. Results on stdout (--json: one JSON document), loading and timing on stderr.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> --model web/albert-base-v2 "The capital of France is [MASK]."',
    '<%= config.bin %> <%= command.id %> --model hf/albert-base-v2 --top-k 10 --json "Paris is the [MASK] of France."',
  ];

  static override args = {
    text: Args.string({ required: true, description: 'text with one or more [MASK]' }),
  };

  // k: the number of labels or candidates the library's predict() returns.
  static override optionFlags = { k: '--top-k' };

  static override flags = {
    model: Flags.string({ char: 'm', required: true, description: 'an `albert export` directory, or a checkpoint (directory, .safetensors, TF prefix, .tar.gz) with an MLM head' }),
    ...modelLoadFlags,
    'top-k': Flags.integer({ min: 1, default: 5, description: 'candidates per [MASK]' }),
    json: Flags.boolean({ default: false, description: 'print one JSON document on stdout' }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(FillMaskCommand);
    const { FillMask, checkFillMaskInput } = await import('../../predict/fill-mask.ts');
    checkFillMaskInput(args.text, flags['top-k']);
    const t0 = performance.now();
    const model = await FillMask.load(modelLoadOptions(flags, (line) => this.note(line)));
    const loadSeconds = (performance.now() - t0) / 1000;
    // Reported once the text is known to fit, so that a text the model cannot take fails in one line.
    const r = await model.predict(args.text, flags['top-k']);
    this.note(`loaded ${flags.model} (${model.kind === 'export' ? 'export' : 'checkpoint, exported in memory'}) in ${loadSeconds.toFixed(2)} s`);
    this.note(`${r.ids.length} pieces, ${r.masks.length} mask${r.masks.length === 1 ? '' : 's'}, model run ${(r.runSeconds * 1000).toFixed(1)} ms`);
    if (flags.json) {
      await this.writeStdout(`${JSON.stringify(snakeKeys({ text: r.text, filled: r.filled, pieces: r.pieces, ids: r.ids, masks: r.masks }, ['masks', 'masks.candidates']), null, 2)}\n`);
      return;
    }
    const lines: string[] = [];
    r.masks.forEach((m, i) => {
      lines.push(`[MASK] ${i + 1} of ${r.masks.length} (position ${m.position}):`);
      // A bare word boundary ("▁" alone) decodes to no text: say so rather than print nothing.
      const shown = (c: { token_str: string }): string => (c.token_str === '' ? '(word break)' : c.token_str);
      const width = Math.max(...m.candidates.map((c) => shown(c).length));
      for (const c of m.candidates) lines.push(`  ${shown(c).padEnd(width)}  ${c.score.toFixed(4)}  (${c.piece}, id ${c.id})`);
    });
    lines.push(`filled: ${r.filled}`);
    await this.writeStdout(`${lines.join('\n')}\n`);
  }
}
