import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readRaceDir, readRaceFile, type RaceExample } from '../../src/tasks/race/data.ts';
import { raceFeatures, raceQaText } from '../../src/tasks/race/features.ts';
import { OptionError, UserError } from '../../src/util/errors.ts';

const CLS = 2;
const SEP = 3;
const PAD = 0;
const SPECIAL = { clsId: CLS, sepId: SEP, padId: PAD };

/** Whitespace words -> ids (from 10 up), the same word always the same id. */
function wordEncoder(): { encode: (t: string) => number[]; vocab: Map<string, number>; calls: string[] } {
  const vocab = new Map<string, number>();
  const calls: string[] = [];
  const encode = (t: string): number[] => {
    calls.push(t);
    return t.split(/\s+/).filter((w) => w !== '').map((w) => {
      let id = vocab.get(w);
      if (id === undefined) {
        id = 10 + vocab.size;
        vocab.set(w, id);
      }
      return id;
    });
  };
  return { encode, vocab, calls };
}

let root = '';
const longArticle = Array.from({ length: 600 }, (_, i) => `w${i}`).join(' ');

function write(path: string, data: unknown): void {
  writeFileSync(path, typeof data === 'string' ? data : JSON.stringify(data));
}

before(() => {
  root = mkdtempSync(join(tmpdir(), 'race-'));
  for (const split of ['train', 'dev', 'test']) {
    for (const level of ['middle', 'high']) mkdirSync(join(root, 'RACE', split, level), { recursive: true });
  }
  const m = join(root, 'RACE', 'train', 'middle');
  write(join(m, '10.txt'), {
    id: 'middle10.txt', article: 'the cat sat on the mat .',
    questions: ['Where did the cat sit ?', 'The cat sat on the _ .'],
    options: [['on a mat', 'on a hat', 'in a box', 'on a dog'], ['mat', 'hat', 'box', 'dog']],
    answers: ['A', 'A'],
  });
  write(join(m, '2.txt'), {
    id: 'middle2.txt', article: 'dogs bark', questions: ['What do dogs do ?'],
    options: [['bark', 'meow', 'fly', 'swim']], answers: ['A'],
  });
  write(join(m, 'notes.md'), 'not RACE');
  const h = join(root, 'RACE', 'train', 'high');
  write(join(h, '1.txt'), {
    id: 'high1.txt', article: longArticle, questions: ['pick _ or _ now'],
    options: [['a', 'b', 'c', 'd']], answers: ['D'],
  });
  for (const split of ['dev', 'test']) {
    for (const level of ['middle', 'high']) {
      write(join(root, 'RACE', split, level, '1.txt'), {
        id: `${level}1.txt`, article: 'x y z', questions: ['q ?'], options: [['a', 'b', 'c', 'd']], answers: ['B'],
      });
    }
  }
  mkdirSync(join(root, 'bad'), { recursive: true });
});

after(() => rmSync(root, { recursive: true, force: true }));

describe('readRaceDir', () => {
  it('reads RACE/<split>/<level>/*.txt in level order, files in numeric name order', () => {
    const ex = readRaceDir(root, 'train');
    assert.deepEqual(ex.map((x) => x.id), ['middle2.txt-0', 'middle10.txt-0', 'middle10.txt-1', 'high1.txt-0']);
    assert.deepEqual(ex.map((x) => x.level), ['middle', 'middle', 'middle', 'high']);
    assert.deepEqual(ex.map((x) => x.label), [0, 0, 0, 3]);
    assert.equal(ex[2].question, 'The cat sat on the _ .');
    assert.deepEqual(ex[2].options, ['mat', 'hat', 'box', 'dog']);
    assert.equal(ex[1].article, 'the cat sat on the mat .');
  });

  it('accepts the RACE folder itself and a subset of levels', () => {
    const a = readRaceDir(join(root, 'RACE'), 'dev');
    assert.deepEqual(a.map((x) => x.id), ['middle1.txt-0', 'high1.txt-0']);
    assert.deepEqual(readRaceDir(root, 'test', ['high']).map((x) => [x.id, x.level, x.label]), [['high1.txt-0', 'high', 1]]);
  });

  it('names what is missing', () => {
    assert.throws(() => readRaceDir(join(root, 'nope'), 'train'), (e: unknown) => e instanceof UserError && /no RACE train data/.test(e.message));
    assert.throws(() => readRaceDir(root, 'train', ['college']), (e: unknown) => e instanceof UserError && /college/.test(e.message));
    mkdirSync(join(root, 'EMPTY', 'train', 'middle'), { recursive: true });
    assert.throws(() => readRaceDir(join(root, 'EMPTY'), 'train', ['middle']), /no \.txt files/);
  });
});

