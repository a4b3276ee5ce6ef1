import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  accuracy, averageRanks, classificationMetrics, f1Binary, glueMetrics, macroF1, mainMetric, matthewsCorrcoef,
  meanSquaredError, pearson, regressionMetrics, spearman, type GlueTaskName,
} from '../../src/tasks/classification/metrics.ts';

const PY = '/usr/bin/python3';

function close(actual: number, expected: number, what = ''): void {
  assert.ok(Math.abs(actual - expected) <= 1e-15 * Math.max(1, Math.abs(expected)), `${what}: ${actual} != ${expected}`);
}

/** preds/labels realising a confusion matrix given as rows = true class, columns = predicted class. */
function fromConfusion(matrix: number[][]): { preds: number[]; labels: number[] } {
  const preds: number[] = [];
  const labels: number[] = [];
  matrix.forEach((row, t) => row.forEach((count, p) => {
    for (let i = 0; i < count; i++) {
      preds.push(p);
      labels.push(t);
    }
  }));
  return { preds, labels };
}

// A binary example used several times: tp = 2 (i0, i4), fp = 1 (i1), fn = 1 (i3), tn = 2 (i2, i5).
const BIN_PREDS = [1, 1, 0, 0, 1, 0];
const BIN_LABELS = [1, 0, 0, 1, 1, 0];

// 3x3 confusion matrix (rows true, cols predicted): s = 12, trace c = 3+2+2 = 7,
// true counts t = (4, 4, 4), predicted counts p = (3+0+2, 1+2+0, 0+2+2) = (5, 3, 4).
// sum p_k t_k = 20+12+16 = 48; cov = c*s - 48 = 84 - 48 = 36;
// s^2 - sum p^2 = 144 - (25+9+16) = 94; s^2 - sum t^2 = 144 - 48 = 96; MCC = 36 / sqrt(94*96) = 36/sqrt(9024).
const C3 = [[3, 1, 0], [0, 2, 2], [2, 0, 2]];

describe('accuracy', () => {
  it('counts matches', () => {
    assert.equal(accuracy([1, 2, 0, 1], [1, 0, 0, 1]), 3 / 4); // i1 wrong
    assert.equal(accuracy(BIN_PREDS, BIN_LABELS), 4 / 6);
  });
  it('throws on empty or mismatched input (a bug, not a user error)', () => {
    assert.throws(() => accuracy([], []), /no examples/);
    assert.throws(() => accuracy([1], [1, 0]), /differ in length/);
    assert.throws(() => pearson([1, 2], [1]), /differ in length/);
    assert.throws(() => matthewsCorrcoef([], []), /no examples/);
  });
});

describe('f1Binary', () => {
  it('is 2PR/(P+R) of the positive class', () => {
    // P = 2/(2+1) = 2/3, R = 2/(2+1) = 2/3, F1 = 2/3.
    close(f1Binary(BIN_PREDS, BIN_LABELS), 2 / 3);
    // preds [0,0,1,1,1] labels [0,1,1,1,0]; positive 1: tp 2 (i2,i3), fp 1 (i4), fn 1 (i1) -> 4/6.
    close(f1Binary([0, 0, 1, 1, 1], [0, 1, 1, 1, 0]), 2 / 3);
    // positive 0: tp 1 (i0), fp 1 (i1), fn 1 (i4) -> P = R = 1/2, F1 = 1/2.
    close(f1Binary([0, 0, 1, 1, 1], [0, 1, 1, 1, 0], 0), 1 / 2);
    // preds [0,0,0,1] labels [0,1,1,1]: tp 1, fp 0, fn 2 -> P = 1, R = 1/3, F1 = (2/3)/(4/3) = 1/2.
    close(f1Binary([0, 0, 0, 1], [0, 1, 1, 1]), 1 / 2);
  });
  it('is 0 with no positives', () => {
    assert.equal(f1Binary([0, 0, 0], [0, 0, 0]), 0); // none predicted, none present
    assert.equal(f1Binary([0, 0, 0], [1, 0, 1]), 0); // none predicted: R = 0
    assert.equal(f1Binary([1, 1, 0], [0, 0, 0]), 0); // none present: P = 0
  });
});

