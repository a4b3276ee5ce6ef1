/**
 * Fill-mask prediction (`albert predict fill-mask`): the masked-LM head's guesses for each
 * [MASK] in a text, with softmax probabilities, from an `albert export` directory or, when the
 * directory holds a checkpoint instead, from the mlm head exported in memory.
 *
 * The text is encoded as transformers.js encodes it from the export's tokenizer.json: "[MASK]"
 * is a special token wherever it stands (the text is split around it and each part goes through
 * ALBERT's tokenizer on its own), then [CLS] ... [SEP].
 *
 * Candidates are words, not raw pieces: each carries its piece ("▁paris") and the piece as text
 * (token_str "paris", as transformers' fill-mask pipeline names it), and the text filled with it
 * (sequence). A piece without the word-start mark continues the word before the [MASK] (the
 * tokenizer dropped the space there), so it is joined to that word in the filled text.
 */
import type { Executable } from '../backends/target.ts';
import { OptionError, UserError } from '../util/errors.ts';
import type { AlbertTokenizer } from '../text/albert-tokenizer.ts';
import { checkTokenInputs, declaredShape, loadPredictModel, softmax, tokenFeeds, topK, type PredictModelOptions } from './load-model.ts';

export const MASK_TOKEN = '[MASK]';

/** `model`: an `albert export` directory (onnx/model.onnx), or a checkpoint with an MLM head. */
export type FillMaskOptions = PredictModelOptions;

export interface FillMaskCandidate {
  id: number;
  /** The SentencePiece piece, as the vocabulary spells it ("▁paris"). */
  piece: string;
  /**
   * The piece as text, decoded as transformers' fill-mask pipeline decodes it: the word-start
   * mark "▁" dropped, control pieces empty; the bare word-start piece "▁" is '' (a word break).
   */
  token_str: string;
  /** Whether the piece starts a word ("▁...", or has no text); otherwise it continues the word before the [MASK]. */
  word_start: boolean;
  /** The text with this [MASK] filled with this candidate (any other [MASK] left as it is). */
  sequence: string;
  /** Softmax probability over the vocabulary. */
  score: number;
}

export interface MaskFill {
  /** Position of the [MASK] in the model input ([CLS] is 0). */
  position: number;
  candidates: FillMaskCandidate[];
}

export interface FillMaskResult {
  text: string;
  /** The model input: [CLS] ... [SEP]. */
  ids: number[];
  pieces: string[];
  masks: MaskFill[];
  /** The text with each [MASK] replaced by its best candidate. */
  filled: string;
  runSeconds: number;
}

/** The checks on a request that need no model (commands run them before loading one). */
export function checkFillMaskInput(text: string, k: number): void {
  if (!Number.isInteger(k) || k < 1) throw new OptionError(`{k} must be a positive integer (got ${k})`);
  if (!text.includes(MASK_TOKEN)) throw new UserError(`the text has no ${MASK_TOKEN} to fill: ${JSON.stringify(text.length > 60 ? `${text.slice(0, 57)}...` : text)}`);
}

/** Splits text around [MASK] and encodes each part: [CLS] part [MASK] part ... [SEP]. */
export function encodeWithMasks(tokenizer: AlbertTokenizer, text: string): { ids: number[]; maskPositions: number[] } {
  if (tokenizer.maskId < 0 || tokenizer.clsId < 0 || tokenizer.sepId < 0) {
    throw new UserError(`${tokenizer.spm.source}: the SentencePiece model lacks [CLS], [SEP] or [MASK]`);
  }
  const parts = text.split(MASK_TOKEN);
  const ids = [tokenizer.clsId];
  const maskPositions: number[] = [];
  parts.forEach((part, i) => {
    ids.push(...tokenizer.encode(part));
    if (i < parts.length - 1) {
      maskPositions.push(ids.length);
      ids.push(tokenizer.maskId);
    }
  });
  ids.push(tokenizer.sepId);
  return { ids, maskPositions };
}

/** What fills one [MASK]: the text and whether it starts a word. */
export interface MaskFiller {
  text: string;
  wordStart: boolean;
}

/**
 * The text around the masks (`parts`, as text.split('[MASK]') gives it) with mask i filled by
 * fills[i], or left as [MASK] where fills[i] is null. A filler that continues a word is joined
 * to the text before it: the whitespace before that [MASK] goes, as the model saw none there.
 */
export function fillMasks(parts: string[], fills: (MaskFiller | null)[]): string {
  let text = parts[0] ?? '';
  for (let i = 1; i < parts.length; i++) {
    const f = fills[i - 1] ?? null;
    if (f === null) text += MASK_TOKEN;
    else text = (f.wordStart ? text : text.replace(/\s+$/u, '')) + f.text;
    text += parts[i];
  }
  return text;
}

