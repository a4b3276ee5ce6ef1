/**
 * SQuAD post-processing: from a model's outputs over all windows (features) of each example to
 * the n-best answers, the chosen prediction and, for v2.0, the null odds. Pure functions over
 * plain arrays; nothing here knows how the features were built or how the logits were computed.
 *
 * Two heads are covered:
 * - the span head (`nbestV1`): start and end logits per token. v1.1 as the original
 *   (google-research/albert squad_utils.write_predictions_v1): the top `nBestSize` starts x the
 *   top `nBestSize` ends of every window, start <= end, length <= `maxAnswerLength`, start and end
 *   in the passage, the start in its max-context window; scored start + end; de-duplicated by
 *   text; probabilities a softmax over the n-best totals. v2.0 as HF / BERT do it for this head:
 *   the null answer is the [CLS] span, its score the minimum over windows of start[0] + end[0],
 *   score_diff = null score - best non-null score, and the prediction is '' when
 *   score_diff > nullScoreDiffThreshold.
 * - the original v2 head (`nbestV2Beam`): a beam of start_n_top starts, each with its end_n_top
 *   ends, as log-probabilities, and one answer-class (cls) logit per window. As the original
 *   (accumulate_predictions_v2 / write_predictions_v2): score_null = the minimum cls logit over
 *   the example's windows is the null odds, and the prediction is '' unless
 *   score_null < nullScoreDiffThreshold.
 *
 * Answer text is cut from the ORIGINAL context: from the start character of the start token to the
 * end character of the end token, then trimmed (as the original's `.strip()`), so the context's
 * own case, accents and punctuation come back. Character offsets are JavaScript string indices
 * (UTF-16 code units) into `context`.
 */
import { OptionError } from '../../util/errors.ts';

/** One window of one example, as post-processing needs it. Token i is row position i. */
export interface SquadFeatureSpans {
  /** Index into the examples array. */
  readonly exampleIndex: number;
  /**
   * Per token: the [start, end) character range it covers in the example's original context, or
   * null for a token that is not part of the passage ([CLS], the question, [SEP], padding).
   * May be shorter than the sequence length: missing tokens count as null.
   */
  readonly tokenToOrigChar: ReadonlyArray<readonly [number, number] | null>;
  /** Per token: whether this window is the one where the token has the most context. */
  readonly tokenIsMaxContext: ReadonlyArray<boolean>;
}

/** The parts of an example post-processing needs. */
export interface SquadExampleText {
  readonly id: string;
  readonly context: string;
}

/** The span head's outputs: row f of each array (seqLength values) belongs to features[f]. */
export interface SpanLogits {
  readonly start: Float32Array | Float64Array;
  readonly end: Float32Array | Float64Array;
  readonly seqLength: number;
}

/**
 * The original v2 head's outputs, row f belonging to features[f]:
 * startTopLogProbs / startTopIndex [F, startNTop]; endTopLogProbs / endTopIndex
 * [F, startNTop * endNTop], where entry i * endNTop + j is the j-th end for the i-th start;
 * clsLogits [F] (the answer-class logit: larger means more likely unanswerable).
 */
export interface BeamOutputs {
  readonly startNTop: number;
  readonly endNTop: number;
  readonly startTopLogProbs: Float32Array | Float64Array;
  readonly startTopIndex: Int32Array | BigInt64Array;
  readonly endTopLogProbs: Float32Array | Float64Array;
  readonly endTopIndex: Int32Array | BigInt64Array;
  readonly clsLogits: Float32Array | Float64Array;
}

/** One n-best answer; the keys are those of nbest_predictions.json. */
export interface NbestEntry {
  text: string;
  probability: number;
  start_logit: number;
  end_logit: number;
}

