/**
 * Extractive question answering (`albert predict question-answering`): the span in a context
 * that answers a question, from an `albert export --head squad` directory (HF's
 * AlbertForQuestionAnswering: start_logits and end_logits) or, when the directory holds a
 * checkpoint instead, from its span head exported in memory.
 *
 * The input goes through SQuAD's own windowing (src/tasks/squad/features.ts, as fine-tuning and
 * `finetune squad --do-predict` build it): [CLS] question [SEP] window [SEP], the question cut
 * to maxQueryLength pieces, a window every docStride pieces, each piece scored in the window
 * where it has the most context. The answers are the original's v1.1 n-best over all windows
 * (google-research/albert squad_utils.write_predictions_v1, as nbestV1 in
 * src/tasks/squad/postprocess.ts): the nBestSize best starts x ends of each window, start <= end,
 * at most maxAnswerLength pieces, both in the passage, the start in its max-context window;
 * ranked by start + end logit, de-duplicated by text; the score is the softmax of those totals
 * over the n-best list (the original's "probability"). The text is cut from the ORIGINAL context
 * (its case, accents and punctuation), and comes with its character span [start, end) in it
 * (UTF-16 offsets: `context.slice(start, end) === text`).
 *
 * One difference from the original run: each window runs alone at its own length instead of
 * padded to maxSeqLength. The logits of real tokens are the same (padding is masked out of the
 * attention), but the original's padding positions also get logits, which can take some of the
 * nBestSize best-start / best-end slots; here only real tokens compete.
 */
import type { Executable } from '../backends/target.ts';
import { OptionError, UserError } from '../util/errors.ts';
import type { AlbertTokenizer } from '../text/albert-tokenizer.ts';
import type { SquadExample } from '../tasks/squad/data.ts';
import { squadFeatures, type SquadFeatureInfo } from '../tasks/squad/features.ts';
import { bestIndexes, computeSoftmax, DEFAULT_MAX_ANSWER_LENGTH, DEFAULT_N_BEST_SIZE } from '../tasks/squad/postprocess.ts';
import { checkTokenInputs, declaredShape, loadPredictModel, tokenFeeds, type PredictModelOptions } from './load-model.ts';

/** The original's defaults (run_squad_v1.py); maxSeqLength is cut to what the model takes. */
export const DEFAULT_MAX_SEQ_LENGTH = 384;
export const DEFAULT_DOC_STRIDE = 128;
export const DEFAULT_MAX_QUERY_LENGTH = 64;

/** How questions are windowed and answers chosen (the original's flag names, camel case). */
export interface QuestionAnsweringSettings {
  /** How many answers to return, best first (1). */
  topK?: number;
  /** max_answer_length in pieces (30). */
  maxAnswerLength?: number;
  /** doc_stride: a new window every this many passage pieces (128). */
  docStride?: number;
  /** max_seq_length: the longest window with the question, [CLS] and two [SEP] (384, at most max_position_embeddings). */
  maxSeqLength?: number;
  /** max_query_length: the question is cut to this many pieces (64). */
  maxQueryLength?: number;
  /** n_best_size: candidate starts and ends per window, and the length of the n-best list the scores are a softmax over (20; at least topK). */
  nBestSize?: number;
}

/** `model`: an `albert export --head squad` directory, or a checkpoint with the span (squad) head. */
export type QuestionAnsweringOptions = PredictModelOptions & QuestionAnsweringSettings;

export interface QuestionAnsweringInput {
  question: string;
  context: string;
  /** Where the input came from, for errors (e.g. "questions.json:3"). */
  where?: string;
}

export interface QuestionAnswer {
  /** The answer as it stands in the context: `context.slice(start, end)`. */
  text: string;
  /** Its probability over the n-best list (softmax of startLogit + endLogit). */
  score: number;
  /** Character span [start, end) in the context (UTF-16 offsets). */
  start: number;
  end: number;
  startLogit: number;
  endLogit: number;
  /** The window it was found in (0, 1, ...). */
  window: number;
  /** Its first and last token's positions in that window's sequence. */
  startToken: number;
  endToken: number;
}

