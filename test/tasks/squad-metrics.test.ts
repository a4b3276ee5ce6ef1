import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OptionError, UserError } from '../../src/util/errors.ts';
import {
  computeExact,
  computeF1,
  detectSquadVersion,
  evaluateSquad,
  evaluateSquadFiles,
  exactMatchScoreV1,
  f1ScoreV1,
  findBestThresh,
  getTokens,
  jsonObjectKeyOrder,
  normalizeAnswer,
  readNaProbs,
  readSquadEvalData,
  squadResultDocument,
  type SquadEvalArticle,
  type SquadEvaluation,
  type SquadV1Scores,
  type SquadV2Scores,
} from '../../src/tasks/squad/metrics.ts';
import { albert, assertOneLineError } from '../helpers/cli.ts';

interface Q {
  id: string;
  answers: string[];
  is_impossible?: boolean;
}

/** A SQuAD `data` array: one article, one paragraph per question. */
function squad(qs: Q[]): SquadEvalArticle[] {
  return [
    {
      paragraphs: qs.map((q) => ({
        qas: [{ id: q.id, answers: q.answers.map((text) => ({ text, answer_start: 0 })), ...(q.is_impossible === undefined ? {} : { is_impossible: q.is_impossible }) }],
      })),
    },
  ];
}

function v1(r: SquadEvaluation): SquadV1Scores {
  assert.equal(r.version, '1.1');
  return r.scores as SquadV1Scores;
}
function v2(r: SquadEvaluation): SquadV2Scores {
  assert.equal(r.version, '2.0');
  return r.scores as SquadV2Scores;
}

function throwsUser(fn: () => unknown, re: RegExp, cls: typeof UserError = UserError): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof cls, `expected a ${cls.name}, got ${String(e)}`);
    assert.ok(!e.message.includes('\n'), `one line: ${e.message}`);
    assert.match(e.message, re);
    return true;
  });
}

describe('normalize_answer', () => {
  it('lowercases, drops ASCII punctuation, then articles as whole words, then fixes whitespace', () => {
    assert.equal(normalizeAnswer('The Cat!'), 'cat');
    assert.equal(normalizeAnswer('  A  cat,\tan  apple and THE   dog. '), 'cat apple and dog');
    // Punctuation goes first: "an-the" becomes the word "anthe", which is no article.
    assert.equal(normalizeAnswer('a an-the'), 'anthe');
    assert.equal(normalizeAnswer("l'amour"), 'lamour');
    // Articles only as whole words; the underscore is punctuation (string.punctuation), so x_the -> xthe.
    assert.equal(normalizeAnswer('theatre another x_the'), 'theatre another xthe');
    assert.equal(normalizeAnswer('“Quoted” — dash'), '“quoted” — dash', 'non-ASCII punctuation stays');
  });

  it('sees word boundaries as Python 3 does (Unicode letters and numbers are word characters)', () => {
    assert.equal(normalizeAnswer('éa'), 'éa');
    assert.equal(normalizeAnswer('é a'), 'é');
    assert.equal(normalizeAnswer('a² the٣ a'), 'a² the٣');
    assert.equal(normalizeAnswer('Über a Ärger'), 'über ärger');
  });

  it('splits on what Python calls whitespace', () => {
    assert.equal(normalizeAnswer('Hello\u00a0world\u3000x'), 'hello world x');
    assert.equal(normalizeAnswer('foo\x1cbar\x85baz'), 'foo bar baz');
    assert.equal(normalizeAnswer('x\ufeffy'), 'x\ufeffy', 'U+FEFF is no whitespace to Python');
    assert.equal(normalizeAnswer('x\u200by'), 'x\u200by');
  });

  it('get_tokens is [] for "" and for answers that normalise to nothing', () => {
    assert.deepEqual(getTokens(''), []);
    assert.deepEqual(getTokens('The.'), []);
    assert.deepEqual(getTokens('The quick, brown fox'), ['quick', 'brown', 'fox']);
  });
});

