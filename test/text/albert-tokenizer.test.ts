// ALBERT's preprocessing, its digit-comma rule and the [CLS] A [SEP] B [SEP] layout, against
// expectations worked out by hand from the original tokenization.py / classifier_utils.py.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { UserError } from '../../src/ir/errors.ts';
import { AlbertTokenizer, preprocessText } from '../../src/text/albert-tokenizer.ts';
import { ModelType, PieceType, encodeModelProto } from '../../src/text/model-proto.ts';
import { SentencePieceProcessor } from '../../src/text/sentencepiece.ts';
import { modelBytes } from './spm-fixtures.ts';

const { NORMAL, UNKNOWN, CONTROL } = PieceType;

describe('preprocessText', () => {
  it('collapses whitespace as Python str.split does, and turns `` and \'\' into "', () => {
    assert.equal(preprocessText('  a \t b\u3000\u00a0c\u0085d\u2028e\u001cf  '), 'a b c d e f');
    // U+200B is not whitespace to Python.
    assert.equal(preprocessText('a\u200bb'), 'a\u200bb');
    assert.equal(preprocessText("``Hello'' she said"), '"Hello" she said');
  });

  it('applies NFKD and drops combining marks unless keepAccents', () => {
    assert.equal(preprocessText('Café naïve Ångström e\u0301'), 'Cafe naive Angstrom e');
    assert.equal(preprocessText('ﬁ ① Ⅻ ½ ＡＢＣ'), 'fi 1 XII 1⁄2 ABC');
    // Hangul decomposes into conjoining jamo, which are starters and stay.
    assert.equal(preprocessText('한'), '\u1112\u1161\u11ab');
    assert.equal(preprocessText('Café', { keepAccents: true }), 'Café');
    assert.equal(preprocessText('ﬁ', { keepAccents: true }), 'ﬁ');
  });

  it('lower-cases when asked, with the final sigma', () => {
    assert.equal(preprocessText('ΟΔΟΣ Hello', { lower: true }), 'οδος hello');
    assert.equal(preprocessText('Hello'), 'Hello');
  });
});

/** A unigram model with an identity normalizer whose best pieces are easy to work out. */
function handModel(): SentencePieceProcessor {
  const pieces: [string, number, number?][] = [
    ['<pad>', 0, CONTROL],
    ['<unk>', 0, UNKNOWN],
    ['[CLS]', 0, CONTROL],
    ['[SEP]', 0, CONTROL],
    ['[MASK]', 0, CONTROL],
    ['▁', -2],
    ['1', -2],
    ['0', -2],
    [',', -2],
    ['x', -2],
    ['▁1', -1],
    ['▁1,', -1],
    ['000,', -1],
    ['000', -1.5],
    ['▁x', -1],
    ['10,', -1],
    ['▁10', -1],
    ['x,', -0.5],
  ];
  const bytes = encodeModelProto({
    pieces: pieces.map(([piece, score, type]) => ({ piece, score, type: type ?? NORMAL })),
    trainerSpec: { modelType: ModelType.UNIGRAM, padId: 0, unkId: 1, bosId: -1, eosId: -1 },
    normalizerSpec: { name: 'identity' },
  });
  return SentencePieceProcessor.fromBytes(bytes, 'hand.model');
}

describe('the digit-comma rule', () => {
  const tok = new AlbertTokenizer(handModel());
  const id = (p: string): number => tok.spm.pieceToId(p);

  it('splits the comma off pieces ending in <digit>, and re-encodes the rest', () => {
    // SentencePiece alone: ▁1, + 000, (-2) is the best path.
    assert.deepEqual(tok.spm.encodeAsPieces('1,000,'), ['▁1,', '000,']);
    // "▁1," starts a word: "1" re-encodes to ▁1 and keeps its mark. "000," does not: "000"
    // re-encodes to ▁ + 000, and the lone ▁ the re-encoding added is dropped.
    assert.deepEqual(tok.tokenize('1,000,'), ['▁1', ',', '000', ',']);
    assert.deepEqual(tok.encode('1,000,'), [id('▁1'), id(','), id('000'), id(',')]);
  });

  it('strips the added mark from a longer first piece, even when that leaves no vocabulary piece', () => {
    // ▁x + 10, ; "10" re-encodes to ▁10, which loses its ▁: "10" is not a piece, so its id is <unk>.
    assert.deepEqual(tok.spm.encodeAsPieces('x10,'), ['▁x', '10,']);
    assert.deepEqual(tok.tokenize('x10,'), ['▁x', '10', ',']);
    assert.deepEqual(tok.encode('x10,'), [id('▁x'), 1, id(',')]);
  });

  it('leaves pieces alone when the character before the comma is not a digit, or the piece is the comma', () => {
    assert.deepEqual(tok.tokenize('x,'), ['▁', 'x,']);
    assert.deepEqual(tok.tokenize('x ,'), ['▁x', '▁', ',']);
  });
});