describe('matthewsCorrcoef', () => {
  it('binary: (tp*tn - fp*fn)/sqrt((tp+fp)(tp+fn)(tn+fp)(tn+fn))', () => {
    // (2*2 - 1*1) / sqrt(3*3*3*3) = 3/9.
    close(matthewsCorrcoef(BIN_PREDS, BIN_LABELS), 1 / 3);
    assert.equal(matthewsCorrcoef([0, 1, 1, 0], [0, 1, 1, 0]), 1);
  });
  it('is -1 for perfectly inverted binary predictions', () => {
    // s = 4, c = 0, p = t = (2, 2): (0 - 8)/sqrt((16-8)(16-8)) = -1.
    assert.equal(matthewsCorrcoef([1, 0, 1, 0], [0, 1, 0, 1]), -1);
  });
  it('is 0 when a class never occurs in the labels or the predictions', () => {
    // labels all 0: t = (4), s^2 - sum t^2 = 16 - 16 = 0.
    assert.equal(matthewsCorrcoef([0, 1, 0, 1], [0, 0, 0, 0]), 0);
    // constant predictions: s^2 - sum p^2 = 0.
    assert.equal(matthewsCorrcoef([1, 1, 1, 1], [0, 1, 1, 0]), 0);
    assert.equal(matthewsCorrcoef([2], [2]), 0); // a single example
  });
  it('multi-class from a 3x3 confusion matrix', () => {
    const { preds, labels } = fromConfusion(C3);
    close(matthewsCorrcoef(preds, labels), 36 / Math.sqrt(9024));
    // Class ids are names only: relabelling both sides the same way changes nothing.
    close(matthewsCorrcoef(preds.map((v) => [7, 3, 5][v]!), labels.map((v) => [7, 3, 5][v]!)), 36 / Math.sqrt(9024));
  });
  it('refuses non-integer class ids', () => {
    assert.throws(() => matthewsCorrcoef([0.5, 1], [0, 1]), /element 0 is 0.5/);
  });
});

describe('macroF1', () => {
  it('averages per-class F1, a class never predicted counting 0', () => {
    // labels [0,0,1,1,2,2], preds [0,0,1,0,1,1]:
    // class 0: tp 2, fp 1 (i3), fn 0 -> 4/5; class 1: tp 1 (i2), fp 2 (i4,i5), fn 1 (i3) -> 2/5;
    // class 2 (never predicted): tp 0 -> 0. Mean (0.8 + 0.4 + 0)/3 = 0.4.
    close(macroF1([0, 0, 1, 0, 1, 1], [0, 0, 1, 1, 2, 2], 3), 0.4);
  });
  it('leaves out classes absent from both labels and predictions (as sklearn)', () => {
    // class 0: tp 1, fp 1 -> 2/3; class 1: tp 1, fn 1 -> 2/3; classes 2, 3 absent -> mean 2/3 (not 4/3 / 4).
    close(macroF1([0, 1, 0], [0, 1, 1], 4), 2 / 3);
  });
  it('refuses class ids outside [0, numClasses)', () => {
    assert.throws(() => macroF1([0, 3], [0, 1], 3), /element 1 is 3/);
  });
});

