/**
 * What the training-step benchmarks share: onnxruntime's own GEMM rate on this machine, measured
 * in the same run as the step so the two figures see the same load, the peak RSS, the timing of
 * steps, the driver that runs each case in its own process, and the summary lines.
 */
import { execFileSync } from 'node:child_process';
import { cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { emitModel, encodeModel } from '../src/backends/onnx/emit.ts';
import { createSession } from '../src/backends/onnx/session.ts';
import { Graph } from '../src/ir/graph.ts';
import { matmul } from '../src/ir/ops/index.ts';
import { InitRng, initialValues } from '../src/model/init.ts';
import type { PretrainingBatch } from '../src/tasks/pretraining/dataset.ts';

/** The value after `--name` on the command line (benchmarks take plain `--name value` flags). */
export function argFlag(name: string): string | undefined {
  const args = process.argv.slice(2);
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

/** A synthetic pretraining batch (every position real, half the tokens in segment B). */
export function syntheticPretrainingBatch(B: number, S: number, P: number, V: number, seed: number): PretrainingBatch {
  const r = new InitRng(seed);
  const int = (n: number, max: number): Int32Array => Int32Array.from({ length: n }, () => Math.floor(r.uniform() * max));
  return {
    input_ids: int(B * S, V),
    input_mask: new Int32Array(B * S).fill(1),
    segment_ids: Int32Array.from({ length: B * S }, (_, i) => (i % S >= S / 2 ? 1 : 0)),
    masked_lm_positions: int(B * P, S),
    masked_lm_ids: int(B * P, V),
    masked_lm_weights: new Float32Array(B * P).fill(1),
    next_sentence_labels: int(B, 2),
  };
}

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

/** The figures of timed training steps: the first (onnxruntime's warm-up) apart, then mean and median. */
export interface StepTimes {
  firstStepSeconds: number;
  stepSeconds: number[];
  meanStepSeconds: number;
  medianStepSeconds: number;
  loss: number;
}

/** Runs `steps` + 1 steps; the first includes onnxruntime's warm-up and is not counted. */
export async function timeSteps(steps: number, run: (i: number) => Promise<{ seconds: number; loss: number }>): Promise<StepTimes> {
  const times: number[] = [];
  let loss = NaN;
  let first = NaN;
  for (let i = 0; i <= steps; i++) {
    const res = await run(i);
    loss = res.loss;
    if (i > 0) times.push(res.seconds);
    else first = res.seconds;
  }
  return {
    firstStepSeconds: first,
    stepSeconds: times,
    meanStepSeconds: times.reduce((a, b) => a + b, 0) / times.length,
    medianStepSeconds: [...times].sort((a, b) => a - b)[Math.floor(times.length / 2)],
    loss,
  };
}

export const loadLine = (): string => `load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}; ${new Date().toISOString()}`;

/**
 * Runs each case in its own process (`<self> --case <name> ...args`), so one case's memory and
 * warm-up do not colour the next; prints the machine line and each result; returns the results.
 */
export function runCasesInChildren(self: string, cases: string[], args: string[], threads: number): CaseResult[] {
  console.log(`machine: ${cpus()[0]?.model ?? '?'}, ${cpus().length} logical CPUs, ${(totalmem() / 2 ** 30).toFixed(1)} GiB; threads ${threads}; ${loadLine()}`);
  const results: CaseResult[] = [];
  for (const c of cases) {
    const out = execFileSync(process.execPath, ['--import', 'tsx', self, '--case', c, '--threads', String(threads), ...args], { encoding: 'utf8', maxBuffer: 16 << 20 });
    const r = JSON.parse(out.trim().split('\n').pop()!) as CaseResult;
    results.push(r);
    console.log(JSON.stringify(r));
  }
  return results;
}

/**
 * A benchmark's entry point. With `--case NAME` (how the driver starts a child) it runs that case
 * in this process, prints its JSON line and returns null. Otherwise it runs each case of `--only`
 * (default `defaults`) in its own child process, with this command line's other flags, and
 * returns their results for the summary.
 */
export async function benchCases(url: string, runCase: (name: string) => Promise<CaseResult>, defaults: string, threads: number): Promise<CaseResult[] | null> {
  const single = argFlag('--case');
  if (single) {
    process.stdout.write(`${JSON.stringify(await runCase(single))}\n`);
    return null;
  }
  const args = process.argv.slice(2);
  const forwarded = args.filter((a, i) => !['--only', '--threads'].includes(a) && !['--only', '--threads'].includes(args[i - 1]));
  return runCasesInChildren(fileURLToPath(url), (argFlag('--only') ?? defaults).split(','), forwarded, threads);
}

/** The rates every step case reports, from its timings, FLOPs, examples and tokens per step. */
export function stepRates(t: StepTimes, flops: number, examples: number, tokens: number): Record<string, number> {
  const median = t.medianStepSeconds;
  return {
    examplesPerSecond: examples / median,
    tokensPerSecond: tokens / median,
    stepGflop: flops / 1e9,
    achievedGflops: flops / median / 1e9,
    peakRssMb: peakRssMb(),
  };
}

/** Runs the GEMM or the benchmark's one step case. */
export function gemmOrStep(step: () => Promise<CaseResult>, threads: number): (name: string) => Promise<CaseResult> {
  return async (name) => {
    if (name === 'gemm') return gemm(threads);
    if (name === 'step') return step();
    throw new Error(`unknown case ${name} (gemm, step)`);
  };
}

/** The summary of a GEMM + step benchmark: the GEMM line, one line per step case (`what` names it), the load after. */
export function printStepSummary(results: CaseResult[], what: string, examplesDigits: number): void {
  const g = results.find((r) => r.case === 'gemm');
  console.log('');
  console.log('summary');
  if (g) console.log(gemmLine(g));
  for (const r of results.filter((x) => String(x.case).startsWith('base-'))) {
    console.log(
      `  ${what}: ${(r.medianStepSeconds as number).toFixed(2)} s/step (median of ${(r.stepSeconds as number[]).length}), ` +
        `${(r.examplesPerSecond as number).toFixed(examplesDigits)} examples/s, ${Math.round(r.tokensPerSecond as number)} tokens/s, ` +
        `${(r.stepGflop as number).toFixed(0)} GFLOP/step -> ${(r.achievedGflops as number).toFixed(0)} GFLOP/s${shareOfGemm(r, g)}; peak RSS ${(r.peakRssMb as number).toFixed(0)} MB; ` +
        `first step ${(r.firstStepSeconds as number).toFixed(1)} s; compile ${(r.compileSeconds as number).toFixed(2)} s + session ${(r.sessionSeconds as number).toFixed(2)} s`,
    );
  }
  console.log(`after: ${loadLine()}`);
}

/** The GEMM summary line, and a step's rate as a share of the GEMM's best (and median) rate. */
export function gemmLine(g: CaseResult): string {
  return `  onnxruntime fp32 GEMM ${g.shape}: ${(g.gflopsMedian as number).toFixed(0)} GFLOP/s median (best ${(g.gflopsBest as number).toFixed(0)})`;
}

export function shareOfGemm(r: CaseResult, g: CaseResult | undefined, withMedian = true): string {
  if (!g) return '';
  const pct = (x: number): string => ((100 * (r.achievedGflops as number)) / x).toFixed(0);
  return ` = ${pct(g.gflopsBest as number)}% of the GEMM's best rate${withMedian ? ` (${pct(g.gflopsMedian as number)}% of its median)` : ''}`;
}
