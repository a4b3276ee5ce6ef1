/**
 * Sentence(-pair) classification features, as the original's convert_single_example makes
 * them: [CLS] a [SEP] (b [SEP]) with segment ids, the longer text truncated first, zero
 * padding to max_seq_length, and the label's index in the task's label list (or the score for
 * regression). Features are cached as TFRecords of tf.train.Example (input_ids, input_mask,
 * segment_ids, label_ids, is_real_example: the original's names) under a cache directory,
 * keyed by everything they depend on: the data file's bytes, the tokenizer file's bytes and
 * settings, the sequence length and the label list. A cache written for anything else is not
 * read; it is rebuilt next to it.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeExample, encodeExample, floatFeature, int64Feature } from '../../data/example.ts';
import { readTFRecordsSync, TFRecordWriter } from '../../data/tfrecord.ts';
import { AlbertTokenizer } from '../../text/albert-tokenizer.ts';
import type { TokenizerSpec } from '../../text/load-tokenizer.ts';
import type { EncodedPair } from '../../text/pair-layout.ts';
import { SentencePieceProcessor } from '../../text/sentencepiece.ts';
import { WordPieceTokenizer } from '../../text/wordpiece.ts';
import { UserError } from '../../util/errors.ts';
import { makeDir } from '../../util/make-dir.ts';
import type { TextExample } from '../glue/readers.ts';

/** A set of examples as the model takes them: row-major [count, seqLength] arrays. */
export interface ClassificationFeatures {
  count: number;
  seqLength: number;
  inputIds: Int32Array;
  inputMask: Int32Array;
  segmentIds: Int32Array;
  /** Label indices (classification), scores (regression); zeros for an unlabelled set. */
  labels: Int32Array | Float32Array;
  /** The examples' ids (the GLUE submission's index column). */
  ids: string[];
  /**
   * Multiple choice: each example is `choices` sequences ([CLS] context [SEP] option [SEP] ...),
   * so the token arrays are [count, choices, seqLength] and the label is the right choice.
   */
  choices?: number;
}

/** Zeroed features for `ids.length` examples of `seqLength` tokens. */
export function emptyFeatures(ids: string[], seqLength: number, regression: boolean): ClassificationFeatures {
  const n = ids.length;
  return {
    count: n,
    seqLength,
    inputIds: new Int32Array(n * seqLength),
    inputMask: new Int32Array(n * seqLength),
    segmentIds: new Int32Array(n * seqLength),
    labels: regression ? new Float32Array(n) : new Int32Array(n),
    ids,
  };
}

export interface PairEncoder {
  encodePair(a: string, b: string | null, maxSeqLength: number): EncodedPair;
  /** What the encoding depends on (the tokenizer file's hash and settings). */
  fingerprint: string;
}

const sha256 = (data: Uint8Array | string): string => createHash('sha256').update(data).digest('hex');