/** Post-processing's result for one example. */
export interface SquadPrediction {
  id: string;
  /** Best first. Never empty (see the fall-backs in the functions). */
  nbest: NbestEntry[];
  /** The best entry with non-empty text (for the beam head: the first n-best entry, as the original). */
  bestNonNull: NbestEntry;
  /** The answer written to predictions.json ('' for "no answer"). */
  prediction: string;
  /**
   * v2.0 only. Span head: min over windows of start[0] + end[0]. Beam head: min over windows of
   * the cls logit.
   */
  nullScore?: number;
  /**
   * v2.0 only: the number written to null_odds.json and compared with the threshold. Span head:
   * nullScore - (best non-null start_logit + end_logit). Beam head: nullScore itself.
   */
  nullOdds?: number;
}

export interface SpanPostprocessOptions {
  /** n_best_size: candidate starts / ends per window and the length of the n-best list (20). */
  nBestSize?: number;
  /** max_answer_length in tokens (30). */
  maxAnswerLength?: number;
  version: '1.1' | '2.0';
  /** v2.0: predict '' when nullOdds > this (0). Infinity never predicts ''. */
  nullScoreDiffThreshold?: number;
}

export interface BeamPostprocessOptions {
  /** n_best_size: the length of the n-best list (20). */
  nBestSize?: number;
  /** max_answer_length in tokens (30). */
  maxAnswerLength?: number;
  /** Predict '' unless nullOdds < this (0). Infinity never predicts ''. */
  nullScoreDiffThreshold?: number;
}

export const DEFAULT_N_BEST_SIZE = 20;
export const DEFAULT_MAX_ANSWER_LENGTH = 30;

/** A candidate span before de-duplication by text. */
interface Prelim {
  featureIndex: number; // index into the example's own feature list
  start: number;
  end: number;
  startScore: number;
  endScore: number;
  isNull: boolean;
}

function positiveInt(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new OptionError(`{${name}} must be a positive integer, got ${value}`);
  }
  return value;
}

function threshold(value: number | undefined): number {
  const t = value ?? 0;
  if (Number.isNaN(t)) throw new OptionError('{nullScoreDiffThreshold} must be a number, got NaN');
  return t;
}

/** Feature indices grouped by example, in feature order; checks the example indices. */
function featuresByExample(features: ReadonlyArray<SquadFeatureSpans>, numExamples: number): number[][] {
  const groups: number[][] = Array.from({ length: numExamples }, () => []);
  features.forEach((f, i) => {
    if (!Number.isInteger(f.exampleIndex) || f.exampleIndex < 0 || f.exampleIndex >= numExamples) {
      throw new RangeError(`feature ${i}: exampleIndex ${f.exampleIndex} is not one of the ${numExamples} examples`);
    }
    groups[f.exampleIndex].push(i);
  });
  return groups;
}

/**
 * The positions of the `n` largest values of row[0..length), largest first, ties to the lower
 * position (the original's stable sort of (index, logit) by logit, descending).
 */
export function bestIndexes(row: ArrayLike<number>, n: number): number[] {
  const idx = Array.from({ length: row.length }, (_, i) => i);
  idx.sort((a, b) => row[b] - row[a] || a - b);
  return idx.slice(0, n);
}

/** Softmax of the scores in float64, shifted by the maximum; [] for []. */
export function computeSoftmax(scores: ReadonlyArray<number>): number[] {
  if (scores.length === 0) return [];
  let max = -Infinity;
  for (const s of scores) if (s > max) max = s;
  const exps = scores.map((s) => Math.exp(s - max));
  let total = 0;
  for (const e of exps) total += e;
  return exps.map((e) => e / total);
}

/** Whether [start, end] is an acceptable answer span of the feature. */
function validSpan(feature: SquadFeatureSpans, start: number, end: number, maxAnswerLength: number): boolean {
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end < 0) return false;
  if ((feature.tokenToOrigChar[start] ?? null) === null) return false;
  if ((feature.tokenToOrigChar[end] ?? null) === null) return false;
  if (feature.tokenIsMaxContext[start] !== true) return false;
  if (end < start) return false;
  return end - start + 1 <= maxAnswerLength;
}