describe('per-answer scores', () => {
  it('exact match compares normalised answers', () => {
    assert.equal(computeExact('the Denver Broncos', 'Denver Broncos.'), 1);
    assert.equal(computeExact('Denver', 'Denver Broncos'), 0);
    assert.equal(computeExact('', 'the'), 1);
    assert.equal(exactMatchScoreV1('Denver Broncos.', 'the Denver Broncos'), true);
  });

  it('token F1 counts shared tokens with multiplicity', () => {
    // gold [quick, brown, fox], pred [quick, fox, jumps]: 2 shared, P = R = 2/3.
    assert.equal(computeF1('the quick brown fox', 'quick fox jumps'), (2 * (2 / 3) * (2 / 3)) / (2 / 3 + 2 / 3));
    // gold [x, y, y], pred [y, y, y, z]: 2 shared, P = 1/2, R = 2/3, F1 = 4/7.
    const f = computeF1('x y y', 'y y y z');
    assert.ok(Math.abs(f - 4 / 7) < 1e-15, String(f));
    assert.equal(f1ScoreV1('y y y z', 'x y y'), f);
    assert.equal(computeF1('Normandy', 'France'), 0);
  });

  it('v2.0 scores empty answers 1 when both are empty, else 0; v1.1 has no such rule', () => {
    assert.equal(computeF1('', ''), 1);
    assert.equal(computeF1('the', 'an'), 1);
    assert.equal(computeF1('', 'Paris'), 0);
    assert.equal(computeF1('Paris', ''), 0);
    assert.equal(f1ScoreV1('', ''), 0);
    assert.equal(f1ScoreV1('the', 'a'), 0);
  });
});

const V1_QUESTIONS: Q[] = [
  { id: 'q1', answers: ['Denver Broncos', 'the Denver Broncos', 'Broncos'] },
  { id: 'q2', answers: ['Saint Bernadette Soubirous'] },
  { id: 'q3', answers: ['blue', 'light blue sky'] },
  { id: 'q4', answers: ['1990'] },
  { id: 'q5', answers: ['x'] },
];
const V1_PREDICTIONS = {
  q1: 'denver broncos.', // EM 1, F1 1
  q2: 'Bernadette', // EM 0, F1: P 1, R 1/3 -> 0.5
  q3: 'a light blue', // EM 0, F1 max(2/3 against "blue", 0.8 against "light blue sky")
  // q4: unanswered, 0
  q5: '', // v1.1: no tokens, F1 0
  zzz: 'not a question of the data',
};

describe('SQuAD v1.1 (evaluate-v1.1.py)', () => {
  it('scores against every gold answer, counts unanswered questions as 0 and ignores unknown ids', () => {
    const r = evaluateSquad(squad(V1_QUESTIONS), V1_PREDICTIONS, { dataVersion: '1.1' });
    assert.equal(r.versionFrom, 'data');
    assert.deepEqual(v1(r), { exact_match: (100 * 1) / 5, f1: (100 * (1 + 0.5 + 0.8 + 0 + 0)) / 5 });
    assert.deepEqual(Object.keys(r.scores), ['exact_match', 'f1']);
    assert.equal(r.questions, 5);
    assert.deepEqual(r.unanswered, ['q4']);
    assert.deepEqual(r.unknownPredictions, ['zzz']);
    assert.deepEqual(r.warnings, ['Unanswered question q4 will receive score 0.']);
    assert.deepEqual(squadResultDocument(r), { exact_match: 20, f1: r.scores.f1, unanswered: 1 });
  });

  it('counts a repeated question id every time, and warns about another dataset version', () => {
    const r = evaluateSquad(squad([{ id: 'd', answers: ['x'] }, { id: 'd', answers: ['y'] }]), new Map([['d', 'x']]), { dataVersion: 'v2.0', version: '1.1' });
    assert.deepEqual(v1(r), { exact_match: 50, f1: 50 });
    assert.equal(r.questions, 2);
    assert.deepEqual(r.warnings, ['Evaluation expects v-1.1, but got dataset with v-v2.0']);
  });

  it('refuses a question without answers and v2.0-only options', () => {
    const data = squad([{ id: 'q1', answers: ['x'] }, { id: 'q2', answers: [] }]);
    throwsUser(() => evaluateSquad(data, { q1: 'x', q2: '' }, { version: '1.1' }), /data: question "q2" has no answers; .*version 2\.0/);
    throwsUser(() => evaluateSquad(squad(V1_QUESTIONS), {}, { version: '1.1', naProbs: {} }), /naProbs is for SQuAD v2\.0, and version says 1\.1/, OptionError);
    throwsUser(() => evaluateSquad(squad(V1_QUESTIONS), {}, { version: '1.1', naProbThresh: 0.5 }), /naProbThresh is for SQuAD v2\.0/, OptionError);
    throwsUser(() => evaluateSquad([], {}), /no questions to evaluate/);
  });
});

