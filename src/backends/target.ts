/**
 * The execution-target seam: what the training loop, the tasks and `albert predict` know of
 * where a compiled model runs. A target says which composite ops it runs as fused kernels (the
 * rest are decomposed before emission), and opens an emitted model as an Executable with its
 * own session options and execution providers. The tensors fed to and returned by an
 * Executable are HostTensors. Nothing above src/backends imports onnxruntime-node: a CUDA or
 * WebGPU target comes in here (src/backends/cuda/, src/backends/webgpu/) without touching them.
 */
import * as ort from './onnx/ort.ts';
import type { OpDef } from '../ir/op.ts';
import { cudaTarget } from './cuda/target.ts';
import { CPU, type Device } from './device.ts';
import { emitsFused, type FusionLevel, type KernelOptions } from './onnx/fusion.ts';
import { createSession, type SessionOptions } from './onnx/session.ts';
import { webgpuTarget } from './webgpu/target.ts';

export { CPU, parseDevice, type Device, type DeviceName } from './device.ts';

/** Where a compiled step runs and how its composite ops become kernels. */
export interface ExecutionOptions extends KernelOptions {
  device?: Device;
  /** Mixed precision (float16 matrix products with float32 master weights; passes/autocast.ts). */
  mixedPrecision?: boolean;
  /** Training: optimizer steps per session run (an ONNX Loop; backends/onnx/multi-step.ts). Default 1. */
  stepsPerRun?: number;
}

/**
 * A tensor in host memory, as fed to and returned by an Executable. It is onnxruntime's own
 * tensor under another name, not a wrapper: feeding back what a run returned (the training
 * state hand-off) must not copy.
 */
export type HostTensor = ort.Tensor;

/** The element types the project feeds and reads, with the typed array that holds each. */
export type HostTensorType = 'float32' | 'float16' | 'float64' | 'int32' | 'int64' | 'uint32' | 'bool';
export type HostTensorData<T extends HostTensorType> = ort.Tensor.DataTypeMap[T];

/** A host tensor over `data` (not copied) with shape `dims`. */
export function hostTensor<T extends HostTensorType>(type: T, data: HostTensorData<T>, dims: readonly number[]): HostTensor {
  return new ort.Tensor(type, data, dims);
}

export const int32Scalar = (v: number): HostTensor => hostTensor('int32', Int32Array.of(v), []);
export const float32Scalar = (v: number): HostTensor => hostTensor('float32', Float32Array.of(v), []);

/** What a model declares of one of its inputs or outputs (name, element type, shape). */
export type ValueMetadata = ort.InferenceSession.ValueMetadata;

/**
 * An opened model: what the project uses of an onnxruntime session, which satisfies it as it is
 * (a target returns its session, no wrapper in the step's hot path).
 */
export interface Executable {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly inputMetadata: readonly ValueMetadata[];
  readonly outputMetadata: readonly ValueMetadata[];
  run(feeds: Readonly<Record<string, HostTensor>>): Promise<Readonly<Record<string, HostTensor>>>;
  release(): Promise<void>;
  /** Ends the profile asked for with OpenOptions.profilePrefix and writes its file. */
  endProfiling(): void;
}

export interface OpenOptions extends SessionOptions {
  /**
   * Outputs to leave in the device's memory (WebGPU's gpu-buffer) for the next run to read
   * there. Nothing to do on the CPU, where the host is the device.
   */
  outputsOnDevice?: readonly string[];
}

export interface ExecutionTarget {
  readonly device: Device;
  /** Whether the target runs `op` as a fused kernel at this level; every other composite is decomposed before emission. */
  fusedKernels(level: FusionLevel): (op: OpDef<unknown>) => boolean;
  /** Opens an emitted model (ModelProto bytes or a file). */
  open(model: Uint8Array | string, opts?: OpenOptions): Promise<Executable>;
  /**
   * Host copies of float32 tensors an Executable left in the device's memory (outputsOnDevice);
   * host tensors come back as they are. The device tensors stay valid: the caller disposes them.
   */
  toHost(tensors: Readonly<Record<string, HostTensor>>): Promise<Record<string, HostTensor>>;
}

/** toHost for targets whose outputs are always in host memory. */
export const hostAlready = async (tensors: Readonly<Record<string, HostTensor>>): Promise<Record<string, HostTensor>> => ({ ...tensors });

const cpuTarget: ExecutionTarget = {
  device: CPU,
  fusedKernels: (level) => (op) => emitsFused(level, op),
  open: (model, opts = {}) => createSession(model, opts),
  toHost: hostAlready,
};

export function targetFor(device: Device = CPU): ExecutionTarget {
  switch (device.name) {
    case 'cpu':
      return cpuTarget;
    case 'cuda':
      return cudaTarget(device);
    case 'webgpu':
      return webgpuTarget(device);
  }
}
