// The unigram model's best segmentation: Viterbi over all pieces that match at each character,
// found by walking the piece trie. The arithmetic is SentencePiece's own, down to its float32
// roundings and tie-breaking, so that near-ties resolve as the library resolves them:
//  - path scores are stored as float32; a piece's candidate is summed in double precision
//    (the library's user-defined bonus is a double, which makes every candidate one) and
//    compared with the stored float32;
//  - a character no single-character piece covers gets the unknown id with score
//    min_score - 10 (the unk penalty), summed in float32;
//  - a user-defined symbol scores byte_length * max_score - 0.1 so it always wins;
//  - on equal scores the earlier start wins (candidates are tried in order of start).
import type { Segmentation, SegmentationModel } from './segmentation.ts';
import { PieceType } from './model-proto.ts';
import { oneCharLen } from './utf8.ts';
import type { Vocab } from './vocab.ts';

/** SentencePiece's kUnkPenalty. */
const UNK_PENALTY = 10;

export class UnigramModel implements SegmentationModel {
  private readonly unkScore: number;

  constructor(private readonly vocab: Vocab) {
    this.unkScore = Math.fround(vocab.minScore - UNK_PENALTY);
  }

  segment(normalized: Uint8Array): Segmentation {
    const size = normalized.length;
    if (size === 0) return { ids: [], bounds: [0] };
    const { trie, types, scores, unkId } = this.vocab;
    const maxScore = this.vocab.maxScore;
    // best*[end]: the best path ending at byte `end` (start -1: none yet).
    const bestScore = new Float64Array(size + 1);
    const bestStart = new Int32Array(size + 1).fill(-1);
    const bestId = new Int32Array(size + 1);
    for (let start = 0; start < size; ) {
      const scoreHere = bestScore[start];
      const mblen = Math.min(oneCharLen(normalized[start]), size - start);
      let hasSingleNode = false;
      let node = 0;
      for (let pos = start; pos < size; ) {
        node = trie.child(node, normalized[pos]);
        if (node < 0) break;
        pos++;
        const id = trie.value(node);
        if (id < 0) continue;
        const type = types[id];
        if (type === PieceType.UNUSED) continue;
        const length = pos - start;
        const score = type === PieceType.USER_DEFINED ? Math.fround(length * maxScore) - 0.1 : scores[id];
        const candidate = score + scoreHere;
        if (bestStart[pos] === -1 || candidate > bestScore[pos]) {
          bestScore[pos] = Math.fround(candidate);
          bestStart[pos] = start;
          bestId[pos] = id;
        }
        if (length === mblen) hasSingleNode = true;
      }
      if (!hasSingleNode) {
        const end = start + mblen;
        const candidate = Math.fround(this.unkScore + scoreHere);
        if (bestStart[end] === -1 || candidate > bestScore[end]) {
          bestScore[end] = candidate;
          bestStart[end] = start;
          bestId[end] = unkId;
        }
      }
      start += mblen;
    }
    // Walk back from the end along the best path.
    const ids: number[] = [];
    const bounds: number[] = [size];
    for (let end = size; end > 0; end = bestStart[end]) {
      // Every character boundary is reachable (a character is a piece or an unknown), so a
      // missing link means the text was not UTF-8: a bug upstream, not a user error.
      if (bestStart[end] < 0) throw new Error(`unigram: no path reaches byte ${end} of ${size}`);
      ids.push(bestId[end]);
      bounds.push(bestStart[end]);
    }
    ids.reverse();
    bounds.reverse();
    return { ids, bounds };
  }
}
