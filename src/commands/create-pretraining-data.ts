import { Flags } from '@oclif/core';
import { UserError } from '../ir/errors.ts';
import type { PretrainingTokenizer } from '../tasks/pretraining/data/create.ts';
import { AlbertCommand } from './base.ts';
import { createPretrainingDataOriginalFlags } from './original-flags.ts';
import { snakeKeys } from './json-keys.ts';
import { aka } from './flag-names.ts';

/** A number flag (oclif has integers only). */
const float = Flags.custom<number>({
  parse: async (input: string) => {
    const v = Number(input);
    // A UserError, so the command prints it as one line (oclif prefixes "Parsing --flag").
    if (input.trim() === '' || !Number.isFinite(v)) throw new UserError(`expected a number, got "${input}"`);
    return v;
  },
});

export default class CreatePretrainingData extends AlbertCommand {
  static override summary = 'Make TFRecord files of pretraining examples from text (the original create_pretraining_data.py).';
  static override description =
    'Input: text files with one sentence per line and a blank line between documents. Each document yields instances [CLS] A [SEP] B [SEP] with a sentence-order label and n-gram whole-word masks, dupe-factor times with fresh masks; the instances are shuffled and written round-robin over the output files as tf.train.Example records with the original features (input_ids, input_mask, segment_ids, token_boundary, masked_lm_positions, masked_lm_ids, masked_lm_weights, next_sentence_labels). One seeded generator drives every random choice: the same input, flags and seed give the same bytes. Large inputs are processed in shards of about --shard-tokens tokens, each like a whole input of the original. Outputs ending in .gz are GZIP-compressed. Progress goes to stderr; --json prints a summary on stdout.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> --input-file "corpus/*.txt" --output-file data/train.tfrecord --spm-model-file 30k-clean.model',
    '<%= config.bin %> <%= command.id %> --input-file a.txt,b.txt --output-file out-0.tfrecord,out-1.tfrecord --spm-model-file m.model --max-seq-length 128 --dupe-factor 5 --meta-data out.json',
  ];
  static override originalFlags = createPretrainingDataOriginalFlags;
  // randomSeed: createPretrainingData's name for the seed.
  static override optionFlags = { randomSeed: '--seed' };

  static override flags = {
    'input-file': Flags.string({ required: true, description: 'input text files: comma-separated paths or globs (*, ?, [...])' }),
    'output-file': Flags.string({ required: true, description: 'output TFRecord files, comma-separated: instances go to them round-robin (.gz: gzip-compressed)' }),
    'spm-model-file': Flags.string({ description: 'SentencePiece model (.model) of the ALBERT vocabulary' }),
    'vocab-file': Flags.string({ description: 'WordPiece vocab.txt; ignored when --spm-model-file is given, as in the original' }),
    'do-lower-case': Flags.boolean({ default: true, allowNo: true, description: 'lowercase the text before tokenizing' }),
    'do-whole-word-mask': Flags.boolean({ default: true, allowNo: true, description: 'mask all pieces of a word together' }),
    'max-seq-length': Flags.integer({ default: 512, min: 5, description: 'tokens per instance, [CLS] and [SEP]s included' }),
    'max-predictions-per-seq': Flags.integer({ default: 20, min: 1, description: 'most masked positions per instance' }),
    seed: Flags.integer({ default: 12345, ...aka('seed of every random choice', 'random-seed') }),
    'dupe-factor': Flags.integer({ default: 40, min: 1, description: 'passes over the input, each with different masks' }),
    'masked-lm-prob': float({ default: 0.15, description: 'share of tokens to mask' }),
    'short-seq-prob': float({ default: 0.1, description: 'probability of a shorter target length for a document' }),
    ngram: Flags.integer({ default: 3, min: 1, description: 'longest n-gram (in words) to mask' }),
    'favor-shorter-ngram': Flags.boolean({ default: true, allowNo: true, description: 'draw n-gram length n with p proportional to 1/n (off: to 1/(ngram+1-n))' }),
    'random-next-sentence': Flags.boolean({ default: false, allowNo: true, description: "BERT's next-sentence task (B from a random document half the time) instead of sentence order" }),
    'meta-data': Flags.string({ description: 'write a JSON file with the number of instances (train_data_size) and the sizes' }),
    'shard-tokens': Flags.integer({ default: 1_000_000, min: 1, description: 'tokens of input held and shuffled together (memory grows with dupe-factor x this)' }),
    json: Flags.boolean({ default: false, description: 'print a JSON summary on stdout' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(CreatePretrainingData);
    const { expandFilePatterns } = await import('../tasks/pretraining/data/documents.ts');
    const { createPretrainingData } = await import('../tasks/pretraining/data/create.ts');
    const inputFiles = expandFilePatterns(flags['input-file'], '--input-file');
    const outputFiles = flags['output-file'].split(',').map((s) => s.trim()).filter((s) => s !== '');
    if (outputFiles.length === 0) throw new UserError('--output-file: no file given');
    // As in the original, a SentencePiece model wins over a vocab file; a vocab file alone means WordPiece.
    const spm = flags['spm-model-file'];
    const vocab = flags['vocab-file'];
    let tokenizer: PretrainingTokenizer;
    let source: string;
    if (spm) {
      const { AlbertTokenizer } = await import('../text/albert-tokenizer.ts');
      tokenizer = AlbertTokenizer.fromSpmFile(spm, { doLowerCase: flags['do-lower-case'] });
      source = spm;
    } else if (vocab) {
      const { WordPieceTokenizer } = await import('../text/wordpiece.ts');
      tokenizer = WordPieceTokenizer.fromVocabFile(vocab, { doLowerCase: flags['do-lower-case'] });
      source = vocab;
    } else {
      throw new UserError('no tokenizer given: pass --spm-model-file (a SentencePiece .model) or --vocab-file (a WordPiece vocab.txt)');
    }
    for (const [name, id] of [['[CLS]', tokenizer.clsId], ['[SEP]', tokenizer.sepId], ['[MASK]', tokenizer.maskId]] as const) {
      if (id < 0) throw new UserError(`${source}: the vocabulary has no ${name} piece, which pretraining data needs`);
    }
    // It writes single files, not a directory: each output file is locked on its own
    // (<dir>/.<name>.albert.lock), so shards of one corpus can still be made in parallel into one
    // directory, as with the original, while two runs writing the same file are refused.
    const { tryAcquireDirLock } = await import('../util/dir-lock.ts');
    const { basename, dirname } = await import('node:path');
    const locks = outputFiles.map((f) => tryAcquireDirLock(dirname(f), 'create-pretraining-data', { lockName: `.${basename(f)}.albert.lock`, create: false, what: 'output file', subject: f }));
    const bars = process.stderr.isTTY ? (await import('cli-progress')).default : null;
    const progress = progressReporter((line) => this.note(line), bars);
    let result;
    try {
      result = await createPretrainingData({
        inputFiles,
        outputFiles,
        tokenizer,
        pieces: spm ? 'sentencepiece' : 'wordpiece',
        maxSeqLength: flags['max-seq-length'],
        maxPredictionsPerSeq: flags['max-predictions-per-seq'],
        randomSeed: flags.seed,
        dupeFactor: flags['dupe-factor'],
        maskedLmProb: flags['masked-lm-prob'],
        shortSeqProb: flags['short-seq-prob'],
        ngram: flags.ngram,
        favorShorterNgram: flags['favor-shorter-ngram'],
        doWholeWordMask: flags['do-whole-word-mask'],
        randomNextSentence: flags['random-next-sentence'],
        shardTokens: flags['shard-tokens'],
        metaDataFile: flags['meta-data'],
        onProgress: progress.update,
      });
    } finally {
      progress.stop();
      for (const l of locks) l?.release();
    }
    const r = result;
    this.note(
      `wrote ${r.instances.toLocaleString('en-US')} instances (${r.maskedTokens.toLocaleString('en-US')} masked tokens) from ${r.documents.toLocaleString('en-US')} documents, ${r.sentences.toLocaleString('en-US')} sentences, ${r.tokens.toLocaleString('en-US')} tokens in ${r.seconds.toFixed(1)} s`,
    );
    for (const [i, f] of r.outputFiles.entries()) this.note(`  ${f}: ${r.instancesPerFile[i].toLocaleString('en-US')} instances`);
    if (flags['meta-data']) this.note(`  ${flags['meta-data']}: meta data`);
    if (flags.json) await this.writeStdout(`${JSON.stringify(snakeKeys({ ...r, inputFiles, metaDataFile: flags['meta-data'] ?? null }), null, 2)}\n`);
  }
}

interface Progress {
  bytesRead: number;
  bytesTotal: number;
  documents: number;
  instances: number;
  shards: number;
}

type CliProgress = typeof import('cli-progress');

/** A progress bar on a terminal (bars given); elsewhere a plain line every 10 seconds. */
function progressReporter(note: (line: string) => void, bars: CliProgress | null): { update: (p: Progress) => void; stop: () => void } {
  const mb = (n: number): string => (n / 1e6).toFixed(1);
  if (bars) {
    const bar = new bars.SingleBar(
      { stream: process.stderr, format: 'create-pretraining-data [{bar}] {percentage}% | {read}/{size} MB | {documents} documents | {instances} instances', hideCursor: true },
      bars.Presets.shades_classic,
    );
    let started = false;
    return {
      update: (p) => {
        const payload = { read: mb(p.bytesRead), size: mb(p.bytesTotal), documents: p.documents, instances: p.instances };
        if (!started) bar.start(Math.max(1, p.bytesTotal), p.bytesRead, payload);
        else bar.update(p.bytesRead, payload);
        started = true;
      },
      stop: () => {
        if (started) bar.stop();
      },
    };
  }
  let last = performance.now();
  return {
    update: (p) => {
      const now = performance.now();
      if (now - last < 10_000) return;
      last = now;
      const pct = p.bytesTotal > 0 ? ((100 * p.bytesRead) / p.bytesTotal).toFixed(0) : '100';
      note(`create-pretraining-data: read ${mb(p.bytesRead)} of ${mb(p.bytesTotal)} MB (${pct}%), ${p.documents} documents, ${p.instances} instances written`);
    },
    stop: () => undefined,
  };
}
