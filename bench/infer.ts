/**
 * Inference benchmark (figures, not assertions): the ALBERT-base encoder (encoder head, infer
 * mode: sequence and pooled output) at batch 8 x seq 128 and 8 x 512, our compiled graph against
 * the torch.onnx export of the same architecture (bench/peer/torch_albert.py), both run by this
 * onnxruntime-node through the same createSession with the same options (threads, optimization
 * level 'all'), timed back to back in one process, runs alternating ours / torch. Weights are
 * random on both sides (the time does not depend on them). Also: node counts and op histograms
 * of both models before and after onnxruntime's own graph optimizer (optimizedModelFilePath),
 * which shows what onnxruntime fused (LayerNormalization, SkipLayerNormalization, FastGelu,
 * Attention, ...); PyTorch eager's forward at 8 x 128 for reference; the load average and
 * onnxruntime's GEMM rate measured in the same run.
 *
 *   node --import tsx bench/infer.ts [--threads N] [--runs N] [--warmup N] [--only 128,512] [--eager-runs N]
 *
 * Each case (gemm, 128, 512) runs in its own process. Without a Python that imports torch the
 * torch side prints "skipped: ..." and ours is still timed.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { compileModel } from '../src/compile.ts';
import { createSession } from '../src/backends/onnx/session.ts';
import { onnx } from '../src/backends/onnx/proto.ts';
import { syntheticFeeds } from '../src/backends/onnx/synthetic-feeds.ts';
import { argFlag, gemm, gemmLine, loadLine, peakRssMb, runCasesInChildren, type CaseResult } from './gemm.ts';

const flag = argFlag;
const threads = Number(flag('--threads') ?? availableParallelism());
const runs = Number(flag('--runs') ?? 10);
const warmup = Number(flag('--warmup') ?? 3);
const eagerRuns = Number(flag('--eager-runs') ?? 5);
const BATCH = 8;
const PEER = fileURLToPath(new URL('./peer/torch_albert.py', import.meta.url));

/** The Python environment of the PyTorch peer: OpenBLAS left to pick its own kernels (project rule). */
export function peerEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  return env;
}

/**
 * A Python that imports torch: $TORCH_PYTHON, then the system's (Debian's python3-torch lives
 * there; a pyenv shim earlier on PATH may not see it), then python3 on PATH. Else the reason.
 */
export function findTorchPython(): { python: string } | { skipped: string } {
  const tried: string[] = [];
  for (const py of [process.env.TORCH_PYTHON, '/usr/bin/python3', 'python3'].filter((p): p is string => !!p)) {
    try {
      execFileSync(py, ['-c', 'import torch'], { env: peerEnv(), stdio: ['ignore', 'ignore', 'pipe'] });
      return { python: py };
    } catch (e) {
      const msg = String((e as { stderr?: Buffer }).stderr ?? (e as Error).message).trim().split('\n').pop();
      tried.push(`${py}: ${msg}`);
    }
  }
  return { skipped: `no Python that imports torch (${tried.join('; ')})` };
}

/** Runs the peer script and returns its JSON line. */
export function runPeer(python: string, argv: string[]): Record<string, unknown> {
  const out = execFileSync(python, [PEER, ...argv], { env: peerEnv(), encoding: 'utf8', maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'pipe'] });
  return JSON.parse(out.trim().split('\n').pop()!) as Record<string, unknown>;
}

/** Node count and op histogram (domain-qualified when not the default domain) of an ONNX file or bytes. */
function histogram(model: Uint8Array): { nodes: number; ops: Record<string, number> } {
  const m = onnx.ModelProto.decode(model);
  const ops: Record<string, number> = {};
  for (const n of m.graph?.node ?? []) {
    const key = n.domain && n.domain !== 'ai.onnx' ? `${n.domain}.${n.opType}` : String(n.opType);
    ops[key] = (ops[key] ?? 0) + 1;
  }
  const sorted = Object.fromEntries(Object.entries(ops).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])));
  return { nodes: m.graph?.node?.length ?? 0, ops: sorted };
}