/** A piece id as a word: its piece, its text and whether it starts a word. */
export function candidateWord(tokenizer: AlbertTokenizer, id: number): { piece: string; token_str: string; word_start: boolean } {
  const piece = tokenizer.spm.idToPiece(id);
  // decode drops a leading "▁" (the dummy prefix); a piece that is only "▁" decodes to '', and so
  // does a control piece, which joins nothing.
  const token_str = tokenizer.decode([id]);
  return { piece, token_str, word_start: piece.startsWith('\u2581') || token_str === '' };
}

export class FillMask {
  private constructor(
    readonly source: string,
    readonly kind: 'export' | 'checkpoint',
    readonly tokenizer: AlbertTokenizer,
    private readonly session: Executable,
    /** Longest input the model takes (max_position_embeddings). */
    readonly maxLength: number,
    readonly vocabSize: number,
  ) {}

  /** Loads an export directory, or exports a checkpoint's mlm head in memory. */
  static async load(opts: FillMaskOptions): Promise<FillMask> {
    const m = await loadPredictModel(opts, 'mlm');
    if (m.exported) {
      const { missing } = m.exported.report;
      if (missing.length > 0) {
        const shown = missing.slice(0, 3).join(', ');
        throw new UserError(`${m.source}: ${missing.length} parameters of the masked-LM model are not in the checkpoint (${shown}${missing.length > 3 ? ', ...' : ''}): fill-mask needs a trained mlm or pretraining checkpoint`);
      }
      return new FillMask(m.source, m.kind, m.tokenizer, m.session, m.maxLength, m.exported.config.vocabSize);
    }
    return new FillMask(m.source, m.kind, m.tokenizer, m.session, m.maxLength, logitsWidth(m.session, m.modelPath));
  }

  async predict(text: string, k = 5): Promise<FillMaskResult> {
    checkFillMaskInput(text, k);
    const { ids, maskPositions } = encodeWithMasks(this.tokenizer, text);
    if (ids.length > this.maxLength) {
      throw new UserError(`the text is ${ids.length} pieces long with [CLS] and [SEP]; the model takes at most ${this.maxLength} (max_position_embeddings)`);
    }
    const t0 = performance.now();
    // Other exporters may leave token_type_ids (or the mask) out: tokenFeeds feeds what the model declares.
    const out = await this.session.run(tokenFeeds(this.session, ids));
    const runSeconds = (performance.now() - t0) / 1000;
    const logits = out.logits.data as Float32Array;
    const V = this.vocabSize;
    // Only ids the tokenizer can spell are candidates; the probabilities stay normalised over
    // the model's whole vocabulary.
    const spellable = Math.min(V, this.tokenizer.vocabSize);
    const pieces = this.tokenizer.convertIdsToTokens(ids);
    const parts = text.split(MASK_TOKEN);
    const masks = maskPositions.map((position, m): MaskFill => {
      const probs = softmax(logits.subarray(position * V, (position + 1) * V));
      const candidates = topK(probs, spellable, Math.min(k, spellable)).map((id): FillMaskCandidate => {
        const w = candidateWord(this.tokenizer, id);
        const fills = maskPositions.map((_, j) => (j === m ? { text: w.token_str, wordStart: w.word_start } : null));
        return { id, piece: w.piece, token_str: w.token_str, word_start: w.word_start, sequence: fillMasks(parts, fills), score: probs[id] };
      });
      return { position, candidates };
    });
    const filled = fillMasks(parts, masks.map((m) => ({ text: m.candidates[0].token_str, wordStart: m.candidates[0].word_start })));
    return { text, ids, pieces, masks, filled, runSeconds };
  }
}

/** The vocabulary size from the model's "logits" output; a model without one is not an MLM. */
function logitsWidth(session: Executable, path: string): number {
  checkTokenInputs(session, path, 'a masked-LM export');
  if (!session.outputNames.includes('logits')) {
    throw new UserError(`${path}: has no "logits" output (outputs: ${session.outputNames.join(', ')}): fill-mask needs a masked-LM export (an export of the mlm head)`);
  }
  const shape = declaredShape(session.outputMetadata, 'logits') ?? [];
  const width = shape.length === 3 ? shape[2] : undefined;
  if (typeof width !== 'number') throw new UserError(`${path}: output "logits" is not [batch, seq, vocab]: fill-mask needs a masked-LM export (an export of the mlm head)`);
  return width;
}
