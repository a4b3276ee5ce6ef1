import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  bestIndexes, computeSoftmax, nbestJson, nbestV1, nbestV2Beam, nullOddsJson, predictionsJson, spanText,
  type BeamOutputs, type SquadExampleText, type SquadFeatureSpans, type SquadPrediction,
} from '../../src/tasks/squad/postprocess.ts';
import { OptionError } from '../../src/util/errors.ts';

const NEG = -20; // a logit no candidate we care about should come near

/** Character ranges of the whitespace-separated words of a text. */
function words(text: string): [number, number][] {
  return [...text.matchAll(/\S+/g)].map((m) => [m.index, m.index + m[0].length]);
}

/**
 * A window: [CLS] question(qLen) [SEP] passage words [SEP] padding up to seqLength. Token
 * positions of passage word w are qLen + 2 + w. maxContext lists passage-word indices for which
 * this window is NOT the max-context one.
 */
function window(
  exampleIndex: number, passage: [number, number][], opts: { qLen?: number; seqLength: number; notMaxContext?: number[] },
): SquadFeatureSpans {
  const qLen = opts.qLen ?? 1;
  const tokenToOrigChar: ([number, number] | null)[] = [null, ...Array<null>(qLen).fill(null), null];
  const tokenIsMaxContext: boolean[] = Array<boolean>(qLen + 2).fill(false);
  passage.forEach((range, w) => {
    tokenToOrigChar.push(range);
    tokenIsMaxContext.push(!(opts.notMaxContext ?? []).includes(w));
  });
  tokenToOrigChar.push(null);
  tokenIsMaxContext.push(false);
  assert.ok(tokenToOrigChar.length <= opts.seqLength);
  return { exampleIndex, tokenToOrigChar, tokenIsMaxContext };
}

/** Logit rows for several features: every value NEG except the given {position: logit}. */
function rows(seqLength: number, perFeature: Record<number, number>[]): Float32Array {
  const out = new Float32Array(seqLength * perFeature.length).fill(NEG);
  perFeature.forEach((m, f) => {
    for (const [pos, v] of Object.entries(m)) out[f * seqLength + Number(pos)] = v;
  });
  return out;
}

function sum(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}

function close(actual: number, expected: number, what = '', tol = 1e-12): void {
  assert.ok(Math.abs(actual - expected) <= tol * Math.max(1, Math.abs(expected)), `${what}: ${actual} != ${expected}`);
}

// Context with accents and case; passage words at token positions 3..7 (qLen 1).
//   word 0 "The"  1 "Café"  2 "Über,"  3 "sits"  4 "here."
const CTX = 'The Café Über, sits here.';
const W = words(CTX);
const L = 10;
const EX: SquadExampleText[] = [{ id: 'q1', context: CTX }];
const P = (w: number): number => 3 + w; // token position of passage word w

describe('helpers', () => {
  it('bestIndexes: largest first, ties to the lower position, at most n', () => {
    assert.deepEqual(bestIndexes([1, 3, 2, 3, 0], 3), [1, 3, 2]);
    assert.deepEqual(bestIndexes([1, 2], 5), [1, 0]);
  });
  it('computeSoftmax sums to 1 and matches hand values', () => {
    const p = computeSoftmax([0, Math.log(3)]);
    close(p[0], 0.25, 'p0');
    close(p[1], 0.75, 'p1');
    assert.deepEqual(computeSoftmax([]), []);
    close(sum(computeSoftmax([1000, 999, -5])), 1, 'large logits');
  });
  it('spanText cuts original characters and trims', () => {
    const f = window(0, W, { seqLength: L });
    assert.equal(spanText(CTX, f, P(1), P(2)), 'Café Über,');
    const spaced: SquadFeatureSpans = { exampleIndex: 0, tokenToOrigChar: [[3, 9]], tokenIsMaxContext: [true] };
    assert.equal(spanText(CTX, spaced, 0, 0), 'Café'); // ' Café ' trimmed
  });
});

