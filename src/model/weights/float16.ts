/**
 * Widening of the 16-bit float formats checkpoints store (IEEE half and bfloat16) to float32.
 * Both widen exactly: every half and every bfloat16 value is a float32 value.
 */

/** Float32 bits of each half-precision bit pattern (a 256 KB table: faster than branching per value). */
let halfTable: Uint32Array | undefined;

function halfToFloat32Bits(h: number): number {
  const sign = (h & 0x8000) << 16;
  const exp = (h >>> 10) & 0x1f;
  let mant = h & 0x3ff;
  if (exp === 0x1f) return (sign | 0x7f800000 | (mant << 13)) >>> 0; // inf, NaN (payload kept)
  if (exp !== 0) return (sign | ((exp + 112) << 23) | (mant << 13)) >>> 0; // 112 = 127 - 15
  if (mant === 0) return sign >>> 0; // +-0
  // Subnormal half: mant * 2^-24; shift until the leading 1 becomes the implicit bit.
  let e = 113; // biased float32 exponent of 2^-14
  while ((mant & 0x400) === 0) {
    mant <<= 1;
    e--;
  }
  return (sign | (e << 23) | ((mant & 0x3ff) << 13)) >>> 0;
}

/** Little-endian IEEE half-precision values to float32. */
export function decodeFloat16(bytes: Uint8Array): Float32Array {
  if (!halfTable) {
    halfTable = new Uint32Array(65536);
    for (let h = 0; h < 65536; h++) halfTable[h] = halfToFloat32Bits(h);
  }
  const n = bytes.length >>> 1;
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) out[i] = halfTable[bytes[2 * i] | (bytes[2 * i + 1] << 8)];
  return new Float32Array(out.buffer);
}

/** Little-endian bfloat16 values (the top half of a float32) to float32. */
export function decodeBfloat16(bytes: Uint8Array): Float32Array {
  const n = bytes.length >>> 1;
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) out[i] = ((bytes[2 * i] << 16) | (bytes[2 * i + 1] << 24)) >>> 0;
  return new Float32Array(out.buffer);
}
