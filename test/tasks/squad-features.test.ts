// SQuAD windowed features: the [CLS] question [SEP] window [SEP] layout, the windows and their
// stride, the max-context rule, answer positions that map back to the answer's own characters,
// unanswerable windows at [CLS], query truncation and the errors.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AlbertTokenizer } from '../../src/text/albert-tokenizer.ts';
import { SentencePieceProcessor } from '../../src/text/sentencepiece.ts';
import { OptionError, UserError } from '../../src/util/errors.ts';
import { alignContext } from '../../src/tasks/squad/align.ts';
import type { SquadExample } from '../../src/tasks/squad/data.ts';
import { docSpans, isMaxContext, squadFeatures, type SquadFeatureOptions, type SquadFeatures } from '../../src/tasks/squad/features.ts';
import { modelBytes } from '../text/spm-fixtures.ts';

const tok = new AlbertTokenizer(SentencePieceProcessor.fromBytes(modelBytes('albert'), 'albert.model'));

/** A long context of awkward words, and answers at known places. */
function longContext(words: number, seed: number): string {
  const pool = ['Zürich', 'café', 'the', 'capital', '1,000,', '``quoted\'\'', 'Ångström', '北京大学', 'of', 'naïve', 'PARIS', '2,500,000', 'and', 'report'];
  let s = seed;
  const out: string[] = [];
  for (let i = 0; i < words; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    out.push(pool[s % pool.length]);
    if (s % 7 === 0) out.push(' ');
  }
  return out.join(' ');
}

function example(id: string, context: string, answer: string | null, question = 'Where is the capital of Zürich?'): SquadExample {
  if (answer === null) return { id, question, context, answers: [], isImpossible: true };
  const start = context.indexOf(answer);
  assert.ok(start >= 0, answer);
  return { id, question, context, answers: [{ text: answer, start }], isImpossible: false };
}

const OPTS: SquadFeatureOptions = { maxSeqLength: 48, docStride: 12, maxQueryLength: 8, training: true };

function rowsOf(f: SquadFeatures, exampleIndex: number): number[] {
  return f.features.flatMap((x, k) => (x.exampleIndex === exampleIndex ? [k] : []));
}

describe('docSpans and isMaxContext', () => {
  it('follow the original: windows every min(length, stride), the last one ends with the passage', () => {
    assert.deepEqual(docSpans(10, 4, 3), [{ start: 0, length: 4 }, { start: 3, length: 4 }, { start: 6, length: 4 }]);
    assert.deepEqual(docSpans(11, 4, 3), [{ start: 0, length: 4 }, { start: 3, length: 4 }, { start: 6, length: 4 }, { start: 9, length: 2 }]);
    // A stride longer than the window steps by the window.
    assert.deepEqual(docSpans(9, 4, 10), [{ start: 0, length: 4 }, { start: 4, length: 4 }, { start: 8, length: 1 }]);
    assert.deepEqual(docSpans(3, 4, 2), [{ start: 0, length: 3 }]);
  });

  it("is the original's example: 'bought' belongs to span C", () => {
    // the man went to the store and bought a gallon of milk: A = 0..4, B = 3..7, C = 6..10.
    const spans = [{ start: 0, length: 5 }, { start: 3, length: 5 }, { start: 6, length: 5 }];
    assert.equal(isMaxContext(spans, 1, 7), false);
    assert.equal(isMaxContext(spans, 2, 7), true);
    // Ties go to the first window with the best score; the 0.01 x length term prefers the longer window.
    const tie = [{ start: 0, length: 5 }, { start: 2, length: 5 }];
    assert.equal(isMaxContext(tie, 0, 3), true);
    assert.equal(isMaxContext(tie, 1, 3), false);
    assert.equal(isMaxContext([{ start: 0, length: 3 }, { start: 0, length: 4 }], 1, 1), true);
  });
});