describe('readRaceFile', () => {
  it('reads .json and .jsonl, infers the level, falls back to the file name for ids', () => {
    const p = join(root, 'bad', 'own.json');
    write(p, { article: 'a b', questions: ['q1', 'q2'], options: [['1', '2', '3', '4'], ['5', '6', '7', '8']], answers: ['C', 'B'] });
    const ex = readRaceFile(p);
    assert.deepEqual(ex.map((x) => [x.id, x.level, x.label]), [['own-0', 'other', 2], ['own-1', 'other', 1]]);
    assert.equal(readRaceFile(p, 'high')[0].level, 'high');
    const middle = join(root, 'RACE', 'train', 'middle', '2.txt');
    assert.equal(readRaceFile(middle)[0].level, 'middle');

    const l = join(root, 'bad', 'many.jsonl');
    const obj = { article: 'a', questions: ['q'], options: [['1', '2', '3', '4']], answers: ['A'] };
    write(l, `${JSON.stringify({ ...obj, id: 'x' })}\n\n${JSON.stringify(obj)}\n`);
    assert.deepEqual(readRaceFile(l, 'middle').map((x) => x.id), ['x-0', 'many:3-0']);
  });

  it('gives null labels when answers are left out', () => {
    const p = join(root, 'bad', 'unlabelled.json');
    write(p, { article: 'a', questions: ['q'], options: [['1', '2', '3', '4']] });
    assert.equal(readRaceFile(p)[0].label, null);
  });

  const good = { id: 'g', article: 'art', questions: ['q1', 'q2'], options: [['a', 'b', 'c', 'd'], ['e', 'f', 'g', 'h']], answers: ['A', 'B'] };
  const cases: [string, unknown, RegExp][] = [
    ['not JSON', '{"article": "x", ', /not valid JSON/],
    ['not an object', [1, 2], /expected a JSON object/],
    ['missing article', { ...good, article: undefined }, /"article" must be a string, found missing/],
    ['missing questions', { ...good, questions: undefined }, /"questions" must be an array/],
    ['missing options', { ...good, options: undefined }, /"options" must be an array/],
    ['answers not an array', { ...good, answers: 'AB' }, /"answers" must be an array/],
    ['question not a string', { ...good, questions: ['q1', 7] }, /questions\[1\] must be a string/],
    ['option not a string', { ...good, options: [['a', 'b', null, 'd'], ['e', 'f', 'g', 'h']] }, /options\[0\]\[2\] must be a string/],
    ['three options', { ...good, options: [['a', 'b', 'c', 'd'], ['e', 'f', 'g']] }, /options\[1\] has 3 options; RACE questions have 4/],
    ['five options', { ...good, options: [['a', 'b', 'c', 'd', 'x'], ['e', 'f', 'g', 'h']] }, /options\[0\] has 5 options/],
    ['answer E', { ...good, answers: ['A', 'E'] }, /answers\[1\] is the string "E"; answers must be one of the letters A-D/],
    ['answer lower case', { ...good, answers: ['a', 'B'] }, /answers\[0\] is the string "a"/],
    ['answer number', { ...good, answers: [0, 'B'] }, /answers\[0\] is number 0/],
    ['answer two letters', { ...good, answers: ['AB', 'B'] }, /answers\[0\]/],
    ['fewer answers', { ...good, answers: ['A'] }, /same length; found 2 questions, 2 option lists, 1 answers/],
    ['fewer options', { ...good, options: [['a', 'b', 'c', 'd']] }, /same length; found 2 questions, 1 option lists/],
    ['id not a string', { ...good, id: 5 }, /"id" must be a string/],
  ];
  for (const [name, data, re] of cases) {
    it(`one-line error naming the file: ${name}`, () => {
      const p = join(root, 'bad', `${name.replace(/\W+/g, '_')}.txt`);
      write(p, data);
      assert.throws(() => readRaceFile(p), (e: unknown) => {
        assert.ok(e instanceof UserError, String(e));
        assert.ok(!e.message.includes('\n'), e.message);
        assert.ok(e.message.startsWith(`${p}: `), e.message);
        assert.match(e.message, re);
        return true;
      });
    });
  }

  it('names the line of a .jsonl, and the file from readRaceDir', () => {
    const l = join(root, 'bad', 'lines.jsonl');
    write(l, `${JSON.stringify(good)}\n${JSON.stringify({ ...good, answers: ['A', 'Z'] })}\n`);
    assert.throws(() => readRaceFile(l), (e: unknown) => e instanceof UserError && e.message.startsWith(`${l}:2: answers[1]`));
    write(l, `${JSON.stringify(good)}\nnot json\n`);
    assert.throws(() => readRaceFile(l), (e: unknown) => e instanceof UserError && e.message.startsWith(`${l}:2: not valid JSON`));
    const d = join(root, 'BADDIR', 'train', 'high');
    mkdirSync(d, { recursive: true });
    write(join(d, '7.txt'), { ...good, options: [['a'], ['b']] });
    assert.throws(() => readRaceDir(join(root, 'BADDIR'), 'train', ['high']), (e: unknown) => e instanceof UserError && e.message.startsWith(`${join(d, '7.txt')}: options[0] has 1 options`));
    assert.throws(() => readRaceFile(join(root, 'bad', 'absent.txt')), /absent\.txt: cannot read RACE file \(ENOENT\)/);
  });
});

