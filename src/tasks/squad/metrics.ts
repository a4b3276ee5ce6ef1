/**
 * The official SQuAD evaluation, exactly: v1.1 (evaluate-v1.1.py) and v2.0 (evaluate-v2.0.py),
 * the scripts every published SQuAD number comes from. Same normalisation, same scores, same keys
 * and scale (percentages 0-100), same order of summation, same quirks:
 *
 * - normalize_answer: lowercase, drop the characters of Python's string.punctuation (ASCII only),
 *   replace the whole words a / an / the by a space (`\b` as Python's Unicode regex sees word
 *   characters: letters, numbers, `_`), then split on Python's whitespace and join with one space.
 * - v1.1: every question of the data counts (a repeated id counts again); EM and F1 are the max
 *   over its gold answers; F1 has no empty-answer rule (no common token: 0); a question without a
 *   prediction scores 0 ("Unanswered question X will receive score 0."). Keys: exact_match, f1.
 * - v2.0: questions are keyed by id (a repeated id keeps its first position and its last
 *   entry); has-answer means a non-empty `answers` list; gold answers that normalise to '' are
 *   dropped and a question left without any is scored against ['']; F1 is 1 when both token
 *   lists are empty and 0 when one is; na_prob > thresh makes a prediction count as '' (score 1
 *   for a no-answer question, 0 otherwise). Keys: exact, f1, total, then HasAns_* and NoAns_*
 *   (each only when the data has such questions), then with an na-prob file best_exact,
 *   best_exact_thresh, best_f1, best_f1_thresh. find_best_thresh sorts the na-prob file's ids by
 *   probability (stably, in the file's order, which is why readNaProbs keeps it), starts from
 *   "every question answered null" (score = number of no-answer questions, thresh 0.0) and scans,
 *   taking a new best only when strictly better; a no-answer question costs 1 when its raw
 *   prediction is a non-empty string (even one that normalises to ''), and the raw, unthresholded
 *   scores are used.
 *
 * Where the official scripts crash, this module refuses with a one-line UserError instead: a
 * v1.1 question without answers, a v2.0 question without a prediction (evaluate-v2.0.py skips it,
 * then fails on a KeyError in its HasAns/NoAns split), a question without a null probability, no
 * questions at all. Prediction ids that are not questions of the data are ignored, as the
 * official scripts do (the result lists them).
 *
 * Which script: `version` when given; otherwise 2.0 when any question carries `is_impossible` or
 * has an empty `answers` list, or when null probabilities or a threshold (v2.0-only options) are
 * given, else 1.1.
 */
import { readFileSync, statSync } from 'node:fs';
import { OptionError, UserError } from '../../util/errors.ts';

export type SquadVersion = '1.1' | '2.0';
export const SQUAD_VERSIONS: readonly SquadVersion[] = ['1.1', '2.0'];

/** What the evaluation reads of a SQuAD question (the official JSON's `qas` entries fit). */
export interface SquadEvalQuestion {
  id: string;
  answers: readonly { text: string }[];
  is_impossible?: boolean;
}

/** What the evaluation reads of a SQuAD article (the official JSON's `data` entries fit). */
export interface SquadEvalArticle {
  paragraphs: readonly { qas: readonly SquadEvalQuestion[] }[];
}

/** Question id -> predicted answer text (`predictions.json`). */
export type SquadPredictions = ReadonlyMap<string, string> | Readonly<Record<string, string>>;
/**
 * Question id -> probability (any score) that the question has no answer (`null_odds.json`).
 * A Map's order (or an object's key order) is the order ties are scanned in by find_best_thresh.
 */
export type SquadNaProbs = ReadonlyMap<string, number> | Readonly<Record<string, number>>;

/** evaluate-v1.1.py's result. */
export interface SquadV1Scores {
  exact_match: number;
  f1: number;
}

/** evaluate-v2.0.py's result, keys in its order. */
export interface SquadV2Scores {
  exact: number;
  f1: number;
  total: number;
  HasAns_exact?: number;
  HasAns_f1?: number;
  HasAns_total?: number;
  NoAns_exact?: number;
  NoAns_f1?: number;
  NoAns_total?: number;
  best_exact?: number;
  best_exact_thresh?: number;
  best_f1?: number;
  best_f1_thresh?: number;
}

