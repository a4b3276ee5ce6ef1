// SentencePiece in TypeScript: loads a `.model` file and encodes and decodes text exactly as the
// sentencepiece library does (its spm_encode/spm_decode are the reference the tests compare
// with, id for id). Encoding: normalize (normalizer.ts), segment with the model type's
// algorithm (unigram.ts, bpe.ts, word-char.ts), then the library's post-processing: a run of
// unknown pieces becomes one unknown piece, or with byte_fallback each of their bytes a <0xXX>
// piece.
import { readFileSync } from 'node:fs';
import { UserError } from '../ir/errors.ts';
import { BpeModel } from './bpe.ts';
import { type ModelProto, ModelType, PieceType, decodeModelProto } from './model-proto.ts';
import { Normalizer } from './normalizer.ts';
import type { SegmentationModel } from './segmentation.ts';
import { UnigramModel } from './unigram.ts';
import { SPACE_SYMBOL, utf8Decode, validCharLen } from './utf8.ts';
import { Vocab, byteToPiece, pieceToByte } from './vocab.ts';
import { CharModel, WordModel } from './word-char.ts';

export type SentencePieceModelType = 'unigram' | 'bpe' | 'word' | 'char';

export interface Encoding {
  pieces: string[];
  ids: number[];
}

const MODEL_TYPE_NAMES: Record<number, SentencePieceModelType> = {
  [ModelType.UNIGRAM]: 'unigram',
  [ModelType.BPE]: 'bpe',
  [ModelType.WORD]: 'word',
  [ModelType.CHAR]: 'char',
};

export class SentencePieceProcessor {
  readonly modelType: SentencePieceModelType;
  private readonly vocab: Vocab;
  private readonly normalizer: Normalizer;
  private readonly denormalizer: Normalizer | null;
  private readonly model: SegmentationModel;

  private constructor(
    readonly proto: ModelProto,
    readonly source: string,
  ) {
    const typeName = MODEL_TYPE_NAMES[proto.trainerSpec.modelType];
    if (!typeName) throw new UserError(`${source}: trainer_spec.model_type ${proto.trainerSpec.modelType} is not unigram (1), bpe (2), word (3) or char (4)`);
    this.modelType = typeName;
    this.vocab = new Vocab(proto, source);
    this.normalizer = new Normalizer(proto.normalizerSpec, {
      treatWhitespaceAsSuffix: proto.trainerSpec.treatWhitespaceAsSuffix,
      userDefined: this.vocab.userDefined,
      source,
    });
    const denorm = proto.denormalizerSpec;
    this.denormalizer = denorm && denorm.precompiledCharsmap.length > 0 ? new Normalizer(denorm, { source }) : null;
    switch (typeName) {
      case 'unigram':
        this.model = new UnigramModel(this.vocab);
        break;
      case 'bpe':
        this.model = new BpeModel(this.vocab);
        break;
      case 'word':
        this.model = new WordModel(this.vocab, proto.trainerSpec.treatWhitespaceAsSuffix);
        break;
      case 'char':
        this.model = new CharModel(this.vocab);
        break;
    }
  }

