import { existsSync } from 'node:fs';
import { Flags } from '@oclif/core';
import { numberFlag } from './number-flag.ts';
import { AlbertCommand } from './base.ts';
import { snakeKeys } from './json-keys.ts';


/** "a,b,c" as a list; an empty string is an empty list. */
function commaList(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  return value === '' ? [] : value.split(',');
}

export default class TrainTokenizer extends AlbertCommand {
  static override summary = 'Train a SentencePiece unigram tokenizer (P.model, P.vocab) on text files.';
  static override description =
    "Trains a unigram SentencePiece model as spm_train does (seed pieces from frequent substrings, EM with pruning down to --vocab-size) on text files with one sentence per line, and writes <prefix>.model (loadable by the sentencepiece library and by albert) and <prefix>.vocab (piece<TAB>log probability). ALBERT's special pieces by default: <pad> 0, <unk> 1, [CLS] 2, [SEP] 3, [MASK] 4, then the user-defined symbols. The model's normalizer is identity: spaces are collapsed and written as U+2581, nothing else is changed. Progress goes to stderr; the output paths and figures to stdout (--json: one JSON document).";
  static override examples = [
    '<%= config.bin %> <%= command.id %> --input corpus.txt --vocab-size 30000 --model-prefix out/30k-clean --do-lower-case',
    '<%= config.bin %> <%= command.id %> --input a.txt,b.txt --vocab-size 8000 --model-prefix sp --user-defined-symbols "(,),-" --input-sentence-size 1000000',
  ];

  static override flags = {
    input: Flags.string({
      char: 'i',
      required: true,
      multiple: true,
      description: 'text files, one sentence per line (repeat the flag, list them after it, or separate them by commas)',
    }),
    'vocab-size': Flags.integer({ required: true, min: 1, description: 'pieces in the vocabulary, special pieces included' }),
    'model-prefix': Flags.string({ required: true, description: 'output prefix: writes <prefix>.model and <prefix>.vocab' }),
    'character-coverage': numberFlag({ description: 'share of the text\'s characters the vocabulary covers; rarer characters become <unk> (default 0.9995)' }),
    'user-defined-symbols': Flags.string({ description: 'comma-separated pieces always kept whole, e.g. "(,),-" (ids after the control symbols)' }),
    'control-symbols': Flags.string({ description: 'comma-separated control pieces, never produced from text (default "[CLS],[SEP],[MASK]"; "" for none)' }),
    'input-sentence-size': Flags.integer({ min: 0, description: 'train on at most this many sentences, sampled over all the input (default 0: all)' }),
    seed: Flags.integer({ min: 0, default: 0, description: 'seed for the sentence sampling' }),
    'do-lower-case': Flags.boolean({ default: false, description: 'lowercase the text before training (uncased models such as ALBERT\'s)' }),
    'normalization-rule-name': Flags.string({
      options: ['identity', 'nmt_nfkc', 'nmt_nfkc_cf'],
      description: 'normalise the training text (the model itself says identity: apply the same rule to text before encoding it) (default identity)',
    }),
    json: Flags.boolean({ default: false, description: 'print one JSON document on stdout' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(TrainTokenizer);
    // A value naming an existing file is one file even if its name holds a comma.
    const input = flags.input.flatMap((v) => (existsSync(v) ? [v] : v.split(',').filter((s) => s !== '')));
    const { trainUnigram } = await import('../text/train/unigram-trainer.ts');
    const result = trainUnigram({
      input,
      vocabSize: flags['vocab-size'],
      modelPrefix: flags['model-prefix'],
      characterCoverage: flags['character-coverage'],
      userDefinedSymbols: commaList(flags['user-defined-symbols']),
      controlSymbols: commaList(flags['control-symbols']),
      inputSentenceSize: flags['input-sentence-size'],
      seed: flags.seed,
      doLowerCase: flags['do-lower-case'],
      normalizationRuleName: flags['normalization-rule-name'] as 'identity' | 'nmt_nfkc' | 'nmt_nfkc_cf' | undefined,
      log: (line) => this.note(line),
    });
    if (flags.json) {
      await this.writeStdout(`${JSON.stringify(snakeKeys(result as unknown as Record<string, unknown>, ['stats']), null, 2)}\n`);
      return;
    }
    const s = result.stats;
    await this.writeStdout(
      `${result.modelPath}\n${result.vocabPath}\n` +
        `vocab ${s.vocabSize} pieces from ${s.sentences} sentences (${s.distinctWords} distinct words, ${s.requiredCharacters} characters) in ${s.seconds.toFixed(2)} s\n`,
    );
  }
}
