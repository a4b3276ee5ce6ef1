/**
 * Where a compiled graph's time goes, kernel by kernel, from onnxruntime's own profiler
 * (enableProfiling): total milliseconds per op type over the timed runs, their share, and the
 * slowest single nodes. Figures, not assertions.
 *
 *   node --import tsx bench/profile-step.ts [--config base] [--head pretraining] [--mode train|grad|infer]
 *        [--batch 8] [--seq 128]   (--config quickstart: the model of `npm start`, e.g. --batch 32 --seq 64)
 *        [--fusion all|standard|none] [--optimizer adamw|lamb] [--runs 3] [--threads N] [--top 15]
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as ort from 'onnxruntime-node';
import { compileModel, type CompileMode } from '../src/compile.ts';
import type { FusionLevel } from '../src/backends/onnx/fusion.ts';
import { createSession } from '../src/backends/onnx/session.ts';
import { syntheticFeeds } from '../src/backends/onnx/synthetic-feeds.ts';
import { loadLine } from './gemm.ts';
import { quickstartConfig } from '../src/train/quickstart.ts';

const args = process.argv.slice(2);
const flag = (name: string, dflt: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const config = flag('config', 'base');
const head = flag('head', 'pretraining');
const mode = flag('mode', 'train') as CompileMode;
const batchSize = Number(flag('batch', '8'));
const seqLength = Number(flag('seq', '128'));
const fusion = flag('fusion', 'all') as FusionLevel;
const runs = Number(flag('runs', '3'));
const threads = Number(flag('threads', String(availableParallelism())));
const top = Number(flag('top', '15'));
const optimizer = flag('optimizer', head === 'pretraining' ? 'lamb' : 'adamw') as 'adamw' | 'lamb';

interface ProfileEvent {
  cat: string;
  name: string;
  dur: number;
  args?: { op_name?: string };
}

async function main(): Promise<void> {
  console.log(`# profile: ${config} ${head} --mode ${mode}${mode === 'train' ? ` (${optimizer})` : ''} ${batchSize} x ${seqLength}, fusion ${fusion}, ${threads} threads; ${loadLine()}`);
  // 'quickstart': the model `npm start` pretrains (H=128, 4 layers, vocab 200, 10 predictions).
  const c =
    config === 'quickstart'
      ? compileModel({ config: quickstartConfig(200), head, mode, fusion, maxSeqLength: 64, maxPredictions: 10, train: { optimizer } })
      : compileModel({ config, head, mode, fusion, maxSeqLength: Math.max(seqLength, 128), train: { optimizer } });
  const dir = mkdtempSync(join(tmpdir(), 'albert-profile-'));
  try {
    // Warm-up in its own session so the profile holds only the timed runs.
    const feeds = syntheticFeeds(c.manifest, { batchSize, seqLength }) as Record<string, ort.Tensor>;
    const s = await createSession(c.model, { threads, memPattern: mode === 'infer', profilePrefix: join(dir, 'p') });
    await s.run(feeds);
    const t0 = performance.now();
    for (let i = 0; i < runs; i++) await s.run(feeds);
    const wall = (performance.now() - t0) / runs;
    s.endProfiling();
    // The Node binding returns nothing: the file is the one JSON under the prefix's folder.
    const name = readdirSync(dir).find((f) => f.endsWith('.json'));
    if (!name) throw new Error(`onnxruntime wrote no profile under ${dir}`);
    const file = join(dir, name);
    const events = JSON.parse(readFileSync(file, 'utf8')) as ProfileEvent[];
    // Skip the warm-up run: events of the first run come first; keep the last `runs` runs' share.
    const kernels = events.filter((e) => e.cat === 'Node' && e.name.endsWith('_kernel_time'));
    const perRun = kernels.length / (runs + 1);
    const timed = kernels.slice(Math.round(perRun));
    const byOp = new Map<string, { ms: number; count: number }>();
    const byNode = new Map<string, { op: string; ms: number }>();
    let total = 0;
    for (const e of timed) {
      const op = e.args?.op_name ?? '?';
      const ms = e.dur / 1000 / runs;
      total += ms;
      const o = byOp.get(op) ?? { ms: 0, count: 0 };
      o.ms += ms;
      o.count += 1 / runs;
      byOp.set(op, o);
      const name = e.name.replace(/_kernel_time$/, '');
      const n = byNode.get(name) ?? { op, ms: 0 };
      n.ms += ms;
      byNode.set(name, n);
    }
    console.log(`wall ${wall.toFixed(1)} ms/run, kernels ${total.toFixed(1)} ms/run (${((100 * total) / wall).toFixed(0)}% of wall), ${Math.round(perRun)} kernels per run`);
    console.log('| op | kernels/run | ms/run | share |');
    console.log('|---|---:|---:|---:|');
    for (const [op, o] of [...byOp].sort((a, b) => b[1].ms - a[1].ms)) {
      console.log(`| ${op} | ${Math.round(o.count)} | ${o.ms.toFixed(1)} | ${((100 * o.ms) / total).toFixed(1)}% |`);
    }
    console.log(`slowest ${top} nodes:`);
    for (const [name, n] of [...byNode].sort((a, b) => b[1].ms - a[1].ms).slice(0, top)) console.log(`  ${n.ms.toFixed(2)} ms  ${n.op}  ${name}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
