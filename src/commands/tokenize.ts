import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { Args, Flags } from '@oclif/core';
import { UserError } from '../ir/errors.ts';
import { AlbertCommand } from './base.ts';
import { snakeKeys } from './json-keys.ts';

export default class Tokenize extends AlbertCommand {
  static override summary = 'Tokenize text with an ALBERT SentencePiece model or a WordPiece vocab.txt.';
  static override description =
    "Prints the pieces of each input line, one output line per input line (pieces separated by spaces; with --ids a tab, then the ids). With --spm-model-file the text goes through ALBERT's preprocessing (whitespace collapsed, `` and '' made \", NFKD without combining marks, lower-cased) and its digit-comma rule, as the original release tokenizes; --raw encodes with SentencePiece alone, as spm_encode does. --vocab-file uses BERT's WordPiece tokenizer (ALBERT's Chinese models). --json prints one JSON document instead.";
  static override examples = [
    '<%= config.bin %> <%= command.id %> --spm-model-file 30k-clean.model "Hello, world!"',
    '<%= config.bin %> <%= command.id %> --spm-model-file 30k-clean.model --ids --input sentences.txt',
    '<%= config.bin %> <%= command.id %> --vocab-file vocab_chinese.txt --json "北京大学"',
  ];

  static override args = {
    // ignoreStdin: oclif would otherwise read a piped stdin into TEXT (trimmed); --input - reads it as lines.
    text: Args.string({ required: false, ignoreStdin: true, description: 'the text to tokenize (each line separately); or use --input' }),
  };

  static override flags = {
    'spm-model-file': Flags.string({ description: 'a SentencePiece .model file (ALBERT: 30k-clean.model)', exclusive: ['vocab-file'] }),
    'vocab-file': Flags.string({ description: 'a WordPiece vocab.txt, one token per line', exclusive: ['spm-model-file'] }),
    'do-lower-case': Flags.boolean({ default: true, allowNo: true, description: 'lower-case the text first (--no-do-lower-case for cased models)' }),
    'keep-accents': Flags.boolean({ default: false, description: 'SentencePiece: skip NFKD and the removal of accents' }),
    raw: Flags.boolean({ default: false, description: 'SentencePiece alone, as spm_encode: no ALBERT preprocessing, no digit-comma rule' }),
    input: Flags.string({ char: 'i', description: 'read lines from this file ("-" for stdin) instead of the TEXT argument' }),
    ids: Flags.boolean({ default: false, description: 'print the ids after the pieces (tab-separated)' }),
    json: Flags.boolean({ default: false, description: 'print one JSON document: the tokenizer and, per line, text, pieces and ids' }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Tokenize);
    if (args.text !== undefined && flags.input) throw new UserError('give either TEXT or --input, not both');
    if (args.text === undefined && !flags.input) throw new UserError('nothing to tokenize: give TEXT or --input FILE');
    const { loadTokenizer } = await import('../text/load-tokenizer.ts');
    const tokenizer = loadTokenizer({
      spmModelFile: flags['spm-model-file'],
      vocabFile: flags['vocab-file'],
      doLowerCase: flags['do-lower-case'],
      keepAccents: flags['keep-accents'],
      raw: flags.raw,
    });
    const lines = flags.input ? readLines(flags.input) : textLines(args.text ?? '');
    if (flags.json) {
      const out: { text: string; pieces: string[]; ids: number[] }[] = [];
      for await (const text of lines) out.push({ text, ...tokenizer.tokenize(text) });
      const doc = { tokenizer: tokenizer.kind, source: tokenizer.source, vocabSize: tokenizer.vocabSize, lines: out };
      await this.writeStdout(`${JSON.stringify(snakeKeys(doc), null, 2)}\n`);
      return;
    }
    // Lines go out in batches, so a large --input streams through without piling up.
    let batch = '';
    for await (const text of lines) {
      const { pieces, ids } = tokenizer.tokenize(text);
      batch += flags.ids ? `${pieces.join(' ')}\t${ids.join(' ')}\n` : `${pieces.join(' ')}\n`;
      if (batch.length > 1 << 16) {
        await this.writeStdout(batch);
        batch = '';
      }
    }
    if (batch !== '') await this.writeStdout(batch);
  }
}

async function* textLines(text: string): AsyncGenerator<string> {
  yield* text.split('\n');
}

/** The lines of a file or stdin, read as a stream; a missing file is a UserError. */
async function* readLines(path: string): AsyncGenerator<string> {
  const stream = path === '-' ? process.stdin : createReadStream(path, { encoding: 'utf8' });
  const failure = new Promise<never>((_, reject) =>
    stream.once('error', (e: NodeJS.ErrnoException) => reject(new UserError(`${path}: ${e.code === 'ENOENT' ? 'no such file' : e.code === 'EISDIR' ? 'is a directory' : e.message}`))),
  );
  failure.catch(() => undefined);
  const rl = createInterface({ input: stream, crlfDelay: Infinity });
  const it = rl[Symbol.asyncIterator]();
  for (;;) {
    const r = await Promise.race([it.next(), failure]);
    if (r.done) return;
    yield r.value;
  }
}
