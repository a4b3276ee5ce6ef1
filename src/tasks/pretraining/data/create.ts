/**
 * create-pretraining-data: text files -> TFRecord files of pretraining Examples, following the
 * original create_pretraining_data.py (documents shuffled, dupe_factor passes over them, each
 * pass a fresh set of instances with fresh masks, all instances shuffled, written round-robin
 * over the output files).
 *
 * Randomness: one seeded generator of our own (DataRng) drives everything, so the same inputs,
 * flags and seed give the same bytes. Output cannot be byte-identical to the original's, which
 * uses Python's random.Random for most draws and numpy's unseeded global generator for n-gram
 * lengths.
 *
 * Memory: the original holds every document and every instance in memory. Here the input is
 * read as a stream and cut into shards at document boundaries of about `shardTokens` tokens
 * (default one million); each shard is processed exactly as the original processes its whole
 * input (shuffle documents, dupe passes, shuffle instances), with random B segments drawn from
 * the same shard, and written before the next shard is read. An input under one shard is thus
 * processed as the original would; memory stays near dupe_factor x shard_tokens x 5 bytes.
 */
import { closeSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { resolve } from 'node:path';
import { OptionError, UserError } from '../../../util/errors.ts';
import { DataRng } from '../../../data/random.ts';
import { fsReason, TFRecordWriter, type TFRecordCompression } from '../../../data/tfrecord.ts';
import { isStartPieceSentencePiece, isStartPieceWordPiece, readDocuments, type PretrainingTokenizer, type ReadProgress } from './documents.ts';
import { encodePretrainingExample, type TrainingInstance } from './features.ts';
import { createInstancesFromDocument, type Document, type InstanceOptions } from './instances.ts';
import { ngramCumulative } from './masking.ts';

export type { PretrainingTokenizer } from './documents.ts';

export interface CreatePretrainingDataOptions {
  inputFiles: string[];
  outputFiles: string[];
  tokenizer: PretrainingTokenizer;
  /** How a piece is known to start a word: SentencePiece's "▁" (default) or WordPiece's "##". */
  pieces?: 'sentencepiece' | 'wordpiece';
  maxSeqLength?: number;
  maxPredictionsPerSeq?: number;
  randomSeed?: number;
  dupeFactor?: number;
  maskedLmProb?: number;
  shortSeqProb?: number;
  ngram?: number;
  favorShorterNgram?: boolean;
  doWholeWordMask?: boolean;
  randomNextSentence?: boolean;
  /** Tokens per in-memory shard of documents (default 1,000,000). */
  shardTokens?: number;
  compression?: TFRecordCompression;
  /** Writes {task_type, train_data_size, max_seq_length, max_predictions_per_seq} here as JSON. */
  metaDataFile?: string;
  onProgress?: (p: CreateProgress) => void;
}

export interface CreateProgress {
  bytesRead: number;
  bytesTotal: number;
  documents: number;
  instances: number;
  shards: number;
}

export interface CreatePretrainingDataResult {
  outputFiles: string[];
  /** Instances written to each output file. */
  instancesPerFile: number[];
  instances: number;
  documents: number;
  sentences: number;
  tokens: number;
  shards: number;
  maskedTokens: number;
  seconds: number;
}

export const CREATE_DEFAULTS = {
  maxSeqLength: 512,
  maxPredictionsPerSeq: 20,
  randomSeed: 12345,
  dupeFactor: 40,
  maskedLmProb: 0.15,
  shortSeqProb: 0.1,
  ngram: 3,
  favorShorterNgram: true,
  doWholeWordMask: true,
  randomNextSentence: false,
  shardTokens: 1_000_000,
} as const;

/** `template` names the option with OptionError's `{option}` placeholder. */
function check(ok: boolean, template: string): void {
  if (!ok) throw new OptionError(template);
}

/** Resolved settings, checked. */
export function instanceOptions(opts: CreatePretrainingDataOptions): InstanceOptions & { dupeFactor: number; randomSeed: number; shardTokens: number } {
  const o = { ...CREATE_DEFAULTS, ...Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)) } as typeof CREATE_DEFAULTS & CreatePretrainingDataOptions;
  const t = opts.tokenizer;
  check(Number.isInteger(o.maxSeqLength) && o.maxSeqLength >= 5, `{maxSeqLength} must be an integer >= 5 ([CLS] A [SEP] B [SEP] with one token each); got ${o.maxSeqLength}`);
  check(Number.isInteger(o.maxPredictionsPerSeq) && o.maxPredictionsPerSeq >= 1, `{maxPredictionsPerSeq} must be a positive integer; got ${o.maxPredictionsPerSeq}`);
  check(Number.isInteger(o.dupeFactor) && o.dupeFactor >= 1, `{dupeFactor} must be a positive integer; got ${o.dupeFactor}`);
  check(o.maskedLmProb >= 0 && o.maskedLmProb <= 1, `{maskedLmProb} must lie in [0, 1]; got ${o.maskedLmProb}`);
  check(o.shortSeqProb >= 0 && o.shortSeqProb <= 1, `{shortSeqProb} must lie in [0, 1]; got ${o.shortSeqProb}`);
  check(Number.isInteger(o.ngram) && o.ngram >= 1, `{ngram} must be a positive integer; got ${o.ngram}`);
  check(Number.isSafeInteger(o.randomSeed), `{randomSeed} must be an integer; got ${o.randomSeed}`);
  check(Number.isInteger(o.shardTokens) && o.shardTokens >= 1, `{shardTokens} must be a positive integer; got ${o.shardTokens}`);
  return {
    maxSeqLength: o.maxSeqLength,
    maxPredictionsPerSeq: o.maxPredictionsPerSeq,
    maskedLmProb: o.maskedLmProb,
    shortSeqProb: o.shortSeqProb,
    ngram: o.ngram,
    favorShorterNgram: o.favorShorterNgram,
    doWholeWordMask: o.doWholeWordMask,
    randomNextSentence: o.randomNextSentence,
    vocabSize: t.vocabSize,
    maskId: t.maskId,
    clsId: t.clsId,
    sepId: t.sepId,
    dupeFactor: o.dupeFactor,
    randomSeed: o.randomSeed,
    shardTokens: o.shardTokens,
  };
}

