// Reading and writing SentencePiece `.model` files (a serialized ModelProto) with protobufjs and
// our own schema text, sentencepiece-model.proto. The decoded message becomes the typed
// ModelProto below, every optional field filled in with the schema's default.
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { UserError } from '../ir/errors.ts';

/** ModelProto.SentencePiece.Type. */
export const PieceType = {
  NORMAL: 1,
  UNKNOWN: 2,
  CONTROL: 3,
  USER_DEFINED: 4,
  UNUSED: 5,
  BYTE: 6,
} as const;
export type PieceTypeName = keyof typeof PieceType;

/** TrainerSpec.ModelType. */
export const ModelType = { UNIGRAM: 1, BPE: 2, WORD: 3, CHAR: 4 } as const;

export interface SentencePieceEntry {
  piece: string;
  score: number;
  /** A PieceType value (other numbers are kept as read). */
  type: number;
}

export interface TrainerSpec {
  input: string[];
  inputFormat: string;
  modelPrefix: string;
  /** A ModelType value. */
  modelType: number;
  vocabSize: number;
  acceptLanguage: string[];
  selfTestSampleSize: number;
  enableDifferentialPrivacy: boolean;
  differentialPrivacyNoiseLevel: number;
  differentialPrivacyClippingThreshold: number;
  characterCoverage: number;
  inputSentenceSize: number;
  shuffleInputSentence: boolean;
  miningSentenceSize: number;
  trainingSentenceSize: number;
  seedSentencepieceSize: number;
  shrinkingFactor: number;
  maxSentenceLength: number;
  numThreads: number;
  numSubIterations: number;
  maxSentencepieceLength: number;
  splitByUnicodeScript: boolean;
  splitByNumber: boolean;
  splitByWhitespace: boolean;
  treatWhitespaceAsSuffix: boolean;
  allowWhitespaceOnlyPieces: boolean;
  splitDigits: boolean;
  pretokenizationDelimiter: string;
  controlSymbols: string[];
  userDefinedSymbols: string[];
  requiredChars: string;
  byteFallback: boolean;
  vocabularyOutputPieceScore: boolean;
  hardVocabLimit: boolean;
  useAllVocab: boolean;
  unkId: number;
  bosId: number;
  eosId: number;
  padId: number;
  unkPiece: string;
  bosPiece: string;
  eosPiece: string;
  padPiece: string;
  unkSurface: string;
  trainExtremelyLargeCorpus: boolean;
}

export interface NormalizerSpec {
  name: string;
  precompiledCharsmap: Uint8Array;
  addDummyPrefix: boolean;
  removeExtraWhitespaces: boolean;
  escapeWhitespaces: boolean;
  normalizationRuleTsv: string;
}

export interface SelfTestData {
  samples: { input: string; expected: string }[];
}

export interface ModelProto {
  pieces: SentencePieceEntry[];
  trainerSpec: TrainerSpec;
  normalizerSpec: NormalizerSpec;
  /** Present only when the file has one (models trained with a denormalization rule). */
  denormalizerSpec: NormalizerSpec | null;
  selfTestData: SelfTestData | null;
}

/** What encodeModelProto accepts: the pieces, and any trainer or normalizer fields to set. */
export interface ModelProtoInit {
  pieces: { piece: string; score?: number; type?: number }[];
  trainerSpec?: Partial<TrainerSpec>;
  normalizerSpec?: Partial<NormalizerSpec>;
  denormalizerSpec?: Partial<NormalizerSpec>;
}

interface Schema {
  model: protobuf.Type;
  trainer: protobuf.Type;
  normalizer: protobuf.Type;
}

let schema: Schema | undefined;

function loadSchema(): Schema {
  if (!schema) {
    const root = protobuf.loadSync(fileURLToPath(new URL('./sentencepiece-model.proto', import.meta.url)));
    schema = {
      model: root.lookupType('sentencepiece.ModelProto'),
      trainer: root.lookupType('sentencepiece.TrainerSpec'),
      normalizer: root.lookupType('sentencepiece.NormalizerSpec'),
    };
  }
  return schema;
}

const TO_OBJECT: protobuf.IConversionOptions = { defaults: true, arrays: true, longs: Number };

/** The defaults of a message type, as the decoder would fill them in for an absent field. */
function defaultsOf<T>(type: protobuf.Type): T {
  return type.toObject(type.create({}), TO_OBJECT) as T;
}

/**
 * Decodes a `.model` file. `source` names the file in error messages. Throws a UserError when
 * the bytes are not a protobuf ModelProto; the vocabulary itself is checked by the processor.
 */
export function decodeModelProto(bytes: Uint8Array, source = 'model'): ModelProto {
  const s = loadSchema();
  const reader = protobuf.Reader.create(bytes);
  let message: protobuf.Message;
  try {
    message = s.model.decode(reader);
  } catch (e) {
    // protobufjs repeats the offset in some messages ("... at offset 41"); say it once.
    const why = (e as Error).message.replace(/ at offset \d+$/, '');
    throw new UserError(`${source}: not a SentencePiece model (protobuf parse failed at byte ${reader.pos} of ${bytes.length}: ${why})`);
  }
  const raw = s.model.toObject(message, TO_OBJECT) as {
    pieces: { piece: string; score: number; type: number }[];
    trainerSpec: TrainerSpec | null;
    normalizerSpec: NormalizerSpec | null;
    denormalizerSpec: NormalizerSpec | null;
    selfTestData: SelfTestData | null;
  };
  const bytesOf = (spec: NormalizerSpec): NormalizerSpec => ({ ...spec, precompiledCharsmap: toBytes(spec.precompiledCharsmap) });
  return {
    pieces: raw.pieces.map((p) => ({ piece: p.piece, score: p.score, type: p.type })),
    trainerSpec: raw.trainerSpec ?? defaultsOf<TrainerSpec>(s.trainer),
    normalizerSpec: bytesOf(raw.normalizerSpec ?? defaultsOf<NormalizerSpec>(s.normalizer)),
    denormalizerSpec: raw.denormalizerSpec ? bytesOf(raw.denormalizerSpec) : null,
    selfTestData: raw.selfTestData,
  };
}

function toBytes(x: Uint8Array | number[] | string): Uint8Array {
  if (x instanceof Uint8Array) return new Uint8Array(x.buffer, x.byteOffset, x.byteLength);
  if (typeof x === 'string') return new Uint8Array(Buffer.from(x, 'base64'));
  return Uint8Array.from(x);
}

/** Serializes a ModelProto (tests build small models this way; the trainer will too). */
export function encodeModelProto(init: ModelProtoInit): Uint8Array {
  const s = loadSchema();
  const message = s.model.fromObject({
    pieces: init.pieces.map((p) => ({ piece: p.piece, score: p.score ?? 0, type: p.type ?? PieceType.NORMAL })),
    ...(init.trainerSpec ? { trainerSpec: init.trainerSpec } : {}),
    ...(init.normalizerSpec ? { normalizerSpec: init.normalizerSpec } : {}),
    ...(init.denormalizerSpec ? { denormalizerSpec: init.denormalizerSpec } : {}),
  });
  return s.model.encode(message).finish();
}
