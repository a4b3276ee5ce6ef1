/**
 * The unigram language model's EM over the word lattices, as the sentencepiece trainer runs it:
 * the E-step's expected piece counts by forward-backward, the M-step's Bayesian (digamma)
 * update that drops pieces expected less than half a time, and pruning by how much the corpus
 * likelihood would drop without each piece. Everything runs on distinct words weighted by
 * their counts; arithmetic is float64 (the library's is float32).
 */
import type { SeedPieces } from './seed-pieces.ts';

/** The current vocabulary: seed indices and their log probabilities. */
export interface PieceModel {
  seeds: Int32Array;
  scores: Float64Array;
}

export interface EStepResult {
  expected: Float64Array;
  /** Negative log likelihood per word occurrence. */
  objective: number;
  /** Pieces in the Viterbi segmentations of the distinct words. */
  tokens: number;
}

/** A position no live single-character piece covers gets an unknown node this far below the lowest score. */
const UNK_PENALTY = 10;
const EXPECTED_FREQUENCY_THRESHOLD = 0.5;

/** ψ(x) by recurrence up to 7 and the asymptotic series, as the library computes it. */
export function digamma(x: number): number {
  let result = 0;
  for (; x < 7; ++x) result -= 1 / x;
  x -= 1 / 2;
  const xx = 1 / x;
  const xx2 = xx * xx;
  const xx4 = xx2 * xx2;
  result += Math.log(x) + (1 / 24) * xx2 - (7 / 960) * xx4 + (31 / 8064) * xx4 * xx2 - (127 / 30720) * xx4 * xx4;
  return result;
}

function logSumExp(a: number, b: number): number {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  return a > b ? a + Math.log1p(Math.exp(b - a)) : b + Math.log1p(Math.exp(a - b));
}

function minOf(xs: Float64Array): number {
  let m = Infinity;
  for (const x of xs) if (x < m) m = x;
  return m;
}

export class UnigramEM {
  private readonly seedToPiece: Int32Array;
  private readonly maxLen: number;
  private readonly allFreq: number;

  constructor(private readonly seeds: SeedPieces) {
    this.seedToPiece = new Int32Array(seeds.pieces.length);
    const { words } = seeds.lattices;
    let maxLen = 0;
    let all = 0;
    for (let w = 0; w < words.count; w++) {
      maxLen = Math.max(maxLen, words.start[w + 1] - words.start[w]);
      all += words.freq[w];
    }
    this.maxLen = maxLen;
    this.allFreq = all;
  }

  /** The model of all seed pieces with their initial scores. */
  initialModel(): PieceModel {
    return { seeds: Int32Array.from(this.seeds.pieces.keys()), scores: Float64Array.from(this.seeds.scores) };
  }

  private use(model: PieceModel): void {
    this.seedToPiece.fill(-1);
    model.seeds.forEach((s, k) => (this.seedToPiece[s] = k));
  }

  eStep(model: PieceModel): EStepResult {
    this.use(model);
    const { words, posEdge, edgeEnd, edgeSeed } = this.seeds.lattices;
    const { seedToPiece } = this;
    const scores = model.scores;
    const unk = minOf(scores) - UNK_PENALTY;
    const expected = new Float64Array(scores.length);
    const alpha = new Float64Array(this.maxLen + 1);
    const beta = new Float64Array(this.maxLen + 1);
    const best = new Float64Array(this.maxLen + 1);
    const bestLen = new Int32Array(this.maxLen + 1);
    const noSingle = new Uint8Array(this.maxLen);
    let objective = 0;
    let tokens = 0;
    for (let w = 0; w < words.count; w++) {
      const n = words.start[w + 1] - words.start[w];
      const base = words.start[w] + w;
      const f = words.freq[w];
      alpha.fill(-Infinity, 0, n + 1);
      best.fill(-Infinity, 0, n + 1);
      alpha[0] = 0;
      best[0] = 0;
      bestLen[0] = 0;
      for (let p = 0; p < n; p++) {
        const a = alpha[p];
        const v = best[p];
        let single = false;
        for (let e = posEdge[base + p]; e < posEdge[base + p + 1]; e++) {
          const k = seedToPiece[edgeSeed[e]];
          if (k < 0) continue;
          const end = edgeEnd[e];
          const s = scores[k];
          if (end === p + 1) single = true;
          alpha[end] = logSumExp(alpha[end], a + s);
          if (v + s > best[end]) {
            best[end] = v + s;
            bestLen[end] = bestLen[p] + 1;
          }
        }
        noSingle[p] = single ? 0 : 1;
        if (!single) {
          alpha[p + 1] = logSumExp(alpha[p + 1], a + unk);
          if (v + unk > best[p + 1]) {
            best[p + 1] = v + unk;
            bestLen[p + 1] = bestLen[p] + 1;
          }
        }
      }
      const z = alpha[n];
      beta[n] = 0;
      for (let p = n - 1; p >= 0; p--) {
        let b = noSingle[p] ? unk + beta[p + 1] : -Infinity;
        for (let e = posEdge[base + p]; e < posEdge[base + p + 1]; e++) {
          const k = seedToPiece[edgeSeed[e]];
          if (k >= 0) b = logSumExp(b, scores[k] + beta[edgeEnd[e]]);
        }
        beta[p] = b;
      }
      for (let p = 0; p < n; p++) {
        const a = alpha[p] - z;
        for (let e = posEdge[base + p]; e < posEdge[base + p + 1]; e++) {
          const k = seedToPiece[edgeSeed[e]];
          if (k >= 0) expected[k] += f * Math.exp(a + scores[k] + beta[edgeEnd[e]]);
        }
      }
      objective -= (f * z) / this.allFreq;
      tokens += bestLen[n];
    }
    return { expected, objective, tokens };
  }

