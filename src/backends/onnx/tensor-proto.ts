import type { DType } from '../../ir/dtype.ts';
import type { Tensor } from '../../ir/tensor.ts';
import { onnx } from './proto.ts';

const TYPE_NUMBERS: Record<DType, number> = {
  float32: 1,
  bool: 9,
  float16: 10,
  float64: 11,
  int32: 6,
  int64: 7,
  uint32: 12,
};

export function onnxElemType(d: DType): number {
  return TYPE_NUMBERS[d];
}

export function dtypeOfOnnxElemType(t: number): DType {
  const hit = (Object.entries(TYPE_NUMBERS) as [DType, number][]).find(([, n]) => n === t);
  if (!hit) throw new Error(`ONNX element type ${t} is not supported`);
  return hit[0];
}

/** Packs values into the little-endian raw bytes ONNX expects for the dtype. */
export function rawBytes(dtype: DType, data: ArrayLike<number>): Uint8Array {
  const n = data.length;
  switch (dtype) {
    case 'float32':
      return bytesOf(Float32Array.from(data));
    case 'float64':
      return bytesOf(Float64Array.from(data));
    case 'int32':
      return bytesOf(Int32Array.from(data));
    case 'uint32':
      return bytesOf(Uint32Array.from(data));
    case 'int64': {
      const a = new BigInt64Array(n);
      for (let i = 0; i < n; i++) a[i] = BigInt(data[i]);
      return bytesOf(a);
    }
    case 'bool':
      return Uint8Array.from(data, (x) => (x ? 1 : 0));
    case 'float16': {
      const a = new Uint16Array(n);
      for (let i = 0; i < n; i++) a[i] = toHalfBits(data[i]);
      return bytesOf(a);
    }
  }
}

function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

export function tensorProto(name: string, t: Tensor): InstanceType<typeof onnx.TensorProto> {
  return onnx.TensorProto.create({ name, dims: t.shape, dataType: onnxElemType(t.dtype), rawData: rawBytes(t.dtype, t.data) });
}

/** A TensorProto straight from float32 weights (no float64 detour for large initializers). */
export function float32TensorProto(name: string, shape: number[], data: Float32Array): InstanceType<typeof onnx.TensorProto> {
  return onnx.TensorProto.create({ name, dims: shape, dataType: 1, rawData: bytesOf(data) });
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
/** IEEE half bits of a number (round to nearest even), for float16 constants. */
export function toHalfBits(x: number): number {
  f32[0] = x;
  const b = u32[0];
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  let mant = b & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let h = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && h & 1)) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && h & 1)) h++;
  return sign | h;
}