describe('pearson / spearman', () => {
  it('pearson centres first', () => {
    // dx = (-1.5,-.5,.5,1.5), dy = (-3,-1,0,4): sxy = 4.5+.5+0+6 = 11, sxx = 5, syy = 26 -> 11/sqrt(130).
    close(pearson([1, 2, 3, 4], [2, 4, 5, 9]), 11 / Math.sqrt(130));
    // Shifting by a large constant must not lose precision (a one-pass sum of squares would).
    close(pearson([1e9 + 1, 1e9 + 2, 1e9 + 3, 1e9 + 4], [2, 4, 5, 9]), 11 / Math.sqrt(130));
    close(pearson([1, 2, 3], [3, 2, 1]), -1);
    close(pearson([1e-150, 2e-150, 3e-150], [3e-150, 2e-150, 1e-150]), -1); // sxx*syy underflows
    close(pearson([1e150, 2e150, 3e150], [1e150, 2e150, 3e150]), 1); // sxx*syy overflows
  });
  it('average ranks for ties', () => {
    // sorted 10,10 | 20,20,20 | 30 -> ranks (1+2)/2, (3+4+5)/3, 6.
    assert.deepEqual(Array.from(averageRanks([10, 20, 10, 30, 20, 20])), [1.5, 4, 1.5, 6, 4, 4]);
  });
  it('spearman is pearson of average ranks', () => {
    // ranks x = (1, 2.5, 2.5, 4), y = (1, 3, 2, 4); centred: (-1.5,0,0,1.5), (-1.5,.5,-.5,1.5):
    // sxy = 4.5, sxx = 4.5, syy = 5 -> 4.5/sqrt(22.5) = sqrt(0.9).
    close(spearman([1, 2, 2, 3], [1, 3, 2, 4]), Math.sqrt(0.9));
    close(spearman([1, 2, 3], [1, 8, 27]), 1); // monotone, not linear
  });
  it('returns 0 for a constant vector or a single point, NaN for non-finite input', () => {
    assert.equal(pearson([3, 3, 3], [1, 2, 3]), 0);
    assert.equal(pearson([1, 2, 3], [0.5, 0.5, 0.5]), 0);
    assert.equal(spearman([3, 3, 3], [1, 2, 3]), 0);
    assert.equal(spearman([1, 2, 3], [7, 7, 7]), 0);
    assert.equal(pearson([1], [2]), 0);
    assert.equal(spearman([1], [2]), 0);
    assert.ok(Number.isNaN(pearson([1, NaN, 3], [1, 2, 3])));
    assert.ok(Number.isNaN(spearman([1, 2, 3], [1, Infinity, 3])));
  });
  it('mse', () => {
    close(meanSquaredError([1, 2, 3], [1, 0, 6]), 13 / 3); // (0 + 4 + 9)/3
  });
});

describe('glueMetrics / mainMetric', () => {
  const TASKS: GlueTaskName[] = ['cola', 'sst-2', 'mrpc', 'sts-b', 'qqp', 'mnli', 'qnli', 'rte', 'wnli', 'ax'];
  it('gives the official metric set per task', () => {
    const cola = glueMetrics('cola', BIN_PREDS, BIN_LABELS);
    assert.deepEqual(Object.keys(cola).sort(), ['accuracy', 'mcc']);
    close(cola.mcc!, 1 / 3);
    close(cola.accuracy!, 4 / 6);
    // MRPC: accuracy 4/6, F1 2/3, acc_and_f1 = (2/3 + 2/3)/2.
    for (const task of ['mrpc', 'qqp'] as const) {
      const m = glueMetrics(task, BIN_PREDS, BIN_LABELS);
      assert.deepEqual(Object.keys(m).sort(), ['acc_and_f1', 'accuracy', 'f1']);
      close(m.accuracy!, 2 / 3);
      close(m.f1!, 2 / 3);
      close(m.acc_and_f1!, 2 / 3);
    }
    for (const task of ['sst-2', 'qnli', 'rte', 'wnli'] as const) assert.deepEqual(glueMetrics(task, [1, 0, 0, 1], [1, 1, 0, 1]), { accuracy: 3 / 4 });
    assert.deepEqual(glueMetrics('mnli', [2, 1, 0], [2, 0, 0]), { accuracy: 2 / 3 });
    const { preds, labels } = fromConfusion(C3);
    const ax = glueMetrics('ax', preds, labels);
    assert.deepEqual(Object.keys(ax), ['mcc']);
    close(ax.mcc!, 36 / Math.sqrt(9024));
    const sts = glueMetrics('sts-b', [1, 2, 3, 4], [2, 4, 5, 9]);
    assert.deepEqual(Object.keys(sts).sort(), ['corr', 'pearson', 'spearmanr']);
    close(sts.pearson!, 11 / Math.sqrt(130));
    close(sts.spearmanr!, 1); // y is increasing too
    close(sts.corr!, (11 / Math.sqrt(130) + 1) / 2);
  });
  it('refuses class ids outside the task label set', () => {
    assert.throws(() => glueMetrics('sst-2', [0, 2], [0, 1]), /element 1 is 2/);
    assert.throws(() => glueMetrics('mnli', [0, 1], [0, 3]), /element 1 is 3/);
  });
  it('mainMetric names a key glueMetrics returns', () => {
    assert.equal(mainMetric('cola'), 'mcc');
    assert.equal(mainMetric('sts-b'), 'pearson');
    for (const task of ['sst-2', 'mrpc', 'qqp', 'mnli', 'qnli', 'rte', 'wnli'] as const) assert.equal(mainMetric(task), 'accuracy');
    for (const task of TASKS) {
      const m = task === 'sts-b' ? glueMetrics(task, [1, 2, 3], [1, 3, 2]) : glueMetrics(task, [0, 1, 1], [0, 1, 0]);
      assert.ok(mainMetric(task) in m, task);
    }
  });
  it('classificationMetrics / regressionMetrics', () => {
    const c = classificationMetrics([0, 0, 1, 0, 1, 1], [0, 0, 1, 1, 2, 2], 3);
    close(c.accuracy, 3 / 6);
    close(c.macro_f1, 0.4);
    const r = regressionMetrics([1, 2, 3, 4], [2, 4, 5, 9]);
    close(r.pearson, 11 / Math.sqrt(130));
    close(r.spearmanr, 1);
    close(r.mse, (1 + 4 + 4 + 25) / 4); // differences -1, -2, -2, -5
  });
});