describe('nbestV1 (span head, v1.1)', () => {
  it('finds the known answer, with the context\'s own accents, case and punctuation', () => {
    const f = window(0, W, { seqLength: L });
    const start = rows(L, [{ [P(1)]: 5, [P(3)]: 2 }]);
    const end = rows(L, [{ [P(2)]: 4, [P(4)]: 1 }]);
    const [r] = nbestV1([f], { start, end, seqLength: L }, EX, { version: '1.1' });
    assert.equal(r.id, 'q1');
    assert.equal(r.prediction, 'Café Über,');
    assert.equal(r.nbest[0].text, 'Café Über,');
    assert.equal(r.nbest[0].start_logit, 5);
    assert.equal(r.nbest[0].end_logit, 4);
    assert.equal(r.bestNonNull, r.nbest[0]);
    assert.equal(r.nullOdds, undefined);
    // Totals strictly decrease down the list; the second best is start 5 + end 1 (word 1..4).
    assert.equal(r.nbest[1].text, 'Café Über, sits here.');
    for (let i = 1; i < r.nbest.length; i++) {
      assert.ok(r.nbest[i - 1].start_logit + r.nbest[i - 1].end_logit >= r.nbest[i].start_logit + r.nbest[i].end_logit);
    }
  });

  it('probabilities are the softmax of the n-best totals and sum to 1', () => {
    const f = window(0, W, { seqLength: L });
    const start = rows(L, [{ [P(0)]: 1, [P(1)]: 2 }]);
    const end = rows(L, [{ [P(1)]: 3 }]);
    const [r] = nbestV1([f], { start, end, seqLength: L }, EX, { version: '1.1', nBestSize: 2 });
    // Only starts P(1) (2), P(0) (1) and ends P(1) (3), P(0) (NEG): the two starts x end P(1) are best.
    assert.deepEqual(r.nbest.map((e) => e.text), ['Café', 'The Café']);
    const totals = [2 + 3, 1 + 3];
    const e0 = Math.exp(totals[0]);
    const e1 = Math.exp(totals[1]);
    close(r.nbest[0].probability, e0 / (e0 + e1), 'p0');
    close(r.nbest[1].probability, e1 / (e0 + e1), 'p1');
    close(sum(r.nbest.map((e) => e.probability)), 1, 'sum');

    const [big] = nbestV1([f], { start: rows(L, [{}]), end: rows(L, [{}]), seqLength: L }, EX, { version: '1.1' });
    close(sum(big.nbest.map((e) => e.probability)), 1, 'sum over a full n-best');
  });

  it('keeps at most nBestSize entries and drops repeated texts', () => {
    const f = window(0, W, { seqLength: L });
    // Passage starts fall and ends rise along the passage: many valid distinct spans.
    const start = rows(L, [Object.fromEntries(W.map((_, w) => [P(w), 1 - w * 0.1]))]);
    const end = rows(L, [Object.fromEntries(W.map((_, w) => [P(w), 1 + w * 0.1]))]);
    const [r] = nbestV1([f], { start, end, seqLength: L }, EX, { version: '1.1', nBestSize: 4 });
    assert.equal(r.nbest.length, 4);
    assert.equal(new Set(r.nbest.map((e) => e.text)).size, 4);

    // Two windows covering the same words give the same texts: each text once, first (best) score kept.
    const g = window(0, W, { seqLength: L });
    const two = nbestV1([f, g], {
      start: rows(L, [{ [P(1)]: 3 }, { [P(1)]: 2 }]), end: rows(L, [{ [P(1)]: 3 }, { [P(1)]: 2 }]), seqLength: L,
    }, EX, { version: '1.1' })[0];
    assert.equal(two.nbest.filter((e) => e.text === 'Café').length, 1);
    assert.equal(two.nbest[0].start_logit, 3);
  });

  it('rejects start > end', () => {
    const f = window(0, W, { seqLength: L });
    // Best start word 3, best end word 1: invalid; next best end word 4 (with start word 3).
    const start = rows(L, [{ [P(3)]: 5 }]);
    const end = rows(L, [{ [P(1)]: 9, [P(4)]: 1 }]);
    const [r] = nbestV1([f], { start, end, seqLength: L }, EX, { version: '1.1' });
    assert.equal(r.prediction, 'sits here.');
    assert.ok(!r.nbest.some((e) => e.start_logit === 5 && e.end_logit === 9));
  });

  it('rejects spans longer than maxAnswerLength', () => {
    const f = window(0, W, { seqLength: L });
    const start = rows(L, [{ [P(0)]: 5, [P(3)]: 1 }]);
    const end = rows(L, [{ [P(4)]: 5 }]);
    const opts = { start, end, seqLength: L };
    assert.equal(nbestV1([f], opts, EX, { version: '1.1', maxAnswerLength: 5 })[0].prediction, 'The Café Über, sits here.');
    // length 5 > 4: the best start is dropped; start word 3 .. end word 4 (length 2) wins.
    assert.equal(nbestV1([f], opts, EX, { version: '1.1', maxAnswerLength: 4 })[0].prediction, 'sits here.');
  });

  it('rejects starts and ends outside the passage ([CLS], question, [SEP], padding)', () => {
    const f = window(0, W, { seqLength: L });
    // The largest logits sit on [CLS] (0), the question (1), [SEP] (2, 8) and padding (9).
    const start = rows(L, [{ 0: 9, 1: 9, 2: 9, 8: 9, 9: 9, [P(2)]: 1 }]);
    const end = rows(L, [{ 0: 9, 1: 9, 8: 9, 9: 9, [P(3)]: 1 }]);
    const [r] = nbestV1([f], { start, end, seqLength: L }, EX, { version: '1.1' });
    assert.equal(r.prediction, 'Über, sits');
    for (const e of r.nbest) assert.ok(e.start_logit !== 9 && e.end_logit !== 9, JSON.stringify(e));
  });

  it('rejects starts where the window is not the max-context one (ends are free)', () => {
    const f = window(0, W, { seqLength: L, notMaxContext: [1, 4] });
    const start = rows(L, [{ [P(1)]: 9, [P(2)]: 1 }]);
    const end = rows(L, [{ [P(4)]: 2 }]);
    const [r] = nbestV1([f], { start, end, seqLength: L }, EX, { version: '1.1' });
    assert.equal(r.prediction, 'Über, sits here.'); // end on a non-max-context token is fine
    assert.ok(!r.nbest.some((e) => e.start_logit === 9));
  });

  it('several windows: the best span across windows wins, the max-context rule picks the window', () => {
    // Context of 8 words; window A covers words 0..4, window B words 3..7. Word 3 ("d") has max
    // context in B, word 4 ("É") in A (tie broken arbitrarily here: we just say so).
    const ctx = 'a b c d É f g h';
    const w = words(ctx);
    const LL = 9;
    const A = window(0, w.slice(0, 5), { seqLength: LL, notMaxContext: [3] });
    const B = window(0, w.slice(3), { seqLength: LL, notMaxContext: [1] });
    const posA = (word: number): number => 3 + word;
    const posB = (word: number): number => 3 + word - 3;
    // A has the larger logits on word 3 but is not its max-context window: its start there is
    // rejected (16 would win). B's start on word 3 and end on word 5 ("f", only in B) wins.
    const start = rows(LL, [{ [posA(3)]: 8, [posA(1)]: 1 }, { [posB(3)]: 6 }]);
    const end = rows(LL, [{ [posA(3)]: 8, [posA(2)]: 1 }, { [posB(5)]: 6 }]);
    const ex = [{ id: 'm', context: ctx }];
    const [r] = nbestV1([A, B], { start, end, seqLength: LL }, ex, { version: '1.1' });
    assert.equal(r.prediction, 'd É f');
    assert.equal(r.nbest[0].start_logit, 6);
    assert.equal(r.nbest[0].end_logit, 6);
    assert.ok(!r.nbest.some((e) => e.start_logit === 8));
    // A's valid spans (b..d at 1 + 8, b..c at 1 + 1) are in the list, below B's.
    assert.equal(r.nbest[1].text, 'b c d');
    assert.ok(r.nbest.some((e) => e.text === 'b c' && e.start_logit === 1 && e.end_logit === 1));

    // A better span in window A beats B.
    const start2 = rows(LL, [{ [posA(4)]: 9 }, { [posB(3)]: 4 }]);
    const end2 = rows(LL, [{ [posA(4)]: 9 }, { [posB(5)]: 4 }]);
    assert.equal(nbestV1([A, B], { start: start2, end: end2, seqLength: LL }, ex, { version: '1.1' })[0].prediction, 'É');
  });

  it('handles several examples with interleaved features, in the examples\' order', () => {
    const ctx2 = 'Zürich ist groß';
    const w2 = words(ctx2);
    const f0 = window(1, w2, { seqLength: L });
    const f1 = window(0, W, { seqLength: L });
    const start = rows(L, [{ [P(2)]: 3 }, { [P(4)]: 3 }]);
    const end = rows(L, [{ [P(2)]: 3 }, { [P(4)]: 3 }]);
    const res = nbestV1([f0, f1], { start, end, seqLength: L }, [EX[0], { id: 'q2', context: ctx2 }], { version: '1.1' });
    assert.deepEqual(res.map((r) => [r.id, r.prediction]), [['q1', 'here.'], ['q2', 'groß']]);
  });

  it('no valid span: a single "empty" entry, as the original', () => {
    const f = window(0, W, { seqLength: L });
    const start = rows(L, [{ [P(4)]: 5 }]);
    const end = rows(L, [{ [P(0)]: 5 }]);
    const [r] = nbestV1([f], { start, end, seqLength: L }, EX, { version: '1.1', nBestSize: 1 });
    assert.deepEqual(r.nbest, [{ text: 'empty', probability: 1, start_logit: 0, end_logit: 0 }]);
    assert.equal(r.prediction, 'empty');
  });

  it('checks its inputs', () => {
    const f = window(0, W, { seqLength: L });
    const lg = { start: rows(L, [{}]), end: rows(L, [{}]), seqLength: L };
    assert.throws(() => nbestV1([f], lg, EX, { version: '1.1', nBestSize: 0 }), (e: unknown) =>
      e instanceof OptionError && /nBestSize/.test(e.message));
    assert.throws(() => nbestV1([f], lg, EX, { version: '1.1', maxAnswerLength: 1.5 }), OptionError);
    assert.throws(() => nbestV1([f, f], lg, EX, { version: '1.1' }), RangeError);
    assert.throws(() => nbestV1([{ ...f, exampleIndex: 1 }], lg, EX, { version: '1.1' }), RangeError);
  });
});

