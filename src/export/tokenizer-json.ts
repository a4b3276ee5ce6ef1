/**
 * ALBERT's tokenizer in the HuggingFace "tokenizers" JSON format (tokenizer.json), with the
 * tokenizer_config.json and special_tokens_map.json HF's AlbertTokenizer(Fast) saves next to it,
 * generated from the SentencePiece model so that transformers.js (and HF's Rust tokenizers)
 * tokenize as the original does.
 *
 * The layout follows HF's AlbertConverter: the original's preprocess_text becomes the
 * normalizer sequence (`` and '' -> ", NFKD + StripAccents unless keep_accents, Lowercase when
 * do_lower_case), then SentencePiece's own normalization (its precompiled charsmap), then runs
 * of spaces collapse; Metaspace marks word starts with U+2581; the Unigram model holds every
 * piece with its score; TemplateProcessing adds [CLS] A [SEP] (B [SEP]).
 *
 * Where the format falls short of the original:
 *  - encode_pieces re-encodes a piece ending in "<digit>," without its comma and appends ","
 *    alone. The format has no step after the model, so such pieces get a prohibitive score
 *    instead (DEMOTED_SCORE): the lattice then splits the comma off itself. That is the
 *    original's result whenever the best path without the piece keeps the rest of the
 *    segmentation; it can differ when it does not ("42," may come out "▁42" "," where the
 *    original gives "▁" "4" "2" ","). HF's own AlbertConverter keeps the scores, and so
 *    differs from the original every time the rule fires.
 *  - transformers.js does not read precompiled_charsmap: it applies NFKC, which is what the
 *    charsmap of a default (nmt_nfkc) model holds, up to rare characters.
 */
import { UserError } from '../ir/errors.ts';
import { PieceType, type ModelProto } from '../text/model-proto.ts';
import { isPythonDigit } from '../text/unicode.ts';

export interface TokenizerSettings {
  /** Lower-case before encoding (ALBERT's default: true). */
  doLowerCase: boolean;
  /** Skip NFKD + accent stripping (default false). */
  keepAccents: boolean;
  /** model_max_length: the config's max_position_embeddings. */
  modelMaxLength: number;
}

/** The special pieces of ALBERT's vocabulary, with their ids in this model. */
export interface SpecialPieces {
  pad: { piece: string; id: number } | null;
  unk: { piece: string; id: number };
  cls: { piece: string; id: number };
  sep: { piece: string; id: number };
  mask: { piece: string; id: number };
}

/**
 * A piece ending in "<digit>," (the original's encode_pieces splits the comma off such pieces,
 * the format has no way to say so): its score in tokenizer.json, low enough that the lattice
 * never takes it while the digits and the comma alone can cover the text. Every path must cover
 * the same unknown characters, so the lower minimum score (the unknown piece's penalty is taken
 * from it) changes no choice.
 */
export const DEMOTED_SCORE = -1e4;