// Dataset order a1, n1, a2, n2, a3, n3; the na-prob file's order a1, n1, a2, n2, a3, n3 too.
const V2_QUESTIONS: Q[] = [
  { id: 'a1', answers: ['Normandy', 'in Normandy'], is_impossible: false },
  { id: 'n1', answers: [], is_impossible: true },
  { id: 'a2', answers: ['10th century'], is_impossible: false },
  { id: 'n2', answers: [], is_impossible: true },
  // Has an answer, but it normalises to '': gold becomes [''] while the question stays HasAns.
  { id: 'a3', answers: ['The'], is_impossible: false },
  { id: 'n3', answers: [], is_impossible: true },
];
const V2_PREDICTIONS = new Map([
  ['a1', 'Normandy'], // exact 1, f1 1
  ['n1', ''], // exact 1, f1 1
  ['a2', 'the 10th and 11th centuries'], // [10th, and, 11th, centuries] vs [10th, century]: P 1/4, R 1/2 -> 1/3
  ['n2', 'France'], // 0, 0
  ['a3', 'an'], // '' vs '': 1, 1
  ['n3', 'the'], // normalises to '': 1, 1 (but find_best_thresh counts it as an answer)
]);
const V2_NA_PROBS = new Map([
  ['a1', 0.1],
  ['n1', 0.9],
  ['a2', 0.3],
  ['n2', 0.6],
  ['a3', 0.5],
  ['n3', 0.2],
]);

