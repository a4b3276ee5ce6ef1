// SentencePiece on small models built by hand, where the right answer follows from the scores:
// the unigram Viterbi, unknown runs, byte fallback, BPE merge order and UNUSED pieces, decoding
// rules, the model file checks and their one-line errors. (Equality with the real library on
// trained models is sentencepiece-parity.test.ts.)
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../../src/ir/errors.ts';
import { ModelType, PieceType, decodeModelProto, encodeModelProto, type ModelProtoInit } from '../../src/text/model-proto.ts';
import { SentencePieceProcessor } from '../../src/text/sentencepiece.ts';
import { modelBytes } from './spm-fixtures.ts';

const { NORMAL, UNKNOWN, CONTROL, USER_DEFINED, UNUSED, BYTE } = PieceType;

/** A model with <unk> at 0 and <s>, </s> as control pieces, then the given pieces. */
function model(pieces: [string, number, number?][], extra: Partial<ModelProtoInit> = {}): SentencePieceProcessor {
  const init: ModelProtoInit = {
    pieces: [
      { piece: '<unk>', type: UNKNOWN },
      { piece: '<s>', type: CONTROL },
      { piece: '</s>', type: CONTROL },
      ...pieces.map(([piece, score, type]) => ({ piece, score, type: type ?? NORMAL })),
      ...(extra.pieces ?? []),
    ],
    trainerSpec: { modelType: ModelType.UNIGRAM, ...extra.trainerSpec },
    normalizerSpec: { name: 'identity', ...extra.normalizerSpec },
  };
  return SentencePieceProcessor.fromBytes(encodeModelProto(init), 'hand.model');
}

function byteModel(pieces: [string, number, number?][], modelType: number = ModelType.UNIGRAM): SentencePieceProcessor {
  const bytes = Array.from({ length: 256 }, (_, b) => ({ piece: `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`, type: BYTE }));
  return model(pieces, { pieces: bytes, trainerSpec: { modelType, byteFallback: true } });
}

describe('unigram', () => {
  const sp = model([
    ['▁', -3],
    ['a', -3],
    ['b', -3],
    ['c', -3],
    ['▁a', -1],
    ['bc', -1.5],
    ['▁ab', -2],
    ['unused', -0.1, UNUSED],
  ]);

  it('takes the best-scoring path', () => {
    // ▁a + bc = -2.5 beats ▁ab + c = -5 and the single characters.
    assert.deepEqual(sp.encode('abc'), { pieces: ['▁a', 'bc'], ids: [7, 8] });
    assert.deepEqual(sp.encodeAsPieces('ab'), ['▁ab']);
    assert.deepEqual(sp.encodeAsPieces('  b  a '), ['▁', 'b', '▁a']);
    assert.deepEqual(sp.encode(''), { pieces: [], ids: [] });
    assert.deepEqual(sp.encode('   '), { pieces: [], ids: [] });
  });

  it('merges a run of unknown characters into one unknown piece', () => {
    const e = sp.encode('a☃☃b x');
    assert.deepEqual(e.pieces, ['▁a', '☃☃', 'b', '▁', 'x']);
    assert.deepEqual(e.ids, [7, 0, 5, 3, 0]);
    assert.ok(sp.isUnknown(0));
  });

  it('never matches UNUSED pieces in text', () => {
    // The characters are unknown: one unknown piece that spells them, not the UNUSED piece.
    assert.deepEqual(sp.encode('unused'), { pieces: ['▁', 'unused'], ids: [3, 0] });
    assert.ok(sp.isUnused(sp.pieceToId('unused')));
  });

  it('scores a user-defined symbol as byte_length * max_score - 0.1', () => {
    const chars: [string, number, number?][] = [
      ['▁', -1],
      ['a', -1],
      ['b', -1],
      ['ab', 0, USER_DEFINED],
    ];
    // All normal scores are negative, so max_score is FLT_MIN and "ab" scores about -0.1:
    // ▁ + ab (-1.1) beats ▁ + a + b (-3), but loses to a normal ▁ab of -0.5.
    const u = model(chars);
    assert.deepEqual(u.encodeAsPieces('ab'), ['▁', 'ab']);
    assert.ok(u.isUserDefined(u.pieceToId('ab')));
    assert.deepEqual(model([...chars, ['▁ab', -0.5]]).encodeAsPieces('ab'), ['▁ab']);
  });

  it('decomposes unknown characters into byte pieces with byte_fallback, and decodes them back', () => {
    const b = byteModel([
      ['▁', -2],
      ['a', -2],
    ]);
    const e = b.encode('a☃');
    assert.deepEqual(e.pieces, ['▁', 'a', '<0xE2>', '<0x98>', '<0x83>']);
    assert.deepEqual(e.ids, [3, 4, 5 + 0xe2, 5 + 0x98, 5 + 0x83]);
    assert.equal(b.decode(e.ids), 'a☃');
    // Bytes that form no character decode to one U+FFFD each.
    assert.equal(b.decodePieces(['▁', 'a', '<0xE2>', '<0x98>', 'a', '<0xFF>']), 'a\ufffd\ufffda\ufffd');
  });
});

