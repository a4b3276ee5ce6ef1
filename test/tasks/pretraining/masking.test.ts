import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DataRng } from '../../../src/data/random.ts';
import { createMaskedLmPredictions, ngramCumulative, numToPredict, PIECE_CONTINUES, PIECE_SPECIAL, PIECE_STARTS_WORD, pyRound, type MaskingOptions } from '../../../src/tasks/pretraining/data/masking.ts';
import { isStartPieceSentencePiece, isStartPieceWordPiece } from '../../../src/tasks/pretraining/data/documents.ts';
import { rng } from '../../helpers/random.ts';

const VOCAB = 1000;
const MASK = 4;
const base: MaskingOptions = { maskedLmProb: 0.15, maxPredictionsPerSeq: 20, ngram: 3, favorShorterNgram: true, doWholeWordMask: true, vocabSize: VOCAB, maskId: MASK };

/** [CLS] A [SEP] B [SEP] with random words of 1..maxPieces pieces; ids 10.. so none is special or [MASK]. */
function sequence(r: () => number, tokens: number, maxPieces: number): { ids: Int32Array; kinds: Uint8Array } {
  const ids: number[] = [2];
  const kinds: number[] = [PIECE_SPECIAL];
  const aLen = 1 + Math.floor(r() * (tokens - 4));
  const seg = (len: number): void => {
    let left = len;
    // Sometimes a segment opens with a continuation piece, as truncation from the front leaves it.
    let first = r() < 0.2;
    while (left > 0) {
      const pieces = Math.min(left, 1 + Math.floor(r() * maxPieces));
      for (let p = 0; p < pieces; p++) {
        ids.push(10 + Math.floor(r() * (VOCAB - 10)));
        kinds.push(p === 0 && !first ? PIECE_STARTS_WORD : PIECE_CONTINUES);
        first = false;
      }
      left -= pieces;
    }
  };
  seg(aLen);
  ids.push(3);
  kinds.push(PIECE_SPECIAL);
  seg(tokens - 3 - aLen);
  ids.push(3);
  kinds.push(PIECE_SPECIAL);
  return { ids: Int32Array.from(ids), kinds: Uint8Array.from(kinds) };
}

function wordStarts(kinds: Uint8Array, i: number): boolean {
  return kinds[i] === PIECE_STARTS_WORD || (kinds[i] === PIECE_CONTINUES && kinds[i - 1] === PIECE_SPECIAL);
}

