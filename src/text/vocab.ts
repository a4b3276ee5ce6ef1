// The vocabulary of a SentencePiece model as its encoders see it. Pieces split in two tables as
// SentencePiece splits them: NORMAL, USER_DEFINED and UNUSED pieces can be matched in text (the
// piece trie); UNKNOWN, CONTROL and BYTE pieces are reserved and only ever looked up by name.
// The checks are the library's own on load (empty or duplicate pieces, one <unk>, 256 byte
// pieces when byte_fallback is on).
import { UserError } from '../ir/errors.ts';
import { ByteTrie } from './byte-trie.ts';
import { type ModelProto, PieceType } from './model-proto.ts';
import { utf8Encode } from './utf8.ts';

/** Largest and smallest positive normal float32 (C's FLT_MAX and FLT_MIN). */
const FLT_MAX = 3.4028234663852886e38;
const FLT_MIN = 1.1754943508222875e-38;

export class Vocab {
  readonly pieces: string[];
  readonly scores: Float32Array;
  readonly types: Uint8Array;
  /** UTF-8 byte length of each piece (user-defined symbols score by byte length). */
  readonly byteLengths: Int32Array;
  /** NORMAL, USER_DEFINED and UNUSED pieces. */
  readonly trie = new ByteTrie();
  /** UNKNOWN, CONTROL and BYTE pieces: looked up before the others, as the library does. */
  readonly reservedTrie = new ByteTrie();
  /** USER_DEFINED pieces alone: they are never split or normalized. */
  readonly userDefined = new ByteTrie();
  private readonly byName = new Map<string, number>();
  readonly unkId: number;
  /** Id of the byte piece <0xXX> for each byte, when byte_fallback is on. */
  readonly byteIds: Int32Array | null;
  /** Smallest and largest score of the NORMAL pieces (FLT_MAX / FLT_MIN when there are none). */
  readonly minScore: number;
  readonly maxScore: number;

  constructor(proto: ModelProto, source: string) {
    const n = proto.pieces.length;
    if (n === 0) throw new UserError(`${source}: not a SentencePiece model (no pieces)`);
    this.pieces = new Array<string>(n);
    this.scores = new Float32Array(n);
    this.types = new Uint8Array(n);
    this.byteLengths = new Int32Array(n);
    const byteFallback = proto.trainerSpec.byteFallback;
    const bytesFound = new Int32Array(256).fill(-1);
    let unkId = -1;
    let minScore = FLT_MAX;
    let maxScore = FLT_MIN;
    for (let i = 0; i < n; i++) {
      const { piece, score, type } = proto.pieces[i];
      if (piece === '') throw new UserError(`${source}: pieces[${i}] is empty`);
      if (type < PieceType.NORMAL || type > PieceType.BYTE) throw new UserError(`${source}: pieces[${i}] "${piece}" has unknown type ${type}`);
      this.pieces[i] = piece;
      this.scores[i] = score;
      this.types[i] = type;
      const bytes = utf8Encode(piece);
      this.byteLengths[i] = bytes.length;
      const matchable = type === PieceType.NORMAL || type === PieceType.USER_DEFINED || type === PieceType.UNUSED;
      if (!(matchable ? this.trie : this.reservedTrie).insert(bytes, i)) {
        throw new UserError(`${source}: pieces[${i}] "${piece}" is already defined`);
      }
      if (!matchable || !this.byName.has(piece)) this.byName.set(piece, i);
      if (type === PieceType.USER_DEFINED) this.userDefined.insert(bytes, i);
      if (type === PieceType.UNKNOWN) {
        if (unkId >= 0) throw new UserError(`${source}: pieces[${i}] is a second unknown piece (the first is pieces[${unkId}])`);
        unkId = i;
      }
      if (type === PieceType.BYTE) {
        if (!byteFallback) throw new UserError(`${source}: byte piece ${piece} (pieces[${i}]) found although trainer_spec.byte_fallback is false`);
        const b = pieceToByte(piece);
        if (b < 0) throw new UserError(`${source}: pieces[${i}] "${piece}" is not a valid byte piece`);
        bytesFound[b] = i;
      }
      if (type === PieceType.NORMAL) {
        minScore = Math.min(minScore, score);
        maxScore = Math.max(maxScore, score);
      }
    }
    if (unkId < 0) throw new UserError(`${source}: no piece of type UNKNOWN (the model needs an <unk>)`);
    if (byteFallback) {
      const missing = bytesFound.indexOf(-1);
      if (missing >= 0) throw new UserError(`${source}: trainer_spec.byte_fallback is true but the byte piece ${byteToPiece(missing)} is missing`);
    }
    this.unkId = unkId;
    this.byteIds = byteFallback ? bytesFound : null;
    this.minScore = minScore;
    this.maxScore = maxScore;
  }

  get size(): number {
    return this.pieces.length;
  }

  /** The id of a piece: reserved pieces first, then the others; <unk>'s id when absent. */
  pieceToId(piece: string): number {
    return this.byName.get(piece) ?? this.unkId;
  }

  /** pieceToId for the bytes [start, end) of a UTF-8 buffer, without making a string. */
  idOfBytes(bytes: Uint8Array, start: number, end: number): number {
    const reserved = this.reservedTrie.get(bytes, start, end);
    if (reserved >= 0) return reserved;
    const id = this.trie.get(bytes, start, end);
    return id >= 0 ? id : this.unkId;
  }

  isType(id: number, type: number): boolean {
    return id >= 0 && id < this.types.length && this.types[id] === type;
  }
}

/** The byte piece for byte b: "<0x0A>" (two upper-case hex digits). */
export function byteToPiece(b: number): string {
  return `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`;
}

/** The byte a piece "<0xXX>" stands for, or -1 (lower-case hex is not a byte piece). */
export function pieceToByte(piece: string): number {
  const m = /^<0x([0-9A-F]{2})>$/.exec(piece);
  return m ? parseInt(m[1], 16) : -1;
}