describe('BPE', () => {
  const bpe = (pieces: [string, number, number?][]): SentencePieceProcessor => model(pieces, { trainerSpec: { modelType: ModelType.BPE } });

  it('merges the best-scoring pair first, the leftmost on equal scores', () => {
    const chars: [string, number][] = [
      ['▁', 0],
      ['a', 0],
      ['b', 0],
      ['c', 0],
    ];
    assert.deepEqual(bpe([...chars, ['ab', -1], ['bc', -0.5], ['▁a', -2]]).encodeAsPieces('abc'), ['▁a', 'bc']);
    assert.deepEqual(bpe([...chars, ['ab', -1], ['bc', -1]]).encodeAsPieces('abc'), ['▁', 'ab', 'c']);
    // ab first (leftmost of two equals), then abc (-0.5) before ▁ab (-3).
    assert.deepEqual(bpe([...chars, ['ab', -1], ['bc', -1], ['▁ab', -3], ['abc', -0.5]]).encodeAsPieces('abc abc'), ['▁', 'abc', '▁', 'abc']);
    assert.deepEqual(bpe([...chars, ['ab', -1], ['bc', -1], ['▁ab', -0.1], ['abc', -0.5]]).encodeAsPieces('abc'), ['▁ab', 'c']);
    assert.deepEqual(bpe(chars).encode('ab☃☃c').pieces, ['▁', 'a', 'b', '☃☃', 'c']);
  });

  it('undoes merges into UNUSED pieces', () => {
    const chars: [string, number][] = [
      ['▁', 0],
      ['a', 0],
      ['b', 0],
      ['c', 0],
    ];
    // bc is merged first (unused pieces still merge), then a+bc into the normal abc.
    assert.deepEqual(bpe([...chars, ['bc', -0.5, UNUSED], ['abc', -1]]).encodeAsPieces('abc'), ['▁', 'abc']);
    // Without abc, bc stays and is split back into b and c.
    assert.deepEqual(bpe([...chars, ['bc', -0.5, UNUSED]]).encodeAsPieces('abc'), ['▁', 'a', 'b', 'c']);
  });

  it('keeps user-defined symbols whole and unmerged', () => {
    const m = bpe([
      ['▁', 0],
      ['a', 0],
      ['b', 0],
      ['▁a', -1],
      ['ab', -0.1],
      ['<b>', 0, USER_DEFINED],
    ]);
    assert.deepEqual(m.encodeAsPieces('a<b>b'), ['▁a', '<b>', 'b']);
  });
});

describe('decoding', () => {
  const sp = model([
    ['▁', -3],
    ['▁hello', -1],
    ['▁world', -1],
    ['!', -1],
  ]);

  it('turns U+2581 into spaces, drops the dummy prefix and the control pieces', () => {
    assert.equal(sp.decode(sp.encodeAsIds('hello   world!')), 'hello world!');
    assert.equal(sp.decodePieces(['<s>', '▁hello', '▁world', '</s>']), 'hello world');
    assert.equal(sp.decodePieces(['▁', '▁hello']), 'hello', 'remove_extra_whitespaces: leading spaces all go');
  });

  it('shows <unk> as unk_surface, and other unknown pieces as they are', () => {
    assert.equal(sp.decode([4, 0, 5]), 'hello ⁇  world');
    assert.equal(sp.decodePieces(['▁hello', 'xyz▁q']), 'helloxyz▁q');
  });

  it('keeps a leading space when the model adds no dummy prefix', () => {
    const raw = model([['▁', -1], ['x', -1]], { normalizerSpec: { addDummyPrefix: false, removeExtraWhitespaces: false } });
    assert.deepEqual(raw.encodeAsPieces(' x'), ['▁', 'x']);
    assert.equal(raw.decodePieces(['▁', 'x']), ' x');
  });

  it('rejects ids outside the vocabulary', () => {
    assert.throws(() => sp.decode([0, 99]), (e: Error) => e instanceof UserError && /hand\.model: id 99 is out of range \[0, 7\)/.test(e.message));
    assert.throws(() => sp.idToPiece(-1), UserError);
  });
});