interface SquadEvaluationCommon {
  /** How the version was chosen: given by the caller, or detected from the data. */
  versionFrom: 'option' | 'data';
  /** Questions in the data (v1.1: every entry; v2.0: distinct ids). */
  questions: number;
  /** Ids of questions without a prediction (v1.1 scores them 0; v2.0 refuses them, so always []). */
  unanswered: string[];
  /** Prediction ids that are no question of the data (ignored, as the official scripts do). */
  unknownPredictions: string[];
  /** What the official scripts print on stderr (v1.1: unexpected dataset version, unanswered questions). */
  warnings: string[];
}

export type SquadEvaluation =
  | (SquadEvaluationCommon & { version: '1.1'; scores: SquadV1Scores })
  | (SquadEvaluationCommon & { version: '2.0'; scores: SquadV2Scores });

export interface SquadEvaluateOptions {
  /** '1.1' or '2.0'; default: detected (see the module comment). */
  version?: SquadVersion;
  /** The null probabilities (v2.0 only); without them every question's is 0.0, as the official script. */
  naProbs?: SquadNaProbs;
  /** Predict no answer when na_prob > naProbThresh (v2.0 only; default 1.0). */
  naProbThresh?: number;
  /** The dataset's `version` field, for v1.1's "Evaluation expects v-1.1" warning. */
  dataVersion?: string;
  /** Names used in error messages (default 'data', 'predictions', 'na_probs'). */
  names?: { data?: string; predictions?: string; naProbs?: string };
}

// ---------------------------------------------------------------------------------------------
// normalize_answer and the per-answer scores

/** Python's string.punctuation. */
const PUNCTUATION = new Set('!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~');
/**
 * `\b(a|an|the)\b` as Python 3's re reads it on str: a word character is a letter or number
 * (str.isalnum) or `_`; JavaScript's `\b` knows ASCII only.
 */
