import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeModelProto, ModelType, PieceType } from '../../../src/text/model-proto.ts';
import { encodeModel, formatScore, vocabText } from '../../../src/text/train/model-writer.ts';

describe('model writer', () => {
  it('prints scores as C printf("%g") prints a float', () => {
    // Expected strings from C's printf("%g", (float)x).
    const cases: [number, string][] = [
      [0, '0'],
      [-3.67043, '-3.67043'],
      [-13.06925, '-13.0693'],
      [1e-5, '1e-05'],
      [-0.0001234567, '-0.000123457'],
      [123456789, '1.23457e+08'],
      [-10, '-10'],
      [9.9999996, '10'],
      [0.5, '0.5'],
      [-2.5e-7, '-2.5e-07'],
      [100000, '100000'],
      [999999.5, '1e+06'],
      [1234567, '1.23457e+06'],
      [-7.1234565, '-7.12346'],
    ];
    for (const [x, want] of cases) assert.equal(formatScore(x), want, String(x));
    assert.equal(vocabText([{ piece: '▁a', score: -1.5, type: PieceType.NORMAL }]), '▁a\t-1.5\n');
  });

  it('writes a ModelProto that reads back with its pieces, types and specs', () => {
    const bytes = encodeModel({
      pieces: [
        { piece: '<pad>', score: 0, type: PieceType.CONTROL },
        { piece: '<unk>', score: 0, type: PieceType.UNKNOWN },
        { piece: '▁a', score: -1.25, type: PieceType.NORMAL },
      ],
      trainerSpec: { vocabSize: 3, unkId: 1, padId: 0, bosId: -1, eosId: -1 },
      normalizerSpec: { name: 'identity', precompiledCharsmap: new Uint8Array(0), addDummyPrefix: true },
    });
    const m = decodeModelProto(bytes);
    assert.deepEqual(m.pieces, [
      { piece: '<pad>', score: 0, type: PieceType.CONTROL },
      { piece: '<unk>', score: 0, type: PieceType.UNKNOWN },
      { piece: '▁a', score: -1.25, type: PieceType.NORMAL },
    ]);
    assert.equal(m.trainerSpec.modelType, ModelType.UNIGRAM);
    assert.equal(m.trainerSpec.padId, 0);
    assert.equal(m.trainerSpec.bosId, -1);
    assert.equal(m.normalizerSpec.name, 'identity');
    assert.equal(m.normalizerSpec.precompiledCharsmap.length, 0);
  });
});