/** The [CLS] a [SEP] b [SEP] encoder of a SentencePiece model or a WordPiece vocabulary. */
export function pairEncoder(spec: TokenizerSpec): PairEncoder {
  const file = spec.spmModelFile ?? spec.vocabFile;
  if (!file) throw new UserError('no tokenizer given: a SentencePiece model or a WordPiece vocabulary is needed');
  if (spec.spmModelFile && spec.vocabFile) throw new UserError('give either a SentencePiece model or a WordPiece vocabulary, not both');
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new UserError(`${file}: cannot read the tokenizer (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const fingerprint = sha256(JSON.stringify({ file: sha256(bytes), kind: spec.spmModelFile ? 'spm' : 'wordpiece', lower: spec.doLowerCase ?? true, accents: spec.keepAccents ?? false }));
  if (spec.spmModelFile) {
    const tok = new AlbertTokenizer(SentencePieceProcessor.load(spec.spmModelFile), { doLowerCase: spec.doLowerCase, keepAccents: spec.keepAccents });
    if (tok.clsId < 0 || tok.sepId < 0) throw new UserError(`${spec.spmModelFile}: the SentencePiece model has no [CLS] or [SEP] piece (ALBERT's models have them as ids 2 and 3)`);
    return { encodePair: (a, b, n) => tok.encodePair(a, b, n), fingerprint };
  }
  const wp = WordPieceTokenizer.fromVocabFile(spec.vocabFile!, { doLowerCase: spec.doLowerCase });
  return { encodePair: (a, b, n) => wp.encodePair(a, b, n), fingerprint };
}

/** The label's value: its index in `labels`, or the score when `labels` is null (regression). */
function labelValue(e: TextExample, labels: string[] | null, where: string): number {
  if (e.label === null) return 0;
  if (labels === null) {
    const x = Number(e.label);
    if (e.label.trim() === '' || !Number.isFinite(x)) throw new UserError(`${where}:${e.line}: label "${e.label}" is not a number (a regression task)`);
    return x;
  }
  const i = labels.indexOf(e.label);
  if (i < 0) throw new UserError(`${where}:${e.line}: label "${e.label}" is not one of ${labels.join(', ')}`);
  return i;
}

/** Encodes the examples; `source` names their file in errors. */
export function buildFeatures(examples: TextExample[], encoder: PairEncoder, labels: string[] | null, maxSeqLength: number, source: string): ClassificationFeatures {
  const S = maxSeqLength;
  const f = emptyFeatures(examples.map((e) => e.id), S, labels === null);
  examples.forEach((e, i) => {
    const p = encoder.encodePair(e.textA, e.textB, S);
    f.inputIds.set(p.inputIds, i * S);
    f.inputMask.set(p.inputMask, i * S);
    f.segmentIds.set(p.segmentIds, i * S);
    f.labels[i] = labelValue(e, labels, source);
  });
  return f;
}

export interface CacheOptions {
  /** Where cached features live (absent: no cache). */
  cachedDir?: string;
  /** A readable name for the file: <name>_<key>.tf_record (e.g. mrpc_dev). */
  name: string;
  /** The data file the examples were read from (its bytes are part of the key). */
  sourceFile: string;
}

/** The cache key: a hash of everything the features depend on. */
function cacheKey(sourceFile: string, encoder: PairEncoder, labels: string[] | null, maxSeqLength: number): string {
  const source = sha256(readFileSync(sourceFile));
  return sha256(JSON.stringify({ format: 'albert-compiler/classification-features@1', source, tokenizer: encoder.fingerprint, maxSeqLength, labels })).slice(0, 16);
}

function readCache(path: string, ids: string[], S: number, regression: boolean): ClassificationFeatures | null {
  const n = ids.length;
  const f = emptyFeatures(ids, S, regression);
  let i = 0;
  for (const rec of readTFRecordsSync(path)) {
    if (i >= n) return null;
    const ex = decodeExample(rec.data, `${path} record ${i}`);
    const ints = (name: string): number[] | null => {
      const v = ex.get(name);
      return v && v.kind === 'int64' && v.values.length === S ? v.values : null;
    };
    const ii = ints('input_ids');
    const im = ints('input_mask');
    const si = ints('segment_ids');
    const lab = ex.get('label_ids');
    if (!ii || !im || !si || !lab || lab.kind !== (regression ? 'float' : 'int64') || lab.values.length !== 1) return null;
    f.inputIds.set(ii, i * S);
    f.inputMask.set(im, i * S);
    f.segmentIds.set(si, i * S);
    f.labels[i] = lab.values[0];
    i++;
  }
  return i === n ? f : null;
}

async function writeCache(path: string, f: ClassificationFeatures): Promise<void> {
  const w = TFRecordWriter.open(path);
  const S = f.seqLength;
  for (let i = 0; i < f.count; i++) {
    const row = (a: Int32Array): number[] => Array.from(a.subarray(i * S, (i + 1) * S));
    await w.write(
      encodeExample({
        input_ids: int64Feature(row(f.inputIds)),
        input_mask: int64Feature(row(f.inputMask)),
        segment_ids: int64Feature(row(f.segmentIds)),
        label_ids: f.labels instanceof Float32Array ? floatFeature([f.labels[i]]) : int64Feature([f.labels[i]]),
        is_real_example: int64Feature([1]),
      }),
    );
  }
  await w.close();
}

/**
 * The features of `examples`, from the cache when one was written for the same data, tokenizer,
 * sequence length and labels; otherwise encoded (and cached). Returns whether the cache served.
 */
export async function cachedFeatures(
  examples: TextExample[],
  encoder: PairEncoder,
  labels: string[] | null,
  maxSeqLength: number,
  cache: CacheOptions,
): Promise<{ features: ClassificationFeatures; cached: boolean; path: string | null }> {
  if (!cache.cachedDir) return { features: buildFeatures(examples, encoder, labels, maxSeqLength, cache.sourceFile), cached: false, path: null };
  const path = join(cache.cachedDir, `${cache.name}_${cacheKey(cache.sourceFile, encoder, labels, maxSeqLength)}.tf_record`);
  if (existsSync(path)) {
    try {
      const f = readCache(path, examples.map((e) => e.id), maxSeqLength, labels === null);
      if (f) return { features: f, cached: true, path };
    } catch (e) {
      // A damaged cache file is rebuilt, never trusted.
      if (!(e instanceof UserError)) throw e;
    }
  }
  const features = buildFeatures(examples, encoder, labels, maxSeqLength, cache.sourceFile);
  makeDir(cache.cachedDir, 'the feature cache directory');
  await writeCache(path, features);
  return { features, cached: false, path };
}
