/**
 * onnxruntime-node, loaded on first use. A static `import * as ort from 'onnxruntime-node'` fails
 * while the module graph is still being linked when the package is missing, and with a raw
 * dlopen error when its native binding does not load (another platform, a musl libc, a
 * half-finished install); no code of ours would run to say what to do. Loading it here with
 * require on first use lets the rest of the library (compiling, inspecting, tokenizing) work
 * without it, and turns either failure into a one-line UserError with the fix.
 *
 * Use it as the package itself: `import * as ort from './ort.ts'` gives `ort.Tensor`,
 * `ort.InferenceSession`, `ort.env` (values and types) and every other type of the package.
 */
import { createRequire } from 'node:module';
import { arch, platform } from 'node:process';
import type * as Ort from 'onnxruntime-node';
import { UserError } from '../../util/errors.ts';

// Every type of the package (OnnxValue, TypedTensor, Env, ...). The three names below that are
// also values shadow these, so their types and namespaces are spelled out again there.
export type * from 'onnxruntime-node';

const PACKAGE = 'onnxruntime-node';

/** How a consumer installs the package without its install script (which downloads CUDA libraries). */
const REINSTALL = `reinstall it with ONNXRUNTIME_NODE_INSTALL=skip npm install (its CPU binding ships inside the package), then check with \`albert doctor\``;

/**
 * Loads the package `specifier` as seen from `from` (a file URL); a missing package or a native
 * binding that does not load becomes a UserError naming what is missing and how to fix it.
 * Exported with its parameters so a test can point it at a package that is not there.
 */
export function requireOrt(specifier: string = PACKAGE, from: string = import.meta.url): typeof Ort {
  try {
    return createRequire(from)(specifier) as typeof Ort;
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const cause = String(err?.message ?? e).split('\n')[0];
    if (err?.code === 'MODULE_NOT_FOUND' && cause.includes(`'${specifier}'`)) {
      throw new UserError(`${specifier} is not installed (albert-compiler runs models with it): ${REINSTALL}`);
    }
    throw new UserError(`${specifier}'s native binding does not load on ${platform}-${arch} (${cause}): ${REINSTALL}`);
  }
}

let loaded: typeof Ort | undefined;

function load(): typeof Ort {
  return (loaded ??= requireOrt());
}

/**
 * A stand-in for the package's export `key` that loads the package when first touched: called,
 * constructed (`new ort.Tensor(...)`), read from (`ort.InferenceSession.create`), written to
 * (`ort.env.logLevel = ...`) or used with instanceof. The target is a function so that the
 * construct and apply traps are allowed; it bears the export's name for console.log.
 */
function lazy<K extends 'Tensor' | 'InferenceSession' | 'env'>(key: K): (typeof Ort)[K] {
  const real = (): object => load()[key] as object;
  const target = { [key]: function () {} }[key];
  return new Proxy(target, {
    get: (_, p) => Reflect.get(real(), p),
    set: (_, p, v) => Reflect.set(real(), p, v),
    has: (_, p) => Reflect.has(real(), p),
    construct: (_, args) => Reflect.construct(real() as new (...a: unknown[]) => object, args),
    apply: (_, self, args) => Reflect.apply(real() as (...a: unknown[]) => unknown, self, args),
  }) as unknown as (typeof Ort)[K];
}

export const Tensor: typeof Ort.Tensor = lazy('Tensor');
export type Tensor = Ort.Tensor;
export declare namespace Tensor {
  type DataTypeMap = Ort.Tensor.DataTypeMap;
  type ElementTypeMap = Ort.Tensor.ElementTypeMap;
  type DataType = Ort.Tensor.DataType;
  type ElementType = Ort.Tensor.ElementType;
  type CpuPinnedDataTypes = Ort.Tensor.CpuPinnedDataTypes;
  type TextureType = Ort.Tensor.TextureType;
  type TextureDataTypes = Ort.Tensor.TextureDataTypes;
  type GpuBufferType = Ort.Tensor.GpuBufferType;
  type GpuBufferDataTypes = Ort.Tensor.GpuBufferDataTypes;
  type MLTensorType = Ort.Tensor.MLTensorType;
  type MLTensorDataTypes = Ort.Tensor.MLTensorDataTypes;
  type DataLocation = Ort.Tensor.DataLocation;
  type Type = Ort.Tensor.Type;
}

export const InferenceSession: typeof Ort.InferenceSession = lazy('InferenceSession');
export type InferenceSession = Ort.InferenceSession;
export declare namespace InferenceSession {
  type OnnxValueMapType = Ort.InferenceSession.OnnxValueMapType;
  type NullableOnnxValueMapType = Ort.InferenceSession.NullableOnnxValueMapType;
  type FeedsType = Ort.InferenceSession.FeedsType;
  type FetchesType = Ort.InferenceSession.FetchesType;
  type ReturnType = Ort.InferenceSession.ReturnType;
  type SessionOptions = Ort.InferenceSession.SessionOptions;
  type RunOptions = Ort.InferenceSession.RunOptions;
  type ExecutionProviderOptionMap = Ort.InferenceSession.ExecutionProviderOptionMap;
  type ExecutionProviderName = Ort.InferenceSession.ExecutionProviderName;
  type ExecutionProviderConfig = Ort.InferenceSession.ExecutionProviderConfig;
  type ExecutionProviderOption = Ort.InferenceSession.ExecutionProviderOption;
  type CpuExecutionProviderOption = Ort.InferenceSession.CpuExecutionProviderOption;
  type CudaExecutionProviderOption = Ort.InferenceSession.CudaExecutionProviderOption;
  type WebGpuExecutionProviderOption = Ort.InferenceSession.WebGpuExecutionProviderOption;
  type ValueMetadataBase = Ort.InferenceSession.ValueMetadataBase;
  type TensorValueMetadata = Ort.InferenceSession.TensorValueMetadata;
  type NonTensorValueMetadata = Ort.InferenceSession.NonTensorValueMetadata;
  type ValueMetadata = Ort.InferenceSession.ValueMetadata;
}

export const env: typeof Ort.env = lazy('env');