describe('squadFeatures', () => {
  const contexts = [longContext(150, 1), longContext(90, 2), 'A short passage about Zürich.'];
  const answers = ['北京大学', 'Ångström', 'Zürich'];
  // Answers late in the passage, so that some windows do not hold them.
  const examples = contexts.map((c, i) => {
    const start = c.lastIndexOf(answers[i]);
    return { ...example(`q${i}`, c, answers[i]), answers: [{ text: answers[i], start }] };
  });
  examples.push(example('none', contexts[1], null));
  const f = squadFeatures(examples, tok, OPTS);

  it('lays out [CLS] question [SEP] window [SEP] with segments, mask, p_mask and zero padding', () => {
    const L = OPTS.maxSeqLength;
    assert.equal(f.seqLength, L);
    assert.equal(f.inputIds.length, f.count * L);
    for (let k = 0; k < f.count; k++) {
      const info = f.features[k];
      const ex = examples[info.exampleIndex];
      const aligned = alignContext(ex.context, tok);
      const query = tok.encode(ex.question).slice(0, OPTS.maxQueryLength);
      const row = Array.from(f.inputIds.subarray(k * L, (k + 1) * L));
      const window = aligned.ids.slice(info.docSpanStart, info.docSpanStart + info.docSpanLength);
      const real = [tok.clsId, ...query, tok.sepId, ...window, tok.sepId];
      assert.equal(info.docOffset, query.length + 2);
      assert.deepEqual(row, [...real, ...new Array<number>(L - real.length).fill(0)]);
      const seg = Array.from(f.segmentIds.subarray(k * L, (k + 1) * L));
      const mask = Array.from(f.inputMask.subarray(k * L, (k + 1) * L));
      const pMask = Array.from(f.pMask.subarray(k * L, (k + 1) * L));
      for (let t = 0; t < L; t++) {
        const inPassage = t >= info.docOffset && t < info.docOffset + info.docSpanLength;
        assert.equal(mask[t], t < real.length ? 1 : 0);
        assert.equal(seg[t], t >= info.docOffset && t < real.length ? 1 : 0);
        assert.equal(pMask[t], inPassage || t === 0 ? 0 : 1, `p_mask at ${t}`);
        if (inPassage) {
          const piece = info.docSpanStart + t - info.docOffset;
          assert.equal(info.tokenToOrigStart[t], aligned.starts[piece]);
          assert.equal(info.tokenToOrigEnd[t], aligned.ends[piece]);
        } else {
          assert.equal(info.tokenToOrigStart[t], -1);
          assert.equal(info.tokenToOrigEnd[t], -1);
          assert.equal(info.tokenIsMaxContext[t], 0);
        }
      }
      assert.equal(f.uniqueIds[k], 1000000000 + k);
    }
  });

  it('windows cover the passage at the stride, and every passage piece is max-context in exactly one', () => {
    for (let e = 0; e < examples.length; e++) {
      const rows = rowsOf(f, e);
      const pieces = alignContext(examples[e].context, tok).pieces.length;
      const maxTokens = OPTS.maxSeqLength - f.features[rows[0]].docOffset - 1;
      assert.ok(e === 2 || rows.length > 2, `example ${e} needs several windows`);
      const owners = new Array<number>(pieces).fill(0);
      const covered = new Array<number>(pieces).fill(0);
      rows.forEach((k, w) => {
        const info = f.features[k];
        assert.equal(info.docSpanIndex, w);
        assert.ok(info.docSpanLength <= maxTokens);
        if (w === 0) assert.equal(info.docSpanStart, 0);
        else assert.equal(info.docSpanStart - f.features[rows[w - 1]].docSpanStart, Math.min(f.features[rows[w - 1]].docSpanLength, OPTS.docStride));
        for (let t = 0; t < info.docSpanLength; t++) {
          covered[info.docSpanStart + t]++;
          owners[info.docSpanStart + t] += info.tokenIsMaxContext[info.docOffset + t];
        }
      });
      const last = f.features[rows[rows.length - 1]];
      assert.equal(last.docSpanStart + last.docSpanLength, pieces);
      assert.ok(covered.every((c) => c >= 1));
      assert.deepEqual(owners, new Array<number>(pieces).fill(1));
    }
  });

  it('answer positions map back to the answer text; windows without it, and unanswerable questions, point at [CLS]', () => {
    for (let e = 0; e < examples.length; e++) {
      const ex = examples[e];
      let holding = 0;
      for (const k of rowsOf(f, e)) {
        const info = f.features[k];
        const [s, t] = [f.startPositions[k], f.endPositions[k]];
        if (ex.isImpossible || f.isImpossible[k]) {
          assert.deepEqual([s, t, f.isImpossible[k]], [0, 0, 1]);
          continue;
        }
        holding++;
        assert.ok(s >= info.docOffset && t >= s && t < info.docOffset + info.docSpanLength);
        assert.equal(ex.context.slice(info.tokenToOrigStart[s], info.tokenToOrigEnd[t]), ex.answers[0].text);
      }
      if (!ex.isImpossible) {
        assert.ok(holding >= 1, `${ex.id}: some window holds the answer`);
        assert.ok(holding < rowsOf(f, e).length || e === 2, `${ex.id}: some window does not`);
      }
    }
  });

  it('without training there are no positions', () => {
    const g = squadFeatures(examples, tok, { ...OPTS, training: false });
    assert.equal(g.count, f.count);
    assert.deepEqual(Array.from(g.inputIds), Array.from(f.inputIds));
    assert.ok(g.startPositions.every((x) => x === 0) && g.endPositions.every((x) => x === 0) && g.isImpossible.every((x) => x === 0));
  });

  it('cuts the question to maxQueryLength pieces', () => {
    const question = 'What is the capital of the report of the naïve café of Zürich and of PARIS and of 1,000 people?';
    const full = tok.encode(question);
    assert.ok(full.length > 8);
    const g = squadFeatures([example('long', contexts[2], 'Zürich', question)], tok, OPTS);
    assert.equal(g.features[0].docOffset, 10);
    assert.deepEqual(Array.from(g.inputIds.subarray(0, 10)), [tok.clsId, ...full.slice(0, 8)].concat([tok.sepId]).slice(0, 10));
    assert.equal(g.inputIds[9], tok.sepId);
  });

  it('an answer split inside a piece trains on the whole piece', () => {
    const context = 'They measured one Ångström exactly.';
    const ex: SquadExample = { id: 'p', question: 'q', context, answers: [{ text: 'ngstr', start: context.indexOf('ngstr') }], isImpossible: false };
    const g = squadFeatures([ex], tok, OPTS);
    const info = g.features[0];
    const got = context.slice(info.tokenToOrigStart[g.startPositions[0]], info.tokenToOrigEnd[g.endPositions[0]]);
    assert.ok(got.includes('ngstr') && 'Ångström'.includes(got), got);
  });

  it('refuses a question that leaves no room for the passage, and bad options, in one line', () => {
    const question = 'one two three four five six seven eight nine ten eleven twelve';
    assert.throws(
      () => squadFeatures([example('big', contexts[2], 'Zürich', question)], tok, { maxSeqLength: 12, docStride: 4, maxQueryLength: 64, training: true }),
      (e: Error) => e instanceof UserError && /^question "big": its \d+ pieces \(cut to maxQueryLength 64\) and \[CLS\] \[SEP\] \[SEP\] leave no room for the passage in maxSeqLength 12$/.test(e.message),
    );
    for (const bad of [{ maxSeqLength: 3 }, { docStride: 0 }, { maxQueryLength: -1 }, { maxSeqLength: 12.5 }]) {
      assert.throws(() => squadFeatures([], tok, { ...OPTS, ...bad }), (e: Error) => e instanceof OptionError && !e.message.includes('\n'));
    }
    // A training example without an answer that is not marked impossible.
    assert.throws(() => squadFeatures([{ ...example('x', contexts[2], 'Zürich'), answers: [] }], tok, OPTS), UserError);
  });

  it('leaves out (and reports) a training answer that no piece holds', () => {
    const context = 'a    b';
    const g = squadFeatures([{ id: 'ws', question: 'q', context, answers: [{ text: '  ', start: 2 }], isImpossible: false }], tok, OPTS);
    assert.equal(g.count, 0);
    assert.deepEqual(g.skipped.map((s) => s.id), ['ws']);
  });
});