describe('AlbertTokenizer on an ALBERT-style model (trained by spm_train with the ALBERT recipe)', () => {
  const spm = SentencePieceProcessor.fromBytes(modelBytes('albert'), 'albert.model');
  const tok = new AlbertTokenizer(spm);

  it('finds the special pieces where ALBERT puts them', () => {
    assert.deepEqual([tok.padId, tok.unkId, tok.clsId, tok.sepId, tok.maskId], [0, 1, 2, 3, 4]);
    assert.equal(tok.vocabSize, 1000);
    assert.deepEqual(tok.convertIdsToTokens([5, 6, 7, 8, 9, 10, 11, 12]), ['(', ')', '"', '-', '.', '–', '£', '€']);
  });

  it('tokenizes numbers with commas as the original does', () => {
    const text = 'It costs 1,000,000 dollars, 2,500, 12,345 and 7, 8.';
    // SentencePiece alone makes pieces like ▁12, and ▁7, ...
    assert.deepEqual(spm.encodeAsPieces(text), ['▁It', '▁c', 'o', 's', 't', 's', '▁1,000,000', '▁dollars', ',', '▁2,500', ',', '▁12,', '34', '5', '▁and', '▁7,', '▁', '8', '.']);
    // ... which the rule splits: ▁12, -> ▁ 12 , and ▁7, -> ▁ 7 , (both start words, so the ▁ stays).
    assert.deepEqual(tok.tokenize(text), ['▁it', '▁c', 'o', 's', 't', 's', '▁1,000,000', '▁dollars', ',', '▁2,500', ',', '▁', '12', ',', '34', '5', '▁and', '▁', '7', ',', '▁', '8', '.']);
    assert.deepEqual(tok.tokenize('in 1,2,3, go'), ['▁in', '▁', '1', ',', '2,3', ',', '▁go']);
  });

  it('lower-cases, strips accents and maps `` to " before SentencePiece', () => {
    assert.deepEqual(tok.tokenize("``Hello''  Café"), ['▁', '"', 'hello', '"', '▁c', 'a', 'f', 'e']);
    assert.deepEqual(new AlbertTokenizer(spm, { doLowerCase: false }).tokenize('Hello'), ['▁', 'H', 'e', 'l', 'l', 'o']);
    assert.deepEqual(new AlbertTokenizer(spm, { keepAccents: true }).tokenize('Café naïve'), ['▁café', '▁naïve']);
  });

  it('lays out a pair as [CLS] A [SEP] B [SEP] with segments, mask and padding', () => {
    const a = tok.encode('hello');
    const b = tok.encode('world');
    const r = tok.encodePair('hello', 'world', 12);
    assert.deepEqual(r.inputIds, [2, ...a, 3, ...b, 3, ...Array(12 - 3 - a.length - b.length).fill(0)]);
    assert.deepEqual(r.segmentIds, [0, ...a.map(() => 0), 0, ...b.map(() => 1), 1, ...Array(12 - 3 - a.length - b.length).fill(0)]);
    assert.deepEqual(r.inputMask, [...Array(3 + a.length + b.length).fill(1), ...Array(12 - 3 - a.length - b.length).fill(0)]);
    assert.equal(tok.decode(r.inputIds), 'hello world');
  });
});

describe('encodePair truncation', () => {
  const tok = new AlbertTokenizer(handModel());
  const x = tok.spm.pieceToId('▁x');

  it('pops from the longer side (b on ties) until the pair fits max_seq_length - 3', () => {
    // a = 5 pieces, b = 2, room for 4: a loses 3.
    let r = tok.encodePair('x x x x x', 'x x', 7);
    assert.deepEqual(r.inputIds, [2, x, x, 3, x, x, 3]);
    assert.deepEqual(r.segmentIds, [0, 0, 0, 0, 1, 1, 1]);
    // a = b = 3, room for 4: b loses one (tie), then a one.
    r = tok.encodePair('x x x', 'x x x', 7);
    assert.deepEqual(r.inputIds, [2, x, x, 3, x, x, 3]);
    r = tok.encodePair('x x x', 'x x x', 8);
    assert.deepEqual(r.inputIds, [2, x, x, x, 3, x, x, 3]);
  });

  it('cuts a single text to max_seq_length - 2, and treats an empty b as none', () => {
    assert.deepEqual(tok.encodePair('x x x x', null, 4).inputIds, [2, x, x, 3]);
    for (const b of [null, '', '   ']) {
      const r = tok.encodePair('x', b, 5);
      assert.deepEqual(r, { inputIds: [2, x, 3, 0, 0], inputMask: [1, 1, 1, 0, 0], segmentIds: [0, 0, 0, 0, 0] });
    }
  });

  it('rejects a max_seq_length without room for [CLS] and [SEP], and models without them', () => {
    assert.throws(() => tok.encodePair('x', null, 1), (e: Error) => e instanceof UserError && /max_seq_length 1 is too small/.test(e.message));
    const bare = new AlbertTokenizer(SentencePieceProcessor.fromBytes(encodeModelProto({ pieces: [{ piece: '<unk>', type: UNKNOWN }] }), 'bare.model'));
    assert.equal(bare.clsId, -1);
    assert.throws(() => bare.encodePair('a', null, 8), /bare\.model: the model has no \[CLS\] piece/);
  });
});
