/**
 * Reading tensors that live on the WebGPU device back to the host. The Node binding cannot
 * download a gpu-buffer tensor itself (getData() aborts the process), so a small session does it:
 * one Identity per tensor, run on the WebGPU provider with its outputs placed on the CPU.
 */
import type * as ort from '../onnx/ort.ts';
import { emitModel, encodeModel } from '../onnx/emit.ts';
import { createSession } from '../onnx/session.ts';
import { Graph } from '../../ir/graph.ts';
import { identity } from '../../ir/ops/index.ts';

export interface ReadbackSpec {
  name: string;
  dims: readonly number[];
}

export class DeviceReadback {
  private session: Promise<ort.InferenceSession> | null = null;
  private readonly model: Uint8Array;

  constructor(readonly specs: readonly ReadbackSpec[]) {
    const g = new Graph('readback');
    specs.forEach((s, i) => g.output(`host_${i}`, identity(g.input(s.name, 'float32', [...s.dims]))));
    this.model = encodeModel(emitModel(g, { paramsAs: 'inputs' }));
  }

  /** Host copies of the tensors (device-resident or not), by name. */
  async read(tensors: Readonly<Record<string, ort.Tensor>>): Promise<Map<string, Float32Array>> {
    // Outputs default to host memory: that is the point of this session.
    this.session ??= createSession(this.model, {}, { executionProviders: ['webgpu'] });
    const s = await this.session;
    const feeds: Record<string, ort.Tensor> = {};
    for (const spec of this.specs) {
      const t = tensors[spec.name];
      if (!t) throw new Error(`readback: no tensor for ${spec.name}`);
      feeds[spec.name] = t;
    }
    const out = await s.run(feeds);
    return new Map(this.specs.map((spec, i) => [spec.name, out[`host_${i}`].data as Float32Array]));
  }
}
