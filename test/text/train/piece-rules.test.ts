import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isValidPiece, scriptName, scriptOf, type PieceRules } from '../../../src/text/train/piece-rules.ts';

const RULES: PieceRules = { maxPieceLength: 16, splitByUnicodeScript: true, splitByNumber: true, splitByWhitespace: true, splitDigits: false };

describe('piece rules', () => {
  it('knows the scripts of Latin, Han, kana, digits and combining marks', () => {
    assert.equal(scriptName(scriptOf('a'.codePointAt(0)!)), 'Latin');
    assert.equal(scriptName(scriptOf('é'.codePointAt(0)!)), 'Latin');
    assert.equal(scriptName(scriptOf('日'.codePointAt(0)!)), 'Han');
    assert.equal(scriptName(scriptOf('カ'.codePointAt(0)!)), 'Katakana');
    assert.equal(scriptName(scriptOf('7'.codePointAt(0)!)), 'Common');
    assert.equal(scriptName(scriptOf(0x301)), 'Inherited');
    assert.equal(scriptName(scriptOf('Ж'.codePointAt(0)!)), 'Cyrillic');
  });

  it('keeps ▁ at the start only, and does not mix scripts', () => {
    const valid = ['▁the', 'the', '▁', ',', '1,', '▁1984', '.,', 'e\u0301te', '日本', '日ひカー', '▁東京', 'Жар'];
    const invalid = ['the▁', 'a▁b', 'a,', ',a', 'a1', '1a', 'aЖ', 'a日', '▅a', 'a b', 'a\tb', '', 'abcdefghijklmnopq'];
    for (const p of valid) assert.ok(isValidPiece(p, RULES), `"${p}" should be valid`);
    for (const p of invalid) assert.ok(!isValidPiece(p, RULES), `"${p}" should be invalid`);
  });

  it('honours split_digits, split_by_number and split_by_whitespace', () => {
    assert.ok(!isValidPiece('12', { ...RULES, splitDigits: true }));
    assert.ok(!isValidPiece('▁1', { ...RULES, splitDigits: true }));
    assert.ok(isValidPiece('1', { ...RULES, splitDigits: true }));
    assert.ok(isValidPiece('a1b', { ...RULES, splitByNumber: false }));
    assert.ok(isValidPiece('a▁b', { ...RULES, splitByWhitespace: false }));
    assert.ok(!isValidPiece('ab▁', { ...RULES, splitByWhitespace: false }));
    assert.ok(!isValidPiece('abcde', { ...RULES, maxPieceLength: 4 }));
  });
});
