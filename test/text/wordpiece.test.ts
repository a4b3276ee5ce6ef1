// WordPiece and BERT's basic tokenizer on hand-made vocabularies, with expectations worked out
// from the original tokenization.py.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../../src/ir/errors.ts';
import { WordPieceTokenizer, basicTokenize } from '../../src/text/wordpiece.ts';

const VOCAB = [
  '[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'the', 'quick', 'brown', 'fox', 'jump', '##ed', '##s', 'un', '##aff', '##able', ',', '.', '!',
  '北', '京', '大', '学', 'cafe', 'hello', 'world', 'run', 'a', '##a', 'Café',
];

function vocabFile(lines: string[]): string {
  const path = join(mkdtempSync(join(tmpdir(), 'albert-wp-')), 'vocab.txt');
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

describe('basicTokenize', () => {
  it('drops control characters, spaces out CJK ideographs and splits off punctuation', () => {
    // Hangul is not split; accent stripping leaves it in NFD (conjoining jamo), as the original does.
    assert.deepEqual(basicTokenize('Hello,world! 北京大学 한국어', true), ['hello', ',', 'world', '!', '北', '京', '大', '学', '한국어'.normalize('NFD')]);
    assert.deepEqual(basicTokenize('한국어', false), ['한국어']);
    assert.deepEqual(basicTokenize('hel\u0000lo\u200b wo\ufffdrld\u0007', true), ['hello', 'world']);
    // Tabs and Zs spaces separate; Python's split also breaks at U+2028.
    assert.deepEqual(basicTokenize('a\tb\u3000c\u2028d', true), ['a', 'b', 'c', 'd']);
    // ASCII symbols count as punctuation ($, ^, `), other symbols do not.
    assert.deepEqual(basicTokenize('$5^2 `x` €3', true), ['$', '5', '^', '2', '`', 'x', '`', '€3']);
  });

  it('lower-cases and strips accents only with do_lower_case', () => {
    assert.deepEqual(basicTokenize('Café NAÏVE', true), ['cafe', 'naive']);
    assert.deepEqual(basicTokenize('Café NAÏVE', false), ['Café', 'NAÏVE']);
  });
});

describe('WordPieceTokenizer', () => {
  const tok = WordPieceTokenizer.fromVocabFile(vocabFile(VOCAB));

  it('splits words greedily, longest match first, with ## continuations', () => {
    assert.deepEqual(tok.tokenize('The QUICK brown fox jumped!'), ['the', 'quick', 'brown', 'fox', 'jump', '##ed', '!']);
    assert.deepEqual(tok.tokenize('unaffable jumps'), ['un', '##aff', '##able', 'jump', '##s']);
    assert.deepEqual(tok.tokenize('北京大学'), ['北', '京', '大', '学']);
    assert.deepEqual(tok.tokenize('Café'), ['cafe']);
    assert.deepEqual(WordPieceTokenizer.fromVocabFile(vocabFile(VOCAB), { doLowerCase: false }).tokenize('Café CAFE'), ['Café', '[UNK]']);
  });

  it('makes a word [UNK] when any part of it has no piece, or when it is longer than 200 characters', () => {
    assert.deepEqual(tok.tokenize('running fox'), ['[UNK]', 'fox']);
    assert.deepEqual(tok.tokenize('a'.repeat(200)), ['a', ...Array(199).fill('##a')]);
    assert.deepEqual(tok.tokenize(`${'a'.repeat(201)} fox`), ['[UNK]', 'fox']);
  });

  it('maps tokens and ids both ways, and decodes', () => {
    assert.deepEqual([tok.padId, tok.unkId, tok.clsId, tok.sepId, tok.maskId, tok.vocabSize], [0, 1, 2, 3, 4, VOCAB.length]);
    const ids = tok.encode('unaffable fox');
    assert.deepEqual(ids, [12, 13, 14, 8]);
    assert.deepEqual(tok.convertIdsToTokens(ids), ['un', '##aff', '##able', 'fox']);
    assert.equal(tok.decode([2, ...ids, 3, 0]), 'unaffable fox');
    assert.throws(() => tok.convertTokensToIds(['nope']), (e: Error) => e instanceof UserError && /token "nope" is not in the vocabulary/.test(e.message));
    assert.throws(() => tok.convertIdsToTokens([999]), /id 999 is out of range/);
  });

  it('lays out pairs as the SentencePiece tokenizer does', () => {
    const r = tok.encodePair('the fox', 'hello world', 10);
    assert.deepEqual(r.inputIds, [2, 5, 8, 3, 23, 24, 3, 0, 0, 0]);
    assert.deepEqual(r.segmentIds, [0, 0, 0, 0, 1, 1, 1, 0, 0, 0]);
    assert.deepEqual(r.inputMask, [1, 1, 1, 1, 1, 1, 1, 0, 0, 0]);
  });

  it("reads vocab files as ALBERT's load_vocab: first field, blank line is \" \", repeats skipped", () => {
    const t = WordPieceTokenizer.fromVocabFile(vocabFile(['[UNK]\t0', 'hello -1.5', '', 'hello', 'world\r']));
    assert.deepEqual([...t.vocab.entries()], [['[UNK]', 0], ['hello', 1], [' ', 2], ['world', 3]]);
  });

  it('reports unusable vocab files in one line', () => {
    assert.throws(() => WordPieceTokenizer.fromVocabFile(vocabFile(['hello'])), (e: Error) => e instanceof UserError && /vocab\.txt: the vocabulary has no \[UNK\] token/.test(e.message));
    assert.throws(() => WordPieceTokenizer.fromVocabFile('/nonexistent/vocab.txt'), /\/nonexistent\/vocab\.txt: no such file/);
    const empty = join(mkdtempSync(join(tmpdir(), 'albert-wp-')), 'vocab.txt');
    writeFileSync(empty, '');
    assert.throws(() => WordPieceTokenizer.fromVocabFile(empty), /vocabulary file is empty/);
  });
});
