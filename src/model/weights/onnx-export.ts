/**
 * Weights read back from an `albert export` directory (config.json + onnx/model.onnx): our
 * analogue of the original's --albert_hub_module_handle.
 *
 * How the export stores them (export-graph.ts, backends/onnx/emit.ts): every parameter the graph
 * reads is one float32 initializer named by its TF name (the ParamSpec name, which is the graph
 * input name), in our layout (kernels [in, out], nothing transposed), raw_data little-endian, no
 * external data. The passes the export runs (simplify, const-fold, CSE, DCE, einsum lowering)
 * work on nodes, never on parameters, which are graph inputs: no parameter is folded into
 * another, the tied MLM decoder reads the word embeddings themselves, and constants are Constant
 * nodes, not initializers. The one parameter an export leaves out is one no output reads (the
 * pooler of an mlm, squad or squad2 export): it is reported missing, as for an HF checkpoint of
 * that head. So the inverse is exact: the initializers are a 'tf'-named checkpoint.
 */
import { endianness } from 'node:os';
import { readFileSync } from 'node:fs';
import onnxProto from 'onnx-proto';
import { UserError } from '../../ir/errors.ts';
import { decodeBfloat16, decodeFloat16 } from './float16.ts';
import type { WeightDType, WeightTensor } from './types.ts';

const onnx = onnxProto.onnx;
type TensorProto = onnxProto.onnx.ITensorProto;
type Int64 = number | { toNumber(): number };

/** ONNX element types a parameter can be stored as, and how they decode. */
const FLOAT_TYPES: Record<number, WeightDType> = { 1: 'float32', 10: 'float16', 11: 'float64', 16: 'bfloat16' };

function toNum(x: Int64 | null | undefined): number {
  if (x === null || x === undefined) return 0;
  return typeof x === 'number' ? x : x.toNumber();
}

/** The initializers of an exported model.onnx that can hold parameters, by name. */
export interface OnnxInitializers {
  names: string[];
  shapeOf(name: string): number[];
  read(names: ReadonlySet<string>): Map<string, WeightTensor>;
}

/** A one-line reason from a decoder error (protobufjs messages can run over lines). */
function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0];
}

/** The 16-bit values ONNX keeps in int32_data (float16/bfloat16 without raw_data) as LE bytes. */
function uint16Bytes(values: number[]): Uint8Array {
  const out = new Uint8Array(values.length * 2);
  for (let i = 0; i < values.length; i++) {
    out[2 * i] = values[i] & 0xff;
    out[2 * i + 1] = (values[i] >>> 8) & 0xff;
  }
  return out;
}

const BYTES: Record<string, number> = { float32: 4, float64: 8, float16: 2, bfloat16: 2 };

function decodeInitializer(file: string, t: TensorProto, dtype: WeightDType, shape: number[]): WeightTensor {
  const name = t.name ?? '';
  const numel = shape.reduce((a, d) => a * d, 1);
  const raw = t.rawData && t.rawData.length > 0 ? t.rawData : null;
  const wrongSize = (has: string): UserError =>
    new UserError(`${file}: initializer "${name}" holds ${has}, its shape [${shape.join(', ')}] needs ${numel} ${dtype} values`);
  if (raw && raw.length !== numel * BYTES[dtype]) throw wrongSize(`${raw.length} bytes`);
  let data: Float32Array | Float64Array;
  switch (dtype) {
    case 'float32':
      // new Uint8Array(view) copies: aligned, bit for bit, and the file's buffer is not pinned.
      data = raw ? new Float32Array(new Uint8Array(raw).buffer) : Float32Array.from(t.floatData ?? []);
      break;
    case 'float64':
      data = raw ? new Float64Array(new Uint8Array(raw).buffer) : Float64Array.from(t.doubleData ?? []);
      break;
    case 'float16':
    case 'bfloat16': {
      const bytes = raw ?? uint16Bytes(t.int32Data ?? []);
      data = dtype === 'float16' ? decodeFloat16(bytes) : decodeBfloat16(bytes);
      break;
    }
    default:
      throw new Error(`decodeInitializer: ${dtype} is not a float type`);
  }
  if (data.length !== numel) throw wrongSize(`${data.length} values`);
  return { dtype, shape, data };
}

/**
 * Reads `file` (an exported model.onnx) and lists its float initializers. Initializers of other
 * types (int64 shapes and the like, which an optimiser such as onnxsim may move out of Constant
 * nodes) can never be parameters and are skipped without a word; float initializers that are not
 * parameters of the model loaded are left to loadFromOpened, which lists them as unexpected, so
 * a model that is not one of our exports says so in the load report.
 */
export function readOnnxInitializers(file: string): OnnxInitializers {
  if (endianness() !== 'LE') throw new Error('reading ONNX raw_data needs a little-endian host');
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new UserError(`${file}: cannot read the model (${firstLine(e)})`);
  }
  let model: onnxProto.onnx.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new UserError(`${file}: not a valid ONNX model (${firstLine(e)})`);
  }
  if (!model.graph) throw new UserError(`${file}: not a valid ONNX model (it has no graph)`);
  const byName = new Map<string, { proto: TensorProto; dtype: WeightDType; shape: number[] }>();
  for (const t of model.graph.initializer ?? []) {
    const dtype = FLOAT_TYPES[t.dataType ?? 0];
    if (dtype === undefined) continue;
    const name = t.name ?? '';
    if (t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL) {
      // `albert export` never writes external data (its largest model is far below protobuf's 2 GB).
      throw new UserError(`${file}: initializer "${name}" is stored in an external data file, which is not read here (save the model with its weights inside)`);
    }
    if (byName.has(name)) throw new UserError(`${file}: two initializers are named "${name}"`);
    const shape = (t.dims ?? []).map((d) => toNum(d as Int64));
    if (shape.some((d) => !Number.isSafeInteger(d) || d < 0)) throw new UserError(`${file}: initializer "${name}" has an invalid shape [${shape.join(', ')}]`);
    byName.set(name, { proto: t, dtype, shape });
  }
  if (byName.size === 0) throw new UserError(`${file}: the ONNX model has no float initializers, so no weights to load (not an \`albert export\` model?)`);
  return {
    names: [...byName.keys()],
    shapeOf: (n) => byName.get(n)!.shape,
    read: (names) => {
      const out = new Map<string, WeightTensor>();
      for (const n of names) {
        const e = byName.get(n);
        if (e) out.set(n, decodeInitializer(file, e.proto, e.dtype, e.shape));
      }
      return out;
    },
  };
}
