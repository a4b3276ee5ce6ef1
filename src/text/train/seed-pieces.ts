/**
 * Seed pieces and the word lattices the EM works on.
 *
 * The library seeds from the internal nodes of a suffix tree over the whole corpus: substrings
 * that occur at least twice and are right-branching (followed by two or more different
 * characters), ranked by frequency x length. Valid pieces never cross a word boundary, so the
 * same set comes from the distinct words: the substrings of every word (up to the maximum piece
 * length) go into a hashed trie with their counts and what follows them, the word's end being
 * followed by the character after the word in the sentence. Substrings seen once are not
 * extended until seen again, so the work is about the number of repeated substrings, and no
 * suffix array is needed. (Tests check the result against the suffix-tree definition.)
 *
 * The same walk then lists, for each word, every (start, end, seed) where a seed piece matches:
 * the word's lattice. Pruning only removes pieces, so these edges stay valid for the whole EM;
 * an edge is live while its seed is still in the model.
 */
import { PieceChecker, STOP, VALID, type PieceRules } from './piece-rules.ts';
import { compareCodePoints, MULTI, type TrainingWords } from './words.ts';

const UNSET = -3;

/** A trie of substrings in flat typed arrays, children found through an open-addressing hash. */
class SubstringTrie {
  size = 1; // node 0 is the root (the empty string)
  count = new Float64Array(1 << 16);
  next = new Int32Array(1 << 16).fill(UNSET);
  depth = new Uint16Array(1 << 16);
  valid = new Uint8Array(1 << 16);
  occWord = new Int32Array(1 << 16);
  occStart = new Int32Array(1 << 16);
  private keyParent = new Int32Array(1 << 17);
  private keyChar = new Int32Array(1 << 17);
  private value = new Int32Array(1 << 17).fill(-1);
  private mask = (1 << 17) - 1;

  private slot(parent: number, c: number): number {
    let h = Math.imul(parent, 0x9e3779b1) ^ Math.imul(c + 0x7f4a7c15, 0x85ebca77);
    h ^= h >>> 15;
    h = Math.imul(h, 0x2c1b3c6d);
    h ^= h >>> 12;
    let i = h & this.mask;
    while (this.value[i] !== -1 && (this.keyParent[i] !== parent || this.keyChar[i] !== c)) i = (i + 1) & this.mask;
    return i;
  }

  find(parent: number, c: number): number {
    return this.value[this.slot(parent, c)];
  }

  findOrAdd(parent: number, c: number, word: number, start: number): number {
    const i = this.slot(parent, c);
    if (this.value[i] !== -1) return this.value[i];
    if (this.size === this.count.length) this.growNodes();
    const node = this.size++;
    this.depth[node] = this.depth[parent] + 1;
    this.occWord[node] = word;
    this.occStart[node] = start;
    this.keyParent[i] = parent;
    this.keyChar[i] = c;
    this.value[i] = node;
    if (this.size * 2 > this.mask) this.growHash();
    return node;
  }

  private growNodes(): void {
    const n = this.count.length * 2;
    const grow = <T extends Float64Array | Int32Array | Uint16Array>(a: T, make: (n: number) => T): T => {
      const b = make(n);
      b.set(a);
      return b;
    };
    this.count = grow(this.count, (k) => new Float64Array(k));
    const next = new Int32Array(n).fill(UNSET);
    next.set(this.next);
    this.next = next;
    this.depth = grow(this.depth, (k) => new Uint16Array(k));
    const valid = new Uint8Array(n);
    valid.set(this.valid);
    this.valid = valid;
    this.occWord = grow(this.occWord, (k) => new Int32Array(k));
    this.occStart = grow(this.occStart, (k) => new Int32Array(k));
  }

  private growHash(): void {
    const { keyParent, keyChar, value } = this;
    const cap = (this.mask + 1) * 2;
    this.keyParent = new Int32Array(cap);
    this.keyChar = new Int32Array(cap);
    this.value = new Int32Array(cap).fill(-1);
    this.mask = cap - 1;
    for (let i = 0; i < value.length; i++) {
      if (value[i] === -1) continue;
      const j = this.slot(keyParent[i], keyChar[i]);
      this.keyParent[j] = keyParent[i];
      this.keyChar[j] = keyChar[i];
      this.value[j] = value[i];
    }
  }
}

/** Each word's lattice: the seed pieces matching at each of its positions. */
export interface WordLattices {
  words: TrainingWords;
  /** Edges starting at position p of word w: [posEdge[start[w] + w + p], posEdge[start[w] + w + p + 1]). */
  posEdge: Int32Array;
  /** Each edge's end position (within its word) and seed piece. */
  edgeEnd: Int32Array;
  edgeSeed: Int32Array;
}

export interface SeedPieces {
  /** Single characters first (most frequent first), then substrings by frequency x length. */
  pieces: string[];
  /** log(score / total score): the initial unigram log probabilities. */
  scores: Float64Array;
  /** Length in code points, and one occurrence (word, start): where to find its own lattice. */
  length: Int32Array;
  occWord: Int32Array;
  occStart: Int32Array;
  lattices: WordLattices;
  /** Substrings that qualified before the cut to seedSize (characters included). */
  candidates: number;
}

