/**
 * Evaluation metrics for sequence classification and regression: the official GLUE metrics
 * (as the original run_classifier / the GLUE leaderboard compute them) and the ones we report
 * for users' own data. Pure functions over plain number arrays, computed in float64.
 *
 * Definitions follow scikit-learn (accuracy_score, f1_score, matthews_corrcoef) and scipy
 * (pearsonr, spearmanr) so that numbers are comparable with published results; the tests
 * cross-check them against those libraries. Deliberate differences, all in degenerate cases:
 * - Pearson / Spearman of a constant vector (zero variance) or of fewer than 2 points is 0,
 *   where scipy returns nan (or raises): 0 keeps the best-checkpoint comparison defined.
 *   A non-finite value in the input gives NaN, as in scipy: that is a diverged model, which
 *   the caller should see rather than have hidden.
 * - F1 with no positive predicted and none present is 0 (sklearn's zero_division default).
 * - MCC is 0 when its denominator is 0 (a class of the confusion matrix's margins is
 *   constant), as sklearn.
 * - Empty or mismatched inputs throw a plain Error: the caller refuses empty evaluation
 *   sets with a user error before getting here, so reaching this is a bug.
 */

import type { GlueTaskName } from '../glue/tasks.ts';

export type { GlueTaskName };

function checkPair(preds: ArrayLike<number>, labels: ArrayLike<number>, what: string): number {
  if (preds.length !== labels.length) {
    throw new Error(`${what}: predictions and labels differ in length (${preds.length} vs ${labels.length})`);
  }
  if (preds.length === 0) throw new Error(`${what}: no examples (the caller must refuse an empty evaluation set)`);
  return preds.length;
}

/** Class ids must be integers; anything else here is a bug upstream (e.g. logits passed as ids). */
function checkClassIds(values: ArrayLike<number>, what: string, numClasses?: number): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isInteger(v) || (numClasses !== undefined && (v < 0 || v >= numClasses))) {
      const range = numClasses === undefined ? 'an integer class id' : `a class id in [0, ${numClasses})`;
      throw new Error(`${what}: element ${i} is ${v}, expected ${range}`);
    }
  }
}

function increment(counts: Map<number, number>, key: number): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

/** Fraction of examples whose predicted class equals the label. */
export function accuracy(preds: ArrayLike<number>, labels: ArrayLike<number>): number {
  const n = checkPair(preds, labels, 'accuracy');
  let correct = 0;
  for (let i = 0; i < n; i++) if (preds[i] === labels[i]) correct++;
  return correct / n;
}

/** F1 from counts, written as 2tp / (2tp + fp + fn) (= 2PR/(P+R)); 0 when nothing is positive anywhere. */
function f1FromCounts(tp: number, fp: number, fn: number): number {
  const denominator = 2 * tp + fp + fn;
  return denominator === 0 ? 0 : (2 * tp) / denominator;
}

/**
 * sklearn f1_score(average='binary', pos_label=positive): F1 of the positive class.
 * 0 when precision + recall is 0, including no positive predicted and none present.
 */
export function f1Binary(preds: ArrayLike<number>, labels: ArrayLike<number>, positive = 1): number {
  const n = checkPair(preds, labels, 'f1Binary');
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (let i = 0; i < n; i++) {
    const predicted = preds[i] === positive;
    const actual = labels[i] === positive;
    if (predicted && actual) tp++;
    else if (predicted) fp++;
    else if (actual) fn++;
  }
  return f1FromCounts(tp, fp, fn);
}

/**
 * Matthews correlation coefficient, sklearn's multi-class form (Gorodkin's R_K) from the
 * confusion matrix C: with s = n examples, c = trace(C) correct, t_k = label counts and
 * p_k = prediction counts,
 *   MCC = (c*s - sum_k p_k t_k) / sqrt((s^2 - sum_k p_k^2) (s^2 - sum_k t_k^2)).
 * For two classes it is the usual (tp*tn - fp*fn)/sqrt(...). 0 when the denominator is 0
 * (labels or predictions are all one class), as sklearn.
 */
export function matthewsCorrcoef(preds: ArrayLike<number>, labels: ArrayLike<number>): number {
  const n = checkPair(preds, labels, 'matthewsCorrcoef');
  checkClassIds(preds, 'matthewsCorrcoef predictions');
  checkClassIds(labels, 'matthewsCorrcoef labels');
  // Only the margins and the trace of C enter the formula, so count those directly.
  const predCounts = new Map<number, number>();
  const labelCounts = new Map<number, number>();
  let correct = 0;
  for (let i = 0; i < n; i++) {
    increment(predCounts, preds[i]!);
    increment(labelCounts, labels[i]!);
    if (preds[i] === labels[i]) correct++;
  }
  // All sums are integers below 2^53 for any realistic n, so they are exact; floating point
  // enters only at the final product, sqrt and division (as in sklearn, which sums in float64).
  let sumPredLabel = 0;
  let sumPredSquared = 0;
  let sumLabelSquared = 0;
  for (const [cls, p] of predCounts) {
    sumPredLabel += p * (labelCounts.get(cls) ?? 0);
    sumPredSquared += p * p;
  }
  for (const t of labelCounts.values()) sumLabelSquared += t * t;
  const covPredLabel = correct * n - sumPredLabel;
  const covPredPred = n * n - sumPredSquared;
  const covLabelLabel = n * n - sumLabelSquared;
  const denominator = Math.sqrt(covLabelLabel * covPredPred);
  return denominator === 0 ? 0 : covPredLabel / denominator;
}