/** One window of the context as the model saw it. */
export interface QuestionAnsweringWindow {
  /** [CLS] question [SEP] passage window [SEP], unpadded. */
  ids: number[];
  tokenTypeIds: number[];
  /** The window's first passage piece (index into the context's pieces) and its number of pieces. */
  docSpanStart: number;
  docSpanLength: number;
  /** Position of the window's first passage piece in the sequence. */
  docOffset: number;
  startLogits: number[];
  endLogits: number[];
}

export interface QuestionAnsweringResult {
  question: string;
  context: string;
  /** The topK best answers, best first; empty when no span of the n-best starts and ends is valid. */
  answers: QuestionAnswer[];
  windows: QuestionAnsweringWindow[];
  runSeconds: number;
}

/** Settings with their defaults, checked. */
export interface ResolvedQuestionAnsweringSettings {
  topK: number;
  maxAnswerLength: number;
  docStride: number;
  maxSeqLength: number;
  maxQueryLength: number;
  nBestSize: number;
}

function positiveInteger(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 1) throw new OptionError(`{${name}} must be a positive integer (got ${v})`);
  return v;
}

/**
 * The checks on the settings that need no model (commands run them before loading one);
 * `maxLength` is the model's max_position_embeddings, which caps maxSeqLength (and is its default
 * when smaller than 384).
 */
export function resolveQuestionAnsweringSettings(s: QuestionAnsweringSettings, maxLength?: number): ResolvedQuestionAnsweringSettings {
  const topK = positiveInteger('topK', s.topK ?? 1);
  const maxAnswerLength = positiveInteger('maxAnswerLength', s.maxAnswerLength ?? DEFAULT_MAX_ANSWER_LENGTH);
  const docStride = positiveInteger('docStride', s.docStride ?? DEFAULT_DOC_STRIDE);
  const nBestSize = Math.max(positiveInteger('nBestSize', s.nBestSize ?? DEFAULT_N_BEST_SIZE), topK);
  const maxQueryLength = s.maxQueryLength ?? DEFAULT_MAX_QUERY_LENGTH;
  if (!Number.isInteger(maxQueryLength) || maxQueryLength < 0) throw new OptionError(`{maxQueryLength} must be an integer >= 0 (got ${maxQueryLength})`);
  const maxSeqLength = s.maxSeqLength ?? (maxLength !== undefined ? Math.min(DEFAULT_MAX_SEQ_LENGTH, maxLength) : DEFAULT_MAX_SEQ_LENGTH);
  if (!Number.isInteger(maxSeqLength) || maxSeqLength < 4) throw new OptionError(`{maxSeqLength} must be an integer >= 4 (got ${maxSeqLength})`);
  if (maxLength !== undefined && maxSeqLength > maxLength) {
    throw new OptionError(`{maxSeqLength} ${maxSeqLength} is longer than the model takes (max_position_embeddings ${maxLength})`);
  }
  return { topK, maxAnswerLength, docStride, maxSeqLength, maxQueryLength, nBestSize };
}

/** The checks on one input that need no model: a question and a context that are not empty. */
export function checkQuestionAnsweringInput(input: QuestionAnsweringInput): void {
  const at = input.where ? `${input.where}: ` : '';
  if (typeof input.question !== 'string' || input.question.trim() === '') throw new UserError(`${at}the question is empty`);
  if (typeof input.context !== 'string' || input.context.trim() === '') throw new UserError(`${at}the context is empty: there is nothing to find an answer in`);
}

/** One window's logits and the feature that maps its tokens to the context. */
export interface WindowLogits {
  feature: SquadFeatureInfo;
  /** Start and end logits per sequence position (at least up to the window's last [SEP]). */
  start: ArrayLike<number>;
  end: ArrayLike<number>;
}

/**
 * The original's v1.1 n-best over the windows of one example (nbestV1 with version 1.1), keeping
 * where each answer is: see the module comment. Empty when no candidate span is valid (the
 * original then writes the placeholder text "empty").
 */
