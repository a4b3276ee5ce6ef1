/**
 * The in-memory form of one stored tensor, shared by every weight reader and
 * writer (safetensors, TF tensor-bundle checkpoints) so loaders can treat
 * formats alike.
 */

export type WeightDType =
  | 'float32'
  | 'float16'
  | 'bfloat16'
  | 'float64'
  | 'int32'
  | 'int64'
  | 'bool'
  | 'int8'
  | 'uint8';

export interface WeightTensor {
  dtype: WeightDType;
  shape: number[];
  /** floats decoded to Float32Array; ints to Int32Array/BigInt64Array; raw others to Uint8Array */
  data: Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array;
}
