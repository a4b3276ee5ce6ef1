/**
 * Masked-LM predictions for one instance, as the original create_masked_lm_predictions makes
 * them: whole-word n-gram masking.
 *
 * - Words: a piece that does not start a word joins the word before it (whole-word masking);
 *   with whole-word masking off every piece is its own candidate. token_boundary marks the
 *   pieces that start a word, and [CLS]/[SEP].
 * - num_to_predict = min(max_predictions_per_seq, max(1, round(len(tokens) * masked_lm_prob)))
 *   with Python 3's round (halves to even), counting [CLS] and [SEP] in len(tokens).
 * - Every word starts an n-gram candidate of n = 1..ngram consecutive words; candidates are
 *   visited in random order; n is drawn with p(n) proportional to 1/n (favor_shorter_ngram) or
 *   to 1/(ngram + 1 - n) (the original reverses the list otherwise), over the n that fit;
 *   an n-gram that would overshoot num_to_predict falls back to shorter ones, and one that
 *   still overshoots or overlaps what is already masked is skipped.
 * - Each chosen token: 80% [MASK], 10% kept, 10% a uniformly random vocabulary id (any id, as
 *   the original draws from the whole vocabulary).
 *
 * Deliberate difference: the original lets a word and an n-gram run on across [SEP] (a
 * continuation piece right after [SEP] joins the last word before it); here words and n-grams
 * stay inside their segment, so every n-gram is a contiguous run of whole words.
 * The original draws n with numpy's unseeded global RNG; here every draw comes from the one
 * seeded generator, so the output is reproducible.
 */
import type { DataRng } from '../../../data/random.ts';

/** What a token is, for masking: a continuation piece, a piece that starts a word, or [CLS]/[SEP]. */
export const PIECE_CONTINUES = 0;
export const PIECE_STARTS_WORD = 1;
export const PIECE_SPECIAL = 2;

export interface MaskingOptions {
  maskedLmProb: number;
  maxPredictionsPerSeq: number;
  ngram: number;
  favorShorterNgram: boolean;
  doWholeWordMask: boolean;
  vocabSize: number;
  maskId: number;
}

export interface MaskedLmPredictions {
  /** Token ids after masking (a copy; the input is not changed). */
  outputIds: Int32Array;
  tokenBoundary: Uint8Array;
  /** Masked positions, increasing. */
  positions: Int32Array;
  /** The original ids at those positions. */
  labels: Int32Array;
  /** The n-grams chosen, as [start, end) token ranges in the order they were chosen. */
  spans: [number, number][];
}

/** Python 3's round(): halves go to the even neighbour. */
export function pyRound(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** The number of tokens the original masks in a sequence of `length` tokens. */
export function numToPredict(length: number, maskedLmProb: number, maxPredictionsPerSeq: number): number {
  return Math.min(maxPredictionsPerSeq, Math.max(1, pyRound(length * maskedLmProb)));
}

/** Cumulative probabilities of n = 1..ngram. */
export function ngramCumulative(ngram: number, favorShorterNgram: boolean): Float64Array {
  const p = Array.from({ length: ngram }, (_, i) => 1 / (i + 1));
  if (!favorShorterNgram) p.reverse();
  const cum = new Float64Array(ngram);
  let s = 0;
  for (let i = 0; i < ngram; i++) cum[i] = s += p[i];
  return cum;
}

/**
 * Masks `ids` (the whole [CLS] A [SEP] B [SEP] sequence); `kinds` says, per token, whether it
 * continues a word, starts one, or is [CLS]/[SEP].
 */
export function createMaskedLmPredictions(ids: Int32Array, kinds: Uint8Array, opts: MaskingOptions, rng: DataRng, cumulative = ngramCumulative(opts.ngram, opts.favorShorterNgram)): MaskedLmPredictions {
  const n = ids.length;
  const tokenBoundary = new Uint8Array(n);
  // Words as [start, end) runs, and the segment each lies in (specials separate segments).
  const wordStart: number[] = [];
  const wordEnd: number[] = [];
  const wordSegment: number[] = [];
  let segment = 0;
  let open = false;
  for (let i = 0; i < n; i++) {
    const kind = kinds[i];
    if (kind === PIECE_SPECIAL) {
      tokenBoundary[i] = 1;
      segment += 1;
      open = false;
      continue;
    }
    if (opts.doWholeWordMask && open && kind === PIECE_CONTINUES) {
      wordEnd[wordEnd.length - 1] = i + 1;
    } else {
      wordStart.push(i);
      wordEnd.push(i + 1);
      wordSegment.push(segment);
      open = true;
      if (kind === PIECE_STARTS_WORD) tokenBoundary[i] = 1;
    }
  }

  const outputIds = Int32Array.from(ids);
  const spans: [number, number][] = [];
  if (opts.maskedLmProb === 0) return { outputIds, tokenBoundary, positions: new Int32Array(0), labels: new Int32Array(0), spans };

  const target = numToPredict(n, opts.maskedLmProb, opts.maxPredictionsPerSeq);
  const words = wordStart.length;
  const order = Array.from({ length: words }, (_, i) => i);
  rng.shuffle(order);

  const covered = new Uint8Array(n);
  const positions: number[] = [];
  for (const w of order) {
    if (positions.length >= target) break;
    // The n-grams starting at word w: up to `ngram` words, all in w's segment.
    let fit = 1;
    while (fit < opts.ngram && w + fit < words && wordSegment[w + fit] === wordSegment[w]) fit++;
    const u = rng.random() * cumulative[fit - 1];
    let k = 1;
    while (k < fit && u >= cumulative[k - 1]) k++;
    const start = wordStart[w];
    while (k > 1 && positions.length + (wordEnd[w + k - 1] - start) > target) k--;
    const end = wordEnd[w + k - 1];
    if (positions.length + (end - start) > target) continue;
    let overlaps = false;
    for (let i = start; i < end; i++) if (covered[i]) overlaps = true;
    if (overlaps) continue;
    spans.push([start, end]);
    for (let i = start; i < end; i++) {
      covered[i] = 1;
      if (rng.random() < 0.8) outputIds[i] = opts.maskId;
      else if (rng.random() < 0.5) outputIds[i] = ids[i];
      else outputIds[i] = rng.randint(0, opts.vocabSize - 1);
      positions.push(i);
    }
  }
  positions.sort((a, b) => a - b);
  const pos = Int32Array.from(positions);
  const labels = new Int32Array(pos.length);
  for (let j = 0; j < pos.length; j++) labels[j] = ids[pos[j]];
  return { outputIds, tokenBoundary, positions: pos, labels, spans };
}