export function spanAnswers(context: string, windows: readonly WindowLogits[], opts: { nBestSize: number; maxAnswerLength: number }): QuestionAnswer[] {
  const prelims: { window: number; s: number; e: number; startLogit: number; endLogit: number }[] = [];
  windows.forEach(({ feature, start, end }, window) => {
    const { tokenToOrigStart: origStart, tokenIsMaxContext: maxContext } = feature;
    for (const s of bestIndexes(start, opts.nBestSize)) {
      for (const e of bestIndexes(end, opts.nBestSize)) {
        if (s >= origStart.length || e >= origStart.length || origStart[s] < 0 || origStart[e] < 0) continue;
        if (maxContext[s] !== 1 || e < s || e - s + 1 > opts.maxAnswerLength) continue;
        prelims.push({ window, s, e, startLogit: start[s], endLogit: end[e] });
      }
    }
  });
  // Stable: equal totals keep the order the candidates were found in, as the original's sort.
  const sorted = prelims.map((p, order) => ({ p, order })).sort((a, b) => b.p.startLogit + b.p.endLogit - (a.p.startLogit + a.p.endLogit) || a.order - b.order);
  const seen = new Set<string>();
  const kept: Omit<QuestionAnswer, 'score'>[] = [];
  for (const { p } of sorted) {
    if (kept.length >= opts.nBestSize) break;
    const f = windows[p.window].feature;
    const from = f.tokenToOrigStart[p.s];
    const raw = context.slice(from, f.tokenToOrigEnd[p.e]);
    const text = raw.trim();
    if (seen.has(text)) continue;
    seen.add(text);
    const start = from + raw.length - raw.trimStart().length;
    kept.push({ text, start, end: start + text.length, startLogit: p.startLogit, endLogit: p.endLogit, window: p.window, startToken: p.s, endToken: p.e });
  }
  const probs = computeSoftmax(kept.map((a) => a.startLogit + a.endLogit));
  return kept.map((a, i) => ({ ...a, score: probs[i] }));
}

export class QuestionAnswerer {
  private constructor(
    readonly source: string,
    readonly kind: 'export' | 'checkpoint',
    readonly tokenizer: AlbertTokenizer,
    private readonly session: Executable,
    /** Longest input the model takes (max_position_embeddings). */
    readonly maxLength: number,
  ) {}

  /** Loads an export directory, or exports a checkpoint's span head in memory. */
  static async load(opts: PredictModelOptions): Promise<QuestionAnswerer> {
    // A checkpoint exports the head it holds: anything but the span head is refused below.
    const m = await loadPredictModel(opts, undefined);
    if (m.exported) {
      const r = m.exported;
      if (r.head !== 'squad') {
        const why = r.head === 'squad2' ? "the original v2 beam head, whose export gives the beam's top starts and ends rather than a logit per token" : `its head is ${r.head}`;
        throw new UserError(`${m.source}: not a question-answering checkpoint (${why}): question-answering needs the span head squad (AlbertForQuestionAnswering)`);
      }
      if (r.report.missing.length > 0) {
        const shown = r.report.missing.slice(0, 3).join(', ');
        throw new UserError(`${m.source}: ${r.report.missing.length} parameters of the span head are not in the checkpoint (${shown}${r.report.missing.length > 3 ? ', ...' : ''})`);
      }
    }
    checkSpanOutputs(m.session, m.modelPath);
    return new QuestionAnswerer(m.source, m.kind, m.tokenizer, m.session, m.maxLength);
  }

  /** The settings with their defaults for this model, checked. */
  settings(s: QuestionAnsweringSettings = {}): ResolvedQuestionAnsweringSettings {
    return resolveQuestionAnsweringSettings(s, this.maxLength);
  }

  async predict(input: QuestionAnsweringInput, settings: QuestionAnsweringSettings = {}): Promise<QuestionAnsweringResult> {
    return (await this.predictAll([input], settings))[0];
  }

