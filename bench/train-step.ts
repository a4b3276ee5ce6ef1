/**
 * Training-step benchmark (figures, not assertions): the compiled pretraining step of
 * ALBERT-base (LAMB, G=K=1) run by the same Trainer `albert pretrain` uses, at batch 8 x seq 128
 * and 8 x 512: seconds per step, tokens/s, the step's FLOPs (our FLOP rules) and the rate they
 * imply, peak RSS; compile times of the base and xxlarge training graphs; and onnxruntime's own
 * fp32 GEMM rate on this machine (one MatMul, 1024x768 by 768x3072, built with our IR), so the
 * step can be read as a fraction of what the machine's GEMM does.
 *
 *   node --import tsx bench/train-step.ts [--threads N] [--steps N] [--only gemm,compile,128,512,128-none,512-none]
 *
 * A case "S-none" (or "S-standard") compiles the step with that fusion level, to compare with
 * the default (all of onnxruntime's fused kernels) in the same run.
 *
 * Each case runs in its own process so that peak RSS is that case's.
 */
import { availableParallelism } from 'node:os';
import { compileModel } from '../src/compile.ts';
import type { FusionLevel } from '../src/backends/onnx/fusion.ts';
import { benchCases, argFlag, gemm, gemmLine, loadLine, peakRssMb, shareOfGemm, timeSteps, type CaseResult, syntheticPretrainingBatch } from './gemm.ts';
import { analyzeGraph } from '../src/inspect/index.ts';
import { loadAlbertConfig } from '../src/model/config.ts';
import { InitRng, initialValues } from '../src/model/init.ts';
import { modelParams } from '../src/model/params.ts';
import { Trainer } from '../src/train/trainer.ts';
import { pretrainingBatches } from '../src/tasks/pretraining/task.ts';

const flag = argFlag;
const threads = Number(flag('--threads') ?? availableParallelism());
const steps = Number(flag('--steps') ?? 3);

function compileTimes(): CaseResult {
  const out: Record<string, unknown> = {};
  for (const preset of ['base', 'xxlarge']) {
    const c = compileModel({ config: preset, head: 'pretraining', mode: 'train', maxSeqLength: 512 });
    out[preset] = { seconds: c.stats.seconds, nodes: c.stats.nodes, matmul: c.stats.ops.MatMul ?? 0, modelBytes: c.model.length };
  }
  return { case: 'compile', ...out, peakRssMb: peakRssMb() };
}


async function step(S: number, fusion: FusionLevel): Promise<CaseResult> {
  const B = 8;
  const P = 20;
  const cfg = loadAlbertConfig('base');
  const t0 = performance.now();
  const trainer = await Trainer.create(
    { config: cfg, graph: { head: 'pretraining', maxPredictions: P }, maxSeqLength: 512, optimizer: 'lamb', learningRate: 1e-4, numWarmupSteps: 10, numTrainSteps: 1000, seed: 1, threads, execution: { fusion } },
    pretrainingBatches,
  );
  const setupSeconds = (performance.now() - t0) / 1000;
  const r = new InitRng(2);
  trainer.setState(new Map(modelParams(cfg, 'pretraining').map((s) => [s.name, initialValues(s.init, s.shape.reduce((a, d) => a * d, 1), r)])));
  const flops = analyzeGraph(trainer.compiled.graph, { batchSize: B, seqLength: S, dims: { batch: B, seq: S } }).flops.total ?? NaN;
  const t = await timeSteps(steps, (i) => trainer.step(i, [syntheticPretrainingBatch(B, S, P, cfg.vocabSize, i)]));
  const median = t.medianStepSeconds;
  return {
    case: `base-${B}x${S}${fusion === 'all' ? '' : ` (fusion ${fusion})`}`,
    compileSeconds: trainer.compileSeconds,
    sessionSeconds: trainer.sessionSeconds,
    setupSeconds,
    ...t,
    tokensPerSecond: (B * S) / median,
    stepGflop: flops / 1e9,
    achievedGflops: flops / median / 1e9,
    peakRssMb: peakRssMb(),
  };
}

async function runCase(name: string): Promise<CaseResult> {
  if (name === 'gemm') return gemm(threads);
  if (name === 'compile') return compileTimes();
  // "128" or "128-none": the sequence length, and the fusion level when not the default.
  const [seq, fusion] = name.split('-');
  return step(Number(seq), (fusion ?? 'all') as FusionLevel);
}

const results = await benchCases(import.meta.url, runCase, 'gemm,compile,128,512', threads);
if (results) {
  const g = results.find((r) => r.case === 'gemm');
  console.log('');
  console.log('summary');
  if (g) console.log(gemmLine(g));
  const cmp = results.find((r) => r.case === 'compile') as Record<string, { seconds: number; nodes: number }> | undefined;
  if (cmp) console.log(`  compile (pretraining, train mode): base ${cmp.base.seconds.toFixed(2)} s (${cmp.base.nodes} nodes), xxlarge ${cmp.xxlarge.seconds.toFixed(2)} s (${cmp.xxlarge.nodes} nodes)`);
  for (const r of results.filter((x) => String(x.case).startsWith('base-'))) {
    const frac = shareOfGemm(r, g, false);
    console.log(
      `  ALBERT-base train step ${String(r.case).slice(5)}: ${(r.medianStepSeconds as number).toFixed(2)} s/step (median of ${(r.stepSeconds as number[]).length}), ${Math.round(r.tokensPerSecond as number)} tokens/s, ` +
        `${(r.stepGflop as number).toFixed(0)} GFLOP/step -> ${(r.achievedGflops as number).toFixed(0)} GFLOP/s${frac}; peak RSS ${(r.peakRssMb as number).toFixed(0)} MB; compile ${(r.compileSeconds as number).toFixed(2)} s + session ${(r.sessionSeconds as number).toFixed(2)} s`,
    );
  }
  console.log(`after: ${loadLine()}`);
}
