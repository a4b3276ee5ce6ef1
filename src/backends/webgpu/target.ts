/**
 * The WebGPU execution target: onnxruntime's WebGPU provider (onnxruntime runs any node it has
 * no kernel for on its CPU provider, so the fused kernels are the ONNX backend's). Outputs named
 * in outputsOnDevice stay in GPU buffers, so that state fed back to the next run (a training
 * step's parameters) need not cross to the host and back.
 */
import type * as ort from 'onnxruntime-node';
import { emitsFused } from '../onnx/fusion.ts';
import { createSession } from '../onnx/session.ts';
// Types only: target.ts imports this file to build its targets.
import type { Device, ExecutionTarget } from '../target.ts';

export function webgpuTarget(device: Device): ExecutionTarget {
  return {
    device,
    fusedKernels: (level) => (op) => emitsFused(level, op),
    open: async (model, opts = {}) => {
      const onDevice = opts.outputsOnDevice ?? [];
      const preferredOutputLocation: Record<string, ort.Tensor.DataLocation> = Object.fromEntries(onDevice.map((name) => [name, 'gpu-buffer']));
      return createSession(model, opts, {
        executionProviders: ['webgpu'],
        ...(onDevice.length > 0 ? { preferredOutputLocation } : {}),
      });
    },
  };
}
