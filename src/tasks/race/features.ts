/**
 * RACE features, as the original's RaceProcessor + convert_single_example build them
 * (google-research/albert race_utils.py). For each option of a question:
 * - qa = the question with every "_" replaced by the option when it has one (cloze), else
 *   question + " " + option;
 * - the qa pieces keep their LAST maxQaLength pieces (truncated from the front);
 * - the article pieces keep their FIRST maxSeqLength - 3 - |qa| pieces when the whole would not
 *   fit (truncated from the back);
 * - [CLS] article [SEP] qa [SEP], segment 0 for [CLS] article [SEP], 1 for qa [SEP], mask 1 over
 *   the tokens, then padding (padId, mask 0, segment 0) up to maxSeqLength.
 *
 * Rows are laid out [example][choice][position]. An example without a label gets -1 in
 * `labels`. Where the original would go wrong (a qa longer than maxSeqLength - 3 after its
 * truncation, which its negative slice turns into garbage), this is an OptionError.
 */
import { OptionError, UserError } from '../../util/errors.ts';
import type { RaceExample } from './data.ts';
import type { AlbertTokenizer } from '../../text/albert-tokenizer.ts';
import type { ClassificationFeatures } from '../classification/features.ts';

export interface RaceSpecialIds {
  clsId: number;
  sepId: number;
  padId: number;
}

export interface RaceFeatureOptions {
  maxSeqLength: number;
  maxQaLength: number;
  numChoices: number;
}

export interface RaceFeatures {
  count: number;
  numChoices: number;
  seqLength: number;
  /** [count * numChoices * seqLength] */
  inputIds: Int32Array;
  inputMask: Int32Array;
  segmentIds: Int32Array;
  /** [count]: the right option's index, -1 for unlabelled examples. */
  labels: Int32Array;
  ids: string[];
  levels: string[];
}

/** The qa text of one option, as the original joins question and option. */
export function raceQaText(question: string, option: string): string {
  return question.includes('_') ? question.split('_').join(option) : `${question} ${option}`;
}

export function raceFeatures(
  examples: readonly RaceExample[],
  encode: (text: string) => number[],
  ids: RaceSpecialIds,
  opts: RaceFeatureOptions,
): RaceFeatures {
  const { maxSeqLength: S, maxQaLength, numChoices: C } = opts;
  if (!Number.isInteger(S) || S < 4) throw new OptionError(`{maxSeqLength} must be an integer of at least 4, got ${S}`);
  if (!Number.isInteger(maxQaLength) || maxQaLength < 1) throw new OptionError(`{maxQaLength} must be a positive integer, got ${maxQaLength}`);
  if (!Number.isInteger(C) || C < 1) throw new OptionError(`{numChoices} must be a positive integer, got ${C}`);
  const n = examples.length;
  const inputIds = new Int32Array(n * C * S);
  const inputMask = new Int32Array(n * C * S);
  const segmentIds = new Int32Array(n * C * S);
  const labels = new Int32Array(n);
  if (ids.padId !== 0) inputIds.fill(ids.padId);
  let lastArticle: string | null = null;
  let articleIds: number[] = [];
  examples.forEach((ex, e) => {
    if (ex.options.length !== C) throw new UserError(`RACE example ${ex.id}: has ${ex.options.length} options, expected ${C}`);
    if (ex.label !== null && !(Number.isInteger(ex.label) && ex.label >= 0 && ex.label < C)) {
      throw new UserError(`RACE example ${ex.id}: label ${ex.label} is outside 0..${C - 1}`);
    }
    labels[e] = ex.label ?? -1;
    // The questions of one article come one after another: encode it once.
    if (ex.article !== lastArticle) {
      articleIds = encode(ex.article);
      lastArticle = ex.article;
    }
    for (let c = 0; c < C; c++) {
      const qaAll = encode(raceQaText(ex.question, ex.options[c]));
      const qa = qaAll.length > maxQaLength ? qaAll.slice(qaAll.length - maxQaLength) : qaAll;
      const room = S - 3 - qa.length;
      if (room < 0) {
        throw new OptionError(
          `RACE example ${ex.id}, option ${c}: question and option keep ${qa.length} pieces ({maxQaLength} ${maxQaLength}), more than {maxSeqLength} ${S} leaves after [CLS] and two [SEP]`,
        );
      }
      const articleLen = Math.min(articleIds.length, room);
      const base = (e * C + c) * S;
      let p = base;
      inputIds[p++] = ids.clsId;
      for (let i = 0; i < articleLen; i++) inputIds[p++] = articleIds[i];
      inputIds[p++] = ids.sepId;
      const segEnd = p;
      for (const t of qa) inputIds[p++] = t;
      inputIds[p++] = ids.sepId;
      inputMask.fill(1, base, p);
      segmentIds.fill(1, segEnd, p);
    }
  });
  return {
    count: n, numChoices: C, seqLength: S, inputIds, inputMask, segmentIds, labels,
    ids: examples.map((x) => x.id), levels: examples.map((x) => String(x.level)),
  };
}

/**
 * The features of multiple-choice examples as the classification task reads them, encoded with
 * ALBERT's tokenizer; unlabelled questions read as choice 0 (their labels are never scored).
 */
export function choiceFeatures(examples: readonly RaceExample[], tokenizer: AlbertTokenizer, opts: RaceFeatureOptions): { features: ClassificationFeatures; levels: string[] } {
  const f = raceFeatures(examples, (text) => tokenizer.encode(text), { clsId: tokenizer.clsId, sepId: tokenizer.sepId, padId: tokenizer.padId }, opts);
  return {
    features: {
      count: f.count,
      seqLength: f.seqLength,
      choices: f.numChoices,
      inputIds: f.inputIds,
      inputMask: f.inputMask,
      segmentIds: f.segmentIds,
      labels: f.labels.map((l) => Math.max(0, l)),
      ids: f.ids,
    },
    levels: f.levels,
  };
}