  /** Loads a `.model` file; a missing, unreadable or malformed file is a UserError naming it. */
  static load(path: string): SentencePieceProcessor {
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(path);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new UserError(`${path}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory, not a SentencePiece model' : (e as Error).message}`);
    }
    return SentencePieceProcessor.fromBytes(bytes, path);
  }

  /** Reads a serialized ModelProto; `source` names it in error messages. */
  static fromBytes(bytes: Uint8Array, source = 'model'): SentencePieceProcessor {
    return new SentencePieceProcessor(decodeModelProto(bytes, source), source);
  }

  get vocabSize(): number {
    return this.vocab.size;
  }

  get unkId(): number {
    return this.vocab.unkId;
  }

  /** The normalized text as the model sees it (spaces as U+2581 unless escape_whitespaces is off). */
  normalize(text: string): string {
    return utf8Decode(this.normalizer.normalize(text));
  }

  encode(text: string): Encoding {
    const normalized = this.normalizer.normalize(text);
    const { ids: rawIds, bounds } = this.model.segment(normalized);
    const vocab = this.vocab;
    const pieces: string[] = [];
    const ids: number[] = [];
    const byteIds = vocab.byteIds;
    let prevUnk = false;
    for (let i = 0; i < rawIds.length; i++) {
      const id = rawIds[i];
      const s = bounds[i];
      const e = bounds[i + 1];
      const isUnk = vocab.isType(id, PieceType.UNKNOWN);
      if (isUnk && byteIds) {
        for (let b = s; b < e; b++) {
          pieces.push(byteToPiece(normalized[b]));
          ids.push(byteIds[normalized[b]]);
        }
      } else if (isUnk && prevUnk) {
        // Runs of unknown characters become one unknown piece holding all of them.
        pieces[pieces.length - 1] += utf8Decode(normalized, s, e);
      } else {
        // Control pieces never come out of segmentation, so every piece spells its own text;
        // an unknown one spells the characters it stands for.
        pieces.push(isUnk ? utf8Decode(normalized, s, e) : vocab.pieces[id]);
        ids.push(id);
      }
      prevUnk = isUnk;
    }
    return { pieces, ids };
  }

  encodeAsIds(text: string): number[] {
    return this.encode(text).ids;
  }

  encodeAsPieces(text: string): string[] {
    return this.encode(text).pieces;
  }

  /** Decodes ids (spm_decode --input_format=id). An id outside the vocabulary is a UserError. */
  decode(ids: number[]): string {
    const pieces = ids.map((id) => {
      if (!Number.isInteger(id) || id < 0 || id >= this.vocab.size) throw new UserError(`${this.source}: id ${id} is out of range [0, ${this.vocab.size})`);
      return this.vocab.pieces[id];
    });
    return this.decodePieces(pieces);
  }

  /**
   * Decodes pieces (spm_decode --input_format=piece): U+2581 becomes a space, control pieces
   * vanish, <unk> shows as trainer_spec.unk_surface (other unknown pieces as themselves), and
   * runs of byte pieces turn back into UTF-8 (a byte that does not form a character shows as
   * U+FFFD). The dummy prefix comes off as the library takes it off: when the model adds one or
   * removes extra whitespace, the first piece loses a leading U+2581; with
   * remove_extra_whitespaces the pieces after it do too, for as long as the text is empty.
   */
  decodePieces(pieces: string[]): string {
    const vocab = this.vocab;
    const spec = this.proto.normalizerSpec;
    const stripsLeadingSpace = spec.addDummyPrefix || spec.removeExtraWhitespaces;
    let text = '';
    let bytes: number[] = [];
    // Whether a leading U+2581 may still be taken off (the text is at its start).
    let atStart = true;
    const flushBytes = (): void => {
      if (bytes.length === 0) return;
      const buf = Uint8Array.from(bytes);
      for (let pos = 0; pos < buf.length; ) {
        const n = validCharLen(buf, pos);
        if (n === 0) {
          text += '\ufffd';
          pos += 1;
        } else {
          text += utf8Decode(buf, pos, pos + n);
          pos += n;
        }
      }
      bytes = [];
    };
    for (const piece of pieces) {
      const id = vocab.pieceToId(piece);
      if (vocab.isType(id, PieceType.BYTE)) {
        bytes.push(pieceToByte(piece));
        continue;
      }
      flushBytes();
      // Text from byte pieces ends the start too.
      if (text !== '') atStart = false;
      let surface: string;
      let tookSpace = false;
      if (vocab.isType(id, PieceType.CONTROL)) {
        surface = '';
      } else if (vocab.isType(id, PieceType.UNKNOWN)) {
        surface = vocab.pieces[id] === piece ? this.proto.trainerSpec.unkSurface : piece;
      } else {
        let p = piece;
        if (atStart && stripsLeadingSpace && p.startsWith(SPACE_SYMBOL)) {
          p = p.slice(SPACE_SYMBOL.length);
          tookSpace = !spec.removeExtraWhitespaces;
        }
        surface = p.replaceAll(SPACE_SYMBOL, ' ');
      }
      if (tookSpace || surface !== '') atStart = false;
      text += surface;
    }
    flushBytes();
    return this.denormalizer ? utf8Decode(this.denormalizer.normalize(text)) : text;
  }

  pieceToId(piece: string): number {
    return this.vocab.pieceToId(piece);
  }

  /** The piece of an id; an id outside the vocabulary is a UserError. */
  idToPiece(id: number): string {
    this.checkId(id);
    return this.vocab.pieces[id];
  }

  getScore(id: number): number {
    this.checkId(id);
    return this.vocab.scores[id];
  }

  isControl(id: number): boolean {
    return this.vocab.isType(id, PieceType.CONTROL);
  }

  isUnknown(id: number): boolean {
    return this.vocab.isType(id, PieceType.UNKNOWN);
  }

  isUnused(id: number): boolean {
    return this.vocab.isType(id, PieceType.UNUSED);
  }

  isByte(id: number): boolean {
    return this.vocab.isType(id, PieceType.BYTE);
  }

  isUserDefined(id: number): boolean {
    return this.vocab.isType(id, PieceType.USER_DEFINED);
  }

  private checkId(id: number): void {
    if (!Number.isInteger(id) || id < 0 || id >= this.vocab.size) throw new UserError(`${this.source}: id ${id} is out of range [0, ${this.vocab.size})`);
  }
}