describe('nbestV1 (span head, v2.0: null = [CLS] span)', () => {
  // Two windows; null score = min over windows of start[0] + end[0] = min(1 + 1, 0.5 + 0.25) = 0.75.
  const A = window(0, W, { seqLength: L });
  const B = window(0, W, { seqLength: L });
  const start = rows(L, [{ 0: 1, [P(1)]: 2 }, { 0: 0.5 }]);
  const end = rows(L, [{ 0: 1, [P(2)]: 1.5 }, { 0: 0.25 }]);
  const logits = { start, end, seqLength: L };
  const best = 2 + 1.5;
  const diff = 0.75 - best;

  it('null score, score diff and the n-best with the null entry', () => {
    const [r] = nbestV1([A, B], logits, EX, { version: '2.0' });
    close(r.nullScore ?? NaN, 0.75, 'nullScore');
    close(r.nullOdds ?? NaN, diff, 'nullOdds');
    assert.equal(r.bestNonNull.text, 'Café Über,');
    const nullEntry = r.nbest.find((e) => e.text === '');
    assert.ok(nullEntry, 'the null answer is in the n-best');
    assert.equal(nullEntry.start_logit, 0.5);
    assert.equal(nullEntry.end_logit, 0.25);
    assert.equal(r.nbest.filter((e) => e.text === '').length, 1);
    close(sum(r.nbest.map((e) => e.probability)), 1, 'sum');
    assert.equal(r.prediction, 'Café Über,'); // diff < 0 = default threshold
  });

  it('predicts "" exactly when score_diff > threshold', () => {
    const at = (t: number): string => nbestV1([A, B], logits, EX, { version: '2.0', nullScoreDiffThreshold: t })[0].prediction;
    assert.equal(at(diff - 0.01), '');
    assert.equal(at(diff), 'Café Über,'); // equal: not greater, keep the answer (HF)
    assert.equal(at(diff + 0.01), 'Café Über,');
    assert.equal(at(-Infinity), '');
  });

  it('a large [CLS] score makes the null answer the best entry', () => {
    const s = rows(L, [{ 0: 9, [P(1)]: 2 }]);
    const e = rows(L, [{ 0: 9, [P(1)]: 2 }]);
    const [r] = nbestV1([A], { start: s, end: e, seqLength: L }, EX, { version: '2.0' });
    assert.equal(r.nbest[0].text, '');
    assert.equal(r.bestNonNull.text, 'Café');
    close(r.nullOdds ?? NaN, 18 - 4, 'nullOdds');
    assert.equal(r.prediction, '');
  });

  it('only the null answer is valid: "empty" (0, 0) is inserted before it', () => {
    const s = rows(L, [{ 0: 1, [P(4)]: 5 }]);
    const e = rows(L, [{ 0: 2, [P(0)]: 5 }]);
    const [r] = nbestV1([A], { start: s, end: e, seqLength: L }, EX, { version: '2.0', nBestSize: 1 });
    assert.deepEqual(r.nbest.map((x) => [x.text, x.start_logit, x.end_logit]), [['empty', 0, 0], ['', 1, 2]]);
    assert.equal(r.bestNonNull.text, 'empty');
    close(r.nullOdds ?? NaN, 3, 'nullOdds = null score - 0');
    assert.equal(r.prediction, '');
    close(sum(r.nbest.map((x) => x.probability)), 1, 'sum');
  });
});

