/**
 * SQuAD features as the original's convert_examples_to_features makes them
 * (google-research/albert squad_utils.py), for v1.1 and v2.0 alike:
 *
 *   [CLS] question [SEP] passage window [SEP] <pad>...
 *
 * - The question's pieces are cut to maxQueryLength.
 * - The passage's pieces (aligned to the context's characters by align.ts) are cut into windows
 *   of at most maxSeqLength - question - 3 pieces, a new window every docStride pieces
 *   (min(length, docStride)), the last one ending with the passage.
 * - token_is_max_context: a passage token belongs to the window where min(left, right context)
 *   + 0.01 x window length is largest (the first such window on ties).
 * - segment_ids 0 for [CLS] question [SEP], 1 for the window and its [SEP], 0 for padding;
 *   input_mask 1 on real tokens; padding with id 0.
 * - p_mask as the original: 1 for the question, both [SEP]s and padding, 0 for the passage and
 *   for [CLS] (the v2 null answer lives there; v1 shares the same features).
 * - Training: start/end positions of the answer inside the window; a window that does not hold
 *   the whole answer, and every window of an unanswerable question, gets start = end = 0 ([CLS])
 *   and is_impossible = 1 (the original keeps such windows for v1 too).
 */
import type { AlbertTokenizer } from '../../text/albert-tokenizer.ts';
import { OptionError, UserError } from '../../util/errors.ts';
import { type AlignedContext, alignContext, charSpanToPieces } from './align.ts';
import type { SquadExample } from './data.ts';

export interface SquadFeatureOptions {
  /** The original's max_seq_length (384). */
  maxSeqLength: number;
  /** The original's doc_stride (128). */
  docStride: number;
  /** The original's max_query_length (64). */
  maxQueryLength: number;
  /** Compute start/end positions from the examples' answers. */
  training: boolean;
}

/** What post-processing needs to know about one feature (one window of one example). */
export interface SquadFeatureInfo {
  /** Index of the example in the list given to squadFeatures. */
  exampleIndex: number;
  /** Which window of its example (0, 1, ...). */
  docSpanIndex: number;
  /** The window's first passage piece (index into the example's passage pieces). */
  docSpanStart: number;
  /** Number of passage pieces in the window. */
  docSpanLength: number;
  /** Position in the sequence of the window's first piece: question length + 2. */
  docOffset: number;
  /**
   * Per sequence position: the original context characters [start, end) (UTF-16) of the piece
   * there; -1 for positions outside the window (the original's tok_start_to_orig_index and
   * tok_end_to_orig_index, keyed by position and with an exclusive end).
   */
  tokenToOrigStart: Int32Array;
  tokenToOrigEnd: Int32Array;
  /** Per sequence position: 1 where this window is the token's max-context window (0 elsewhere, and outside the window). */
  tokenIsMaxContext: Uint8Array;
}

/** Features for a list of examples: row-major [count, seqLength] arrays and per-feature maps. */
export interface SquadFeatures {
  count: number;
  seqLength: number;
  inputIds: Int32Array;
  inputMask: Int32Array;
  segmentIds: Int32Array;
  /** 1 where a token cannot be part of an answer (question, [SEP], padding), 0 for passage and [CLS]. */
  pMask: Int32Array;
  /** [count] positions in the sequence; all 0 when not training. */
  startPositions: Int32Array;
  endPositions: Int32Array;
  /** [count] 1 where the window has no answer (training; 0 when not training). */
  isImpossible: Int32Array;
  /** The original's unique_id: 1000000000 + feature index. */
  uniqueIds: Int32Array;
  features: SquadFeatureInfo[];
  /** Training examples left out (an answer no passage piece holds), with why. */
  skipped: { id: string; reason: string }[];
}

interface DocSpan {
  start: number;
  length: number;
}

/** The windows over `n` pieces: at most maxTokens each, a new one every min(length, stride). */
export function docSpans(n: number, maxTokens: number, stride: number): DocSpan[] {
  const spans: DocSpan[] = [];
  let start = 0;
  while (start < n) {
    const length = Math.min(n - start, maxTokens);
    spans.push({ start, length });
    if (start + length === n) break;
    start += Math.min(length, stride);
  }
  return spans;
}

/** _check_is_max_context: whether span `cur` is the best window for piece `position`. */
export function isMaxContext(spans: DocSpan[], cur: number, position: number): boolean {
  let bestScore = -Infinity;
  let best = -1;
  spans.forEach((span, k) => {
    const end = span.start + span.length - 1;
    if (position < span.start || position > end) return;
    const score = Math.min(position - span.start, end - position) + 0.01 * span.length;
    if (score > bestScore) {
      bestScore = score;
      best = k;
    }
  });
  return best === cur;
}

function checkOptions(o: SquadFeatureOptions): void {
  const positive = (name: keyof SquadFeatureOptions, v: number, min: number): void => {
    if (!Number.isInteger(v) || v < min) throw new OptionError(`{${name}} must be an integer >= ${min}, not ${v}`);
  };
  positive('maxSeqLength', o.maxSeqLength, 4);
  positive('docStride', o.docStride, 1);
  positive('maxQueryLength', o.maxQueryLength, 0);
}