// ---- cross-check against scikit-learn / scipy ----

/** Why sklearn/scipy cannot run here, or null when they can (Debian python3-sklearn, python3-scipy). */
function referenceUnavailable(): string | null {
  const r = spawnSync(PY, ['-c', 'import sklearn, scipy'], { stdio: 'ignore' });
  return r.status === 0 ? null : `${PY} cannot import sklearn and scipy (install the Debian packages python3-sklearn python3-scipy; .ci/run does)`;
}

// Reads {cases: [...]} and prints one result object per case; nan (scipy's constant-input
// answer) and errors (scipy refuses n < 2) come back as null.
const REFERENCE = `
import json, math, sys, warnings
warnings.simplefilter('ignore')
from sklearn.metrics import accuracy_score, f1_score, matthews_corrcoef, mean_squared_error
from scipy.stats import pearsonr, spearmanr
def num(f):
    try:
        v = float(f())
    except Exception:
        return None
    return None if math.isnan(v) else v
out = []
for c in json.load(sys.stdin)['cases']:
    bp, bl, mp, ml, x, y = c['binPreds'], c['binLabels'], c['multiPreds'], c['multiLabels'], c['x'], c['y']
    out.append({
        'binAccuracy': accuracy_score(bl, bp),
        'binF1': num(lambda: f1_score(bl, bp, pos_label=1, average='binary')),
        'binMcc': num(lambda: matthews_corrcoef(bl, bp)),
        'binMacroF1': num(lambda: f1_score(bl, bp, average='macro')),
        'multiAccuracy': accuracy_score(ml, mp),
        'multiMcc': num(lambda: matthews_corrcoef(ml, mp)),
        'multiMacroF1': num(lambda: f1_score(ml, mp, average='macro')),
        'pearson': num(lambda: pearsonr(x, y)[0]),
        'spearman': num(lambda: spearmanr(x, y)[0]),
        'mse': mean_squared_error(y, x),
    })
json.dump(out, sys.stdout)
`;