describe('masked-LM predictions', () => {
  it('rounds like Python 3 (halves to even) in num_to_predict', () => {
    assert.deepEqual([0.5, 1.5, 2.5, 4.5, 2.4999, 2.5001].map(pyRound), [0, 2, 2, 4, 2, 3]);
    assert.equal(numToPredict(30, 0.15, 20), 4); // 30 * 0.15 = 4.5 -> 4, as Python's round gives
    assert.equal(numToPredict(10, 0.15, 20), 2); // 1.5 -> 2
    assert.equal(numToPredict(3, 0.15, 20), 1); // at least one
    assert.equal(numToPredict(512, 0.15, 20), 20); // at most max_predictions_per_seq
  });

  it('masks whole words in contiguous n-grams inside one segment, never [CLS]/[SEP], exactly num_to_predict when words are single pieces', () => {
    const r = rng(11);
    for (let trial = 0; trial < 400; trial++) {
      const single = trial % 2 === 0;
      const { ids, kinds } = sequence(r, 6 + Math.floor(r() * 120), single ? 1 : 4);
      const opts = { ...base, maxPredictionsPerSeq: 1 + Math.floor(r() * 25), ngram: 1 + Math.floor(r() * 4) };
      const m = createMaskedLmPredictions(ids, kinds, opts, new DataRng(trial));
      const want = numToPredict(ids.length, opts.maskedLmProb, opts.maxPredictionsPerSeq);
      const n = ids.length;
      // Multi-piece words may not fit the last few slots, so fewer can be masked.
      if (single) assert.equal(m.positions.length, want, `trial ${trial}`);
      else assert.ok(m.positions.length <= want, `trial ${trial}: ${m.positions.length} > ${want}`);
      // token_boundary: [CLS]/[SEP] and word-start pieces.
      for (let i = 0; i < n; i++) assert.equal(m.tokenBoundary[i], kinds[i] === PIECE_CONTINUES ? 0 : 1);
      const masked = new Set<number>();
      for (const [s, e] of m.spans) {
        assert.ok(wordStarts(kinds, s), `span starts mid-word (trial ${trial})`);
        assert.ok(e === n || kinds[e] !== PIECE_CONTINUES || kinds[e - 1] === PIECE_SPECIAL, `span ends mid-word (trial ${trial})`);
        let words = 0;
        for (let i = s; i < e; i++) {
          assert.notEqual(kinds[i], PIECE_SPECIAL, 'a special token inside a span');
          assert.ok(!masked.has(i), 'spans overlap');
          masked.add(i);
          if (wordStarts(kinds, i)) words++;
        }
        assert.ok(words >= 1 && words <= opts.ngram, `${words}-gram with ngram ${opts.ngram}`);
      }
      assert.deepEqual([...m.positions], [...masked].sort((a, b) => a - b));
      for (let j = 1; j < m.positions.length; j++) assert.ok(m.positions[j] > m.positions[j - 1]);
      for (let j = 0; j < m.positions.length; j++) assert.equal(m.labels[j], ids[m.positions[j]]);
      for (let i = 0; i < n; i++) if (!masked.has(i)) assert.equal(m.outputIds[i], ids[i]);
    }
  });

  it('replaces 80% of the chosen tokens by [MASK], keeps 10%, puts a random id in 10%', () => {
    const r = rng(12);
    let total = 0;
    let masks = 0;
    let kept = 0;
    const rngm = new DataRng(5);
    while (total < 20000) {
      const { ids, kinds } = sequence(r, 128, 3);
      const m = createMaskedLmPredictions(ids, kinds, base, rngm);
      for (const p of m.positions) {
        total++;
        if (m.outputIds[p] === MASK) masks++;
        else if (m.outputIds[p] === ids[p]) kept++;
      }
    }
    const random = total - masks - kept;
    assert.ok(Math.abs(masks / total - 0.8) < 0.015, `[MASK] ${masks / total}`);
    assert.ok(Math.abs(kept / total - 0.1) < 0.012, `kept ${kept / total}`);
    assert.ok(Math.abs(random / total - 0.1) < 0.012, `random ${random / total}`);
  });

  it('draws n-gram lengths with p proportional to 1/n, or the reverse without favor_shorter_ngram', () => {
    assert.deepEqual([...ngramCumulative(3, true)].map((x) => +(x / (11 / 6)).toFixed(6)), [0.545455, 0.818182, 1]);
    assert.deepEqual([...ngramCumulative(3, false)].map((x) => +(x / (11 / 6)).toFixed(6)), [0.181818, 0.454545, 1]);
    for (const favor of [true, false]) {
      const r = rng(13);
      const counts = [0, 0, 0, 0];
      const rngm = new DataRng(6);
      // Sparse masking (2% of long single-piece sequences) so that overlaps and the budget rarely shorten an n-gram.
      for (let t = 0; t < 150; t++) {
        const { ids, kinds } = sequence(r, 3000, 1);
        const m = createMaskedLmPredictions(ids, kinds, { ...base, maskedLmProb: 0.02, maxPredictionsPerSeq: 3000, favorShorterNgram: favor }, rngm);
        for (const [s, e] of m.spans) counts[e - s]++;
      }
      const total = counts[1] + counts[2] + counts[3];
      const p = counts.slice(1).map((c) => c / total);
      const expect = favor ? [6 / 11, 3 / 11, 2 / 11] : [2 / 11, 3 / 11, 6 / 11];
      // The last n-gram of a sequence is shortened to fit the budget and overlapping ones are skipped, which favours short ones a little.
      for (let k = 0; k < 3; k++) assert.ok(Math.abs(p[k] - expect[k]) < 0.03, `favor ${favor}: p(${k + 1}) = ${p[k].toFixed(3)}, expected ${expect[k].toFixed(3)}`);
    }
  });

  it('masks single pieces without whole-word masking, and nothing with masked_lm_prob 0', () => {
    const r = rng(14);
    const { ids, kinds } = sequence(r, 100, 4);
    const m = createMaskedLmPredictions(ids, kinds, { ...base, doWholeWordMask: false, ngram: 1 }, new DataRng(1));
    assert.equal(m.positions.length, numToPredict(100, 0.15, 20));
    assert.ok(m.spans.every(([s, e]) => e - s === 1));
    for (let i = 0; i < ids.length; i++) assert.equal(m.tokenBoundary[i], kinds[i] === PIECE_CONTINUES ? 0 : 1);
    const none = createMaskedLmPredictions(ids, kinds, { ...base, maskedLmProb: 0 }, new DataRng(1));
    assert.equal(none.positions.length, 0);
    assert.deepEqual(none.outputIds, ids);
  });

  it('tells word-start pieces apart by the original rules', () => {
    const starts = ['\u2581the', '<unk>', '.', ',', '12', '\u4e2d', "'s", '\u2581'];
    const continues = ['ing', 'S', 's.', '..', 'a-b'];
    for (const p of starts) assert.equal(isStartPieceSentencePiece(p), true, p);
    for (const p of continues) assert.equal(isStartPieceSentencePiece(p), false, p);
    assert.equal(isStartPieceWordPiece('##ing'), false);
    assert.equal(isStartPieceWordPiece('the'), true);
  });
});