describe('nbestV2Beam (original v2 head)', () => {
  const f0 = window(0, W, { seqLength: L });
  const f1 = window(0, W, { seqLength: L, notMaxContext: [0] });

  /** startNTop 2, endNTop 2 for two windows. */
  function beam(cls: [number, number]): BeamOutputs {
    return {
      startNTop: 2,
      endNTop: 2,
      // window 0: starts word 1 (-0.5), word 3 (-1); window 1: starts word 0 (-0.1, not max context), [CLS] (-0.2)
      startTopLogProbs: new Float32Array([-0.5, -1, -0.1, -0.2]),
      startTopIndex: new Int32Array([P(1), P(3), P(0), 0]),
      // ends per (window, start): w0 s=word1 -> word 2 (-0.25), word 0 (-0.1, before start)
      //                           w0 s=word3 -> word 4 (-0.5), word 3 (-2)
      //                           w1 s=word0 -> word 1, word 2; w1 s=[CLS] -> 0, word 1
      endTopLogProbs: new Float32Array([-0.25, -0.1, -0.5, -2, -0.1, -0.2, -0.1, -0.2]),
      endTopIndex: new Int32Array([P(2), P(0), P(4), P(3), P(1), P(2), 0, P(1)]),
      clsLogits: new Float32Array(cls),
    };
  }

  it('n-best from the beam with the same rules; null odds = min cls logit over windows', () => {
    const [r] = nbestV2Beam([f0, f1], beam([0.5, -1.5]), EX);
    assert.deepEqual(r.nbest.map((e) => e.text), ['Café Über,', 'sits here.', 'sits']);
    assert.deepEqual(r.nbest.map((e) => [e.start_logit, e.end_logit]), [[-0.5, -0.25], [-1, -0.5], [-1, -2]]);
    close(sum(r.nbest.map((e) => e.probability)), 1, 'sum');
    close(r.nbest[0].probability, 1 / (1 + Math.exp(-0.75) + Math.exp(-2.25)), 'p0', 1e-7);
    assert.equal(r.nullOdds, -1.5);
    assert.equal(r.nullScore, -1.5);
    assert.equal(r.bestNonNull, r.nbest[0]);
    assert.equal(r.prediction, 'Café Über,'); // -1.5 < 0
  });

  it('predicts "" unless null odds < threshold', () => {
    const at = (t: number): string => nbestV2Beam([f0, f1], beam([0.5, 0.25]), EX, { nullScoreDiffThreshold: t })[0].prediction;
    assert.equal(at(0), ''); // 0.25 >= 0
    assert.equal(at(0.25), ''); // equal: null (the original answers only when strictly below)
    assert.equal(at(0.26), 'Café Über,');
    assert.equal(at(Infinity), 'Café Über,');
  });

  it('max answer length and n-best size apply; BigInt64 indices work', () => {
    const b = beam([0, 0]);
    const big: BeamOutputs = {
      ...b, startTopIndex: BigInt64Array.from(b.startTopIndex, BigInt), endTopIndex: BigInt64Array.from(b.endTopIndex, BigInt),
    };
    const [r] = nbestV2Beam([f0, f1], big, EX, { maxAnswerLength: 1, nBestSize: 5 });
    assert.deepEqual(r.nbest.map((e) => e.text), ['sits']);
    const [s] = nbestV2Beam([f0, f1], b, EX, { nBestSize: 1 });
    assert.deepEqual(s.nbest.map((e) => e.text), ['Café Über,']);
    close(s.nbest[0].probability, 1, 'p');
  });

  it('a span repeated in one window\'s beam is scored by the mean, as the original accumulates it', () => {
    const o: BeamOutputs = {
      startNTop: 2, endNTop: 1,
      startTopLogProbs: new Float32Array([-1, -3]), startTopIndex: new Int32Array([P(1), P(1)]),
      endTopLogProbs: new Float32Array([-2, -4]), endTopIndex: new Int32Array([P(1), P(1)]),
      clsLogits: new Float32Array([0]),
    };
    const [r] = nbestV2Beam([f0], o, EX);
    assert.deepEqual(r.nbest.map((e) => [e.text, e.start_logit, e.end_logit]), [['Café', -2, -3]]);
  });

  it('no valid span: a single "" entry at -1e6, as the original', () => {
    const o: BeamOutputs = {
      startNTop: 1, endNTop: 1,
      startTopLogProbs: new Float32Array([-1]), startTopIndex: new Int32Array([0]),
      endTopLogProbs: new Float32Array([-1]), endTopIndex: new Int32Array([0]),
      clsLogits: new Float32Array([-3]),
    };
    const [r] = nbestV2Beam([f0], o, EX);
    assert.deepEqual(r.nbest, [{ text: '', probability: 1, start_logit: -1e6, end_logit: -1e6 }]);
    assert.equal(r.prediction, '');
    assert.equal(r.nullOdds, -3);
  });

  it('checks shapes', () => {
    assert.throws(() => nbestV2Beam([f0], beam([0, 0]), EX), RangeError);
  });
});

