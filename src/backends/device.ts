/**
 * Devices as users name them (cpu, cuda, cuda:N, webgpu). Kept apart from the execution targets
 * so that commands can read a --device flag without loading onnxruntime (command modules load
 * the library lazily, which keeps `albert --help` fast).
 */
import { OptionError } from '../util/errors.ts';

export type DeviceName = 'cpu' | 'cuda' | 'webgpu';

/** A device to run on; `index` picks one of several GPUs (CUDA's device id). */
export interface Device {
  name: DeviceName;
  index?: number;
}

export const CPU: Readonly<Device> = { name: 'cpu' };

const DEVICE = /^(?:(cpu|webgpu)|cuda(?::(\d{1,4}))?)$/;

/** Reads a device as users write it: cpu, cuda, cuda:N or webgpu. */
export function parseDevice(s: string): Device {
  const m = DEVICE.exec(s);
  if (!m) throw new OptionError(`{device} ${JSON.stringify(s)}: expected cpu, cuda, cuda:N (a GPU's index) or webgpu`);
  if (m[1] === 'cpu' || m[1] === 'webgpu') return { name: m[1] };
  return m[2] === undefined ? { name: 'cuda' } : { name: 'cuda', index: Number(m[2]) };
}