const ARTICLES = /(?<![\p{L}\p{N}_])(a|an|the)(?![\p{L}\p{N}_])/gu;
/** What Python's str.split() splits on (str.isspace): JavaScript's \s has \ufeff and lacks \x1c-\x1f and \x85. */
const PY_WHITESPACE = /[\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/;

function pySplit(s: string): string[] {
  return s.split(PY_WHITESPACE).filter((t) => t !== '');
}

/** normalize_answer: lower, remove punctuation, remove articles, fix whitespace. */
export function normalizeAnswer(s: string): string {
  let text = s.toLowerCase();
  let kept = '';
  for (const ch of text) if (!PUNCTUATION.has(ch)) kept += ch;
  text = kept.replace(ARTICLES, ' ');
  return pySplit(text).join(' ');
}

/** v2.0's get_tokens: [] for '', else the normalised answer's words. */
export function getTokens(s: string): string[] {
  if (s === '') return [];
  return pySplit(normalizeAnswer(s));
}

/** Tokens the two lists share, counted with multiplicity (Counter & Counter). */
function numSame(a: readonly string[], b: readonly string[]): number {
  const counts = new Map<string, number>();
  for (const t of a) counts.set(t, (counts.get(t) ?? 0) + 1);
  let same = 0;
  for (const t of b) {
    const c = counts.get(t) ?? 0;
    if (c > 0) {
      same += 1;
      counts.set(t, c - 1);
    }
  }
  return same;
}

function f1FromCounts(same: number, predLen: number, goldLen: number): number {
  const precision = (1.0 * same) / predLen;
  const recall = (1.0 * same) / goldLen;
  return (2 * precision * recall) / (precision + recall);
}

/** v2.0's compute_exact: 1 when the normalised answers are equal, else 0. */
export function computeExact(aGold: string, aPred: string): number {
  return normalizeAnswer(aGold) === normalizeAnswer(aPred) ? 1 : 0;
}

/** v2.0's compute_f1: token F1; when either side has no tokens, 1 if both have none, else 0. */
export function computeF1(aGold: string, aPred: string): number {
  const goldToks = getTokens(aGold);
  const predToks = getTokens(aPred);
  const same = numSame(goldToks, predToks);
  if (goldToks.length === 0 || predToks.length === 0) return goldToks.length === predToks.length ? 1 : 0;
  if (same === 0) return 0;
  return f1FromCounts(same, predToks.length, goldToks.length);
}

/** v1.1's exact_match_score. */
export function exactMatchScoreV1(prediction: string, groundTruth: string): boolean {
  return normalizeAnswer(prediction) === normalizeAnswer(groundTruth);
}

/** v1.1's f1_score: token F1 without the empty-answer rule (no common token: 0). */
export function f1ScoreV1(prediction: string, groundTruth: string): number {
  const predictionTokens = pySplit(normalizeAnswer(prediction));
  const groundTruthTokens = pySplit(normalizeAnswer(groundTruth));
  const same = numSame(predictionTokens, groundTruthTokens);
  if (same === 0) return 0;
  return f1FromCounts(same, predictionTokens.length, groundTruthTokens.length);
}

// ---------------------------------------------------------------------------------------------
// Whole-dataset evaluation

function toMap<T>(m: ReadonlyMap<string, T> | Readonly<Record<string, T>>): ReadonlyMap<string, T> {
  if (m instanceof Map) return m;
  return new Map(Object.entries(m as Readonly<Record<string, T>>));
}

function* allQuestions(data: readonly SquadEvalArticle[]): Generator<SquadEvalQuestion> {
  for (const article of data) for (const p of article.paragraphs) for (const qa of p.qas) yield qa;
}

/** The version the module comment describes, from the data (and whether v2.0-only options are given). */
export function detectSquadVersion(data: readonly SquadEvalArticle[], v2Options = false): SquadVersion {
  if (v2Options) return '2.0';
  for (const qa of allQuestions(data)) if (qa.is_impossible !== undefined || qa.answers.length === 0) return '2.0';
  return '1.1';
}

/** make_qid_to_has_ans: id -> answers is non-empty (first position, last entry). */
export function makeQidToHasAns(data: readonly SquadEvalArticle[]): Map<string, boolean> {
  const out = new Map<string, boolean>();
  for (const qa of allQuestions(data)) out.set(qa.id, qa.answers.length > 0);
  return out;
}

/** apply_no_ans_threshold: a score becomes 1/0 (no-answer or not) where na_prob > thresh. */
export function applyNoAnsThreshold(
  scores: ReadonlyMap<string, number>,
  naProbs: ReadonlyMap<string, number>,
  qidToHasAns: ReadonlyMap<string, boolean>,
  naProbThresh: number,
): Map<string, number> {
  const out = new Map<string, number>();
  for (const [qid, s] of scores) {
    const predNa = (naProbs.get(qid) as number) > naProbThresh;
    out.set(qid, predNa ? (qidToHasAns.get(qid) ? 0 : 1) : s);
  }
  return out;
}

/**
 * find_best_thresh: [100 x best score / scored questions, the null probability it was reached
 * at]. Ids are scanned in ascending na_prob, ties in the map's order; only ids with a score count.
 */
export function findBestThresh(
  preds: ReadonlyMap<string, string>,
  scores: ReadonlyMap<string, number>,
  naProbs: ReadonlyMap<string, number>,
  qidToHasAns: ReadonlyMap<string, boolean>,
): [number, number] {
  let numNoAns = 0;
  for (const has of qidToHasAns.values()) if (!has) numNoAns += 1;
  let curScore = numNoAns;
  let bestScore = curScore;
  let bestThresh = 0.0;
  // Array.prototype.sort is stable: ties keep the map's order, as Python's sorted().
  const qidList = [...naProbs.keys()].sort((a, b) => {
    const x = naProbs.get(a) as number;
    const y = naProbs.get(b) as number;
    return x < y ? -1 : x > y ? 1 : 0;
  });
  for (const qid of qidList) {
    const score = scores.get(qid);
    if (score === undefined) continue;
    let diff: number;
    if (qidToHasAns.get(qid)) diff = score;
    else diff = preds.get(qid) ? -1 : 0;
    curScore += diff;
    if (curScore > bestScore) {
      bestScore = curScore;
      bestThresh = naProbs.get(qid) as number;
    }
  }
  return [(100.0 * bestScore) / scores.size, bestThresh];
}

function makeEvalDict(exact: ReadonlyMap<string, number>, f1: ReadonlyMap<string, number>, qidList?: readonly string[]): { exact: number; f1: number; total: number } {
  const ids = qidList ?? [...exact.keys()];
  let e = 0;
  let f = 0;
  for (const k of ids) e += exact.get(k) as number;
  for (const k of ids) f += f1.get(k) as number;
  const total = ids.length;
  return { exact: (100.0 * e) / total, f1: (100.0 * f) / total, total };
}

/** A short list of ids for a message: the first few, then how many more. */
function someIds(ids: readonly string[], n = 3): string {
  const shown = ids.slice(0, n).map((i) => JSON.stringify(i)).join(', ');
  return ids.length > n ? `${shown} and ${ids.length - n} more` : shown;
}

function unknownIds(preds: ReadonlyMap<string, string>, known: ReadonlySet<string>): string[] {
  return [...preds.keys()].filter((k) => !known.has(k));
}

/**
 * The official evaluation of `predictions` against the SQuAD `data` (the JSON's `data` array):
 * v1.1 or v2.0 as `opts.version` says or the data suggests (see the module comment).
 */
export function evaluateSquad(data: readonly SquadEvalArticle[], predictions: SquadPredictions, opts: SquadEvaluateOptions = {}): SquadEvaluation {
  const names = { data: opts.names?.data ?? 'data', predictions: opts.names?.predictions ?? 'predictions', naProbs: opts.names?.naProbs ?? 'na_probs' };
  const version = opts.version ?? detectSquadVersion(data, opts.naProbs !== undefined || opts.naProbThresh !== undefined);
  const versionFrom = opts.version === undefined ? 'data' : 'option';
  if (!SQUAD_VERSIONS.includes(version)) throw new OptionError(`{version} must be 1.1 or 2.0, got ${JSON.stringify(version)}`);
  const preds = toMap(predictions);
  for (const [id, text] of preds) {
    if (typeof text !== 'string') throw new UserError(`${names.predictions}: the prediction for question ${JSON.stringify(id)} is not a string`);
  }
  if (version === '1.1') {
    if (opts.naProbs !== undefined) throw new OptionError('{naProbs} is for SQuAD v2.0, and {version} says 1.1');
    if (opts.naProbThresh !== undefined) throw new OptionError('{naProbThresh} is for SQuAD v2.0, and {version} says 1.1');
    return { version, versionFrom, ...evaluateV1(data, preds, names, opts.dataVersion) };
  }
  const naProbThresh = opts.naProbThresh ?? 1.0;
  if (typeof naProbThresh !== 'number') throw new OptionError(`{naProbThresh} must be a number, got ${kind(naProbThresh)}`);
  return { version, versionFrom, ...evaluateV2(data, preds, opts.naProbs === undefined ? undefined : toMap(opts.naProbs), naProbThresh, names) };
}

function evaluateV1(
  data: readonly SquadEvalArticle[],
  preds: ReadonlyMap<string, string>,
  names: { data: string; predictions: string },
  dataVersion: string | undefined,
): Omit<SquadEvaluationCommon, 'versionFrom'> & { scores: SquadV1Scores } {
  const warnings: string[] = [];
  if (dataVersion !== undefined && dataVersion !== '1.1') warnings.push(`Evaluation expects v-1.1, but got dataset with v-${dataVersion}`);
  let exactMatch = 0;
  let f1 = 0;
  let total = 0;
  const unanswered: string[] = [];
  const known = new Set<string>();
  for (const qa of allQuestions(data)) {
    total += 1;
    known.add(qa.id);
    if (qa.answers.length === 0) {
      throw new UserError(
        `${names.data}: question ${JSON.stringify(qa.id)} has no answers; SQuAD v1.1 scores every question against its gold answers (unanswerable questions need version 2.0)`,
      );
    }
    const prediction = preds.get(qa.id);
    if (prediction === undefined) {
      unanswered.push(qa.id);
      warnings.push(`Unanswered question ${qa.id} will receive score 0.`);
      continue;
    }
    const groundTruths = qa.answers.map((a) => a.text);
    let em = false;
    for (const g of groundTruths) em = em || exactMatchScoreV1(prediction, g);
    exactMatch += em ? 1 : 0;
    f1 += Math.max(...groundTruths.map((g) => f1ScoreV1(prediction, g)));
  }
  if (total === 0) throw new UserError(`${names.data}: no questions to evaluate`);
  return {
    scores: { exact_match: (100.0 * exactMatch) / total, f1: (100.0 * f1) / total },
    questions: total,
    unanswered,
    unknownPredictions: unknownIds(preds, known),
    warnings,
  };
}

function evaluateV2(
  data: readonly SquadEvalArticle[],
  preds: ReadonlyMap<string, string>,
  naProbsGiven: ReadonlyMap<string, number> | undefined,
  naProbThresh: number,
  names: { data: string; predictions: string; naProbs: string },
): Omit<SquadEvaluationCommon, 'versionFrom'> & { scores: SquadV2Scores } {
  const qidToHasAns = makeQidToHasAns(data);
  if (qidToHasAns.size === 0) throw new UserError(`${names.data}: no questions to evaluate`);
  const missing = [...qidToHasAns.keys()].filter((q) => !preds.has(q));
  if (missing.length > 0) {
    throw new UserError(
      `${names.predictions}: no prediction for ${missing.length} of ${qidToHasAns.size} questions (${someIds(missing)}); SQuAD v2.0 scores every question (predict "" for no answer)`,
    );
  }
  const naProbs = naProbsGiven ?? new Map([...preds.keys()].map((k) => [k, 0.0]));
  const noProb = [...qidToHasAns.keys()].filter((q) => !naProbs.has(q));
  if (noProb.length > 0) throw new UserError(`${names.naProbs}: no null probability for ${noProb.length} of ${qidToHasAns.size} questions (${someIds(noProb)})`);
  for (const [id, p] of naProbs) {
    if (typeof p !== 'number') throw new UserError(`${names.naProbs}: the null probability of question ${JSON.stringify(id)} is not a number`);
  }

  // get_raw_scores: first position of an id, its last entry.
  const exactRaw = new Map<string, number>();
  const f1Raw = new Map<string, number>();
  for (const qa of allQuestions(data)) {
    let goldAnswers = qa.answers.map((a) => a.text).filter((t) => normalizeAnswer(t) !== '');
    if (goldAnswers.length === 0) goldAnswers = [''];
    const aPred = preds.get(qa.id) as string;
    exactRaw.set(qa.id, Math.max(...goldAnswers.map((a) => computeExact(a, aPred))));
    f1Raw.set(qa.id, Math.max(...goldAnswers.map((a) => computeF1(a, aPred))));
  }
  const exactThresh = applyNoAnsThreshold(exactRaw, naProbs, qidToHasAns, naProbThresh);
  const f1Thresh = applyNoAnsThreshold(f1Raw, naProbs, qidToHasAns, naProbThresh);
  const scores: SquadV2Scores = makeEvalDict(exactThresh, f1Thresh);
  const hasAnsQids = [...qidToHasAns].filter(([, v]) => v).map(([k]) => k);
  const noAnsQids = [...qidToHasAns].filter(([, v]) => !v).map(([k]) => k);
  if (hasAnsQids.length > 0) {
    const e = makeEvalDict(exactThresh, f1Thresh, hasAnsQids);
    scores.HasAns_exact = e.exact;
    scores.HasAns_f1 = e.f1;
    scores.HasAns_total = e.total;
  }
  if (noAnsQids.length > 0) {
    const e = makeEvalDict(exactThresh, f1Thresh, noAnsQids);
    scores.NoAns_exact = e.exact;
    scores.NoAns_f1 = e.f1;
    scores.NoAns_total = e.total;
  }
  if (naProbsGiven !== undefined) {
    [scores.best_exact, scores.best_exact_thresh] = findBestThresh(preds, exactRaw, naProbs, qidToHasAns);
    [scores.best_f1, scores.best_f1_thresh] = findBestThresh(preds, f1Raw, naProbs, qidToHasAns);
  }
  return { scores, questions: qidToHasAns.size, unanswered: [], unknownPredictions: unknownIds(preds, new Set(qidToHasAns.keys())), warnings: [] };
}

// ---------------------------------------------------------------------------------------------
// Files

/** The parts of a SQuAD JSON file the evaluation reads. */
export interface SquadEvalData {
  /** The file's `version` field, when it is a string. */
  version?: string;
  data: SquadEvalArticle[];
}

function readJson(path: string, what: string): { json: unknown; text: string } {
  const st = statSync(path, { throwIfNoEntry: false });
  if (st === undefined) throw new UserError(`${path}: no such file (${what})`);
  if (!st.isFile()) throw new UserError(`${path}: not a file (${what})`);
  let text = readFileSync(path, 'utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  try {
    return { json: JSON.parse(text) as unknown, text };
  } catch (e) {
    throw new UserError(`${path}: not JSON (${what}): ${(e as Error).message}`);
  }
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function kind(x: unknown): string {
  return x === null ? 'null' : Array.isArray(x) ? 'an array' : typeof x === 'object' ? 'an object' : `a ${typeof x}`;
}

/**
 * Reads a SQuAD JSON file (`{version, data: [{title, paragraphs: [{context, qas: [{id, question,
 * answers: [{text, answer_start}], is_impossible?}]}]}]}`), checking what the evaluation uses; a
 * malformed file is one line naming the file and the field (`data[0].paragraphs[2].qas[1].id`).
 */
export function readSquadEvalData(path: string): SquadEvalData {
  const { json } = readJson(path, 'the SQuAD data file');
  const bad = (field: string, want: string, got: unknown): UserError => new UserError(`${path}: ${field} must be ${want}, got ${kind(got)}`);
  if (!isObject(json)) throw bad('the top level', 'an object {version, data}', json);
  if (!Array.isArray(json.data)) throw json.data === undefined ? new UserError(`${path}: no "data" field (a SQuAD file is {version, data: [...]})`) : bad('data', 'an array', json.data);
  const data: SquadEvalArticle[] = [];
  json.data.forEach((article: unknown, i: number) => {
    const at = `data[${i}]`;
    if (!isObject(article)) throw bad(at, 'an object', article);
    if (!Array.isArray(article.paragraphs)) throw article.paragraphs === undefined ? new UserError(`${path}: ${at} has no "paragraphs" field`) : bad(`${at}.paragraphs`, 'an array', article.paragraphs);
    const paragraphs = article.paragraphs.map((p: unknown, j: number) => {
      const pat = `${at}.paragraphs[${j}]`;
      if (!isObject(p)) throw bad(pat, 'an object', p);
      if (!Array.isArray(p.qas)) throw p.qas === undefined ? new UserError(`${path}: ${pat} has no "qas" field`) : bad(`${pat}.qas`, 'an array', p.qas);
      const qas = p.qas.map((qa: unknown, k: number): SquadEvalQuestion => {
        const qat = `${pat}.qas[${k}]`;
        if (!isObject(qa)) throw bad(qat, 'an object', qa);
        if (qa.id === undefined) throw new UserError(`${path}: ${qat} has no "id" field`);
        if (typeof qa.id !== 'string') throw bad(`${qat}.id`, 'a string', qa.id);
        if (qa.answers === undefined) throw new UserError(`${path}: ${qat} (id ${JSON.stringify(qa.id)}) has no "answers" field`);
        if (!Array.isArray(qa.answers)) throw bad(`${qat}.answers`, 'an array', qa.answers);
        const answers = qa.answers.map((a: unknown, l: number) => {
          if (!isObject(a)) throw bad(`${qat}.answers[${l}]`, 'an object {text, answer_start}', a);
          if (typeof a.text !== 'string') throw a.text === undefined ? new UserError(`${path}: ${qat}.answers[${l}] has no "text" field`) : bad(`${qat}.answers[${l}].text`, 'a string', a.text);
          return { text: a.text };
        });
        const q: SquadEvalQuestion = { id: qa.id, answers };
        if (qa.is_impossible !== undefined) {
          if (typeof qa.is_impossible !== 'boolean') throw bad(`${qat}.is_impossible`, 'true or false', qa.is_impossible);
          q.is_impossible = qa.is_impossible;
        }
        return q;
      });
      return { qas };
    });
    data.push({ paragraphs });
  });
  const out: SquadEvalData = { data };
  if (typeof json.version === 'string') out.version = json.version;
  return out;
}

/**
 * The keys of a JSON text's top-level object in the file's order, each once at its first place
 * (the order Python's json.load gives; JSON.parse moves integer-like keys to the front).
 * `text` must already have parsed as a JSON object.
 */
export function jsonObjectKeyOrder(text: string): string[] {
  const keys: string[] = [];
  const seen = new Set<string>();
  let depth = 0;
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '"') {
      const start = i;
      i += 1;
      while (text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
      i += 1;
      if (depth === 1) {
        let j = i;
        while (j < text.length && /\s/.test(text[j])) j += 1;
        if (text[j] === ':') {
          const key = JSON.parse(text.slice(start, i)) as string;
          if (!seen.has(key)) {
            seen.add(key);
            keys.push(key);
          }
        }
      }
      continue;
    }
    if (c === '{' || c === '[') depth += 1;
    else if (c === '}' || c === ']') depth -= 1;
    i += 1;
  }
  return keys;
}

function readIdObject(path: string, what: string): { obj: Record<string, unknown>; order: string[] } {
  const { json, text } = readJson(path, what);
  if (!isObject(json)) throw new UserError(`${path}: ${what} must be a JSON object {question id: ...}, got ${kind(json)}`);
  return { obj: json, order: jsonObjectKeyOrder(text) };
}

/** Reads `predictions.json` ({question id: answer text}); a value that is not a string is an error naming the id. */
export function readSquadPredictions(path: string): Map<string, string> {
  const { obj, order } = readIdObject(path, 'the predictions file');
  const out = new Map<string, string>();
  for (const id of order) {
    const v = obj[id];
    if (typeof v !== 'string') throw new UserError(`${path}: the prediction for question ${JSON.stringify(id)} must be a string, got ${kind(v)}`);
    out.set(id, v);
  }
  return out;
}

/** Reads `null_odds.json` ({question id: number}) keeping the file's order (find_best_thresh's tie order). */
export function readNaProbs(path: string): Map<string, number> {
  const { obj, order } = readIdObject(path, 'the na-prob file');
  const out = new Map<string, number>();
  for (const id of order) {
    const v = obj[id];
    if (typeof v !== 'number') throw new UserError(`${path}: the null probability of question ${JSON.stringify(id)} must be a number, got ${kind(v)}`);
    out.set(id, v);
  }
  return out;
}

export interface SquadEvaluateFilesOptions {
  /** The SQuAD JSON file with the gold answers (dev-v1.1.json, dev-v2.0.json). */
  dataFile: string;
  /** predictions.json: {question id: answer text}. */
  predictions: string;
  /** null_odds.json: {question id: null probability} (v2.0 only). */
  naProbFile?: string;
  /** Predict no answer when na_prob > naProbThresh (v2.0 only; default 1.0). */
  naProbThresh?: number;
  /** '1.1' or '2.0'; default: detected (see the module comment). */
  version?: string;
}

/** `albert evaluate squad`: the official evaluation of a predictions file against a SQuAD file. */
export function evaluateSquadFiles(opts: SquadEvaluateFilesOptions): SquadEvaluation {
  let version: SquadVersion | undefined;
  if (opts.version !== undefined) {
    const v = opts.version.replace(/^v/, '');
    if (v === '1.1' || v === '2.0') version = v;
    else if (v === '2') version = '2.0';
    else throw new OptionError(`{version} must be 1.1 or 2.0, got ${JSON.stringify(opts.version)}`);
  }
  if (opts.naProbThresh !== undefined && !Number.isFinite(opts.naProbThresh)) throw new OptionError(`{naProbThresh} must be a finite number, got ${opts.naProbThresh}`);
  const data = readSquadEvalData(opts.dataFile);
  const predictions = readSquadPredictions(opts.predictions);
  const naProbs = opts.naProbFile === undefined ? undefined : readNaProbs(opts.naProbFile);
  return evaluateSquad(data.data, predictions, {
    version,
    naProbs,
    naProbThresh: opts.naProbThresh,
    dataVersion: data.version,
    names: { data: opts.dataFile, predictions: opts.predictions, naProbs: opts.naProbFile },
  });
}

/**
 * The one JSON document `albert evaluate squad` prints: the official script's dict (its keys, in
 * its order), and for v1.1 `unanswered`, the number of questions without a prediction (scored 0).
 */
export function squadResultDocument(r: SquadEvaluation): Record<string, number> {
  if (r.version === '1.1') return { ...r.scores, unanswered: r.unanswered.length };
  return { ...r.scores };
}