  /** Keeps pieces expected at least half a time; new scores ψ(count) - ψ(total count). */
  mStep(model: PieceModel, expected: Float64Array): PieceModel {
    const keep: number[] = [];
    let sum = 0;
    for (let k = 0; k < expected.length; k++) {
      if (expected[k] < EXPECTED_FREQUENCY_THRESHOLD) continue;
      keep.push(k);
      sum += expected[k];
    }
    const logSum = digamma(sum);
    return {
      seeds: Int32Array.from(keep, (k) => model.seeds[k]),
      scores: Float64Array.from(keep, (k) => digamma(expected[k]) - logSum),
    };
  }

  /**
   * Viterbi segmentation of part of word w: positions [from, from + len), optionally without the
   * edge spanning all of it. Returns the pieces on the best path (-1 for an unknown node).
   */
  private viterbi(model: PieceModel, unk: number, w: number, from: number, len: number, skipWhole: boolean, out: number[]): void {
    const { words, posEdge, edgeEnd, edgeSeed } = this.seeds.lattices;
    const base = words.start[w] + w + from;
    const best = this.vBest;
    const backPiece = this.vPiece;
    const backPos = this.vPos;
    best.fill(-Infinity, 0, len + 1);
    best[0] = 0;
    for (let q = 0; q < len; q++) {
      const v = best[q];
      let single = false;
      for (let e = posEdge[base + q]; e < posEdge[base + q + 1]; e++) {
        const end = edgeEnd[e] - from;
        if (end > len) break; // a position's edges are in order of their end
        const k = this.seedToPiece[edgeSeed[e]];
        if (k < 0) continue;
        if (end === q + 1) single = true;
        if (skipWhole && q === 0 && end === len) continue;
        const s = v + model.scores[k];
        if (s > best[end]) {
          best[end] = s;
          backPiece[end] = k;
          backPos[end] = q;
        }
      }
      if (!single && v + unk > best[q + 1]) {
        best[q + 1] = v + unk;
        backPiece[q + 1] = -1;
        backPos[q + 1] = q;
      }
    }
    out.length = 0;
    for (let p = len; p > 0; p = backPos[p]) out.push(backPiece[p]);
    out.reverse();
  }

  private vBest = new Float64Array(0);
  private vPiece = new Int32Array(0);
  private vPos = new Int32Array(0);

  /**
   * Removes the pieces whose loss matters least, down to max(desiredSize, shrinkingFactor x size).
   * A piece that its own best segmentation splits, or that no word's best segmentation uses, goes
   * first; the loss of the others assumes each of their occurrences is replaced by their second
   * best segmentation.
   */
  prune(model: PieceModel, desiredSize: number, shrinkingFactor: number): PieceModel {
    this.use(model);
    const P = model.seeds.length;
    const unk = minOf(model.scores) - UNK_PENALTY;
    const { words } = this.seeds.lattices;
    const cap = Math.max(this.maxLen, 1) + 1;
    this.vBest = new Float64Array(cap);
    this.vPiece = new Int32Array(cap);
    this.vPos = new Int32Array(cap);

    // How often each piece is used by the best segmentations of the corpus.
    const freq = new Float64Array(P);
    let vsum = 0;
    const path: number[] = [];
    for (let w = 0; w < words.count; w++) {
      const f = words.freq[w];
      this.viterbi(model, unk, w, 0, words.start[w + 1] - words.start[w], false, path);
      vsum += f;
      for (const k of path) if (k >= 0) freq[k] += f;
    }
    let sum = 0;
    for (const x of freq) sum += x;
    const logSum = Math.log(sum);

    const kept: number[] = [];
    const candidates: { k: number; loss: number }[] = [];
    const alternatives: number[] = [];
    for (let k = 0; k < P; k++) {
      if (freq[k] === 0) continue;
      const seed = model.seeds[k];
      const len = this.seeds.length[seed];
      if (len === 1) {
        kept.push(k); // nothing can replace a single character
        continue;
      }
      const w = this.seeds.occWord[seed];
      const from = this.seeds.occStart[seed];
      this.viterbi(model, unk, w, from, len, false, path);
      if (path.length !== 1) continue; // its own best segmentation splits it: removing it costs nothing
      this.viterbi(model, unk, w, from, len, true, alternatives);
      if (alternatives.includes(-1)) {
        kept.push(k);
        continue;
      }
      // After removal, its count moves to each piece of its alternative segmentation. (The
      // library grows the total by freq x (number of pieces - 1) here, not by
      // freq x (alternative length - 1); we keep its formula so our vocabularies match its.)
      const logProbPiece = Math.log(freq[k]) - logSum;
      const logSumAlt = Math.log(sum + freq[k] * (P - 1));
      let logProbAlt = 0;
      for (const a of alternatives) logProbAlt += Math.log(freq[a] + freq[k]) - logSumAlt;
      const F = freq[k] / vsum;
      candidates.push({ k, loss: F * (logProbPiece - logProbAlt) });
    }
    const prunedSize = Math.max(desiredSize, Math.trunc(shrinkingFactor * P));
    candidates.sort((a, b) => b.loss - a.loss || a.k - b.k);
    for (const c of candidates) {
      if (kept.length >= prunedSize) break;
      kept.push(c.k);
    }
    return { seeds: Int32Array.from(kept, (k) => model.seeds[k]), scores: Float64Array.from(kept, (k) => model.scores[k]) };
  }
}