/**
 * sklearn f1_score(average='macro'): the unweighted mean of the per-class F1 scores.
 * As sklearn without an explicit `labels`, the classes averaged are those that occur in the
 * labels or the predictions; a class absent from both is left out (it has no F1 to speak of),
 * while a class that occurs in only one of them counts with F1 0. numClasses bounds the ids.
 */
export function macroF1(preds: ArrayLike<number>, labels: ArrayLike<number>, numClasses: number): number {
  const n = checkPair(preds, labels, 'macroF1');
  if (!Number.isInteger(numClasses) || numClasses < 1) throw new Error(`macroF1: numClasses is ${numClasses}, expected a positive integer`);
  checkClassIds(preds, 'macroF1 predictions', numClasses);
  checkClassIds(labels, 'macroF1 labels', numClasses);
  const tp = new Float64Array(numClasses);
  const fp = new Float64Array(numClasses);
  const fn = new Float64Array(numClasses);
  for (let i = 0; i < n; i++) {
    const p = preds[i]!;
    const l = labels[i]!;
    if (p === l) tp[p]!++;
    else {
      fp[p]!++;
      fn[l]!++;
    }
  }
  let sum = 0;
  let present = 0;
  for (let k = 0; k < numClasses; k++) {
    if (tp[k]! + fp[k]! + fn[k]! === 0) continue; // neither predicted nor labelled
    sum += f1FromCounts(tp[k]!, fp[k]!, fn[k]!);
    present++;
  }
  return sum / present; // present >= 1 since n >= 1
}

function allFinite(values: ArrayLike<number>): boolean {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i]!)) return false;
  return true;
}

/** Mean in two passes: the second adds back the rounding error of the first (as the corrected two-pass algorithm). */
function mean(values: ArrayLike<number>): number {
  const n = values.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += values[i]!;
  const first = sum / n;
  let correction = 0;
  for (let i = 0; i < n; i++) correction += values[i]! - first;
  return first + correction / n;
}

/** Pearson correlation of finite vectors, centred first (no sum-of-squares cancellation). */
function pearsonFinite(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = x.length;
  const mx = mean(x);
  const my = mean(y);
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i]! - mx;
    const dy = y[i]! - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  // Zero variance: scipy says nan; 0 keeps "is this checkpoint better" well defined.
  if (sxx === 0 || syy === 0) return 0;
  // One sqrt of the product rounds less than a product of two sqrts; split it only where the
  // product would overflow or underflow.
  const product = sxx * syy;
  const r = sxy / (Number.isFinite(product) && product > 0 ? Math.sqrt(product) : Math.sqrt(sxx) * Math.sqrt(syy));
  return Math.max(-1, Math.min(1, r)); // rounding can step just past +-1
}

/**
 * Pearson's r (scipy.stats.pearsonr's statistic). 0 for a constant vector or a single point
 * (scipy: nan / error); NaN when a value is not finite.
 */
export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): number {
  checkPair(x, y, 'pearson');
  if (!allFinite(x) || !allFinite(y)) return NaN;
  return pearsonFinite(x, y);
}

/** 1-based ranks, ties sharing the mean of the ranks they span (scipy.stats.rankdata 'average'). */
export function averageRanks(values: ArrayLike<number>): Float64Array {
  const n = values.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => values[a]! - values[b]!);
  const ranks = new Float64Array(n);
  let start = 0;
  while (start < n) {
    let end = start + 1;
    while (end < n && values[order[end]!] === values[order[start]!]) end++;
    // Sorted positions start..end-1 hold ranks start+1..end; their mean is (start+1+end)/2.
    const rank = (start + 1 + end) / 2;
    for (let k = start; k < end; k++) ranks[order[k]!] = rank;
    start = end;
  }
  return ranks;
}

/**
 * Spearman's rho (scipy.stats.spearmanr's statistic): Pearson's r of the average ranks.
 * Same degenerate cases as pearson: constant input gives 0, a non-finite value NaN.
 */
export function spearman(x: ArrayLike<number>, y: ArrayLike<number>): number {
  checkPair(x, y, 'spearman');
  if (!allFinite(x) || !allFinite(y)) return NaN;
  return pearsonFinite(averageRanks(x), averageRanks(y));
}