describe('SQuAD v2.0 (evaluate-v2.0.py)', () => {
  it('scores HasAns and NoAns with the empty-answer rule; without an na-prob file there are no best_* keys', () => {
    const r = evaluateSquad(squad(V2_QUESTIONS), V2_PREDICTIONS);
    assert.equal(r.versionFrom, 'data');
    const s = v2(r);
    assert.deepEqual(s, {
      exact: (100 * (1 + 1 + 0 + 0 + 1 + 1)) / 6,
      f1: (100 * (1 + 1 + 1 / 3 + 0 + 1 + 1)) / 6,
      total: 6,
      HasAns_exact: (100 * (1 + 0 + 1)) / 3,
      HasAns_f1: (100 * (1 + 1 / 3 + 1)) / 3,
      HasAns_total: 3,
      NoAns_exact: (100 * (1 + 0 + 1)) / 3,
      NoAns_f1: (100 * (1 + 0 + 1)) / 3,
      NoAns_total: 3,
    });
    assert.deepEqual(Object.keys(s), ['exact', 'f1', 'total', 'HasAns_exact', 'HasAns_f1', 'HasAns_total', 'NoAns_exact', 'NoAns_f1', 'NoAns_total']);
    assert.deepEqual(squadResultDocument(r), s);
  });

  it('applies the threshold (na_prob > thresh: the answer counts as "") and finds the best thresholds', () => {
    const r = evaluateSquad(squad(V2_QUESTIONS), V2_PREDICTIONS, { naProbs: V2_NA_PROBS, naProbThresh: 0.5 });
    // n1 (0.9) and n2 (0.6) become no-answer predictions: both score 1; a3 at exactly 0.5 keeps its answer.
    assert.deepEqual(v2(r), {
      exact: (100 * (1 + 1 + 0 + 1 + 1 + 1)) / 6,
      f1: (100 * (1 + 1 + 1 / 3 + 1 + 1 + 1)) / 6,
      total: 6,
      HasAns_exact: (100 * (1 + 0 + 1)) / 3,
      HasAns_f1: (100 * (1 + 1 / 3 + 1)) / 3,
      HasAns_total: 3,
      NoAns_exact: 100,
      NoAns_f1: 100,
      NoAns_total: 3,
      // Scan from 3 (all null) in na_prob order a1 .1, n3 .2, a2 .3, a3 .5, n2 .6, n1 .9:
      // exact 3 +1=4 (best, .1) -1=3 +0=3 +1=4 (not better) -1=3 +0=3.
      best_exact: (100 * 4) / 6,
      best_exact_thresh: 0.1,
      // f1 3 +1=4 (best, .1) -1=3 +1/3 +1=4.33 (best, .5) -1 +0.
      best_f1: (100 * (3 + 1 - 1 + 1 / 3 + 1)) / 6,
      best_f1_thresh: 0.5,
    });
    // The default threshold 1.0 changes nothing here; the best_* keys do not depend on it.
    const d = v2(evaluateSquad(squad(V2_QUESTIONS), V2_PREDICTIONS, { naProbs: V2_NA_PROBS }));
    assert.equal(d.exact, (100 * 4) / 6);
    assert.equal(d.best_f1_thresh, 0.5);
  });

  it('find_best_thresh keeps 0.0 when nothing beats "all null", even below every probability', () => {
    const data = squad([{ id: 'a', answers: ['x'] }, { id: 'n', answers: [] }]);
    const preds = new Map([['a', 'wrong'], ['n', 'y']]);
    const s = v2(evaluateSquad(data, preds, { naProbs: new Map([['a', -3], ['n', -2]]) }));
    // All null: 1 of 2. a: +0, n: -1. Nothing strictly better.
    assert.equal(s.best_exact, 50);
    assert.equal(s.best_exact_thresh, 0);
    assert.equal(s.best_f1, 50);
    // na_prob -3 > thresh -3.5: both predicted null: a 0, n 1.
    assert.equal(v2(evaluateSquad(data, preds, { naProbs: new Map([['a', -3], ['n', -2]]), naProbThresh: -3.5 })).exact, 50);
  });

  it('breaks na_prob ties in the na-prob order (the file order, integer-like ids included)', () => {
    const data = squad([{ id: '2', answers: [] }, { id: '10', answers: ['x'] }]);
    const preds = new Map([['2', 'y'], ['10', 'x']]);
    // "10" first: 1 +1 = 2 (best at .5), then "2": -1.
    const first = v2(evaluateSquad(data, preds, { naProbs: new Map([['10', 0.5], ['2', 0.5]]) }));
    assert.equal(first.best_exact, 100);
    assert.equal(first.best_exact_thresh, 0.5);
    // "2" first: 1 -1 = 0, +1 = 1: not better than 1, thresh stays 0.0.
    const second = v2(evaluateSquad(data, preds, { naProbs: new Map([['2', 0.5], ['10', 0.5]]) }));
    assert.equal(second.best_exact, 50);
    assert.equal(second.best_exact_thresh, 0);
    // Ids in the na-prob file that are not scored are skipped.
    const qidToHasAns = new Map([['2', false], ['10', true]]);
    assert.deepEqual(findBestThresh(preds, new Map([['2', 0], ['10', 1]]), new Map([['zz', 0.1], ['10', 0.5], ['2', 0.5]]), qidToHasAns), [100, 0.5]);

    const dir = mkdtempSync(join(tmpdir(), 'albert-squad-metrics-'));
    const file = join(dir, 'null_odds.json');
    writeFileSync(file, '{"10": 0.5, "2": 0.5, "10": 0.25, "__proto__": 1}');
    assert.deepEqual([...readNaProbs(file)], [['10', 0.25], ['2', 0.5], ['__proto__', 1]]);
    assert.deepEqual(jsonObjectKeyOrder('{"10": {"3": 1, "x": "a:"}, "k\\"ey" : [":", {"y": 2}], "2": "z"}'), ['10', 'k"ey', '2']);
  });

  it('keeps the first position and the last entry of a repeated id, and drops empty-normalising gold answers', () => {
    const data = squad([{ id: 'd', answers: ['x'] }, { id: 'e', answers: ['y'] }, { id: 'd', answers: [] }]);
    const r = evaluateSquad(data, { d: 'x', e: 'y' }, { version: '2.0' });
    assert.equal(r.versionFrom, 'option');
    // d: HasAns false (last entry), gold [''] vs 'x': 0; e: 1.
    assert.deepEqual(v2(r), { exact: 50, f1: 50, total: 2, HasAns_exact: 100, HasAns_f1: 100, HasAns_total: 1, NoAns_exact: 0, NoAns_f1: 0, NoAns_total: 1 });
    assert.equal(r.questions, 2);
    // A v1.1-style file evaluated as v2.0 has no NoAns keys.
    assert.deepEqual(Object.keys(v2(evaluateSquad(squad([{ id: 'q', answers: ['x'] }]), { q: 'x' }, { version: '2.0' }))), ['exact', 'f1', 'total', 'HasAns_exact', 'HasAns_f1', 'HasAns_total']);
  });

  it('refuses missing predictions and missing null probabilities in one line', () => {
    throwsUser(() => evaluateSquad(squad(V2_QUESTIONS), { a1: 'x' }, { names: { predictions: 'p.json' } }), /^p\.json: no prediction for 5 of 6 questions \("n1", "a2", "n2" and 2 more\); SQuAD v2\.0 scores every question/);
    throwsUser(() => evaluateSquad(squad(V2_QUESTIONS), V2_PREDICTIONS, { naProbs: { a1: 0.5 } }), /^na_probs: no null probability for 5 of 6 questions/);
  });

  it('detects the version from the data and the v2.0-only options', () => {
    assert.equal(detectSquadVersion(squad(V1_QUESTIONS)), '1.1');
    assert.equal(detectSquadVersion(squad([{ id: 'q', answers: ['x'], is_impossible: false }])), '2.0');
    assert.equal(detectSquadVersion(squad([{ id: 'q', answers: [] }])), '2.0');
    assert.equal(detectSquadVersion(squad(V1_QUESTIONS), true), '2.0');
    assert.equal(evaluateSquad(squad([{ id: 'q', answers: ['x'] }]), { q: 'x' }, { naProbThresh: 0.5 }).version, '2.0');
  });
});

