import { Args, Flags } from '@oclif/core';
import { UserError } from '../../ir/errors.ts';
import { AlbertCommand } from '../base.ts';
import { modelLoadFlags, modelLoadOptions } from './model-flags.ts';
import { snakeKeys } from '../json-keys.ts';

export default class TextClassificationCommand extends AlbertCommand {
  static override summary = 'Classify a text or a text pair with a fine-tuned sequence classifier.';
  static override description =
    "Loads --model, an `albert export --head classifier` directory (onnx/model.onnx, config.json, spiece.model) or a checkpoint with a classifier head (exported in memory, SentencePiece model from --spm-model-file or next to it), encodes [CLS] text [SEP] (pair [SEP]) with token_type_ids, runs the model in onnxruntime and prints every label of config.json's id2label with its softmax probability, best first (--top-k: the best k; a regression model prints its raw score). With --input FILE (- for stdin), one text or text<TAB>pair per line, it prints one result per line: label<TAB>score pairs, best first. Results on stdout (--json: one JSON document), loading and timing on stderr.";
  static override examples = [
    '<%= config.bin %> <%= command.id %> --model web/albert-sst2 "a gripping, beautifully shot film"',
    '<%= config.bin %> <%= command.id %> --model web/albert-mnli "A man is playing a guitar." "Someone makes music."',
    '<%= config.bin %> <%= command.id %> --model out/mnli/checkpoint --input pairs.tsv --json',
  ];

  // ignoreStdin: oclif would otherwise take piped stdin as the text; stdin is read only for --input -.
  static override args = {
    text: Args.string({ ignoreStdin: true, description: 'the text to classify' }),
    pair: Args.string({ ignoreStdin: true, description: 'a second text, for sentence-pair tasks (MNLI, QQP, STS-B, ...)' }),
  };

  // k: the number of labels or candidates the library's predict() returns.
  static override optionFlags = { k: '--top-k' };

  static override flags = {
    model: Flags.string({ char: 'm', required: true, description: 'an `albert export` directory, or a checkpoint (directory, .safetensors, TF prefix, .tar.gz) with a classifier head' }),
    ...modelLoadFlags,
    input: Flags.string({ char: 'i', description: 'a file with one text, or text<TAB>pair, per line (- for stdin), instead of the arguments' }),
    'top-k': Flags.integer({ min: 1, description: 'print only the k best labels (default: all)' }),
    json: Flags.boolean({ default: false, description: 'print one JSON document on stdout' }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(TextClassificationCommand);
    const { TextClassifier, checkTopK, readTextInputs } = await import('../../predict/text-classification.ts');
    checkTopK(flags['top-k']);
    if (flags.input !== undefined && args.text !== undefined) throw new UserError('give the text as arguments or --input FILE, not both');
    if (flags.input === undefined && args.text === undefined) throw new UserError('nothing to classify: give a text (and a pair), or --input FILE');
    // The file is read (and checked) before the model is loaded.
    const inputs = flags.input !== undefined ? readTextInputs(flags.input) : [{ text: args.text!, textPair: args.pair ?? null }];
    const t0 = performance.now();
    const model = await TextClassifier.load(modelLoadOptions(flags, (line) => this.note(line)));
    const loadSeconds = (performance.now() - t0) / 1000;
    // Reported once the texts are known to fit, so that one the model cannot take fails in one line.
    const results = await model.predictAll(inputs, flags['top-k']);
    const { labels } = model;
    this.note(`loaded ${flags.model} (${model.kind === 'export' ? 'export' : 'checkpoint, exported in memory'}) in ${loadSeconds.toFixed(2)} s: ${labels.names.length} label${labels.names.length === 1 ? '' : 's'} (${labels.problemType})`);
    const runMs = results.reduce((s, r) => s + r.runSeconds, 0) * 1000;
    this.note(`${results.length} input${results.length === 1 ? '' : 's'}, model run ${runMs.toFixed(1)} ms`);
    const plain = (r: (typeof results)[number]) => ({ text: r.text, textPair: r.textPair, scores: r.scores, logits: r.logits, pieces: r.pieces, ids: r.ids, tokenTypeIds: r.tokenTypeIds });
    if (flags.json) {
      // One document; with --input an array holding one result per line.
      const doc =
        flags.input === undefined
          ? `${JSON.stringify(snakeKeys({ problemType: labels.problemType, ...plain(results[0]) }), null, 2)}\n`
          : `[\n${results.map((r) => JSON.stringify(snakeKeys({ problemType: labels.problemType, ...plain(r) }))).join(',\n')}\n]\n`;
      await this.writeStdout(doc);
      return;
    }
    if (flags.input !== undefined) {
      await this.writeStdout(results.map((r) => `${r.scores.map((s) => `${s.label}\t${s.score.toFixed(4)}`).join('\t')}\n`).join(''));
      return;
    }
    const { scores } = results[0];
    const width = Math.max(...scores.map((s) => s.label.length));
    await this.writeStdout(scores.map((s) => `${s.label.padEnd(width)}  ${s.score.toFixed(4)}\n`).join(''));
  }
}