/** Mean squared error (sklearn mean_squared_error). */
export function meanSquaredError(preds: ArrayLike<number>, labels: ArrayLike<number>): number {
  const n = checkPair(preds, labels, 'meanSquaredError');
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const d = preds[i]! - labels[i]!;
    sum += d * d;
  }
  return sum / n;
}

/** Number of classes of each GLUE classification task (STS-B is a regression). */
const GLUE_NUM_CLASSES: Record<Exclude<GlueTaskName, 'sts-b'>, number> = {
  cola: 2, 'sst-2': 2, mrpc: 2, qqp: 2, mnli: 3, qnli: 2, rte: 2, wnli: 2, ax: 3,
};

/**
 * The official metrics of a GLUE task. Class predictions and labels are class ids in the
 * task's label order; STS-B predictions and labels are similarity scores. MNLI is scored once
 * per set (matched, mismatched) by the caller; AX (the diagnostic) reports R3, the 3-class MCC.
 */
export function glueMetrics(task: GlueTaskName, preds: ArrayLike<number>, labels: ArrayLike<number>): Record<string, number> {
  checkPair(preds, labels, `glueMetrics(${task})`);
  if (task === 'sts-b') {
    const r = pearson(preds, labels);
    const rho = spearman(preds, labels);
    return { pearson: r, spearmanr: rho, corr: (r + rho) / 2 };
  }
  const numClasses = GLUE_NUM_CLASSES[task];
  checkClassIds(preds, `glueMetrics(${task}) predictions`, numClasses);
  checkClassIds(labels, `glueMetrics(${task}) labels`, numClasses);
  switch (task) {
    case 'cola':
      return { mcc: matthewsCorrcoef(preds, labels), accuracy: accuracy(preds, labels) };
    case 'mrpc':
    case 'qqp': {
      const acc = accuracy(preds, labels);
      const f1 = f1Binary(preds, labels, 1); // positive = paraphrase / duplicate (label 1)
      return { accuracy: acc, f1, acc_and_f1: (acc + f1) / 2 };
    }
    case 'ax':
      return { mcc: matthewsCorrcoef(preds, labels) };
    case 'sst-2':
    case 'mnli':
    case 'qnli':
    case 'rte':
    case 'wnli':
      return { accuracy: accuracy(preds, labels) };
  }
}

/**
 * The glueMetrics key that picks the best checkpoint (higher is better): what the original
 * run_classifier reports per task, MCC for CoLA, Pearson for STS-B, accuracy otherwise.
 * AX has no accuracy in glueMetrics (only its diagnostic R3), so its key is 'mcc'; AX is
 * normally scored with the MNLI model rather than used to select one.
 */
export function mainMetric(task: GlueTaskName): string {
  switch (task) {
    case 'cola':
    case 'ax':
      return 'mcc';
    case 'sts-b':
      return 'pearson';
    default:
      return 'accuracy';
  }
}

/** Metrics for a user's own classification data: accuracy and macro-F1 over numClasses classes. */
export function classificationMetrics(preds: ArrayLike<number>, labels: ArrayLike<number>, numClasses: number): { accuracy: number; macro_f1: number } {
  return { accuracy: accuracy(preds, labels), macro_f1: macroF1(preds, labels, numClasses) };
}

/** Metrics for a user's own regression data. */
export function regressionMetrics(preds: ArrayLike<number>, labels: ArrayLike<number>): { pearson: number; spearmanr: number; mse: number } {
  return { pearson: pearson(preds, labels), spearmanr: spearman(preds, labels), mse: meanSquaredError(preds, labels) };
}

/**
 * The most frequent class id among the labels (ties: the smallest id, so the choice does not
 * depend on the order of the examples), how often it occurs and its rate: the accuracy of always
 * answering it, the baseline a classifier has to beat on these labels (chance, 1 / classes, is
 * only that when the classes are balanced).
 */
export function majorityClass(labels: ArrayLike<number>): { label: number; count: number; rate: number } {
  if (labels.length === 0) throw new Error('majorityClass: no labels (the caller must refuse an empty evaluation set)');
  checkClassIds(labels, 'majorityClass labels');
  const counts = new Map<number, number>();
  for (let i = 0; i < labels.length; i++) increment(counts, labels[i]!);
  let label = 0;
  let count = -1;
  for (const [l, c] of counts) if (c > count || (c === count && l < label)) [label, count] = [l, c];
  return { label, count, rate: count / labels.length };
}

/**
 * Every metric of `metrics` for the constant prediction of the majority class of `labels`: the
 * majority baseline of a classification task, scored as the model is (its accuracy is the
 * majority rate; F1 of the positive class is 0 when the majority class is the negative one; MCC
 * of a constant prediction is 0).
 */
export function majorityBaseline<M extends Record<string, number>>(labels: ArrayLike<number>, metrics: (preds: Float64Array, labels: ArrayLike<number>) => M): { label: number; rate: number; metrics: M } {
  const m = majorityClass(labels);
  return { label: m.label, rate: m.rate, metrics: metrics(new Float64Array(labels.length).fill(m.label), labels) };
}