describe('model files', () => {
  it('round-trips a ModelProto with every field default filled in', () => {
    const bytes = encodeModelProto({ pieces: [{ piece: '<unk>', type: UNKNOWN }, { piece: 'a', score: -1.5 }], normalizerSpec: { precompiledCharsmap: Uint8Array.of(0, 0, 0, 0, 1) } });
    const proto = decodeModelProto(bytes);
    assert.deepEqual(proto.pieces, [
      { piece: '<unk>', score: 0, type: UNKNOWN },
      { piece: 'a', score: -1.5, type: NORMAL },
    ]);
    assert.equal(proto.trainerSpec.modelType, ModelType.UNIGRAM);
    assert.equal(proto.trainerSpec.vocabSize, 8000);
    assert.equal(proto.trainerSpec.unkSurface, ' ⁇ ');
    assert.equal(proto.trainerSpec.padId, -1);
    assert.equal(proto.normalizerSpec.addDummyPrefix, true);
    assert.deepEqual(Array.from(proto.normalizerSpec.precompiledCharsmap), [0, 0, 0, 0, 1]);
    assert.equal(proto.denormalizerSpec, null);
  });

  it('reads the real field numbers (spm_train wrote the fixture)', () => {
    const bytes = modelBytes('byte-fallback');
    const proto = decodeModelProto(bytes);
    assert.equal(proto.trainerSpec.vocabSize, 700);
    assert.equal(proto.trainerSpec.characterCoverage, Math.fround(0.995));
    assert.equal(proto.normalizerSpec.name, 'user_defined');
    assert.match(proto.normalizerSpec.normalizationRuleTsv, /rules\.tsv$/);
    assert.equal(proto.pieces.filter((p) => p.type === BYTE).length, 256);
  });

  it('reports a broken or incomplete model in one line naming the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'albert-spm-'));
    const cases: [string, Uint8Array, RegExp][] = [
      ['text.model', new TextEncoder().encode('{"not": "a model"}\n'), /^text\.model: not a SentencePiece model \(protobuf parse failed at byte \d+ of 19: .+\)$/],
      ['cut.model', modelBytes('albert').subarray(0, 5000), /^cut\.model: not a SentencePiece model \(protobuf parse failed at byte \d+ of 5000: index out of range/],
      ['empty.model', new Uint8Array(0), /^empty\.model: not a SentencePiece model \(no pieces\)$/],
      ['nounk.model', encodeModelProto({ pieces: [{ piece: 'a' }] }), /no piece of type UNKNOWN/],
      ['dup.model', encodeModelProto({ pieces: [{ piece: '<unk>', type: UNKNOWN }, { piece: 'a' }, { piece: 'a' }] }), /pieces\[2\] "a" is already defined/],
      ['byte.model', encodeModelProto({ pieces: [{ piece: '<unk>', type: UNKNOWN }, { piece: '<0x41>', type: BYTE }] }), /byte_fallback is false/],
      ['fallback.model', encodeModelProto({ pieces: [{ piece: '<unk>', type: UNKNOWN }], trainerSpec: { byteFallback: true } }), /byte piece <0x00> is missing/],
      ['type.model', encodeModelProto({ pieces: [{ piece: '<unk>', type: UNKNOWN }], trainerSpec: { modelType: 9 } }), /model_type 9 is not unigram/],
      ['charsmap.model', encodeModelProto({ pieces: [{ piece: '<unk>', type: UNKNOWN }], normalizerSpec: { precompiledCharsmap: Uint8Array.of(200, 0, 0, 0, 1) } }), /precompiled_charsmap: trie size 200/],
    ];
    for (const [name, bytes, pattern] of cases) {
      const path = join(dir, name);
      writeFileSync(path, bytes);
      assert.throws(
        () => SentencePieceProcessor.load(path),
        (e: Error) => e instanceof UserError && !e.message.includes('\n') && pattern.test(e.message.replace(`${dir}/`, '')),
        name,
      );
    }
    assert.throws(() => SentencePieceProcessor.load(join(dir, 'missing.model')), /missing\.model: no such file/);
    assert.throws(() => SentencePieceProcessor.load(dir), /is a directory/);
  });
});

describe('speed', () => {
  // Not a benchmark: a guard against quadratic behaviour, which on 300 KB in one string would
  // take minutes. Both models encode it in well under a second here.
  for (const name of ['albert', 'bpe'] as const) {
    it(`${name}: encodes 300 KB of one unbroken line in seconds`, () => {
      const sp = SentencePieceProcessor.fromBytes(modelBytes(name));
      const unit = 'The 1,000,000 dollars, café naïve 東京 ＡＢＣ １２３ 👍🏽 and more text\t here. ';
      const text = unit.repeat(Math.ceil(300_000 / unit.length));
      const t0 = performance.now();
      const ids = sp.encodeAsIds(text);
      const seconds = (performance.now() - t0) / 1000;
      assert.ok(ids.length > 50_000);
      assert.ok(seconds < 10, `${seconds.toFixed(2)} s`);
    });
  }
});