/** Turns examples into windowed features; see the module comment. */
export function squadFeatures(examples: SquadExample[], tokenizer: AlbertTokenizer, opts: SquadFeatureOptions): SquadFeatures {
  checkOptions(opts);
  for (const [name, id] of [['[CLS]', tokenizer.clsId], ['[SEP]', tokenizer.sepId]] as const) {
    if (id < 0) throw new UserError(`${tokenizer.spm.source}: the model has no ${name} piece, which SQuAD features need`);
  }
  const L = opts.maxSeqLength;
  const rows: { ids: number[]; segments: number[]; pMask: number[]; start: number; end: number; impossible: boolean; info: SquadFeatureInfo }[] = [];
  const skipped: { id: string; reason: string }[] = [];

  let lastContext: string | null = null;
  let lastAligned: AlignedContext | null = null;
  examples.forEach((ex, exampleIndex) => {
    let query = tokenizer.encode(ex.question);
    if (query.length > opts.maxQueryLength) query = query.slice(0, opts.maxQueryLength);
    const maxTokensForDoc = L - query.length - 3;
    if (maxTokensForDoc < 1) {
      throw new UserError(
        `question ${JSON.stringify(ex.id)}: its ${query.length} pieces (cut to maxQueryLength ${opts.maxQueryLength}) and [CLS] [SEP] [SEP] leave no room for the passage in maxSeqLength ${L}`,
      );
    }
    // Questions of one paragraph share its context: align it once.
    if (lastContext !== ex.context) {
      lastAligned = alignContext(ex.context, tokenizer);
      lastContext = ex.context;
    }
    const aligned: AlignedContext = lastAligned!;
    if (aligned.pieces.length === 0) throw new UserError(`question ${JSON.stringify(ex.id)}: the context has no pieces`);

    let tokStart = 0;
    let tokEnd = 0;
    if (opts.training && !ex.isImpossible) {
      const answer = ex.answers[0];
      if (!answer) throw new UserError(`question ${JSON.stringify(ex.id)}: training needs an answer (or is_impossible)`);
      const range = charSpanToPieces(aligned, answer.start, answer.start + answer.text.length);
      if (!range) {
        skipped.push({ id: ex.id, reason: `no passage piece holds the answer ${JSON.stringify(answer.text)}` });
        return;
      }
      tokStart = range.first;
      tokEnd = range.last;
    }

    const spans = docSpans(aligned.pieces.length, maxTokensForDoc, opts.docStride);
    spans.forEach((span, spanIndex) => {
      const ids = [tokenizer.clsId, ...query, tokenizer.sepId];
      const segments = ids.map(() => 0);
      const pMask = ids.map((_, k) => (k === 0 ? 0 : 1));
      const docOffset = ids.length;
      const tokenToOrigStart = new Int32Array(L).fill(-1);
      const tokenToOrigEnd = new Int32Array(L).fill(-1);
      const tokenIsMaxContext = new Uint8Array(L);
      for (let k = 0; k < span.length; k++) {
        const piece = span.start + k;
        const pos = ids.length;
        tokenToOrigStart[pos] = aligned.starts[piece];
        tokenToOrigEnd[pos] = aligned.ends[piece];
        tokenIsMaxContext[pos] = isMaxContext(spans, spanIndex, piece) ? 1 : 0;
        ids.push(aligned.ids[piece]);
        segments.push(1);
        pMask.push(0);
      }
      ids.push(tokenizer.sepId);
      segments.push(1);
      pMask.push(1);

      let start = 0;
      let end = 0;
      let impossible = opts.training && ex.isImpossible;
      if (opts.training && !ex.isImpossible) {
        const docEnd = span.start + span.length - 1;
        if (tokStart >= span.start && tokEnd <= docEnd) {
          start = tokStart - span.start + docOffset;
          end = tokEnd - span.start + docOffset;
        } else {
          impossible = true;
        }
      }
      rows.push({
        ids,
        segments,
        pMask,
        start,
        end,
        impossible,
        info: { exampleIndex, docSpanIndex: spanIndex, docSpanStart: span.start, docSpanLength: span.length, docOffset, tokenToOrigStart, tokenToOrigEnd, tokenIsMaxContext },
      });
    });
  });

  const n = rows.length;
  const out: SquadFeatures = {
    count: n,
    seqLength: L,
    inputIds: new Int32Array(n * L),
    inputMask: new Int32Array(n * L),
    segmentIds: new Int32Array(n * L),
    pMask: new Int32Array(n * L).fill(1),
    startPositions: new Int32Array(n),
    endPositions: new Int32Array(n),
    isImpossible: new Int32Array(n),
    uniqueIds: new Int32Array(n),
    features: rows.map((r) => r.info),
    skipped,
  };
  rows.forEach((r, f) => {
    const o = f * L;
    out.inputIds.set(r.ids, o);
    out.inputMask.fill(1, o, o + r.ids.length);
    out.segmentIds.set(r.segments, o);
    out.pMask.set(r.pMask, o);
    out.startPositions[f] = r.start;
    out.endPositions[f] = r.end;
    out.isImpossible[f] = r.impossible ? 1 : 0;
    out.uniqueIds[f] = 1000000000 + f;
  });
  return out;
}