describe('SQuAD files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'albert-squad-files-'));
  const file = (name: string, content: unknown): string => {
    const p = join(dir, name);
    writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content));
    return p;
  };
  const squadJson = (qs: Q[], version: string) => ({
    version,
    data: [
      {
        title: 'T',
        paragraphs: qs.map((q) => ({
          context: 'c',
          qas: [{ id: q.id, question: 'q?', answers: q.answers.map((text) => ({ text, answer_start: 0 })), ...(q.is_impossible === undefined ? {} : { is_impossible: q.is_impossible }) }],
        })),
      },
    ],
  });
  const dev1 = file('dev-v1.1.json', squadJson(V1_QUESTIONS, '1.1'));
  const pred1 = file('pred1.json', V1_PREDICTIONS);
  const dev2 = file('dev-v2.0.json', squadJson(V2_QUESTIONS, 'v2.0'));
  const pred2 = file('pred2.json', Object.fromEntries(V2_PREDICTIONS));
  const odds2 = file('null_odds.json', Object.fromEntries(V2_NA_PROBS));

  it('reads the official layout and gives the same scores as in memory', () => {
    const r1 = evaluateSquadFiles({ dataFile: dev1, predictions: pred1 });
    assert.deepEqual(r1, evaluateSquad(squad(V1_QUESTIONS), V1_PREDICTIONS, { dataVersion: '1.1' }));
    const r2 = evaluateSquadFiles({ dataFile: dev2, predictions: pred2, naProbFile: odds2, naProbThresh: 0.5 });
    assert.deepEqual(r2.scores, evaluateSquad(squad(V2_QUESTIONS), V2_PREDICTIONS, { naProbs: V2_NA_PROBS, naProbThresh: 0.5 }).scores);
    assert.equal(readSquadEvalData(dev2).version, 'v2.0');
  });

  it('names the file and the field of malformed input', () => {
    const cases: [unknown, RegExp][] = [
      ['{"data": [', /bad\.json: not JSON \(the SQuAD data file\)/],
      [[1], /bad\.json: the top level must be an object/],
      [{ version: '1.1' }, /bad\.json: no "data" field/],
      [{ data: [{ title: 't' }] }, /bad\.json: data\[0\] has no "paragraphs" field/],
      [{ data: [{ paragraphs: [{ context: 'c' }] }] }, /bad\.json: data\[0\]\.paragraphs\[0\] has no "qas" field/],
      [{ data: [{ paragraphs: [{ qas: [{ question: 'q', answers: [] }] }] }] }, /bad\.json: data\[0\]\.paragraphs\[0\]\.qas\[0\] has no "id" field/],
      [{ data: [{ paragraphs: [{ qas: [{ id: 7, answers: [] }] }] }] }, /qas\[0\]\.id must be a string, got a number/],
      [{ data: [{ paragraphs: [{ qas: [{ id: 'q' }] }] }] }, /qas\[0\] \(id "q"\) has no "answers" field/],
      [{ data: [{ paragraphs: [{ qas: [{ id: 'q', answers: [{ answer_start: 0 }] }] }] }] }, /qas\[0\]\.answers\[0\] has no "text" field/],
    ];
    for (const [content, re] of cases) throwsUser(() => readSquadEvalData(file('bad.json', content)), re);
    throwsUser(() => evaluateSquadFiles({ dataFile: join(dir, 'nope.json'), predictions: pred1 }), /nope\.json: no such file \(the SQuAD data file\)/);
    throwsUser(() => evaluateSquadFiles({ dataFile: dev1, predictions: file('p.json', { q1: 3 }) }), /p\.json: the prediction for question "q1" must be a string, got a number/);
    throwsUser(() => evaluateSquadFiles({ dataFile: dev1, predictions: file('p.json', ['x']) }), /p\.json: the predictions file must be a JSON object/);
    throwsUser(() => evaluateSquadFiles({ dataFile: dev2, predictions: pred2, naProbFile: file('o.json', { a1: 'high' }) }), /o\.json: the null probability of question "a1" must be a number, got a string/);
    throwsUser(() => evaluateSquadFiles({ dataFile: dev2, predictions: pred2, version: '3' }), /version must be 1\.1 or 2\.0, got "3"/, OptionError);
  });
});