/** mulberry32: a small seeded generator, so the random cases are the same on every run. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Case { binPreds: number[]; binLabels: number[]; multiPreds: number[]; multiLabels: number[]; numClasses: number; x: number[]; y: number[] }

function randomCases(count: number): Case[] {
  const rand = rng(20240611);
  const int = (k: number): number => Math.floor(rand() * k);
  const cases: Case[] = [];
  for (let c = 0; c < count; c++) {
    // Sizes 1..200, small ones first so n = 1, 2 and tiny sets are covered.
    const n = c < 4 ? c + 1 : 1 + int(200);
    const agree = rand(); // how often a prediction copies its label
    const noisy = (labels: number[], k: number): number[] => labels.map((l) => (rand() < agree ? l : int(k)));
    const binLabels = Array.from({ length: n }, () => (c % 7 === 5 ? 0 : int(2))); // sometimes one class only
    const numClasses = 3 + int(3);
    const multiLabels = Array.from({ length: n }, () => int(c % 5 === 3 ? numClasses - 1 : numClasses)); // sometimes a class unlabelled
    // Regression: coarse values (many ties) in some cases, continuous in others, sometimes constant.
    const coarse = c % 2 === 0;
    const draw = (): number => (coarse ? int(6) / 2 : rand() * 5);
    const y = Array.from({ length: n }, draw);
    const x = c % 9 === 7 ? y.map(() => 2.5) : y.map((v) => (rand() < agree ? v + (coarse ? 0 : 0.3 * rand()) : draw()));
    cases.push({ binPreds: noisy(binLabels, 2), binLabels, multiPreds: noisy(multiLabels, numClasses), multiLabels, numClasses, x, y });
  }
  return cases;
}

describe('cross-check against scikit-learn / scipy', () => {
  it('agrees to 1e-12 relative on 20 seeded random cases', (t) => {
    const why = referenceUnavailable();
    // .ci/run installs scikit-learn and scipy: in CI the cross-check must run, not skip.
    if (why && process.env.CI) assert.fail(`CI: ${why}`);
    if (why) {
      console.log(`classification metrics: the scikit-learn/scipy cross-check is skipped: ${why}`);
      t.skip(why);
      return;
    }
    const cases = randomCases(20);
    const run = spawnSync(PY, ['-c', REFERENCE], { input: JSON.stringify({ cases }), encoding: 'utf8', maxBuffer: 1 << 26 });
    assert.equal(run.status, 0, `reference script failed: ${run.stderr}`);
    const expected = JSON.parse(run.stdout) as Record<string, number | null>[];
    assert.equal(expected.length, cases.length);
    let compared = 0;
    const check = (actual: number, reference: number | null | undefined, what: string): void => {
      // null: scipy's nan for a constant vector / its refusal of n < 2, where we define 0.
      const want = reference ?? 0;
      // 1e-12 relative; a 1e-15 absolute floor covers a correlation that is 0 up to rounding.
      assert.ok(Math.abs(actual - want) <= 1e-12 * Math.abs(want) + 1e-15, `${what}: ours ${actual}, reference ${reference}`);
      compared++;
    };
    cases.forEach((c, i) => {
      const e = expected[i]!;
      const at = `case ${i} (n = ${c.x.length})`;
      check(accuracy(c.binPreds, c.binLabels), e.binAccuracy, `${at} binary accuracy`);
      check(f1Binary(c.binPreds, c.binLabels), e.binF1, `${at} f1`);
      check(matthewsCorrcoef(c.binPreds, c.binLabels), e.binMcc, `${at} binary mcc`);
      check(macroF1(c.binPreds, c.binLabels, 2), e.binMacroF1, `${at} binary macro-F1`);
      check(accuracy(c.multiPreds, c.multiLabels), e.multiAccuracy, `${at} multi accuracy`);
      check(matthewsCorrcoef(c.multiPreds, c.multiLabels), e.multiMcc, `${at} multi mcc`);
      check(macroF1(c.multiPreds, c.multiLabels, c.numClasses), e.multiMacroF1, `${at} multi macro-F1`);
      check(pearson(c.x, c.y), e.pearson, `${at} pearson`);
      check(spearman(c.x, c.y), e.spearman, `${at} spearman`);
      check(meanSquaredError(c.x, c.y), e.mse, `${at} mse`);
    });
    assert.equal(compared, 200);
    // The degenerate branches were exercised, not just the easy ones.
    assert.ok(expected.some((e) => e.pearson === null) && expected.some((e) => e.binMcc === 0));
  });
});