describe('writers', () => {
  const preds: SquadPrediction[] = [
    {
      id: 'b2', prediction: '', nullOdds: 1.5, nullScore: 2,
      nbest: [{ text: 'Café', probability: 0.75, start_logit: 1, end_logit: 2 }, { text: '', probability: 0.25, start_logit: 0, end_logit: 0 }],
      bestNonNull: { text: 'Café', probability: 0.75, start_logit: 1, end_logit: 2 },
    },
    {
      id: '10', prediction: 'Über "x"', nullOdds: -2,
      nbest: [{ text: 'Über "x"', probability: 1, start_logit: -1, end_logit: 0.5 }],
      bestNonNull: { text: 'Über "x"', probability: 1, start_logit: -1, end_logit: 0.5 },
    },
  ];

  it('predictions.json keeps the examples\' order (integer-like ids included) and indents by 4', () => {
    const text = predictionsJson(preds);
    assert.equal(text, '{\n    "b2": "",\n    "10": "Über \\"x\\""\n}\n');
    assert.deepEqual(JSON.parse(text), { b2: '', 10: 'Über "x"' });
    assert.equal(predictionsJson([]), '{}\n');
  });

  it('nbest_predictions.json has text, probability, start_logit, end_logit in that order', () => {
    const text = nbestJson(preds);
    const parsed = JSON.parse(text) as Record<string, Record<string, unknown>[]>;
    assert.deepEqual(Object.keys(parsed.b2[0]), ['text', 'probability', 'start_logit', 'end_logit']);
    assert.deepEqual(parsed.b2, preds[0].nbest);
    assert.ok(text.indexOf('"b2"') < text.indexOf('"10"'));
    assert.match(text, /\n {12}"text": "Café",\n/);
  });

  it('null_odds.json maps ids to null odds, and refuses v1.1 predictions', () => {
    assert.deepEqual(JSON.parse(nullOddsJson(preds)), { b2: 1.5, 10: -2 });
    assert.throws(() => nullOddsJson([{ ...preds[0], nullOdds: undefined }]), /b2/);
  });

  it('round trip from nbestV1', () => {
    const f = window(0, W, { seqLength: L });
    const res = nbestV1([f], { start: rows(L, [{ [P(1)]: 2 }]), end: rows(L, [{ [P(1)]: 2 }]), seqLength: L }, EX, { version: '2.0' });
    assert.deepEqual(JSON.parse(predictionsJson(res)), { q1: 'Café' });
    assert.equal((JSON.parse(nbestJson(res)) as Record<string, unknown[]>).q1.length, res[0].nbest.length);
    assert.equal(typeof (JSON.parse(nullOddsJson(res)) as Record<string, number>).q1, 'number');
  });
});