describe('albert evaluate squad', () => {
  const dir = mkdtempSync(join(tmpdir(), 'albert-squad-cli-'));
  const file = (name: string, content: unknown): string => {
    const p = join(dir, name);
    writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content));
    return p;
  };
  const dev1 = file('dev-v1.1.json', { version: '1.1', data: squad(V1_QUESTIONS) });
  const pred1 = file('pred1.json', V1_PREDICTIONS);
  const dev2 = file('dev-v2.0.json', { version: 'v2.0', data: squad(V2_QUESTIONS) });
  const pred2 = file('pred2.json', Object.fromEntries(V2_PREDICTIONS));
  const odds2 = file('null_odds.json', Object.fromEntries(V2_NA_PROBS));

  it('prints the official v1.1 document, with the unanswered questions on stderr', async () => {
    const r = await albert('evaluate', 'squad', '--data-file', dev1, '--predictions', pred1);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { exact_match: 20, f1: (100 * (1 + 0.5 + 0.8 + 0 + 0)) / 5, unanswered: 1 });
    assert.match(r.stderr, /Unanswered question q4 will receive score 0\./);
    assert.match(r.stderr, /1 prediction\(s\) for ids that are no question of .* were ignored \(first: zzz\)/);
  });

  it('prints the official v2.0 document with the best thresholds', async () => {
    const r = await albert('evaluate', 'squad', '--data-file', dev2, '--predictions', pred2, '--na-prob-file', odds2, '--na-prob-thresh', '0.5');
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as Record<string, number>;
    assert.deepEqual(Object.keys(doc), ['exact', 'f1', 'total', 'HasAns_exact', 'HasAns_f1', 'HasAns_total', 'NoAns_exact', 'NoAns_f1', 'NoAns_total', 'best_exact', 'best_exact_thresh', 'best_f1', 'best_f1_thresh']);
    assert.equal(doc.exact, (100 * 5) / 6);
    assert.equal(doc.best_f1_thresh, 0.5);
    assert.equal(r.stderr, '');
  });

  it('gives one-line errors naming the flag, the file and the field', async () => {
    assertOneLineError(await albert('evaluate', 'squad', '--data-file', dev1, '--predictions', pred1, '--na-prob-file', odds2, '--version', '1.1'), /--na-prob-file is for SQuAD v2\.0, and --version says 1\.1/);
    assertOneLineError(await albert('evaluate', 'squad', '--data-file', file('bad.json', { data: [{ paragraphs: [{ qas: [{ answers: [] }] }] }] }), '--predictions', pred1), /bad\.json: data\[0\]\.paragraphs\[0\]\.qas\[0\] has no "id" field/);
    assertOneLineError(await albert('evaluate', 'squad', '--data-file', dev2, '--predictions', pred1), /pred1\.json: no prediction for 6 of 6 questions/);
    assertOneLineError(await albert('evaluate', 'squad', '--data-file', dev2, '--predictions', file('notjson.json', '{"a1": ')), /notjson\.json: not JSON \(the predictions file\)/);
  });
});
