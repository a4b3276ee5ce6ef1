// The BPE model's segmentation: start from single characters (user-defined symbols stay whole
// and never merge), then repeatedly merge the adjacent pair whose merged piece scores highest,
// the leftmost pair on equal scores, until no adjacent pair forms a piece. A priority queue
// holds candidate pairs; pairs made stale by an earlier merge are skipped when popped. A merge
// that yields an UNUSED piece is undone at the end (resegmented into the pieces it was made
// of), as SentencePiece does.
import type { Segmentation, SegmentationModel } from './segmentation.ts';
import { PieceType } from './model-proto.ts';
import { oneCharLen } from './utf8.ts';
import type { Vocab } from './vocab.ts';

/**
 * A max-heap of candidate merges, ordered by score, then by the smaller left symbol index. The
 * two sort keys live in heap order next to the slot, so sifting reads contiguous memory; the
 * rest of a pair is read by slot once it is popped.
 */
class PairQueue {
  private heapScore: Float64Array;
  private heapLeft: Int32Array;
  private heapSlot: Int32Array;
  private right: Int32Array;
  private size_: Int32Array;
  private node_: Int32Array;
  private count = 0;
  private slots = 0;
  /** Filled in by pop(). */
  left = 0;

  constructor(capacity: number) {
    const n = Math.max(16, capacity);
    this.heapScore = new Float64Array(n);
    this.heapLeft = new Int32Array(n);
    this.heapSlot = new Int32Array(n);
    this.right = new Int32Array(n);
    this.size_ = new Int32Array(n);
    this.node_ = new Int32Array(n);
  }

  get length(): number {
    return this.count;
  }

  push(left: number, right: number, score: number, size: number, node: number): void {
    if (this.slots === this.right.length || this.count === this.heapSlot.length) this.grow();
    const slot = this.slots++;
    this.right[slot] = right;
    this.size_[slot] = size;
    this.node_[slot] = node;
    const hs = this.heapScore;
    const hl = this.heapLeft;
    const hslot = this.heapSlot;
    // Sift up: move worse parents down until the new pair's place is found.
    let i = this.count++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!(score > hs[p] || (score === hs[p] && left < hl[p]))) break;
      hs[i] = hs[p];
      hl[i] = hl[p];
      hslot[i] = hslot[p];
      i = p;
    }
    hs[i] = score;
    hl[i] = left;
    hslot[i] = slot;
  }

  /** Removes the best pair: returns its slot and sets `left` (read the rest with rightOf, ...). */
  pop(): number {
    const hs = this.heapScore;
    const hl = this.heapLeft;
    const hslot = this.heapSlot;
    const top = hslot[0];
    this.left = hl[0];
    const n = --this.count;
    const score = hs[n];
    const left = hl[n];
    const slot = hslot[n];
    // Sift the last pair down from the root, moving better children up.
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && (hs[c + 1] > hs[c] || (hs[c + 1] === hs[c] && hl[c + 1] < hl[c]))) c++;
      if (!(hs[c] > score || (hs[c] === score && hl[c] < left))) break;
      hs[i] = hs[c];
      hl[i] = hl[c];
      hslot[i] = hslot[c];
      i = c;
    }
    hs[i] = score;
    hl[i] = left;
    hslot[i] = slot;
    return top;
  }

  rightOf(slot: number): number {
    return this.right[slot];
  }
  sizeOf(slot: number): number {
    return this.size_[slot];
  }
  /** The trie node of the merged piece. */
  nodeOf(slot: number): number {
    return this.node_[slot];
  }

  private grow(): void {
    const n = this.right.length * 2;
    const int = (a: Int32Array): Int32Array => {
      const b = new Int32Array(n);
      b.set(a);
      return b;
    };
    this.heapLeft = int(this.heapLeft);
    this.heapSlot = int(this.heapSlot);
    this.right = int(this.right);
    this.size_ = int(this.size_);
    this.node_ = int(this.node_);
    const s = new Float64Array(n);
    s.set(this.heapScore);
    this.heapScore = s;
  }
}

export class BpeModel implements SegmentationModel {
  constructor(private readonly vocab: Vocab) {}

  segment(normalized: Uint8Array): Segmentation {
    const size = normalized.length;
    if (size === 0) return { ids: [], bounds: [0] };
    const vocab = this.vocab;
    const { trie, types, scores } = vocab;
    const walk = (from: number, s: number, e: number): number => {
      let n = from;
      for (let i = s; i < e && n >= 0; i++) n = trie.child(n, normalized[i]);
      return n;
    };

    // Split into characters; a user-defined symbol is one frozen symbol. Symbol i is bytes
    // [start[i], start[i] + len[i]) (len 0 once merged away); node[i] is where its bytes lead in
    // the piece trie (-1: nowhere), so looking up a merge walks only the right symbol's bytes.
    const start = new Int32Array(size);
    const len = new Int32Array(size);
    const node = new Int32Array(size);
    const frozen = new Uint8Array(size);
    let count = 0;
    for (let pos = 0; pos < size; count++) {
      const user = vocab.userDefined.size > 0 ? vocab.userDefined.longestPrefix(normalized, pos, size) : 0;
      const n = user > 0 ? user : Math.min(oneCharLen(normalized[pos]), size - pos);
      start[count] = pos;
      len[count] = n;
      frozen[count] = user > 0 ? 1 : 0;
      node[count] = walk(0, pos, pos + n);
      pos += n;
    }
    const prev = new Int32Array(count);
    const next = new Int32Array(count);
    for (let i = 0; i < count; i++) {
      prev[i] = i - 1;
      next[i] = i + 1 < count ? i + 1 : -1;
    }

    const queue = new PairQueue(2 * count);
    // For UNUSED pieces made by a merge: the two symbols they were made of (byte ranges).
    const revMerge = new Map<number, [number, number, number, number]>();
    const addPair = (left: number, right: number): void => {
      if (left < 0 || right < 0 || frozen[left] || frozen[right] || node[left] < 0) return;
      const merged = walk(node[left], start[right], start[right] + len[right]);
      const id = merged < 0 ? -1 : trie.value(merged);
      if (id < 0) return;
      queue.push(left, right, scores[id], len[left] + len[right], merged);
      if (types[id] === PieceType.UNUSED) revMerge.set(id, [start[left], len[left], start[right], len[right]]);
    };
    for (let i = 1; i < count; i++) addPair(i - 1, i);

    while (queue.length > 0) {
      const slot = queue.pop();
      const left = queue.left;
      const right = queue.rightOf(slot);
      // A pair is stale once either side was merged away or grew.
      if (len[left] === 0 || len[right] === 0 || len[left] + len[right] !== queue.sizeOf(slot)) continue;
      len[left] += len[right];
      node[left] = queue.nodeOf(slot);
      next[left] = next[right];
      if (next[right] >= 0) prev[next[right]] = left;
      len[right] = 0;
      addPair(prev[left], left);
      addPair(left, next[left]);
    }

    const ids: number[] = [];
    const bounds: number[] = [];
    const emit = (s: number, n: number): void => {
      const id = vocab.idOfBytes(normalized, s, s + n);
      const parts = types[id] === PieceType.UNUSED ? revMerge.get(id) : undefined;
      if (!parts) {
        ids.push(id);
        bounds.push(s);
        return;
      }
      emit(parts[0], parts[1]);
      emit(parts[2], parts[3]);
    };
    for (let i = 0; i !== -1; i = next[i]) emit(start[i], len[i]);
    bounds.push(size);
    return { ids, bounds };
  }
}
