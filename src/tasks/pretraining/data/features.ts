/**
 * The pretraining Example: the features the original create_pretraining_data.py writes and
 * run_pretraining.py reads, with the original names, dtypes and padding.
 *
 *   input_ids, input_mask, segment_ids, token_boundary   int64 [max_seq_length]   (zero-padded)
 *   masked_lm_positions, masked_lm_ids                    int64 [max_predictions_per_seq] (zero-padded)
 *   masked_lm_weights                                     float [max_predictions_per_seq] (1.0 real, 0.0 padding)
 *   next_sentence_labels                                  int64 [1]  (the sentence-order label: 1 = swapped)
 */
import { UserError } from '../../../ir/errors.ts';
import { decodeExample, encodeExample, type Example, type Feature } from '../../../data/example.ts';

export interface PretrainingSizes {
  maxSeqLength: number;
  maxPredictionsPerSeq: number;
}

/** One training instance before padding: what create-pretraining-data builds. */
export interface TrainingInstance {
  /** Token ids after masking: [CLS] A [SEP] B [SEP]. */
  inputIds: Int32Array;
  /** Index of B's first token: segment ids are 0 before it ([CLS] A [SEP]) and 1 from it (B [SEP]). */
  segmentBStart: number;
  /** 1 where a token starts a word ([CLS] and [SEP] included), as the original marks it. */
  tokenBoundary: Uint8Array;
  /** Masked positions in increasing order. */
  maskedLmPositions: Int32Array;
  /** The original token ids at those positions (the labels). */
  maskedLmIds: Int32Array;
  /** Sentence-order label: 0 = A then B as in the text, 1 = swapped (or B from another document). */
  nextSentenceLabel: 0 | 1;
}

function padded(values: ArrayLike<number>, length: number, what: string): number[] {
  if (values.length > length) throw new RangeError(`${what}: ${values.length} values exceed ${length}`);
  const out = new Array<number>(length).fill(0);
  for (let i = 0; i < values.length; i++) out[i] = values[i];
  return out;
}

/** The Example the original writes for an instance (features in its order). */
export function pretrainingExample(instance: TrainingInstance, sizes: PretrainingSizes): Example {
  const L = sizes.maxSeqLength;
  const P = sizes.maxPredictionsPerSeq;
  const n = instance.inputIds.length;
  const segmentIds = new Array<number>(n);
  for (let i = 0; i < n; i++) segmentIds[i] = i < instance.segmentBStart ? 0 : 1;
  const weights = new Float32Array(P);
  weights.fill(1, 0, instance.maskedLmPositions.length);
  const int64 = (values: number[]): Feature => ({ kind: 'int64', values });
  return new Map<string, Feature>([
    ['input_ids', int64(padded(instance.inputIds, L, 'input_ids'))],
    ['input_mask', int64(padded(new Array<number>(n).fill(1), L, 'input_mask'))],
    ['segment_ids', int64(padded(segmentIds, L, 'segment_ids'))],
    ['token_boundary', int64(padded(instance.tokenBoundary, L, 'token_boundary'))],
    ['masked_lm_positions', int64(padded(instance.maskedLmPositions, P, 'masked_lm_positions'))],
    ['masked_lm_ids', int64(padded(instance.maskedLmIds, P, 'masked_lm_ids'))],
    ['masked_lm_weights', { kind: 'float', values: weights }],
    ['next_sentence_labels', int64([instance.nextSentenceLabel])],
  ]);
}

/** The serialised Example for an instance, as the original writes it to a TFRecord file. */
export function encodePretrainingExample(instance: TrainingInstance, sizes: PretrainingSizes): Uint8Array {
  return encodeExample(pretrainingExample(instance, sizes));
}

/** The int32 features a training batch holds, with their per-example lengths. */
export const PRETRAINING_INT_FEATURES = ['input_ids', 'input_mask', 'segment_ids', 'masked_lm_positions', 'masked_lm_ids', 'next_sentence_labels'] as const;
export type PretrainingIntFeature = (typeof PRETRAINING_INT_FEATURES)[number];