/** The answer text of a span: original characters from the start token's start to the end token's end. */
export function spanText(context: string, feature: SquadFeatureSpans, start: number, end: number): string {
  const s = feature.tokenToOrigChar[start];
  const e = feature.tokenToOrigChar[end];
  if (!s || !e) throw new RangeError(`span [${start}, ${end}] is not in the passage`);
  return context.slice(s[0], e[1]).trim();
}

/** Sorts the candidates by total score (stable: ties keep their order) and keeps nBestSize distinct texts. */
function selectNbest(
  prelims: Prelim[], nBestSize: number, textOf: (p: Prelim) => string,
): { nbest: Omit<NbestEntry, 'probability'>[]; seen: Set<string> } {
  const sorted = prelims
    .map((p, order) => ({ p, order, total: p.startScore + p.endScore }))
    .sort((a, b) => b.total - a.total || a.order - b.order);
  const seen = new Set<string>();
  const nbest: Omit<NbestEntry, 'probability'>[] = [];
  for (const { p } of sorted) {
    if (nbest.length >= nBestSize) break;
    const text = p.isNull ? '' : textOf(p);
    if (!p.isNull && seen.has(text)) continue;
    seen.add(text);
    nbest.push({ text, start_logit: p.startScore, end_logit: p.endScore });
  }
  return { nbest, seen };
}

function withProbabilities(nbest: Omit<NbestEntry, 'probability'>[]): NbestEntry[] {
  const probs = computeSoftmax(nbest.map((e) => e.start_logit + e.end_logit));
  return nbest.map((e, i) => ({ text: e.text, probability: probs[i], start_logit: e.start_logit, end_logit: e.end_logit }));
}

/**
 * Post-processing for the span head (start and end logits per token), v1.1 or v2.0 (null answer =
 * the [CLS] span). Returns one prediction per example, in the examples' order.
 *
 * Fall-backs, as the originals: no valid span at all gives the single entry "empty" (0, 0); in
 * v2.0, an n-best holding only the null answer gets "empty" (0, 0) inserted before it, so there
 * is always a non-null entry to compare the null score with.
 */
