// UTF-8 helpers with SentencePiece's own rules. SentencePiece works on UTF-8 bytes, and where
// our results must equal its results byte for byte (character lengths, what counts as malformed)
// these functions follow its definitions rather than the WHATWG decoder's.

const encoder = new TextEncoder();
// ignoreBOM: a U+FEFF in the text is a character like any other, never a marker to drop.
const decoder = new TextDecoder('utf-8', { ignoreBOM: true });

export function utf8Encode(text: string): Uint8Array {
  return encoder.encode(text);
}

export function utf8Decode(bytes: Uint8Array, start = 0, end = bytes.length): string {
  return decoder.decode(bytes.subarray(start, end));
}

/** Length of the UTF-8 character that starts with `lead`, judged from its high nibble only. */
export function oneCharLen(lead: number): number {
  const hi = lead >> 4;
  return hi < 12 ? 1 : hi < 14 ? 2 : hi === 14 ? 3 : 4;
}

function isTrail(b: number | undefined): boolean {
  return b !== undefined && (b & 0xc0) === 0x80;
}

function isValidCodepoint(c: number): boolean {
  return c < 0xd800 || (c >= 0xe000 && c <= 0x10ffff);
}

/**
 * The byte length of the well-formed character at `pos`, or 0 when the bytes there are
 * malformed (a stray trail byte, a truncated or overlong sequence, a surrogate): SentencePiece
 * then consumes a single byte and writes U+FFFD for it.
 */
export function validCharLen(bytes: Uint8Array, pos: number, end = bytes.length): number {
  const b0 = bytes[pos];
  const len = end - pos;
  if (b0 < 0x80) return 1;
  if (len >= 2 && (b0 & 0xe0) === 0xc0) {
    const cp = ((b0 & 0x1f) << 6) | (bytes[pos + 1] & 0x3f);
    if (isTrail(bytes[pos + 1]) && cp >= 0x80) return 2;
  } else if (len >= 3 && (b0 & 0xf0) === 0xe0) {
    const cp = ((b0 & 0x0f) << 12) | ((bytes[pos + 1] & 0x3f) << 6) | (bytes[pos + 2] & 0x3f);
    if (isTrail(bytes[pos + 1]) && isTrail(bytes[pos + 2]) && cp >= 0x800 && isValidCodepoint(cp)) return 3;
  } else if (len >= 4 && (b0 & 0xf8) === 0xf0) {
    const cp = ((b0 & 0x07) << 18) | ((bytes[pos + 1] & 0x3f) << 12) | ((bytes[pos + 2] & 0x3f) << 6) | (bytes[pos + 3] & 0x3f);
    if (isTrail(bytes[pos + 1]) && isTrail(bytes[pos + 2]) && isTrail(bytes[pos + 3]) && cp >= 0x10000 && isValidCodepoint(cp)) return 4;
  }
  return 0;
}

/** U+FFFD REPLACEMENT CHARACTER in UTF-8. */
export const REPLACEMENT_UTF8 = Uint8Array.of(0xef, 0xbf, 0xbd);

/** U+2581 LOWER ONE EIGHTH BLOCK, SentencePiece's visible whitespace mark, as a string and in UTF-8. */
export const SPACE_SYMBOL = '\u2581';
export const SPACE_SYMBOL_UTF8 = Uint8Array.of(0xe2, 0x96, 0x81);

/** A growable byte buffer: normalization can lengthen text (one NFKC character may become 18). */
export class ByteBuilder {
  private buf: Uint8Array;
  length = 0;

  constructor(capacity: number) {
    this.buf = new Uint8Array(Math.max(16, capacity));
  }

  private grow(extra: number): void {
    if (this.length + extra <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.length + extra));
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }

  push(b: number): void {
    this.grow(1);
    this.buf[this.length++] = b;
  }

  append(bytes: Uint8Array, start = 0, end = bytes.length): void {
    this.grow(end - start);
    this.buf.set(bytes.subarray(start, end), this.length);
    this.length += end - start;
  }

  endsWith(suffix: Uint8Array): boolean {
    if (this.length < suffix.length) return false;
    for (let i = 0; i < suffix.length; i++) if (this.buf[this.length - suffix.length + i] !== suffix[i]) return false;
    return true;
  }

  bytes(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }
}