describe('raceQaText', () => {
  it('fills every blank, else appends the option', () => {
    assert.equal(raceQaText('The cat sat on the _ .', 'mat'), 'The cat sat on the mat .');
    assert.equal(raceQaText('pick _ or _', 'a'), 'pick a or a');
    assert.equal(raceQaText('Where ?', 'here'), 'Where ? here');
  });
});

describe('raceFeatures', () => {
  const opts = { maxSeqLength: 16, maxQaLength: 6, numChoices: 4 };

  it('lays out [CLS] article [SEP] qa [SEP] per option with segments, mask and padding', () => {
    const ex = readRaceDir(root, 'train', ['middle']);
    const { encode, vocab } = wordEncoder();
    const f = raceFeatures(ex, encode, SPECIAL, opts);
    assert.equal(f.count, 3);
    assert.equal(f.inputIds.length, 3 * 4 * 16);
    assert.deepEqual(f.ids, ['middle2.txt-0', 'middle10.txt-0', 'middle10.txt-1']);
    assert.deepEqual(f.levels, ['middle', 'middle', 'middle']);
    assert.deepEqual([...f.labels], [0, 0, 0]);
    const w = (s: string): number[] => s.split(' ').map((x) => {
      const id = vocab.get(x);
      assert.ok(id !== undefined, x);
      return id;
    });
    const row = (e: number, c: number, a: Int32Array): number[] => [...a.subarray((e * 4 + c) * 16, (e * 4 + c + 1) * 16)];
    // Example 0, option 1: "dogs bark" + "What do dogs do ? meow" (6 words, fits maxQaLength 6).
    const want = [CLS, ...w('dogs bark'), SEP, ...w('What do dogs do ? meow'), SEP];
    assert.deepEqual(row(0, 1, f.inputIds), [...want, ...Array(16 - want.length).fill(PAD)]);
    assert.deepEqual(row(0, 1, f.segmentIds), [0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0]);
    assert.deepEqual(row(0, 1, f.inputMask), [...Array(11).fill(1), ...Array(5).fill(0)]);
    // Example 2 (cloze), option 2: "The cat sat on the box ." is 7 words -> keeps the last 6.
    // Article "the cat sat on the mat ." (7) + 6 + 3 = 16: fits exactly.
    assert.deepEqual(row(2, 2, f.inputIds), [CLS, ...w('the cat sat on the mat .'), SEP, ...w('cat sat on the box .'), SEP]);
    assert.deepEqual(row(2, 2, f.segmentIds), [...Array(9).fill(0), ...Array(7).fill(1)]);
    assert.deepEqual(row(2, 2, f.inputMask), Array(16).fill(1));
    // Example 1 (ordinary), option 3: "Where did the cat sit ? on a dog" (9) -> "sit ? on a dog" + ... last 6.
    const qa = w('Where did the cat sit ? on a dog').slice(-6);
    // 16 - 3 - 6 = 7 article pieces: the whole article (7).
    assert.deepEqual(row(1, 3, f.inputIds), [CLS, ...w('the cat sat on the mat .'), SEP, ...qa, SEP]);
  });

  it('truncates a long article from the back to fit, and the qa from the front', () => {
    const ex = readRaceDir(root, 'train', ['high']);
    const { encode, vocab } = wordEncoder();
    const f = raceFeatures(ex, encode, SPECIAL, { maxSeqLength: 32, maxQaLength: 3, numChoices: 4 });
    const id = (x: string): number => vocab.get(x) ?? -1;
    for (let c = 0; c < 4; c++) {
      const opt = 'abcd'[c];
      const r = [...f.inputIds.subarray(c * 32, (c + 1) * 32)];
      // qa "pick X or X now" (5 pieces) keeps its last 3: "or X now"; article keeps its first 32-3-3 = 26.
      const art = Array.from({ length: 26 }, (_, i) => id(`w${i}`));
      assert.deepEqual(r, [CLS, ...art, SEP, id('or'), id(opt), id('now'), SEP]);
      assert.deepEqual([...f.segmentIds.subarray(c * 32, (c + 1) * 32)], [...Array(28).fill(0), 1, 1, 1, 1]);
      assert.deepEqual([...f.inputMask.subarray(c * 32, (c + 1) * 32)], Array(32).fill(1));
    }
    assert.deepEqual([...f.labels], [3]);
    // A short qa leaves more room for the article: maxQaLength 10 keeps the 5-piece qa, article 32-3-5 = 24.
    const g = raceFeatures(ex, encode, SPECIAL, { maxSeqLength: 32, maxQaLength: 10, numChoices: 4 });
    assert.equal(g.inputIds[24], id('w23'));
    assert.equal(g.inputIds[25], SEP);
    assert.equal(g.inputIds[26], id('pick'));
  });

  it('encodes an article once per run of its questions, pads with padId, -1 for no label', () => {
    const { encode, calls } = wordEncoder();
    const base: RaceExample = { id: 'a-0', level: 'x', article: 'one two', question: 'q', options: ['1', '2'], label: null };
    const f = raceFeatures([base, { ...base, id: 'a-1', label: 1 }], encode, { clsId: 2, sepId: 3, padId: 9 }, { maxSeqLength: 8, maxQaLength: 4, numChoices: 2 });
    assert.equal(calls.filter((c) => c === 'one two').length, 1);
    assert.deepEqual([...f.labels], [-1, 1]);
    assert.deepEqual([...f.inputIds.subarray(0, 8)], [2, 10, 11, 3, 12, 13, 3, 9]);
    assert.deepEqual([...f.inputMask.subarray(0, 8)], [1, 1, 1, 1, 1, 1, 1, 0]);
    assert.deepEqual(f.levels, ['x', 'x']);
    const empty = raceFeatures([], encode, SPECIAL, opts);
    assert.equal(empty.count, 0);
    assert.equal(empty.inputIds.length, 0);
  });

  it('refuses what cannot be laid out', () => {
    const { encode } = wordEncoder();
    const ex: RaceExample = { id: 'e-0', level: 'high', article: 'a', question: 'one two three four five', options: ['1', '2', '3', '4'], label: 0 };
    assert.throws(() => raceFeatures([ex], encode, SPECIAL, { maxSeqLength: 6, maxQaLength: 10, numChoices: 4 }),
      (e: unknown) => e instanceof OptionError && /e-0, option 0/.test(e.message) && e.options.includes('maxSeqLength'));
    assert.throws(() => raceFeatures([ex], encode, SPECIAL, { ...opts, numChoices: 3 }), /has 4 options, expected 3/);
    assert.throws(() => raceFeatures([{ ...ex, label: 4 }], encode, SPECIAL, opts), /label 4 is outside 0\.\.3/);
    assert.throws(() => raceFeatures([ex], encode, SPECIAL, { ...opts, maxQaLength: 0 }), OptionError);
    assert.throws(() => raceFeatures([ex], encode, SPECIAL, { ...opts, maxSeqLength: 3 }), OptionError);
    // maxQaLength larger than the room is fine while the qa itself fits (here it leaves no article).
    const f = raceFeatures([ex], encode, SPECIAL, { maxSeqLength: 9, maxQaLength: 100, numChoices: 4 });
    assert.deepEqual([...f.inputIds.subarray(0, 9)], [CLS, SEP, 11, 12, 13, 14, 15, 16, SEP]);
    assert.deepEqual([...f.segmentIds.subarray(0, 9)], [0, 0, 1, 1, 1, 1, 1, 1, 1]);
  });
});