export function makeSeedPieces(words: TrainingWords, rules: PieceRules, seedSize: number): SeedPieces {
  const trie = new SubstringTrie();
  const checker = new PieceChecker(rules);
  const { chars, start, freq } = words;

  // Count every substring and what follows it. Most long substrings occur once, and nothing
  // below a substring seen once can be a seed (counts only shrink going down), so a walk stops
  // after creating a node of count 1; when such a node is reached a second time, its first
  // occurrence is first extended one level (replay), so every node that exists has exact counts.
  const replayChecker = new PieceChecker(rules);
  const visit = (node: number, f: number, valid: boolean, after: number): void => {
    trie.count[node] += f;
    if (valid) trie.valid[node] = 1;
    const seen = trie.next[node];
    if (seen === UNSET) trie.next[node] = after;
    else if (seen !== after) trie.next[node] = MULTI;
  };
  const replay = (node: number): void => {
    const w = trie.occWord[node];
    const from = start[w] + trie.occStart[node];
    const at = from + trie.depth[node];
    if (at >= start[w + 1]) return;
    replayChecker.reset();
    for (let k = from; k < at; k++) replayChecker.push(chars[k]);
    const r = replayChecker.push(chars[at]);
    if (r === STOP) return;
    const child = trie.findOrAdd(node, chars[at], w, trie.occStart[node]);
    visit(child, freq[w], r === VALID, at + 1 < start[w + 1] ? chars[at + 1] : words.next[w]);
  };
  for (let w = 0; w < words.count; w++) {
    const b = start[w];
    const e = start[w + 1];
    const f = freq[w];
    for (let i = b; i < e; i++) {
      checker.reset();
      let node = 0;
      for (let j = i; j < e; j++) {
        const r = checker.push(chars[j]);
        if (r === STOP) break;
        const before = trie.size;
        node = trie.findOrAdd(node, chars[j], w, i - b);
        const created = trie.size !== before;
        if (!created && trie.count[node] === 1) replay(node);
        visit(node, f, r === VALID, j + 1 < e ? chars[j + 1] : words.next[w]);
        if (created && f === 1) break;
      }
    }
  }

  const pieceText = (node: number): string => {
    const s = start[trie.occWord[node]] + trie.occStart[node];
    return String.fromCodePoint(...chars.subarray(s, s + trie.depth[node]));
  };
  const singles: number[] = [];
  const multi: number[] = [];
  for (let node = 1; node < trie.size; node++) {
    if (trie.count[node] === 0 || !trie.valid[node]) continue;
    if (trie.depth[node] === 1) singles.push(node);
    // An internal node of the suffix tree: seen twice or more, with different continuations.
    else if (trie.count[node] >= 2 && trie.next[node] === MULTI) multi.push(node);
  }
  singles.sort((a, b) => trie.count[b] - trie.count[a] || pieceText(a).codePointAt(0)! - pieceText(b).codePointAt(0)!);
  const score = (node: number): number => trie.count[node] * trie.depth[node];
  const text = new Map<number, string>();
  const textOf = (node: number): string => {
    let t = text.get(node);
    if (t === undefined) text.set(node, (t = pieceText(node)));
    return t;
  };
  multi.sort((a, b) => score(b) - score(a) || compareCodePoints(textOf(a), textOf(b)));

  const chosen = singles.concat(multi.slice(0, Math.max(0, seedSize - singles.length)));
  const n = chosen.length;
  const seedOfNode = new Int32Array(trie.size).fill(-1);
  const pieces: string[] = new Array(n);
  const scores = new Float64Array(n);
  const length = new Int32Array(n);
  const occWord = new Int32Array(n);
  const occStart = new Int32Array(n);
  let total = 0;
  for (let k = 0; k < n; k++) {
    const node = chosen[k];
    seedOfNode[node] = k;
    pieces[k] = textOf(node);
    scores[k] = trie.depth[node] === 1 ? trie.count[node] : score(node);
    total += scores[k];
    length[k] = trie.depth[node];
    occWord[k] = trie.occWord[node];
    occStart[k] = trie.occStart[node];
  }
  const logTotal = Math.log(total);
  for (let k = 0; k < n; k++) scores[k] = Math.log(scores[k]) - logTotal;

  // Lattice edges: walk again, keeping the substrings that became seeds.
  const posEdge = new Int32Array(chars.length + words.count + 1);
  let edgeEnd = new Int32Array(1 << 16);
  let edgeSeed = new Int32Array(1 << 16);
  let edges = 0;
  for (let w = 0; w < words.count; w++) {
    const b = start[w];
    const e = start[w + 1];
    for (let i = b; i < e; i++) {
      posEdge[i + w] = edges;
      checker.reset();
      let node = 0;
      for (let j = i; j < e; j++) {
        const r = checker.push(chars[j]);
        if (r === STOP) break;
        node = trie.find(node, chars[j]);
        if (node < 0) break;
        const seed = seedOfNode[node];
        if (r !== VALID || seed < 0) continue;
        if (edges === edgeEnd.length) {
          const a = new Int32Array(edges * 2);
          a.set(edgeEnd);
          edgeEnd = a;
          const s = new Int32Array(edges * 2);
          s.set(edgeSeed);
          edgeSeed = s;
        }
        edgeEnd[edges] = j + 1 - b;
        edgeSeed[edges] = seed;
        edges++;
      }
    }
    posEdge[e + w] = edges;
  }
  return {
    pieces,
    scores,
    length,
    occWord,
    occStart,
    lattices: { words, posEdge, edgeEnd: edgeEnd.subarray(0, edges), edgeSeed: edgeSeed.subarray(0, edges) },
    candidates: singles.length + multi.length,
  };
}
