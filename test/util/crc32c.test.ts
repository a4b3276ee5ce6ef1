import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { crc32c, maskCrc32c, maskedCrc32c, unmaskCrc32c } from '../../src/util/crc32c.ts';
import { rng } from '../helpers/random.ts';

/** Bit-at-a-time CRC-32C straight from the definition, to check the table-driven one. */
function crc32cBitwise(data: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of data) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

describe('crc32c', () => {
  it('matches the published check value and the iSCSI (RFC 3720) vectors', () => {
    assert.equal(crc32c(new TextEncoder().encode('123456789')), 0xe3069283);
    assert.equal(crc32c(new Uint8Array(0)), 0);
    assert.equal(crc32c(new Uint8Array(32)), 0x8a9136aa);
    assert.equal(crc32c(new Uint8Array(32).fill(0xff)), 0x62a8ab43);
    assert.equal(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i)), 0x46dd794e);
    assert.equal(crc32c(Uint8Array.from({ length: 32 }, (_, i) => 31 - i)), 0x113fdb5c);
  });

  it('agrees with the bitwise definition at every length and alignment, and continues across pieces', () => {
    const r = rng(7);
    const data = Uint8Array.from({ length: 300 }, () => Math.floor(r() * 256));
    for (let start = 0; start < 9; start++) {
      for (let len = 0; len < 40; len++) {
        const piece = data.subarray(start, start + len);
        assert.equal(crc32c(piece), crc32cBitwise(piece), `start ${start} length ${len}`);
      }
    }
    for (const cut of [0, 1, 7, 8, 9, 150, 300]) {
      assert.equal(crc32c(data.subarray(cut), crc32c(data.subarray(0, cut))), crc32c(data));
    }
  });

  it('masks as TensorFlow does and unmasks back', () => {
    // mask(crc) = rotate right by 15, plus 0xa282ead8.
    assert.equal(maskCrc32c(0), 0xa282ead8);
    assert.equal(maskCrc32c(0xe3069283), (((0xe3069283 >>> 15) | (0xe3069283 << 17)) + 0xa282ead8) >>> 0);
    assert.equal(maskedCrc32c(new TextEncoder().encode('123456789')), maskCrc32c(0xe3069283));
    for (const x of [0, 1, 0x80000000, 0xffffffff, 0xe3069283]) assert.equal(unmaskCrc32c(maskCrc32c(x)), x);
    assert.notEqual(maskCrc32c(0xe3069283), 0xe3069283);
  });
});
