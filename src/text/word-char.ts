// The two trivial SentencePiece model types. CHAR: every character (or user-defined symbol) is a
// piece. WORD: the text splits before each U+2581 (after each, with
// treat_whitespace_as_suffix) and every word is a piece. Pieces the vocabulary lacks get the
// unknown id.
import type { Segmentation, SegmentationModel } from './segmentation.ts';
import { oneCharLen } from './utf8.ts';
import type { Vocab } from './vocab.ts';

const SPACE_MARK = [0xe2, 0x96, 0x81];

function isSpaceMark(bytes: Uint8Array, pos: number, len: number): boolean {
  return len === 3 && bytes[pos] === SPACE_MARK[0] && bytes[pos + 1] === SPACE_MARK[1] && bytes[pos + 2] === SPACE_MARK[2];
}

function finish(vocab: Vocab, normalized: Uint8Array, bounds: number[]): Segmentation {
  const ids: number[] = [];
  for (let i = 0; i + 1 < bounds.length; i++) ids.push(vocab.idOfBytes(normalized, bounds[i], bounds[i + 1]));
  return { ids, bounds };
}

export class CharModel implements SegmentationModel {
  constructor(private readonly vocab: Vocab) {}

  segment(normalized: Uint8Array): Segmentation {
    const size = normalized.length;
    const bounds: number[] = [];
    for (let pos = 0; pos < size; ) {
      bounds.push(pos);
      const user = this.vocab.userDefined.size > 0 ? this.vocab.userDefined.longestPrefix(normalized, pos, size) : 0;
      pos += user > 0 ? user : Math.min(oneCharLen(normalized[pos]), size - pos);
    }
    bounds.push(size);
    return finish(this.vocab, normalized, bounds);
  }
}

export class WordModel implements SegmentationModel {
  constructor(
    private readonly vocab: Vocab,
    private readonly treatWhitespaceAsSuffix: boolean,
  ) {}

  segment(normalized: Uint8Array): Segmentation {
    const size = normalized.length;
    const bounds: number[] = [];
    if (size > 0) bounds.push(0);
    for (let pos = 0; pos < size; ) {
      const n = Math.min(oneCharLen(normalized[pos]), size - pos);
      const isSpace = isSpaceMark(normalized, pos, n);
      // A word starts at each space mark, or (as a suffix) ends after each one.
      if (!this.treatWhitespaceAsSuffix && pos > 0 && isSpace) bounds.push(pos);
      pos += n;
      if (this.treatWhitespaceAsSuffix && isSpace && pos < size) bounds.push(pos);
    }
    bounds.push(size);
    return finish(this.vocab, normalized, bounds);
  }
}
