// Tokenizers: SentencePiece (equal to the sentencepiece library, id for id), ALBERT's
// preprocessing and pair layout on top of it, and WordPiece for the vocab.txt models.
export { SentencePieceProcessor, type Encoding, type SentencePieceModelType } from './sentencepiece.ts';
export { AlbertTokenizer, preprocessText, type AlbertTokenizerOptions } from './albert-tokenizer.ts';
export { WordPieceTokenizer, basicTokenize, type WordPieceOptions } from './wordpiece.ts';
export { layoutPair, type EncodedPair } from './pair-layout.ts';
export {
  decodeModelProto,
  encodeModelProto,
  ModelType,
  PieceType,
  type ModelProto,
  type ModelProtoInit,
  type NormalizerSpec,
  type SentencePieceEntry,
  type TrainerSpec,
} from './model-proto.ts';
export { loadTokenizer, type LoadedTokenizer, type TokenizerSpec } from './load-tokenizer.ts';
