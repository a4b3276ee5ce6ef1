/**
 * The training step on each execution device (figures, not assertions): the compiled
 * pretraining step (LAMB) of a config at batch x seq, run by the Trainer `albert pretrain` uses,
 * on cpu, webgpu (parameters and slots kept in GPU buffers) and cuda, each in float32 and in mixed
 * precision (`<device>-fp16`: float16 products, float32 master weights, dynamic loss scaling):
 * seconds per step (the first, onnxruntime's warm-up and shader compilation, apart), tokens/s,
 * peak RSS, GPU memory in use after the steps (nvidia-smi, where there is one), updates skipped
 * for overflow, and the ratio to the CPU's float32 step in the same run. Each case runs in its
 * own process; a device that cannot open the step prints why and the run goes on.
 *
 * A `-loop<S>` suffix (cpu-loop4, cuda-fp16-loop8) runs S steps per session run (the ONNX Loop of
 * --steps-per-run): parameters and slots stay inside onnxruntime between them; the figure is per
 * step.
 *
 *   node --import tsx bench/device-step.ts [--config base] [--batch 8] [--seq 128] [--steps 3]
 *        [--only cpu,cpu-fp16,cpu-loop4,webgpu,webgpu-fp16,cuda,cuda-fp16,cuda-loop4,cuda-fp16-loop4] [--threads N]
 *
 * On this project's machines there is no GPU: webgpu runs on Mesa's software Vulkan driver
 * (use --config tiny there), cuda prints that it cannot open. On a GPU machine:
 *   node --import tsx bench/device-step.ts --config base --batch 32 --seq 128 --steps 10 --only cpu,cuda,cuda-fp16,cuda-loop4,cuda-fp16-loop4,webgpu,webgpu-fp16
 */
import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { parseDevice } from '../src/backends/target.ts';
import { loadAlbertConfig } from '../src/model/config.ts';
import { InitRng, initialValues } from '../src/model/init.ts';
import { modelParams } from '../src/model/params.ts';
import { pretrainingBatches } from '../src/tasks/pretraining/task.ts';
import { Trainer } from '../src/train/trainer.ts';
import { argFlag, benchCases, loadLine, peakRssMb, syntheticPretrainingBatch, timeSteps, type CaseResult } from './gemm.ts';

const config = argFlag('--config') ?? 'base';
const B = Number(argFlag('--batch') ?? 8);
const S = Number(argFlag('--seq') ?? 128);
const steps = Number(argFlag('--steps') ?? 3);
const threads = Number(argFlag('--threads') ?? availableParallelism());
const P = 20;

/** MiB of GPU memory in use (all processes), or null without nvidia-smi. */
function gpuMemoryMb(): number | null {
  try {
    const out = execFileSync('nvidia-smi', ['--query-gpu=memory.used', '--format=csv,noheader,nounits'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return Number(out.split('\n')[0]);
  } catch {
    return null;
  }
}

async function deviceCase(name: string): Promise<CaseResult> {
  const cfg = loadAlbertConfig(config);
  const predictions = Math.min(P, S);
  const mixedPrecision = /-fp16(-|$)/.test(name);
  const loop = Number(/-loop(\d+)$/.exec(name)?.[1] ?? 1);
  try {
    const trainer = await Trainer.create(
      { config: cfg, graph: { head: 'pretraining', maxPredictions: predictions }, maxSeqLength: Math.max(S, 64), optimizer: 'lamb', learningRate: 1e-4, numWarmupSteps: 10, numTrainSteps: 1000, seed: 1, threads, execution: { device: parseDevice(name.replace(/-(fp16|loop\d+)/g, '')), mixedPrecision } },
      pretrainingBatches,
    );
    const r = new InitRng(2);
    trainer.setState(new Map(modelParams(cfg, 'pretraining').map((s) => [s.name, initialValues(s.init, s.shape.reduce((a, d) => a * d, 1), r)])));
    let overflows = 0;
    const t = await timeSteps(steps, async (i) => {
      if (loop > 1) {
        const batches = Array.from({ length: loop }, (_, j) => syntheticPretrainingBatch(B, S, predictions, cfg.vocabSize, i * loop + j));
        return (await trainer.steps(i * loop, batches))[0];
      }
      const res = await trainer.step(i, [syntheticPretrainingBatch(B, S, predictions, cfg.vocabSize, i)]);
      if (res.lossScale?.overflow) overflows++;
      return res;
    });
    return { case: name, ...t, tokensPerSecond: (B * S) / t.medianStepSeconds, sessionSeconds: trainer.sessionSeconds, peakRssMb: peakRssMb(), gpuMemoryMb: gpuMemoryMb(), overflows };
  } catch (e) {
    return { case: name, error: (e instanceof Error ? e.message : String(e)).split('\n')[0] };
  }
}

const results = await benchCases(import.meta.url, deviceCase, 'cpu,cpu-fp16,webgpu,webgpu-fp16,cuda,cuda-fp16', threads);
if (results) {
  const cpu = results.find((r) => r.case === 'cpu' && r.medianStepSeconds !== undefined);
  console.log('');
  console.log(`summary: ${config} pretraining step (LAMB), ${B} x ${S}; <device>-fp16 is mixed precision`);
  for (const r of results) {
    if (r.error) {
      console.log(`  ${r.case}: not run: ${String(r.error)}`);
      continue;
    }
    const median = r.medianStepSeconds as number;
    const ratio = cpu && r !== cpu ? `, ${((cpu.medianStepSeconds as number) / median).toFixed(2)}x the CPU's speed` : '';
    const gpu = typeof r.gpuMemoryMb === 'number' ? `; GPU memory in use ${r.gpuMemoryMb} MiB` : '';
    const skipped = r.overflows ? `; ${String(r.overflows)} update(s) skipped for overflow` : '';
    console.log(`  ${r.case}: ${median.toFixed(3)} s/step (median of ${(r.stepSeconds as number[]).length}; first ${(r.firstStepSeconds as number).toFixed(2)} s), ${Math.round(r.tokensPerSecond as number)} tokens/s${ratio}; peak RSS ${(r.peakRssMb as number).toFixed(0)} MB${gpu}${skipped}`);
  }
  console.log(`after: ${loadLine()}`);
}