  /** Every input is checked and windowed before the first window runs; each window runs alone, unpadded. */
  async predictAll(inputs: readonly QuestionAnsweringInput[], settings: QuestionAnsweringSettings = {}): Promise<QuestionAnsweringResult[]> {
    const s = this.settings(settings);
    const examples: SquadExample[] = inputs.map((input, i) => {
      checkQuestionAnsweringInput(input);
      const pieces = Math.min(this.tokenizer.encode(input.question).length, s.maxQueryLength);
      if (s.maxSeqLength - pieces - 3 < 1) {
        throw new OptionError(
          `${input.where ? `${input.where}: ` : ''}the question is ${pieces} pieces long (cut to {maxQueryLength} ${s.maxQueryLength}): with [CLS] and two [SEP] it leaves no room for the context in {maxSeqLength} ${s.maxSeqLength}`,
        );
      }
      return { id: input.where ?? `input ${i + 1}`, question: input.question, context: input.context, answers: [], isImpossible: false };
    });
    const features = squadFeatures(examples, this.tokenizer, { maxSeqLength: s.maxSeqLength, docStride: s.docStride, maxQueryLength: s.maxQueryLength, training: false });
    const L = features.seqLength;
    const perExample: { windows: QuestionAnsweringWindow[]; logits: WindowLogits[]; seconds: number }[] = inputs.map(() => ({ windows: [], logits: [], seconds: 0 }));
    for (const [f, feature] of features.features.entries()) {
      const n = feature.docOffset + feature.docSpanLength + 1;
      const ids = Array.from(features.inputIds.subarray(f * L, f * L + n));
      const tokenTypeIds = Array.from(features.segmentIds.subarray(f * L, f * L + n));
      const t0 = performance.now();
      const out = await this.session.run(tokenFeeds(this.session, ids, tokenTypeIds));
      const ex = perExample[feature.exampleIndex];
      ex.seconds += (performance.now() - t0) / 1000;
      const start = out.start_logits.data as Float32Array;
      const end = out.end_logits.data as Float32Array;
      if (start.length !== n || end.length !== n) throw new UserError(`${this.source}: start_logits/end_logits hold ${start.length}/${end.length} values for a sequence of ${n}: not a span head's outputs`);
      ex.logits.push({ feature, start, end });
      ex.windows.push({ ids, tokenTypeIds, docSpanStart: feature.docSpanStart, docSpanLength: feature.docSpanLength, docOffset: feature.docOffset, startLogits: Array.from(start), endLogits: Array.from(end) });
    }
    return inputs.map((input, i) => {
      const ex = perExample[i];
      const answers = spanAnswers(input.context, ex.logits, s).slice(0, s.topK);
      return { question: input.question, context: input.context, answers, windows: ex.windows, runSeconds: ex.seconds };
    });
  }
}

/** Loads the model and answers each question in its context (settings: see QuestionAnsweringSettings). */
export async function predictQuestionAnswering(opts: QuestionAnsweringOptions, inputs: readonly QuestionAnsweringInput[]): Promise<QuestionAnsweringResult[]> {
  resolveQuestionAnsweringSettings(opts);
  inputs.forEach(checkQuestionAnsweringInput);
  const model = await QuestionAnswerer.load(opts);
  return model.predictAll(inputs, opts);
}

/** A span head's outputs: start_logits and end_logits, [batch, seq] each. */
function checkSpanOutputs(session: Executable, path: string): void {
  checkTokenInputs(session, path, 'a question-answering export');
  const hint = 'question-answering needs an export of the span head (`albert export --head squad`)';
  if (session.outputNames.includes('cls_logits')) {
    throw new UserError(`${path}: an export of the original v2 beam head (squad2: outputs ${session.outputNames.join(', ')}): ${hint}`);
  }
  for (const name of ['start_logits', 'end_logits']) {
    if (!session.outputNames.includes(name)) throw new UserError(`${path}: has no "${name}" output (outputs: ${session.outputNames.join(', ')}): ${hint}`);
    const shape = declaredShape(session.outputMetadata, name);
    if (shape && shape.length !== 2) throw new UserError(`${path}: output "${name}" is not [batch, seq]: ${hint}`);
  }
}
