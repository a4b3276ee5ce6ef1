/**
 * What the training-step benchmarks share: onnxruntime's own GEMM rate on this machine, measured
 * in the same run as the step so the two figures see the same load, and the peak RSS.
 */
import * as ort from 'onnxruntime-node';
import { emitModel, encodeModel } from '../src/backends/onnx/emit.ts';
import { createSession } from '../src/backends/onnx/session.ts';
import { Graph } from '../src/ir/graph.ts';
import { matmul } from '../src/ir/ops/index.ts';
import { InitRng, initialValues } from '../src/model/init.ts';

export interface CaseResult {
  case: string;
  [k: string]: unknown;
}

export const peakRssMb = (): number => process.resourceUsage().maxRSS / 1024;

export async function gemm(threads: number): Promise<CaseResult> {
  const [M, K, N] = [1024, 768, 3072];
  const g = new Graph('gemm');
  const a = g.input('a', 'float32', [M, K]);
  const b = g.input('b', 'float32', [K, N]);
  g.output('c', matmul(a, b));
  const s = await createSession(encodeModel(emitModel(g, { paramsAs: 'inputs' })), { threads });
  const r = new InitRng(1);
  const feeds = {
    a: new ort.Tensor('float32', initialValues({ kind: 'truncated_normal', stddev: 1 }, M * K, r), [M, K]),
    b: new ort.Tensor('float32', initialValues({ kind: 'truncated_normal', stddev: 1 }, K * N, r), [K, N]),
  };
  for (let i = 0; i < 3; i++) await s.run(feeds);
  const times: number[] = [];
  // Many short runs: on a shared machine the best of them is the closest to the GEMM's peak.
  for (let i = 0; i < 60; i++) {
    const t = performance.now();
    await s.run(feeds);
    times.push((performance.now() - t) / 1000);
  }
  times.sort((x, y) => x - y);
  const mid = times[Math.floor(times.length / 2)];
  const flops = 2 * M * K * N;
  return { case: 'gemm', shape: `${M}x${K}x${N}`, medianSeconds: mid, bestSeconds: times[0], gflopsMedian: flops / mid / 1e9, gflopsBest: flops / times[0] / 1e9 };
}
