/**
 * Training instances from documents, as the original create_instances_from_document builds
 * them (ALBERT's sentence-order variant):
 *
 * - max_num_tokens = max_seq_length - 3 ([CLS], [SEP], [SEP]); per document, the target length
 *   is max_num_tokens, or randint(2, max_num_tokens) with probability short_seq_prob.
 * - Sentences are collected until the target is reached (or the document ends); the chunk is
 *   split at a_end = randint(1, len(chunk) - 1) (1 for a one-sentence chunk).
 * - A one-sentence chunk, or (random_next_sentence mode) a coin flip, takes B from a random
 *   other document, label 1, and gives the unused sentences back. Otherwise (sentence-order
 *   mode) A and B are swapped with probability 1/2 (label 1) or kept (label 0).
 * - The pair is truncated to max_num_tokens, one token at a time from the longer side (B on a
 *   tie), from its front or back with probability 1/2 each.
 * - Layout [CLS] A [SEP] B [SEP]; segment 0 up to the first [SEP], 1 after it.
 */
import type { DataRng } from '../../../data/random.ts';
import type { TrainingInstance } from './features.ts';
import { createMaskedLmPredictions, PIECE_SPECIAL, type MaskingOptions } from './masking.ts';

/** One tokenized line: piece ids and, per piece, whether it starts a word (1) or continues one (0). */
export interface Sentence {
  ids: Int32Array;
  kinds: Uint8Array;
}

export type Document = Sentence[];

export interface InstanceOptions extends MaskingOptions {
  maxSeqLength: number;
  shortSeqProb: number;
  randomNextSentence: boolean;
  clsId: number;
  sepId: number;
}

/** A run of tokens that can lose tokens at either end in O(1). */
class Segment {
  ids: number[] = [];
  kinds: number[] = [];
  lo = 0;

  get length(): number {
    return this.ids.length - this.lo;
  }

  append(s: Sentence): void {
    for (let i = 0; i < s.ids.length; i++) {
      this.ids.push(s.ids[i]);
      this.kinds.push(s.kinds[i]);
    }
  }

  dropFront(): void {
    this.lo += 1;
  }

  dropBack(): void {
    this.ids.pop();
    this.kinds.pop();
  }
}

function truncateSeqPair(a: Segment, b: Segment, maxNumTokens: number, rng: DataRng): void {
  while (a.length + b.length > maxNumTokens) {
    const longer = a.length > b.length ? a : b;
    if (rng.random() < 0.5) longer.dropFront();
    else longer.dropBack();
  }
}

/** The instances one document yields (one dupe pass). `documents` is where random B segments come from. */
export function createInstancesFromDocument(documents: Document[], documentIndex: number, opts: InstanceOptions, rng: DataRng, cumulative?: Float64Array): TrainingInstance[] {
  const document = documents[documentIndex];
  const maxNumTokens = opts.maxSeqLength - 3;
  let targetSeqLength = maxNumTokens;
  if (rng.random() < opts.shortSeqProb) targetSeqLength = rng.randint(2, maxNumTokens);

  const instances: TrainingInstance[] = [];
  let chunk: Sentence[] = [];
  let chunkLength = 0;
  let i = 0;
  while (i < document.length) {
    const sentence = document[i];
    chunk.push(sentence);
    chunkLength += sentence.ids.length;
    if (i === document.length - 1 || chunkLength >= targetSeqLength) {
      if (chunk.length > 0) {
        const aEnd = chunk.length >= 2 ? rng.randint(1, chunk.length - 1) : 1;
        let a = new Segment();
        for (let j = 0; j < aEnd; j++) a.append(chunk[j]);
        let b = new Segment();
        let label: 0 | 1;
        if (chunk.length === 1 || (opts.randomNextSentence && rng.random() < 0.5)) {
          label = 1;
          const targetBLength = targetSeqLength - a.length;
          // Ten tries at a document other than this one (a one-document corpus reuses itself).
          let randomIndex = documentIndex;
          for (let t = 0; t < 10; t++) {
            randomIndex = rng.randint(0, documents.length - 1);
            if (randomIndex !== documentIndex) break;
          }
          const randomDocument = documents[randomIndex];
          const randomStart = rng.randint(0, randomDocument.length - 1);
          for (let j = randomStart; j < randomDocument.length; j++) {
            b.append(randomDocument[j]);
            if (b.length >= targetBLength) break;
          }
          // The sentences after a_end were not used: the next chunk starts with them.
          i -= chunk.length - aEnd;
        } else if (!opts.randomNextSentence && rng.random() < 0.5) {
          label = 1;
          for (let j = aEnd; j < chunk.length; j++) b.append(chunk[j]);
          [a, b] = [b, a];
        } else {
          label = 0;
          for (let j = aEnd; j < chunk.length; j++) b.append(chunk[j]);
        }
        truncateSeqPair(a, b, maxNumTokens, rng);
        if (a.length < 1 || b.length < 1) throw new Error('unreachable: an instance segment is empty');
        instances.push(buildInstance(a, b, label, opts, rng, cumulative));
      }
      chunk = [];
      chunkLength = 0;
    }
    i += 1;
  }
  return instances;
}

function buildInstance(a: Segment, b: Segment, label: 0 | 1, opts: InstanceOptions, rng: DataRng, cumulative?: Float64Array): TrainingInstance {
  const n = a.length + b.length + 3;
  const ids = new Int32Array(n);
  const kinds = new Uint8Array(n);
  let at = 0;
  ids[at] = opts.clsId;
  kinds[at++] = PIECE_SPECIAL;
  for (let j = a.lo; j < a.ids.length; j++) {
    ids[at] = a.ids[j];
    kinds[at++] = a.kinds[j];
  }
  ids[at] = opts.sepId;
  kinds[at++] = PIECE_SPECIAL;
  const segmentBStart = at;
  for (let j = b.lo; j < b.ids.length; j++) {
    ids[at] = b.ids[j];
    kinds[at++] = b.kinds[j];
  }
  ids[at] = opts.sepId;
  kinds[at++] = PIECE_SPECIAL;
  const m = createMaskedLmPredictions(ids, kinds, opts, rng, cumulative);
  return {
    inputIds: m.outputIds,
    segmentBStart,
    tokenBoundary: m.tokenBoundary,
    maskedLmPositions: m.positions,
    maskedLmIds: m.labels,
    nextSentenceLabel: label,
  };
}
