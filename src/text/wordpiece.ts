// WordPiece, the tokenizer of ALBERT's Chinese models (and BERT's): a vocab.txt, the BERT basic
// tokenizer (drop control characters, space out CJK ideographs, lower-case and strip accents,
// split off punctuation), then greedy longest-match-first pieces with "##" marking a piece that
// continues a word. A word with no such split, or longer than 200 characters, is [UNK].
import { readFileSync } from 'node:fs';
import { UserError } from '../ir/errors.ts';
import { type EncodedPair, layoutPair } from './pair-layout.ts';
import { isControlOrFormat, isNonspacingMark, isPunctuationCategory, isPythonSpace, isSpaceSeparator } from './unicode.ts';

/** The original's max_input_chars_per_word. */
const MAX_WORD_CHARS = 200;
const UNK = '[UNK]';
/** Pieces decode() leaves out, as SentencePiece leaves out its control pieces. */
const SPECIAL = new Set(['[CLS]', '[SEP]', '[PAD]', '[MASK]']);

export interface WordPieceOptions {
  /** Lower-case and strip accents (the original's do_lower_case; default true). */
  doLowerCase?: boolean;
}

/** Python's text.strip().split(): words between whitespace runs. */
function whitespaceSplit(text: string): string[] {
  const words: string[] = [];
  let word = '';
  for (const ch of text) {
    if (isPythonSpace(ch.codePointAt(0)!)) {
      if (word !== '') words.push(word);
      word = '';
    } else {
      word += ch;
    }
  }
  if (word !== '') words.push(word);
  return words;
}

/** The CJK Unified Ideographs blocks BERT spaces out (not Hangul, kana or CJK punctuation). */
function isChineseChar(cp: number): boolean {
  return (
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x20000 && cp <= 0x2a6df) ||
    (cp >= 0x2a700 && cp <= 0x2b73f) ||
    (cp >= 0x2b740 && cp <= 0x2b81f) ||
    (cp >= 0x2b820 && cp <= 0x2ceaf) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0x2f800 && cp <= 0x2fa1f)
  );
}

/** ASCII symbols count as punctuation even where Unicode calls them symbols ($, +, ^, `...). */
function isPunctuation(ch: string): boolean {
  const cp = ch.codePointAt(0)!;
  if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126)) return true;
  return isPunctuationCategory(ch);
}

/** BERT's BasicTokenizer.tokenize. */
export function basicTokenize(text: string, doLowerCase: boolean): string[] {
  // _clean_text and _tokenize_chinese_chars in one pass.
  let clean = '';
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (cp === 0 || cp === 0xfffd || (ch !== '\t' && ch !== '\n' && ch !== '\r' && isControlOrFormat(ch))) continue;
    if (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r' || isSpaceSeparator(ch)) clean += ' ';
    else if (isChineseChar(cp)) clean += ` ${ch} `;
    else clean += ch;
  }
  const split: string[] = [];
  for (let token of whitespaceSplit(clean)) {
    if (doLowerCase) {
      token = token.toLowerCase();
      let stripped = '';
      for (const ch of token.normalize('NFD')) if (!isNonspacingMark(ch)) stripped += ch;
      token = stripped;
    }
    // _run_split_on_punc: every punctuation character is a token of its own.
    let word = '';
    for (const ch of token) {
      if (isPunctuation(ch)) {
        if (word !== '') split.push(word);
        split.push(ch);
        word = '';
      } else {
        word += ch;
      }
    }
    if (word !== '') split.push(word);
  }
  return whitespaceSplit(split.join(' '));
}

export class WordPieceTokenizer {
  readonly doLowerCase: boolean;
  readonly clsId: number;
  readonly sepId: number;
  readonly maskId: number;
  readonly padId: number;
  readonly unkId: number;
  private readonly inverse: string[] = [];
  /** Longest vocabulary entry in characters ("##" not counted): no longer match can exist. */
  private readonly maxPieceChars: number;

