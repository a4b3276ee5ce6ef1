/** Element types of IR values. float64 exists for the reference interpreter and gradient checks. */
export type DType = 'float32' | 'float16' | 'float64' | 'int32' | 'int64' | 'uint32' | 'bool';

export const FLOAT_DTYPES: readonly DType[] = ['float32', 'float16', 'float64'];
export const INT_DTYPES: readonly DType[] = ['int32', 'int64', 'uint32'];

export function isFloat(d: DType): boolean {
  return d === 'float32' || d === 'float16' || d === 'float64';
}

export function isInteger(d: DType): boolean {
  return d === 'int32' || d === 'int64' || d === 'uint32';
}

export function byteSize(d: DType): number {
  switch (d) {
    case 'float64':
    case 'int64':
      return 8;
    case 'float32':
    case 'int32':
    case 'uint32':
      return 4;
    case 'float16':
      return 2;
    case 'bool':
      return 1;
  }
}

/** Rounds a float64 value to what the given dtype can hold (used by Cast in the interpreter). */
export function castScalar(x: number, to: DType): number {
  switch (to) {
    case 'float64':
      return x;
    case 'float32':
      return Math.fround(x);
    case 'float16':
      return roundToHalf(x);
    case 'int32':
      return Math.trunc(x) | 0;
    case 'int64':
      return Math.trunc(x);
    case 'uint32':
      return Math.trunc(x) >>> 0;
    case 'bool':
      return x !== 0 ? 1 : 0;
  }
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
/** Round-to-nearest-even conversion of a float to IEEE half precision, returned as a number. */
function roundToHalf(x: number): number {
  if (!Number.isFinite(x) || x === 0) return x;
  const ax = Math.abs(x);
  if (ax >= 65520) return x > 0 ? Infinity : -Infinity;
  f32[0] = x;
  const bits = u32[0];
  const exp = ((bits >>> 23) & 0xff) - 127;
  // spacing of half-precision values at this magnitude (subnormals below 2^-14)
  const ulp = Math.pow(2, Math.max(exp, -14) - 10);
  const q = ax / ulp;
  let r = Math.round(q);
  if (Math.abs(q - Math.trunc(q) - 0.5) < 1e-12 && r % 2 === 1) r -= 1; // ties to even
  return Math.sign(x) * r * ulp;
}