export function nbestV1(
  features: ReadonlyArray<SquadFeatureSpans>,
  logits: SpanLogits,
  examples: ReadonlyArray<SquadExampleText>,
  options: SpanPostprocessOptions,
): SquadPrediction[] {
  const nBestSize = positiveInt(options.nBestSize ?? DEFAULT_N_BEST_SIZE, 'nBestSize');
  const maxAnswerLength = positiveInt(options.maxAnswerLength ?? DEFAULT_MAX_ANSWER_LENGTH, 'maxAnswerLength');
  const nullThreshold = threshold(options.nullScoreDiffThreshold);
  const v2 = options.version === '2.0';
  const L = logits.seqLength;
  if (!Number.isInteger(L) || L < 1) throw new RangeError(`seqLength must be a positive integer, got ${L}`);
  for (const [name, arr] of [['start', logits.start], ['end', logits.end]] as const) {
    if (arr.length !== features.length * L) {
      throw new RangeError(`${name} logits hold ${arr.length} values, expected ${features.length} features x ${L}`);
    }
  }
  const groups = featuresByExample(features, examples.length);

  return examples.map((example, exampleIndex) => {
    const featureIds = groups[exampleIndex];
    const prelims: Prelim[] = [];
    let nullScore = Infinity;
    let nullFeature = -1;
    let nullStart = 0;
    let nullEnd = 0;
    featureIds.forEach((fid, featureIndex) => {
      const feature = features[fid];
      const start = logits.start.subarray(fid * L, (fid + 1) * L);
      const end = logits.end.subarray(fid * L, (fid + 1) * L);
      if (v2) {
        const score = start[0] + end[0];
        if (score < nullScore) {
          nullScore = score;
          nullFeature = featureIndex;
          nullStart = start[0];
          nullEnd = end[0];
        }
      }
      const starts = bestIndexes(start, nBestSize);
      const ends = bestIndexes(end, nBestSize);
      for (const s of starts) {
        for (const e of ends) {
          if (!validSpan(feature, s, e, maxAnswerLength)) continue;
          prelims.push({ featureIndex, start: s, end: e, startScore: start[s], endScore: end[e], isNull: false });
        }
      }
    });
    if (v2 && nullFeature >= 0) {
      prelims.push({ featureIndex: nullFeature, start: 0, end: 0, startScore: nullStart, endScore: nullEnd, isNull: true });
    }

    const { nbest, seen } = selectNbest(
      prelims, nBestSize, (p) => spanText(example.context, features[featureIds[p.featureIndex]], p.start, p.end),
    );
    if (v2 && nullFeature >= 0) {
      if (!seen.has('')) nbest.push({ text: '', start_logit: nullStart, end_logit: nullEnd });
      if (nbest.length === 1) nbest.unshift({ text: 'empty', start_logit: 0, end_logit: 0 });
    }
    if (nbest.length === 0) nbest.push({ text: 'empty', start_logit: 0, end_logit: 0 });

    const entries = withProbabilities(nbest);
    const bestNonNull = entries.find((e) => e.text !== '') ?? entries[0];
    if (!v2) return { id: example.id, nbest: entries, bestNonNull, prediction: entries[0].text };
    if (nullFeature < 0) {
      // An example without any window: nothing scores, nothing to call null.
      return { id: example.id, nbest: entries, bestNonNull, prediction: bestNonNull.text };
    }
    const nullOdds = nullScore - bestNonNull.start_logit - bestNonNull.end_logit;
    return {
      id: example.id, nbest: entries, bestNonNull,
      prediction: nullOdds > nullThreshold ? '' : bestNonNull.text,
      nullScore, nullOdds,
    };
  });
}

/**
 * Post-processing for the original v2 head's beam (start_n_top starts x end_n_top ends of
 * log-probabilities, plus a cls logit per window). Returns one prediction per example, in the
 * examples' order. A span that several beam entries of one window share is scored by the mean of
 * their log-probabilities, as the original accumulates it.
 *
 * Fall-back, as the original: no valid span gives the single entry '' (-1e6, -1e6).
 */