  constructor(
    readonly vocab: ReadonlyMap<string, number>,
    opts: WordPieceOptions = {},
    readonly source = 'vocab',
  ) {
    this.doLowerCase = opts.doLowerCase ?? true;
    let longest = 1;
    for (const [token, id] of vocab) {
      this.inverse[id] = token;
      const chars = Array.from(token).length - (token.startsWith('##') ? 2 : 0);
      longest = Math.max(longest, chars);
    }
    this.maxPieceChars = longest;
    const unk = vocab.get(UNK);
    if (unk === undefined) throw new UserError(`${source}: the vocabulary has no ${UNK} token`);
    this.unkId = unk;
    this.clsId = vocab.get('[CLS]') ?? -1;
    this.sepId = vocab.get('[SEP]') ?? -1;
    this.maskId = vocab.get('[MASK]') ?? -1;
    this.padId = vocab.get('[PAD]') ?? -1;
  }

  /**
   * Reads vocab.txt: one token per line, its id the order of first appearance. As in ALBERT's
   * load_vocab, only the first whitespace-separated field counts (so a SentencePiece .vocab
   * with scores also loads), a blank line is the token " ", and repeats are skipped.
   */
  static fromVocabFile(path: string, opts?: WordPieceOptions): WordPieceTokenizer {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new UserError(`${path}: ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
    }
    const lines = text.split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    const vocab = new Map<string, number>();
    for (const line of lines) {
      const fields = whitespaceSplit(line);
      const token = fields.length > 0 ? fields[0] : ' ';
      if (!vocab.has(token)) vocab.set(token, vocab.size);
    }
    if (vocab.size === 0) throw new UserError(`${path}: the vocabulary file is empty`);
    return new WordPieceTokenizer(vocab, opts, path);
  }

  get vocabSize(): number {
    return this.vocab.size;
  }

  /** The basic tokenizer, then WordPiece on every word. */
  tokenize(text: string): string[] {
    const out: string[] = [];
    for (const word of basicTokenize(text, this.doLowerCase)) this.wordPiece(word, out);
    return out;
  }

  /** Greedy longest-match-first split of one word into pieces, appended to out. */
  private wordPiece(word: string, out: string[]): void {
    const chars = Array.from(word);
    if (chars.length > MAX_WORD_CHARS) {
      out.push(UNK);
      return;
    }
    const pieces: string[] = [];
    for (let start = 0; start < chars.length; ) {
      let found: string | null = null;
      let end = Math.min(chars.length, start + this.maxPieceChars);
      for (; end > start; end--) {
        const sub = (start > 0 ? '##' : '') + chars.slice(start, end).join('');
        if (this.vocab.has(sub)) {
          found = sub;
          break;
        }
      }
      if (found === null) {
        out.push(UNK);
        return;
      }
      pieces.push(found);
      start = end;
    }
    out.push(...pieces);
  }

  /** Token ids; a token outside the vocabulary is a UserError (the original raises KeyError). */
  convertTokensToIds(tokens: string[]): number[] {
    return tokens.map((t) => {
      const id = this.vocab.get(t);
      if (id === undefined) throw new UserError(`${this.source}: token "${t}" is not in the vocabulary`);
      return id;
    });
  }

  convertIdsToTokens(ids: number[]): string[] {
    return ids.map((id) => {
      const t = Number.isInteger(id) ? this.inverse[id] : undefined;
      if (t === undefined) throw new UserError(`${this.source}: id ${id} is out of range [0, ${this.inverse.length})`);
      return t;
    });
  }

  encode(text: string): number[] {
    return this.convertTokensToIds(this.tokenize(text));
  }

  /** [CLS] a [SEP] b [SEP] with the original truncation and padding (see AlbertTokenizer). */
  encodePair(a: string, b: string | null, maxSeqLength: number): EncodedPair {
    for (const [name, id] of [['[CLS]', this.clsId], ['[SEP]', this.sepId]] as const) {
      if (id === -1) throw new UserError(`${this.source}: the vocabulary has no ${name} token, which the [CLS] A [SEP] B [SEP] layout needs`);
    }
    return layoutPair(this.encode(a), b ? this.encode(b) : [], maxSeqLength, { clsId: this.clsId, sepId: this.sepId, padId: this.padId });
  }

  /** Tokens joined by spaces with "##" continuations glued on; [CLS] [SEP] [PAD] [MASK] left out. */
  decode(ids: number[]): string {
    return this.convertIdsToTokens(ids)
      .filter((t) => !SPECIAL.has(t))
      .join(' ')
      .replaceAll(' ##', '');
  }
}
