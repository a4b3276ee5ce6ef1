// SentencePiece's text normalizer, byte for byte: the precompiled character map (longest rule
// wins, else one UTF-8 character is copied), then whitespace handling: leading, trailing and
// repeated spaces dropped (remove_extra_whitespaces), a dummy space in front (add_dummy_prefix,
// behind with treat_whitespace_as_suffix), spaces written as U+2581 (escape_whitespaces).
// User-defined symbols pass through unnormalized.
import type { ByteTrie } from './byte-trie.ts';
import { DoubleArray } from './darts.ts';
import type { NormalizerSpec } from './model-proto.ts';
import { ByteBuilder, REPLACEMENT_UTF8, SPACE_SYMBOL_UTF8, utf8Encode, validCharLen } from './utf8.ts';
import { UserError } from '../ir/errors.ts';

/** SentencePiece keeps the first 32 prefix matches of the rule trie (shortest first). */
const MAX_TRIE_RESULTS = 32;
const SPACE = 0x20;

export interface NormalizerOptions {
  /** TrainerSpec.treat_whitespace_as_suffix: the dummy space goes at the end. */
  treatWhitespaceAsSuffix?: boolean;
  /** User-defined symbols: matched before the rules and copied unchanged. */
  userDefined?: ByteTrie;
  /** Names the model file in error messages. */
  source?: string;
}

export class Normalizer {
  private readonly trie: DoubleArray | null = null;
  /** The replacement strings, NUL-terminated, addressed by the trie's values. */
  private readonly replacements: Uint8Array = new Uint8Array(0);
  private readonly treatWhitespaceAsSuffix: boolean;
  private readonly userDefined: ByteTrie | undefined;

  constructor(
    readonly spec: NormalizerSpec,
    opts: NormalizerOptions = {},
  ) {
    this.treatWhitespaceAsSuffix = opts.treatWhitespaceAsSuffix ?? false;
    this.userDefined = opts.userDefined && opts.userDefined.size > 0 ? opts.userDefined : undefined;
    const map = spec.precompiledCharsmap;
    if (map.length > 0) {
      // Layout: uint32 little-endian trie size in bytes, the trie, then the replacement strings.
      const where = `${opts.source ?? 'model'}: normalizer_spec.precompiled_charsmap`;
      if (map.length < 4) throw new UserError(`${where}: ${map.length} bytes is too short for its header`);
      const trieSize = new DataView(map.buffer, map.byteOffset, map.byteLength).getUint32(0, true);
      if (trieSize > map.length - 4 || trieSize % 4 !== 0) {
        throw new UserError(`${where}: trie size ${trieSize} does not fit the ${map.length - 4} bytes after the header`);
      }
      this.trie = DoubleArray.fromBytes(map.subarray(4, 4 + trieSize));
      this.replacements = map.subarray(4 + trieSize);
    }
  }

  /** Normalizes `text` (a string, or its UTF-8 bytes) to UTF-8 bytes. */
  normalize(text: string | Uint8Array): Uint8Array {
    const input = typeof text === 'string' ? utf8Encode(text) : text;
    const spec = this.spec;
    const out = new ByteBuilder(input.length * 3 + 8);
    const n = input.length;
    let pos = 0;
    if (n === 0) return out.bytes();
    const chunk = { start: 0, end: 0, from: input, consumed: 0 };

    if (spec.removeExtraWhitespaces) {
      // Skip leading input whose normalized form is exactly one space.
      while (pos < n) {
        this.normalizePrefix(input, pos, chunk);
        if (!(chunk.end - chunk.start === 1 && chunk.from[chunk.start] === SPACE)) break;
        pos += chunk.consumed;
      }
    }
    if (pos >= n) return out.bytes();

    const addSpace = (): void => {
      if (spec.escapeWhitespaces) out.append(SPACE_SYMBOL_UTF8);
      else out.push(SPACE);
    };
    if (!this.treatWhitespaceAsSuffix && spec.addDummyPrefix) addSpace();

    let isPrevSpace = spec.removeExtraWhitespaces;
    while (pos < n) {
      this.normalizePrefix(input, pos, chunk);
      let s = chunk.start;
      const e = chunk.end;
      const src = chunk.from;
      if (isPrevSpace) while (s < e && src[s] === SPACE) s++;
      if (s < e) {
        for (let i = s; i < e; i++) {
          if (spec.escapeWhitespaces && src[i] === SPACE) out.append(SPACE_SYMBOL_UTF8);
          else out.push(src[i]);
        }
        isPrevSpace = src[e - 1] === SPACE;
      }
      pos += chunk.consumed;
      if (!spec.removeExtraWhitespaces) isPrevSpace = false;
    }

    if (spec.removeExtraWhitespaces) {
      const space = spec.escapeWhitespaces ? SPACE_SYMBOL_UTF8 : Uint8Array.of(SPACE);
      while (out.endsWith(space)) out.length -= space.length;
    }
    if (this.treatWhitespaceAsSuffix && spec.addDummyPrefix) addSpace();
    return out.bytes();
  }

  /**
   * The normalized form of the text at input[pos]: sets chunk to the bytes to emit
   * (from[start, end)) and the number of input bytes they replace.
   */
  private normalizePrefix(input: Uint8Array, pos: number, chunk: { start: number; end: number; from: Uint8Array; consumed: number }): void {
    const n = input.length;
    if (this.userDefined) {
      const len = this.userDefined.longestPrefix(input, pos, n);
      if (len > 0) {
        chunk.from = input;
        chunk.start = pos;
        chunk.end = pos + len;
        chunk.consumed = len;
        return;
      }
    }
    if (this.trie) {
      const m = this.trie.longestPrefix(input, pos, n, MAX_TRIE_RESULTS);
      if (m.length > 0) {
        const r = this.replacements;
        let end = m.value;
        while (end < r.length && r[end] !== 0) end++;
        chunk.from = r;
        chunk.start = Math.min(m.value, r.length);
        chunk.end = end;
        chunk.consumed = m.length;
        return;
      }
    }
    const len = validCharLen(input, pos, n);
    if (len === 0) {
      // A malformed byte becomes U+FFFD and is consumed alone.
      chunk.from = REPLACEMENT_UTF8;
      chunk.start = 0;
      chunk.end = 3;
      chunk.consumed = 1;
    } else {
      chunk.from = input;
      chunk.start = pos;
      chunk.end = pos + len;
      chunk.consumed = len;
    }
  }
}