export function nbestV2Beam(
  features: ReadonlyArray<SquadFeatureSpans>,
  outputs: BeamOutputs,
  examples: ReadonlyArray<SquadExampleText>,
  options: BeamPostprocessOptions = {},
): SquadPrediction[] {
  const nBestSize = positiveInt(options.nBestSize ?? DEFAULT_N_BEST_SIZE, 'nBestSize');
  const maxAnswerLength = positiveInt(options.maxAnswerLength ?? DEFAULT_MAX_ANSWER_LENGTH, 'maxAnswerLength');
  const nullThreshold = threshold(options.nullScoreDiffThreshold);
  const { startNTop: sN, endNTop: eN } = outputs;
  positiveInt(sN, 'startNTop');
  positiveInt(eN, 'endNTop');
  const F = features.length;
  const shapes: [string, number, number][] = [
    ['startTopLogProbs', outputs.startTopLogProbs.length, F * sN],
    ['startTopIndex', outputs.startTopIndex.length, F * sN],
    ['endTopLogProbs', outputs.endTopLogProbs.length, F * sN * eN],
    ['endTopIndex', outputs.endTopIndex.length, F * sN * eN],
    ['clsLogits', outputs.clsLogits.length, F],
  ];
  for (const [name, got, want] of shapes) {
    if (got !== want) throw new RangeError(`${name} holds ${got} values, expected ${want} for ${F} features`);
  }
  const groups = featuresByExample(features, examples.length);

  return examples.map((example, exampleIndex) => {
    const featureIds = groups[exampleIndex];
    const prelims: Prelim[] = [];
    let nullScore = Infinity;
    featureIds.forEach((fid, featureIndex) => {
      const feature = features[fid];
      nullScore = Math.min(nullScore, outputs.clsLogits[fid]);
      // Spans of this window in first-seen order, their log-probabilities summed for the mean.
      const spans = new Map<string, { start: number; end: number; sumStart: number; sumEnd: number; count: number }>();
      for (let i = 0; i < sN; i++) {
        const start = Number(outputs.startTopIndex[fid * sN + i]);
        const startLogProb = outputs.startTopLogProbs[fid * sN + i];
        for (let j = 0; j < eN; j++) {
          const k = (fid * sN + i) * eN + j;
          const end = Number(outputs.endTopIndex[k]);
          if (!validSpan(feature, start, end, maxAnswerLength)) continue;
          const key = `${start}:${end}`;
          const span = spans.get(key);
          if (span) {
            span.sumStart += startLogProb;
            span.sumEnd += outputs.endTopLogProbs[k];
            span.count++;
          } else {
            spans.set(key, { start, end, sumStart: startLogProb, sumEnd: outputs.endTopLogProbs[k], count: 1 });
          }
        }
      }
      for (const s of spans.values()) {
        prelims.push({
          featureIndex, start: s.start, end: s.end,
          startScore: s.sumStart / s.count, endScore: s.sumEnd / s.count, isNull: false,
        });
      }
    });

    const { nbest } = selectNbest(
      prelims, nBestSize, (p) => spanText(example.context, features[featureIds[p.featureIndex]], p.start, p.end),
    );
    if (nbest.length === 0) nbest.push({ text: '', start_logit: -1e6, end_logit: -1e6 });
    const entries = withProbabilities(nbest);
    const bestNonNull = entries[0];
    if (featureIds.length === 0) {
      return { id: example.id, nbest: entries, bestNonNull, prediction: bestNonNull.text };
    }
    return {
      id: example.id, nbest: entries, bestNonNull,
      prediction: nullScore < nullThreshold ? bestNonNull.text : '',
      nullScore, nullOdds: nullScore,
    };
  });
}

/**
 * A JSON object with its keys in the given order (a plain object would move integer-like keys
 * first), indented by 4 as the original's json.dumps(..., indent=4), with a final newline.
 */
function orderedObjectJson(entries: ReadonlyArray<readonly [string, unknown]>): string {
  if (entries.length === 0) return '{}\n';
  const lines = entries.map(([key, value]) => {
    const body = JSON.stringify(value, null, 4).replace(/\n/g, '\n    ');
    return `    ${JSON.stringify(key)}: ${body}`;
  });
  return `{\n${lines.join(',\n')}\n}\n`;
}

/** predictions.json: {id: answer text ('' for no answer)}. */
export function predictionsJson(predictions: ReadonlyArray<SquadPrediction>): string {
  return orderedObjectJson(predictions.map((p) => [p.id, p.prediction] as const));
}

/** nbest_predictions.json: {id: [{text, probability, start_logit, end_logit}, ...]}. */
export function nbestJson(predictions: ReadonlyArray<SquadPrediction>): string {
  return orderedObjectJson(predictions.map((p) => [
    p.id,
    p.nbest.map((e) => ({ text: e.text, probability: e.probability, start_logit: e.start_logit, end_logit: e.end_logit })),
  ] as const));
}

/** null_odds.json (v2.0): {id: null odds}. Every prediction must carry nullOdds. */
export function nullOddsJson(predictions: ReadonlyArray<SquadPrediction>): string {
  return orderedObjectJson(predictions.map((p) => {
    if (p.nullOdds === undefined) throw new RangeError(`prediction ${p.id} has no null odds (not a v2.0 prediction)`);
    return [p.id, p.nullOdds] as const;
  }));
}
