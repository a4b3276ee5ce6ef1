/**
 * The WebGPU execution target: onnxruntime's WebGPU provider (onnxruntime runs any node it has
 * no kernel for on its CPU provider, so the fused kernels are the ONNX backend's). Outputs named
 * in outputsOnDevice stay in GPU buffers, so that state fed back to the next run (a training
 * step's parameters) need not cross to the host and back.
 */
import * as ort from '../onnx/ort.ts';
import { emitsFused } from '../onnx/fusion.ts';
import { createSession } from '../onnx/session.ts';
import { DeviceReadback } from './readback.ts';
// Types only: target.ts imports this file to build its targets.
import type { Device, ExecutionTarget } from '../target.ts';

export function webgpuTarget(device: Device): ExecutionTarget {
  // One readback session per set of tensors read (a training run reads the same set each time).
  const readbacks = new Map<string, DeviceReadback>();
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
    toHost: async (tensors) => {
      const onDevice = Object.keys(tensors).filter((n) => tensors[n].location === 'gpu-buffer');
      const out = { ...tensors };
      if (onDevice.length === 0) return out;
      const key = onDevice.map((n) => `${n}:${tensors[n].dims.join('x')}`).join('|');
      let rb = readbacks.get(key);
      if (!rb) {
        rb = new DeviceReadback(onDevice.map((name) => ({ name, dims: tensors[name].dims })));
        readbacks.set(key, rb);
      }
      const host = await rb.read(tensors);
      for (const n of onDevice) out[n] = new ort.Tensor('float32', host.get(n)!, tensors[n].dims);
      return out;
    },
  };
}
