// ALBERT's tokenizer as the original release runs it (tokenization.py: preprocess_text, then
// encode_pieces over the SentencePiece model, then the [CLS] A [SEP] B [SEP] layout of
// classifier_utils.convert_single_example).
import { UserError } from '../ir/errors.ts';
import { type EncodedPair, layoutPair } from './pair-layout.ts';
import { SentencePieceProcessor } from './sentencepiece.ts';
import { collapseWhitespace, isCombining, isPythonDigit } from './unicode.ts';
import { SPACE_SYMBOL } from './utf8.ts';

export interface AlbertTokenizerOptions {
  /** Lower-case the text first (the original's --do_lower_case; default true). */
  doLowerCase?: boolean;
  /** Keep accents: skip NFKD and the removal of combining marks (HF's keep_accents; default false). */
  keepAccents?: boolean;
}

/**
 * preprocess_text: collapse whitespace, `` and '' become ", then (unless keepAccents) NFKD with
 * the combining marks dropped, then lower-case when asked.
 */
export function preprocessText(text: string, opts: { lower?: boolean; keepAccents?: boolean; removeSpace?: boolean } = {}): string {
  let out = opts.removeSpace === false ? text : collapseWhitespace(text);
  out = out.replaceAll('``', '"').replaceAll("''", '"');
  if (!opts.keepAccents) {
    let kept = '';
    for (const ch of out.normalize('NFKD')) if (!isCombining(ch)) kept += ch;
    out = kept;
  }
  if (opts.lower) out = out.toLowerCase();
  return out;
}

export class AlbertTokenizer {
  readonly doLowerCase: boolean;
  readonly keepAccents: boolean;
  /** Ids of the special pieces; -1 when the model has no such piece. */
  readonly clsId: number;
  readonly sepId: number;
  readonly maskId: number;
  readonly padId: number;
  readonly unkId: number;

  constructor(
    readonly spm: SentencePieceProcessor,
    opts: AlbertTokenizerOptions = {},
  ) {
    this.doLowerCase = opts.doLowerCase ?? true;
    this.keepAccents = opts.keepAccents ?? false;
    const idOf = (piece: string): number => {
      const id = spm.pieceToId(piece);
      return id === spm.unkId && spm.idToPiece(id) !== piece ? -1 : id;
    };
    this.clsId = idOf('[CLS]');
    this.sepId = idOf('[SEP]');
    this.maskId = idOf('[MASK]');
    this.padId = idOf(spm.proto.trainerSpec.padPiece);
    this.unkId = spm.unkId;
  }

  /** Loads the SentencePiece model (e.g. 30k-clean.model); errors name the file. */
  static fromSpmFile(path: string, opts?: AlbertTokenizerOptions): AlbertTokenizer {
    return new AlbertTokenizer(SentencePieceProcessor.load(path), opts);
  }

  get vocabSize(): number {
    return this.spm.vocabSize;
  }

  /** The text as the model's pieces: preprocess_text, then encode_pieces. */
  tokenize(text: string): string[] {
    return this.encodePieces(preprocessText(text, { lower: this.doLowerCase, keepAccents: this.keepAccents }));
  }

  /**
   * encode_pieces: SentencePiece pieces, except that a piece ending in "<digit>," is split off
   * its comma. The part before the comma is encoded again (U+2581 marks removed, and the dummy
   * prefix taken off again if the piece did not start a word), then "," follows alone. This is
   * how the original keeps "1,000," from becoming one piece that hides the comma.
   */
  encodePieces(text: string): string[] {
    const out: string[] = [];
    for (const piece of this.spm.encodeAsPieces(text)) {
      const chars = piece.endsWith(',') ? Array.from(piece) : null;
      if (!chars || chars.length < 2 || !isPythonDigit(chars[chars.length - 2])) {
        out.push(piece);
        continue;
      }
      const cur = this.spm.encodeAsPieces(chars.slice(0, -1).join('').replaceAll(SPACE_SYMBOL, ''));
      if (chars[0] !== SPACE_SYMBOL && cur.length > 0 && cur[0].startsWith(SPACE_SYMBOL)) {
        if (Array.from(cur[0]).length === 1) cur.shift();
        else cur[0] = cur[0].slice(SPACE_SYMBOL.length);
      }
      out.push(...cur, ',');
    }
    return out;
  }

  /** Piece ids (a piece outside the vocabulary gets <unk>'s id, as PieceToId gives it). */
  convertTokensToIds(tokens: string[]): number[] {
    return tokens.map((t) => this.spm.pieceToId(t));
  }

  convertIdsToTokens(ids: number[]): string[] {
    return ids.map((id) => this.spm.idToPiece(id));
  }

  /** tokenize, then ids; no special pieces added. */
  encode(text: string): number[] {
    return this.convertTokensToIds(this.tokenize(text));
  }

  /**
   * One example in the original layout: [CLS] a [SEP] (segment 0), then b [SEP] (segment 1)
   * when b has pieces, padded to maxSeqLength with pad id, mask 0, segment 0. Too long a pair is
   * cut one piece at a time from the end of the longer side (b on equal lengths) to fit
   * maxSeqLength - 3; a single text is cut to maxSeqLength - 2.
   */
  encodePair(a: string, b: string | null, maxSeqLength: number): EncodedPair {
    for (const [name, id] of [['[CLS]', this.clsId], ['[SEP]', this.sepId]] as const) {
      if (id === -1) throw new UserError(`${this.spm.source}: the model has no ${name} piece, which the [CLS] A [SEP] B [SEP] layout needs`);
    }
    return layoutPair(this.encode(a), b ? this.encode(b) : [], maxSeqLength, { clsId: this.clsId, sepId: this.sepId, padId: this.padId });
  }

  /** The text of ids (control pieces such as [CLS] vanish). */
  decode(ids: number[]): string {
    return this.spm.decode(ids);
  }
}
