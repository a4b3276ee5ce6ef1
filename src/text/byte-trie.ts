// A trie over UTF-8 bytes mapping keys (vocabulary pieces, user-defined symbols) to ids. The
// encoders walk it one byte at a time from each start position, so a lookup costs the length of
// the match, never a scan of the vocabulary.

export class ByteTrie {
  /** Children of the root, indexed by byte: the first step of every walk. */
  private readonly rootChildren = new Int32Array(256).fill(-1);
  /** Children of the other nodes, keyed by node * 256 + byte. */
  private readonly children = new Map<number, number>();
  private values: Int32Array = new Int32Array(64).fill(-1);
  private nodeCount = 1;
  /** Number of keys stored. */
  size = 0;

  /** Stores `value` under `key`; returns false (and keeps the old value) when the key exists. */
  insert(key: Uint8Array, value: number): boolean {
    let node = 0;
    for (const b of key) {
      let next = node === 0 ? this.rootChildren[b] : (this.children.get(node * 256 + b) ?? -1);
      if (next < 0) {
        next = this.nodeCount++;
        if (next >= this.values.length) {
          const grown = new Int32Array(this.values.length * 2).fill(-1);
          grown.set(this.values);
          this.values = grown;
        }
        if (node === 0) this.rootChildren[b] = next;
        else this.children.set(node * 256 + b, next);
      }
      node = next;
    }
    if (this.values[node] >= 0) return false;
    this.values[node] = value;
    this.size++;
    return true;
  }

  /** The node reached from `node` by byte `b`, or -1. Node 0 is the root. */
  child(node: number, b: number): number {
    return node === 0 ? this.rootChildren[b] : (this.children.get(node * 256 + b) ?? -1);
  }

  /** The value stored at `node`, or -1 when no key ends there. */
  value(node: number): number {
    return this.values[node];
  }

  /** The value of exactly bytes[start, end), or -1. */
  get(bytes: Uint8Array, start: number, end: number): number {
    let node = 0;
    for (let i = start; i < end; i++) {
      node = this.child(node, bytes[i]);
      if (node < 0) return -1;
    }
    return end > start ? this.values[node] : -1;
  }

  /** The byte length of the longest key that is a prefix of bytes[start, end); 0 when none. */
  longestPrefix(bytes: Uint8Array, start: number, end: number): number {
    let node = 0;
    let longest = 0;
    for (let i = start; i < end; i++) {
      node = this.child(node, bytes[i]);
      if (node < 0) break;
      if (this.values[node] >= 0) longest = i + 1 - start;
    }
    return longest;
  }
}