/** One decoded record, packed: the int features back to back in PRETRAINING_INT_FEATURES order, then the weights. */
export interface PackedPretrainingRecord {
  ints: Int32Array;
  weights: Float32Array;
}

/** Lengths per feature for the given sizes. */
export function pretrainingFeatureLengths(sizes: PretrainingSizes): Record<PretrainingIntFeature | 'masked_lm_weights', number> {
  const L = sizes.maxSeqLength;
  const P = sizes.maxPredictionsPerSeq;
  return {
    input_ids: L,
    input_mask: L,
    segment_ids: L,
    masked_lm_positions: P,
    masked_lm_ids: P,
    next_sentence_labels: 1,
    masked_lm_weights: P,
  };
}

/** Per-feature value checks: ids within the vocabulary, masks and labels 0/1, positions inside the sequence. */
function valueLimit(name: PretrainingIntFeature, sizes: PretrainingSizes, vocabSize: number | undefined): [number, number, string] {
  switch (name) {
    case 'input_ids':
    case 'masked_lm_ids':
      return vocabSize ? [0, vocabSize - 1, `the vocabulary of ${vocabSize}`] : [-2147483648, 2147483647, 'int32'];
    case 'input_mask':
    case 'segment_ids':
    case 'next_sentence_labels':
      return [0, 1, '0 or 1'];
    case 'masked_lm_positions':
      return [0, sizes.maxSeqLength - 1, `positions of a ${sizes.maxSeqLength}-token sequence`];
  }
}

/**
 * Decodes a pretraining record and checks it: every feature run_pretraining reads is present
 * with its dtype and exactly its padded length, and its values are in range. `where` names the
 * file and record for the one-line error. token_boundary, which training does not read, is not
 * required (BERT's data has none).
 */
export function decodePretrainingRecord(bytes: Uint8Array, where: string, sizes: PretrainingSizes, vocabSize?: number): PackedPretrainingRecord {
  const example = decodeExample(bytes, where);
  const lengths = pretrainingFeatureLengths(sizes);
  let total = 0;
  for (const name of PRETRAINING_INT_FEATURES) total += lengths[name];
  const ints = new Int32Array(total);
  let at = 0;
  for (const name of PRETRAINING_INT_FEATURES) {
    const f = example.get(name);
    const want = lengths[name];
    if (!f) throw new UserError(`${where}: feature "${name}" is missing`);
    if (f.kind !== 'int64') throw new UserError(`${where}: feature "${name}" holds ${f.kind === 'none' ? 'no list' : `${f.kind} values`}, expected int64`);
    if (f.values.length !== want) throw new UserError(`${where}: feature "${name}" has ${f.values.length} values, expected ${lengthName(name, want)}`);
    const [lo, hi, range] = valueLimit(name, sizes, vocabSize);
    for (let i = 0; i < want; i++) {
      const v = f.values[i];
      if (v < lo || v > hi) throw new UserError(`${where}: feature "${name}" value ${v} at index ${i} is outside ${range}`);
      ints[at + i] = v;
    }
    at += want;
  }
  const w = example.get('masked_lm_weights');
  const P = lengths.masked_lm_weights;
  if (!w) throw new UserError(`${where}: feature "masked_lm_weights" is missing`);
  if (w.kind !== 'float') throw new UserError(`${where}: feature "masked_lm_weights" holds ${w.kind === 'none' ? 'no list' : `${w.kind} values`}, expected float`);
  if (w.values.length !== P) throw new UserError(`${where}: feature "masked_lm_weights" has ${w.values.length} values, expected ${lengthName('masked_lm_weights', P)}`);
  return { ints, weights: Float32Array.from(w.values) };
}

function lengthName(name: string, n: number): string {
  if (name === 'next_sentence_labels') return '1';
  if (name.startsWith('masked_lm')) return `max_predictions_per_seq = ${n}`;
  return `max_seq_length = ${n}`;
}