/**
 * The instances of one shard, in output order: documents shuffled, `dupeFactor` passes over
 * them, the instances shuffled (the original's create_training_instances on one input).
 */
export function createShardInstances(documents: Document[], opts: InstanceOptions & { dupeFactor: number }, rng: DataRng): TrainingInstance[] {
  rng.shuffle(documents);
  const cumulative = ngramCumulative(opts.ngram, opts.favorShorterNgram);
  const instances: TrainingInstance[] = [];
  for (let d = 0; d < opts.dupeFactor; d++) {
    for (let i = 0; i < documents.length; i++) {
      for (const inst of createInstancesFromDocument(documents, i, opts, rng, cumulative)) instances.push(inst);
    }
  }
  rng.shuffle(instances);
  return instances;
}

/** Reads the inputs, writes the outputs (each to a temporary name, renamed at the end). */
export async function createPretrainingData(options: CreatePretrainingDataOptions): Promise<CreatePretrainingDataResult> {
  const t0 = performance.now();
  const opts = instanceOptions(options);
  check(options.inputFiles.length > 0, 'no input files');
  check(options.outputFiles.length > 0, 'no output files');
  const seen = new Set<string>();
  for (const f of options.outputFiles) {
    check(!seen.has(resolve(f)), `output file ${f} is named twice`);
    seen.add(resolve(f));
  }
  const isStartPiece = options.pieces === 'wordpiece' ? isStartPieceWordPiece : isStartPieceSentencePiece;
  const sizes = { maxSeqLength: opts.maxSeqLength, maxPredictionsPerSeq: opts.maxPredictionsPerSeq };
  let bytesTotal = 0;
  for (const f of options.inputFiles) {
    try {
      bytesTotal += statSync(f).size;
    } catch (e) {
      throw new UserError(`${f}: ${fsReason(e)}`);
    }
  }
  const rng = new DataRng(opts.randomSeed);
  const writers: TFRecordWriter[] = [];
  const result: CreatePretrainingDataResult = {
    outputFiles: options.outputFiles,
    instancesPerFile: options.outputFiles.map(() => 0),
    instances: 0,
    documents: 0,
    sentences: 0,
    tokens: 0,
    shards: 0,
    maskedTokens: 0,
    seconds: 0,
  };
  const progress: ReadProgress = { bytes: 0 };
  const report = (): void =>
    options.onProgress?.({ bytesRead: progress.bytes, bytesTotal, documents: result.documents, instances: result.instances, shards: result.shards });
  // Every output is opened (under its temporary name) before any work, so an unwritable place fails at once.
  let meta: MetaDataWriter | null = null;
  try {
    for (const f of options.outputFiles) writers.push(TFRecordWriter.open(f, { compression: options.compression }));
    if (options.metaDataFile) meta = new MetaDataWriter(options.metaDataFile);
    let shard: Document[] = [];
    let shardTokens = 0;
    const flush = async (): Promise<void> => {
      if (shard.length === 0) return;
      const instances = createShardInstances(shard, opts, rng);
      result.shards += 1;
      shard = [];
      shardTokens = 0;
      for (let k = 0; k < instances.length; k++) {
        const inst = instances[k];
        instances[k] = undefined as unknown as TrainingInstance; // let written instances go
        const w = result.instances % writers.length;
        await writers[w].write(encodePretrainingExample(inst, sizes));
        result.instancesPerFile[w] += 1;
        result.instances += 1;
        result.maskedTokens += inst.maskedLmPositions.length;
        if (result.instances % 10000 === 0) report();
      }
      report();
    };
    for await (const doc of readDocuments(options.inputFiles, options.tokenizer, isStartPiece, progress)) {
      shard.push(doc);
      result.documents += 1;
      result.sentences += doc.length;
      for (const s of doc) {
        shardTokens += s.ids.length;
        result.tokens += s.ids.length;
      }
      if (result.documents % 1000 === 0) report();
      if (shardTokens >= opts.shardTokens) await flush();
    }
    await flush();
    check(result.documents > 0, `no text in ${options.inputFiles.join(', ')}: every line is blank or tokenizes to nothing`);
    for (const w of writers) await w.close();
    // The original's meta data file (the TF2 ALBERT pipeline reads train_data_size from it).
    meta?.close({
      task_type: 'albert_pretraining',
      train_data_size: result.instances,
      max_seq_length: opts.maxSeqLength,
      max_predictions_per_seq: opts.maxPredictionsPerSeq,
    });
  } catch (e) {
    for (const w of writers) w.abort();
    meta?.abort();
    throw e;
  }
  result.seconds = (performance.now() - t0) / 1000;
  return result;
}

/** A small JSON file written to a temporary name opened up front, renamed on close. */
class MetaDataWriter {
  private readonly tmp: string;
  private fd: number | null;
  constructor(private readonly path: string) {
    this.tmp = `${path}.tmp-${process.pid}`;
    try {
      this.fd = openSync(this.tmp, 'w');
    } catch (e) {
      throw new UserError(`cannot write ${path}: ${fsReason(e)}`);
    }
  }

  close(value: unknown): void {
    try {
      writeSync(this.fd!, `${JSON.stringify(value, null, 4)}\n`);
      closeSync(this.fd!);
      this.fd = null;
      renameSync(this.tmp, this.path);
    } catch (e) {
      this.abort();
      throw new UserError(`cannot write ${this.path}: ${fsReason(e)}`);
    }
  }

  abort(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
    rmSync(this.tmp, { force: true });
  }
}
