import { availableParallelism } from 'node:os';
import * as ort from './ort.ts';
import { OptionError } from '../../util/errors.ts';
import type { DType } from '../../ir/dtype.ts';
import type { Tensor } from '../../ir/tensor.ts';
import { toHalfBits } from './tensor-proto.ts';

export interface SessionOptions {
  /** Intra-op threads (default: onnxruntime's choice, all cores). */
  threads?: number;
  optimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  /** onnxruntime's memory pattern (default on); training sessions turn it off (see Trainer). */
  memPattern?: boolean;
  /** Write onnxruntime's per-kernel profile (JSON, ended by session.endProfiling()) under this file prefix. */
  profilePrefix?: string;
}

/**
 * The most intra-op threads a session may be given: four per core the process may use, at
 * least 64. More only oversubscribes the cores (and onnxruntime creates every thread up front:
 * 100000 of them do not finish starting).
 */
export function maxThreads(): number {
  return Math.max(64, 4 * availableParallelism());
}

/** Checks a `threads` option (undefined: onnxruntime's default) up front; every command that takes one uses this. */
export function checkThreads(threads: number | undefined): void {
  if (threads === undefined) return;
  const max = maxThreads();
  if (!Number.isInteger(threads) || threads < 1 || threads > max) {
    throw new OptionError(`{threads} must be an integer in 1..${max} (more only oversubscribes this machine's ${availableParallelism()} cores); got ${threads}`);
  }
}

/**
 * onnxruntime's log level for our sessions: errors only. Its warnings (initializers a graph
 * optimisation left unused, nodes placed on the CPU provider, ...) are colour-coded lines
 * about its internals that tell a user nothing they can act on.
 */
const LOG_SEVERITY_ERROR = 3;
/**
 * For GPU providers, fatal only: a provider that cannot load logs its error natively (colour-coded,
 * with source paths) and then throws the same message, which the caller reports in its own words.
 */
const LOG_SEVERITY_FATAL = 4;

/**
 * Where a session's kernels run: onnxruntime's execution providers in order of preference (it
 * places each node on the first that has a kernel for it), and which outputs it leaves in the
 * device's memory instead of copying them to the host. The execution targets
 * (src/backends/target.ts) each give their own; plain createSession calls run on the CPU.
 */
export interface Placement {
  executionProviders: readonly ort.InferenceSession.ExecutionProviderConfig[];
  preferredOutputLocation?: Readonly<Record<string, ort.Tensor.DataLocation>>;
}

export const CPU_PLACEMENT: Placement = { executionProviders: ['cpu'] };

/** Opens a session of a model (bytes or a file): the one code path under every execution target (src/backends/target.ts). */
export async function createSession(model: Uint8Array | string, opts: SessionOptions = {}, placement: Placement = CPU_PLACEMENT): Promise<ort.InferenceSession> {
  checkThreads(opts.threads);
  const o: ort.InferenceSession.SessionOptions = {
    graphOptimizationLevel: opts.optimizationLevel ?? 'all',
    executionProviders: placement.executionProviders,
    logSeverityLevel: placement === CPU_PLACEMENT ? LOG_SEVERITY_ERROR : LOG_SEVERITY_FATAL,
  };
  // A GPU provider that cannot load logs through onnxruntime's process-wide logger, whatever
  // the session's level; the thrown error carries the same message.
  if (placement !== CPU_PLACEMENT) ort.env.logLevel = 'fatal';
  if (placement.preferredOutputLocation) o.preferredOutputLocation = placement.preferredOutputLocation;
  if (opts.threads) o.intraOpNumThreads = opts.threads;
  if (opts.memPattern === false) o.enableMemPattern = false;
  if (opts.profilePrefix) {
    o.enableProfiling = true;
    o.profileFilePrefix = opts.profilePrefix;
  }
  return typeof model === 'string' ? ort.InferenceSession.create(model, o) : ort.InferenceSession.create(model, o);
}

const ORT_TYPES: Record<DType, ort.Tensor.Type> = {
  float32: 'float32',
  float16: 'float16',
  float64: 'float64',
  int32: 'int32',
  int64: 'int64',
  uint32: 'uint32',
  bool: 'bool',
};

/** Converts a reference tensor (float64 storage) to an onnxruntime tensor of its dtype. */
export function toOrtTensor(t: Tensor): ort.Tensor {
  const n = t.data.length;
  let data: ort.Tensor.DataType;
  switch (t.dtype) {
    case 'float32':
      data = Float32Array.from(t.data);
      break;
    case 'float64':
      data = Float64Array.from(t.data);
      break;
    case 'int32':
      data = Int32Array.from(t.data);
      break;
    case 'uint32':
      data = Uint32Array.from(t.data);
      break;
    case 'int64': {
      const a = new BigInt64Array(n);
      for (let i = 0; i < n; i++) a[i] = BigInt(t.data[i]);
      data = a;
      break;
    }
    case 'bool':
      data = Uint8Array.from(t.data, (x) => (x ? 1 : 0));
      break;
    case 'float16':
      data = Uint16Array.from(t.data, toHalfBits);
      break;
  }
  return new ort.Tensor(ORT_TYPES[t.dtype], data, t.shape);
}

/** Converts an onnxruntime tensor back to a reference tensor. */
export function fromOrtTensor(t: ort.Tensor): Tensor {
  const dtype = (Object.entries(ORT_TYPES) as [DType, ort.Tensor.Type][]).find(([, o]) => o === t.type)?.[0];
  if (!dtype) throw new Error(`unsupported onnxruntime tensor type ${t.type}`);
  const src = t.data as ArrayLike<number | bigint>;
  const out = new Float64Array(src.length);
  if (dtype === 'float16') {
    for (let i = 0; i < out.length; i++) out[i] = fromHalfBits(Number(src[i]));
  } else {
    for (let i = 0; i < out.length; i++) out[i] = Number(src[i]);
  }
  return { dtype, shape: [...t.dims], data: out };
}

function fromHalfBits(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >>> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * Math.pow(2, -24);
  if (e === 0x1f) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * Math.pow(2, e - 15);
}

/** Runs a session on reference-tensor feeds and returns reference tensors. */
export async function runReference(session: ort.InferenceSession, feeds: Record<string, Tensor>): Promise<Record<string, Tensor>> {
  const ortFeeds: Record<string, ort.Tensor> = {};
  for (const name of session.inputNames) {
    const t = feeds[name];
    if (!t) throw new Error(`no feed for ONNX input "${name}"`);
    ortFeeds[name] = toOrtTensor(t);
  }
  const res = await session.run(ortFeeds);
  const out: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(res)) out[k] = fromOrtTensor(v);
  return out;
}
