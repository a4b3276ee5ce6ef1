import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSentences, readLines } from '../../../src/text/train/corpus-reader.ts';
import { UserError } from '../../../src/ir/errors.ts';
import {
  compareCodePoints,
  countWords,
  escapeWhitespace,
  MULTI,
  normalizeText,
  packWords,
  requiredCharacters,
} from '../../../src/text/train/words.ts';

describe('training text', () => {
  it('escapes whitespace as the model will: strip, collapse, dummy prefix, ▁', () => {
    assert.equal(escapeWhitespace('  Hello   world '), '▁Hello▁world');
    assert.equal(escapeWhitespace('   '), '');
    assert.equal(escapeWhitespace('a\tb'), '▁a\tb'); // identity: only spaces are whitespace
    assert.equal(normalizeText('ＡＢＣ\u00a0x', 'nmt_nfkc', false), 'ABC x');
    assert.equal(normalizeText('Straße ＡＢ', 'nmt_nfkc_cf', false), 'straße ab');
    assert.equal(normalizeText('Café', 'identity', true), 'café');
  });

  it('counts ▁-initial words, cutting out user-defined symbols, with what follows each', () => {
    const words = countWords(['▁the▁cat▁(the)', '▁the▁dog', '▁cat'], true, ['(', ')']);
    assert.deepEqual(Object.fromEntries([...words].map(([w, s]) => [w, [s.freq, s.next]])), {
      '▁the': [2, 0x2581],
      '▁cat': [2, MULTI], // followed by ▁ and by the end of a sentence
      '▁': [1, '('.codePointAt(0)],
      the: [1, ')'.codePointAt(0)],
      '▁dog': [1, 0],
    });
    assert.deepEqual([...countWords(['▁a▁b'], false, []).keys()], ['▁a▁b']);
  });

  it('chooses required characters by coverage and replaces the others by ▅', () => {
    const words = countWords(['▁aaaa▁bbb▁cc▁d'], true, []);
    const cov = requiredCharacters(words, 0.7);
    // a (4) ▁ (4) b (3) c (2) d (1) of 14, ties by code point: a, ▁, b reach 11/14 = 0.79 >= 0.7.
    assert.deepEqual(cov.required.map((c) => String.fromCodePoint(c.char)), ['a', '▁', 'b']);
    assert.equal(cov.total, 14);
    assert.equal(cov.dropped, 3);
    const packed = packWords(words, new Set(cov.required.map((c) => c.char)));
    assert.deepEqual(packed.text, ['▁aaaa', '▁bbb', '▁▅', '▁▅▅']);
    assert.equal(packed.chars.length, 5 + 4 + 2 + 3);
    assert.deepEqual([...packed.start], [0, 5, 9, 11, 14]);
  });

  it('sorts ties by code point (UTF-8 byte order), not UTF-16', () => {
    const xs = ['\u{1F600}', '\uFFFD', 'b', 'a', 'ab'];
    assert.deepEqual(xs.sort(compareCodePoints), ['a', 'ab', 'b', '\uFFFD', '\u{1F600}']);
  });
});

describe('corpus reader', () => {
  it('reads lines across chunk boundaries, multi-byte characters and CRLF', () => {
    const dir = mkdtempSync(join(tmpdir(), 'albert-spm-'));
    const file = join(dir, 'a.txt');
    const lines = ['héllo wörld', '東京は日本の首都です', '', 'last\r', 'no newline'];
    writeFileSync(file, lines.join('\n'));
    for (const chunk of [1, 2, 3, 7, 1 << 20]) {
      assert.deepEqual([...readLines(file, chunk)], ['héllo wörld', '東京は日本の首都です', '', 'last', 'no newline']);
    }
    assert.throws(() => [...readLines(join(dir, 'missing.txt'))], (e: Error) => e instanceof UserError && /missing\.txt: no such file/.test(e.message));
    assert.throws(() => [...readLines(dir)], (e: Error) => e instanceof UserError && /is a directory/.test(e.message));
  });

  it('samples input_sentence_size sentences, the same ones for the same seed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'albert-spm-'));
    const file = join(dir, 'a.txt');
    writeFileSync(file, Array.from({ length: 1000 }, (_, i) => `sentence ${i}`).join('\n') + '\n' + 'x'.repeat(5000) + '\n');
    const opts = { inputSentenceSize: 100, shuffleInputSentence: true, seed: 3, maxSentenceLength: 4192 };
    const a = loadSentences([file], opts);
    const b = loadSentences([file], opts);
    const c = loadSentences([file], { ...opts, seed: 4 });
    assert.equal(a.sentences.length, 100);
    assert.deepEqual(a.sentences, b.sentences);
    assert.notDeepEqual(a.sentences, c.sentences);
    assert.equal(a.tooLong, 1);
    assert.equal(a.lines, 1001);
    // Sampled from the whole file, not its head.
    assert.ok(a.sentences.some((s) => Number(s.split(' ')[1]) >= 500));
    const head = loadSentences([file], { ...opts, shuffleInputSentence: false });
    assert.deepEqual(head.sentences, Array.from({ length: 100 }, (_, i) => `sentence ${i}`));
  });
});