/** The model as onnxruntime's optimizer leaves it at level 'all' with these threads (a session made only to write it). */
async function optimizedHistogram(model: Uint8Array, dir: string, name: string): Promise<{ nodes: number; ops: Record<string, number> }> {
  const path = join(dir, `${name}.optimized.onnx`);
  const s = await ort.InferenceSession.create(model, {
    graphOptimizationLevel: 'all',
    executionProviders: ['cpu'],
    intraOpNumThreads: threads,
    logSeverityLevel: 3,
    optimizedModelFilePath: path,
  });
  await s.release();
  const h = histogram(readFileSync(path));
  rmSync(path, { force: true });
  return h;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function inferCase(S: number, torchModel: string | undefined, skipped: string | undefined): Promise<CaseResult> {
  const dir = mkdtempSync(join(tmpdir(), 'albert-infer-'));
  try {
    const c = compileModel({ config: 'base', head: 'encoder', mode: 'infer', maxSeqLength: 512 });
    const feeds = syntheticFeeds(c.manifest, { batchSize: BATCH, seqLength: S });
    const theirsBytes = torchModel ? new Uint8Array(readFileSync(torchModel)) : undefined;
    const models: Record<string, Uint8Array> = { ours: c.model, ...(theirsBytes ? { torch: theirsBytes } : {}) };
    const graphs: Record<string, unknown> = {};
    for (const [k, bytes] of Object.entries(models)) graphs[k] = { raw: histogram(bytes), optimized: await optimizedHistogram(bytes, dir, k) };

    const sessions: Record<string, ort.InferenceSession> = {};
    for (const [k, bytes] of Object.entries(models)) sessions[k] = await createSession(bytes, { threads });
    // The torch export takes the same three int32 features under the same names; int64 if it had to.
    const feedsFor = (k: string): Record<string, ort.Tensor> => {
      const out: Record<string, ort.Tensor> = {};
      for (const name of sessions[k].inputNames) {
        const f = feeds[name];
        if (!f) throw new Error(`${k}: no feed for input ${name}`);
        out[name] = f;
      }
      return out;
    };
    const kFeeds = Object.fromEntries(Object.keys(sessions).map((k) => [k, feedsFor(k)]));
    const shapes: Record<string, Record<string, readonly number[]>> = {};
    for (const k of Object.keys(sessions)) {
      const r = await sessions[k].run(kFeeds[k]);
      shapes[k] = Object.fromEntries(Object.entries(r).map(([n, t]) => [n, t.dims]));
    }
    const times: Record<string, number[]> = Object.fromEntries(Object.keys(sessions).map((k) => [k, []]));
    for (let i = 0; i < warmup + runs; i++) {
      // Alternate which goes first, so neither always follows the other.
      const order = i % 2 === 0 ? Object.keys(sessions) : Object.keys(sessions).reverse();
      for (const k of order) {
        const t = performance.now();
        await sessions[k].run(kFeeds[k]);
        if (i >= warmup) times[k].push((performance.now() - t) / 1000);
      }
    }
    const timing = Object.fromEntries(Object.entries(times).map(([k, xs]) => [k, { medianSeconds: median(xs), bestSeconds: Math.min(...xs), runSeconds: xs }]));
    for (const s of Object.values(sessions)) await s.release();
    return { case: `encoder-${BATCH}x${S}`, seq: S, timing, graphs, outputShapes: shapes, ...(skipped ? { torchSkipped: skipped } : {}), peakRssMb: peakRssMb() };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function runCase(name: string): Promise<CaseResult> {
  if (name === 'gemm') return gemm(threads);
  const torchModel = flag('--torch-model');
  return inferCase(Number(name), torchModel || undefined, flag('--torch-skipped'));
}

const fmtOps = (ops: Record<string, number>): string =>
  Object.entries(ops)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');

/** Whether this file is the script run (bench/torch-peer.ts imports its Python helpers). */
const isMain = process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
const single = flag('--case');
if (!isMain) {
  // Imported: helpers only.
} else if (single) {
  process.stdout.write(`${JSON.stringify(await runCase(single))}\n`);
} else {
  const seqs = (flag('--only') ?? '128,512').split(',').filter((s) => s !== 'gemm');
  const py = findTorchPython();
  const work = mkdtempSync(join(tmpdir(), 'albert-infer-peer-'));
  let torchModel = '';
  let skipped = 'skipped' in py ? py.skipped : '';
  let exportInfo: Record<string, unknown> | undefined;
  let eager: Record<string, unknown> | undefined;
  if ('python' in py) {
    try {
      exportInfo = runPeer(py.python, ['export', '--out', join(work, 'torch-encoder.onnx'), '--batch', String(BATCH), '--seq', '128']);
      torchModel = String(exportInfo.out);
    } catch (e) {
      skipped = `torch.onnx.export failed: ${String((e as { stderr?: string }).stderr ?? e).trim().split('\n').slice(-3).join(' | ')}`;
    }
  }
  const extra = ['--runs', String(runs), '--warmup', String(warmup), '--torch-model', torchModel, ...(skipped ? ['--torch-skipped', skipped] : [])];
  const results = runCasesInChildren(fileURLToPath(import.meta.url), ['gemm', ...seqs], extra, threads);
  if ('python' in py && eagerRuns > 0 && seqs.includes('128')) {
    eager = runPeer(py.python, ['infer', '--batch', String(BATCH), '--seq', '128', '--runs', String(eagerRuns), '--threads', String(threads)]);
    console.log(JSON.stringify({ case: 'torch-eager-8x128', ...eager }));
  }
  rmSync(work, { recursive: true, force: true });

  console.log('');
  console.log('summary');
  const g = results.find((r) => r.case === 'gemm');
  if (g) console.log(gemmLine(g));
  if (exportInfo) console.log(`  torch export: torch ${String(exportInfo.torch)}, opset ${String(exportInfo.opset)}, ${String(exportInfo.inputDtype)} inputs, ${Number(exportInfo.parameters).toLocaleString('en-US')} parameters`);
  if (skipped) console.log(`  torch side skipped: ${skipped}`);
  for (const r of results.filter((x) => String(x.case).startsWith('encoder-'))) {
    const t = r.timing as Record<string, { medianSeconds: number; bestSeconds: number; runSeconds: number[] }>;
    const line = (k: string): string => `${k} ${t[k].medianSeconds.toFixed(3)} s median, ${t[k].bestSeconds.toFixed(3)} s best (${t[k].runSeconds.length} runs)`;
    let s = `  encoder ${BATCH}x${String(r.seq)}: ${line('ours')}`;
    if (t.torch) s += `; ${line('torch')}; ours/torch ${(t.ours.medianSeconds / t.torch.medianSeconds).toFixed(2)} median, ${(t.ours.bestSeconds / t.torch.bestSeconds).toFixed(2)} best`;
    else s += `; torch skipped: ${skipped}`;
    console.log(s);
  }
  const first = results.find((x) => String(x.case).startsWith('encoder-'));
  if (first) {
    const graphs = first.graphs as Record<string, { raw: { nodes: number; ops: Record<string, number> }; optimized: { nodes: number; ops: Record<string, number> } }>;
    for (const [k, h] of Object.entries(graphs)) {
      console.log(`  ${k} model: ${h.raw.nodes} nodes as written: ${fmtOps(h.raw.ops)}`);
      console.log(`  ${k} model: ${h.optimized.nodes} nodes after onnxruntime's optimizer (level all): ${fmtOps(h.optimized.ops)}`);
    }
  }
  if (eager) {
    console.log(`  PyTorch eager encoder 8x128 (reference, torch.no_grad, ${String(eager.threads)} threads): ${Number(eager.medianSeconds).toFixed(3)} s median, ${Number(eager.bestSeconds).toFixed(3)} s best (${eagerRuns} runs)`);
  }
  console.log(`after: ${loadLine()}`);
}
