// A reader for Darts-clone double-array tries, the structure SentencePiece stores its
// normalization rules in (precompiled_charsmap). Each 32-bit unit packs:
//   bit 31        marks a value unit (its label can then never equal a byte)
//   bits 0..7     the label (the byte that leads to this unit)
//   bit 8         has_leaf: a key ends here; the value sits at (this offset ^ 0)
//   bits 10..31   the offset to the children, shifted left by 8 more when bit 9 is set
// A child for byte b of the unit at p lives at p ^ offset(unit) ^ b.

export interface PrefixMatch {
  /** How many keys are prefixes of the input (as Darts counts them, beyond maxResults too). */
  count: number;
  /** The longest of the first maxResults matching keys: its byte length (0: none) and value. */
  length: number;
  value: number;
}

export class DoubleArray {
  constructor(private readonly units: Uint32Array) {}

  /** Reads a trie from its serialized form: little-endian uint32 units. */
  static fromBytes(bytes: Uint8Array): DoubleArray {
    const n = Math.floor(bytes.length / 4);
    const units = new Uint32Array(n);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < n; i++) units[i] = view.getUint32(i * 4, true);
    return new DoubleArray(units);
  }

  get size(): number {
    return this.units.length;
  }

  /**
   * Darts' commonPrefixSearch over key[start, end), reduced to what SentencePiece reads from
   * it: the longest match among the first `maxResults` results (keys come out shortest first).
   */
  longestPrefix(key: Uint8Array, start: number, end: number, maxResults: number): PrefixMatch {
    const units = this.units;
    const result: PrefixMatch = { count: 0, length: 0, value: 0 };
    if (units.length === 0) return result;
    let pos = offset(units[0]);
    for (let i = start; i < end; i++) {
      const b = key[i];
      pos ^= b;
      if (pos >= units.length) return result;
      const unit = units[pos];
      if (label(unit) !== b) return result;
      pos ^= offset(unit);
      if (hasLeaf(unit)) {
        if (pos >= units.length) return result;
        if (result.count < maxResults) {
          result.length = i + 1 - start;
          result.value = units[pos] & 0x7fffffff;
        }
        result.count++;
      }
    }
    return result;
  }
}

function hasLeaf(unit: number): boolean {
  return ((unit >>> 8) & 1) === 1;
}

function label(unit: number): number {
  return (unit & 0x800000ff) >>> 0;
}

function offset(unit: number): number {
  return (unit >>> 10) << ((unit & 0x200) >>> 6);
}
