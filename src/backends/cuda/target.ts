/**
 * The CUDA execution target: onnxruntime's CUDA provider on one GPU (`albert setup cuda`
 * installs it). onnxruntime runs any node CUDA has no kernel for on its CPU provider, so the
 * fused kernels are the ONNX backend's at every level.
 */
import { UserError } from '../../util/errors.ts';
import { emitsFused } from '../onnx/fusion.ts';
import { createSession } from '../onnx/session.ts';
// Types only: target.ts imports this file to build its targets.
import type { Device, ExecutionTarget } from '../target.ts';

export function cudaTarget(device: Device): ExecutionTarget {
  const deviceId = device.index ?? 0;
  return {
    device,
    fusedKernels: (level) => (op) => emitsFused(level, op),
    open: async (model, opts = {}) => {
      // onnxruntime-node copies every CUDA output back to the host; keeping outputs in GPU
      // memory between runs needs IO binding, which its JS API does not expose.
      if (opts.outputsOnDevice && opts.outputsOnDevice.length > 0) {
        throw new UserError(`cuda:${deviceId}: keeping outputs on the device (${opts.outputsOnDevice.join(', ')}) is not supported yet`);
      }
      return createSession(model, opts, { executionProviders: [{ name: 'cuda', deviceId }] });
    },
    // Every output is copied to the host (above): nothing to bring back.
    toHost: async (tensors) => ({ ...tensors }),
  };
}
