/**
 * Writing a trained vocabulary as a SentencePiece model: the serialized ModelProto (through the
 * project's sentencepiece-model.proto) and the `.vocab` text file, `piece<TAB>score` per line
 * with the score printed as the library prints it (C++ stream, six significant digits).
 */
import { encodeModelProto, ModelType, PieceType, type NormalizerSpec, type TrainerSpec } from '../model-proto.ts';

export interface VocabEntry {
  piece: string;
  score: number;
  /** A PieceType value. */
  type: number;
}

/** printf("%g") of a float32, which is how spm_export_vocab and spm_train print scores. */
export function formatScore(x: number): string {
  const v = Math.fround(x);
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  if (!Number.isFinite(v)) return Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf';
  const [mantissa, exp] = v.toExponential(5).split('e');
  const e = Number(exp);
  const trim = (s: string): string => (s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s);
  if (e < -4 || e >= 6) return `${trim(mantissa)}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
  return trim(v.toFixed(5 - e));
}

export function vocabText(pieces: VocabEntry[]): string {
  return pieces.map((p) => `${p.piece}\t${formatScore(p.score)}\n`).join('');
}

export interface ModelSpec {
  pieces: VocabEntry[];
  trainerSpec: Partial<TrainerSpec>;
  normalizerSpec: Partial<NormalizerSpec>;
}

export function encodeModel(spec: ModelSpec): Uint8Array {
  return encodeModelProto({
    pieces: spec.pieces.map((p) => ({ piece: p.piece, score: Math.fround(p.score), type: p.type })),
    trainerSpec: { modelType: ModelType.UNIGRAM, ...spec.trainerSpec },
    normalizerSpec: spec.normalizerSpec,
  });
}

export { PieceType };