/** The pieces encode_pieces re-encodes: "<digit>," at the end, digit as Python's isdigit(). */
export function endsInDigitComma(piece: string): boolean {
  const chars = Array.from(piece);
  return chars.length >= 2 && chars[chars.length - 1] === ',' && isPythonDigit(chars[chars.length - 2]);
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Finds [CLS], [SEP], [MASK], the unknown piece and the pad piece; a missing one is a UserError. */
export function specialPieces(proto: ModelProto, source: string): SpecialPieces {
  const idOf = new Map<string, number>();
  proto.pieces.forEach((p, i) => {
    if (!idOf.has(p.piece)) idOf.set(p.piece, i);
  });
  const need = (piece: string, why: string): { piece: string; id: number } => {
    const id = idOf.get(piece);
    if (id === undefined) throw new UserError(`${source}: the SentencePiece model has no "${piece}" piece (${why}); ALBERT's vocabulary has <pad>, <unk>, [CLS], [SEP] and [MASK]`);
    return { piece, id };
  };
  const unkIndex = proto.pieces.findIndex((p) => p.type === PieceType.UNKNOWN);
  if (unkIndex < 0) throw new UserError(`${source}: the SentencePiece model has no unknown piece (type UNKNOWN)`);
  const padPiece = proto.trainerSpec.padId >= 0 ? proto.pieces[proto.trainerSpec.padId]?.piece : undefined;
  return {
    pad: padPiece !== undefined ? { piece: padPiece, id: proto.trainerSpec.padId } : null,
    unk: { piece: proto.pieces[unkIndex].piece, id: unkIndex },
    cls: need('[CLS]', 'it starts every input'),
    sep: need('[SEP]', 'it ends every segment'),
    mask: need('[MASK]', 'masked-LM inputs use it'),
  };
}

function addedToken(id: number, content: string, opts: { lstrip: boolean }): Json {
  return {
    id,
    content,
    single_word: false,
    lstrip: opts.lstrip,
    rstrip: false,
    normalized: false,
    special: true,
  };
}

/** tokenizer.json: the whole tokenization pipeline in HF's "tokenizers" format. */
export function tokenizerJson(proto: ModelProto, settings: TokenizerSettings, source: string): Json {
  const sp = specialPieces(proto, source);
  const normalizers: Json[] = [
    { type: 'Replace', pattern: { String: '``' }, content: '"' },
    { type: 'Replace', pattern: { String: "''" }, content: '"' },
  ];
  if (!settings.keepAccents) normalizers.push({ type: 'NFKD' }, { type: 'StripAccents' });
  if (settings.doLowerCase) normalizers.push({ type: 'Lowercase' });
  const charsmap = proto.normalizerSpec.precompiledCharsmap;
  if (charsmap.length > 0) normalizers.push({ type: 'Precompiled', precompiled_charsmap: Buffer.from(charsmap).toString('base64') });
  normalizers.push({ type: 'Replace', pattern: { Regex: ' {2,}' }, content: ' ' });

  // The special pieces are added tokens (matched in the raw text, never split); [MASK] eats the
  // space before it, as HF's AlbertTokenizer declares it (lstrip), so "is [MASK]." encodes "is"
  // the same way "is" ends a sentence.
  const specials = [sp.pad, sp.unk, sp.cls, sp.sep, sp.mask].filter((s): s is { piece: string; id: number } => s !== null);
  const added = new Map<number, Json>();
  for (const s of specials) added.set(s.id, addedToken(s.id, s.piece, { lstrip: s === sp.mask }));
  // User-defined pieces (30k-clean.model's ( ) " - . – £ € ...) stay plain vocabulary pieces,
  // as in HF's own ALBERT tokenizer.json: no other piece contains them, so the Unigram lattice
  // takes them whole, as SentencePiece does. As added tokens they would split the text before
  // normalization and move the word-start mark: "(hi" would become "(" "▁hi", not "▁" "(" "hi".

  const prependScheme = proto.normalizerSpec.addDummyPrefix ? 'always' : 'never';
  const special = (piece: { piece: string; id: number }): Json => ({ id: piece.piece, ids: [piece.id], tokens: [piece.piece] });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [...added.keys()].sort((a, b) => a - b).map((id) => added.get(id)!),
    normalizer: { type: 'Sequence', normalizers },
    pre_tokenizer: { type: 'Metaspace', replacement: '\u2581', prepend_scheme: prependScheme, split: true },
    post_processor: {
      type: 'TemplateProcessing',
      single: [
        { SpecialToken: { id: sp.cls.piece, type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: sp.sep.piece, type_id: 0 } },
      ],
      pair: [
        { SpecialToken: { id: sp.cls.piece, type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: sp.sep.piece, type_id: 0 } },
        { Sequence: { id: 'B', type_id: 1 } },
        { SpecialToken: { id: sp.sep.piece, type_id: 1 } },
      ],
      special_tokens: { [sp.cls.piece]: special(sp.cls), [sp.sep.piece]: special(sp.sep) },
    },
    decoder: { type: 'Metaspace', replacement: '\u2581', prepend_scheme: prependScheme, split: true },
    model: {
      type: 'Unigram',
      unk_id: sp.unk.id,
      vocab: proto.pieces.map((p) => [p.piece, endsInDigitComma(p.piece) ? DEMOTED_SCORE : p.score]),
      byte_fallback: proto.trainerSpec.byteFallback,
    },
  };
}

/** special_tokens_map.json, as HF's AlbertTokenizer saves it. */
export function specialTokensMapJson(proto: ModelProto, source: string): Json {
  const sp = specialPieces(proto, source);
  return {
    bos_token: sp.cls.piece,
    eos_token: sp.sep.piece,
    unk_token: sp.unk.piece,
    sep_token: sp.sep.piece,
    ...(sp.pad ? { pad_token: sp.pad.piece } : {}),
    cls_token: sp.cls.piece,
    mask_token: { content: sp.mask.piece, lstrip: true, normalized: false, rstrip: false, single_word: false },
  };
}

/**
 * tokenizer_config.json: tokenizer_class AlbertTokenizer (transformers.js picks its class by
 * it), the preprocessing flags the slow tokenizer reads, model_max_length and the special tokens.
 * remove_space makes transformers.js strip and collapse whitespace as preprocess_text does.
 */
export function tokenizerConfigJson(proto: ModelProto, settings: TokenizerSettings, source: string): Json {
  const sp = specialPieces(proto, source);
  const decoder: Record<string, Json> = {};
  for (const s of [sp.pad, sp.unk, sp.cls, sp.sep, sp.mask]) {
    if (!s) continue;
    decoder[String(s.id)] = { content: s.piece, lstrip: s === sp.mask, normalized: false, rstrip: false, single_word: false, special: true };
  }
  return {
    tokenizer_class: 'AlbertTokenizer',
    do_lower_case: settings.doLowerCase,
    keep_accents: settings.keepAccents,
    remove_space: true,
    model_max_length: settings.modelMaxLength,
    bos_token: sp.cls.piece,
    eos_token: sp.sep.piece,
    unk_token: sp.unk.piece,
    sep_token: sp.sep.piece,
    ...(sp.pad ? { pad_token: sp.pad.piece } : {}),
    cls_token: sp.cls.piece,
    mask_token: sp.mask.piece,
    clean_up_tokenization_spaces: true,
    added_tokens_decoder: decoder,
  };
}
