/**
 * Training step against a PyTorch peer (figures, not assertions): our compiled pretraining step
 * (the Trainer `albert pretrain` uses, compileModel mode 'train') and PyTorch eager's step of
 * the same model (bench/peer/torch_albert.py: MLM + SOP losses, global-norm clipping at 1.0,
 * AdamW or the original's LAMB), back to back, each case in its own process:
 *
 *   base:       ALBERT-base, batch 8 x seq 128, 20 masked positions, AdamW and LAMB
 *   quickstart: the quickstart's model (H128 L4 E64 V200, src/train/quickstart.ts), batch 32 x
 *               seq 64, 10 masked positions, LAMB (as the quickstart trains)
 *
 * Prints seconds per step (first step not counted), ours/torch, peak RSS of each process, and
 * each step's share of the GEMM-bound time: the step's FLOPs (our FLOP rules over our training
 * graph, the same model on both sides) at onnxruntime's best GEMM rate, measured again just
 * before each pair, divided by the step's time. PyTorch's own GEMM rate (its BLAS) is printed too.
 * The PyTorch child runs with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset.
 *
 *   node --import tsx bench/torch-peer.ts [--threads N] [--steps N] [--quickstart-steps N]
 *                                         [--config base,quickstart] [--optimizers adamw,lamb]
 *
 * --steps (default 3) is for base, --quickstart-steps (default 10) for the quickstart's short steps.
 *
 * Without a Python that imports torch the torch side prints "skipped: ..." and ours still runs.
 */
import { execFileSync } from 'node:child_process';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { argFlag, gemm, gemmLine, loadLine, peakRssMb, timeSteps, type CaseResult, syntheticPretrainingBatch } from './gemm.ts';
import { findTorchPython, runPeer } from './infer.ts';
import { analyzeGraph } from '../src/inspect/index.ts';
import { loadAlbertConfig, type AlbertConfig } from '../src/model/config.ts';
import { InitRng, initialValues } from '../src/model/init.ts';
import { modelParams } from '../src/model/params.ts';
import type { OptimizerName } from '../src/passes/optimizer.ts';
import { pretrainingBatches } from '../src/tasks/pretraining/task.ts';
import { QUICKSTART_DEFAULTS, quickstartConfig } from '../src/train/quickstart.ts';
import { Trainer } from '../src/train/trainer.ts';

const flag = argFlag;
const threads = Number(flag('--threads') ?? availableParallelism());
const steps = Number(flag('--steps') ?? 3);
/** The quickstart's steps are short: more of them, for a median that means something on a busy machine. */
const quickstartSteps = Number(flag('--quickstart-steps') ?? 10);

interface Setup {
  name: string;
  config: AlbertConfig;
  batch: number;
  seq: number;
  predictions: number;
  maxSeqLength: number;
  optimizers: OptimizerName[];
  steps: number;
}

function setup(name: string): Setup {
  if (name === 'base') return { name, config: loadAlbertConfig('base'), batch: 8, seq: 128, predictions: 20, maxSeqLength: 512, optimizers: ['adamw', 'lamb'], steps };
  if (name === 'quickstart') {
    const D = QUICKSTART_DEFAULTS;
    return { name, config: quickstartConfig(D.vocabSize), batch: D.trainBatchSize, seq: D.maxSeqLength, predictions: D.maxPredictionsPerSeq, maxSeqLength: D.maxSeqLength, optimizers: ['lamb'], steps: quickstartSteps };
  }
  throw new Error(`unknown --config ${name} (expected base or quickstart)`);
}

/** The peer script's size flags for a config. */
function peerSizeArgs(c: AlbertConfig): string[] {
  return [
    '--vocab', String(c.vocabSize), '--embedding', String(c.embeddingSize), '--hidden', String(c.hiddenSize), '--layers', String(c.numHiddenLayers),
    '--heads', String(c.numAttentionHeads), '--intermediate', String(c.intermediateSize), '--max-positions', String(c.maxPositionEmbeddings),
  ];
}


/** Our step: what bench/train-step.ts times, for any config and optimizer. */
async function oursStep(s: Setup, optimizer: OptimizerName): Promise<CaseResult> {
  const cfg = s.config;
  const trainer = await Trainer.create(
    { config: cfg, graph: { head: 'pretraining', maxPredictions: s.predictions }, maxSeqLength: s.maxSeqLength, optimizer, learningRate: 1e-4, numWarmupSteps: 10, numTrainSteps: 1000, seed: 1, threads },
    pretrainingBatches,
  );
  const r = new InitRng(2);
  trainer.setState(new Map(modelParams(cfg, 'pretraining').map((p) => [p.name, initialValues(p.init, p.shape.reduce((a, d) => a * d, 1), r)])));
  const flops = analyzeGraph(trainer.compiled.graph, { batchSize: s.batch, seqLength: s.seq, dims: { batch: s.batch, seq: s.seq } }).flops.total ?? NaN;
  const t = await timeSteps(s.steps, (i) => trainer.step(i, [syntheticPretrainingBatch(s.batch, s.seq, s.predictions, cfg.vocabSize, i)]));
  return { case: `ours-${s.name}-${optimizer}`, ...t, stepGflop: flops / 1e9, compileSeconds: trainer.compileSeconds, sessionSeconds: trainer.sessionSeconds, peakRssMb: peakRssMb() };
}

async function runCase(name: string): Promise<CaseResult> {
  if (name === 'gemm') return gemm(threads);
  const [, cfgName, optimizer] = name.split('-');
  return oursStep(setup(cfgName), optimizer as OptimizerName);
}

function runOursInChild(name: string): CaseResult {
  const out = execFileSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--case', name, '--threads', String(threads), '--steps', String(steps), '--quickstart-steps', String(quickstartSteps)], { encoding: 'utf8', maxBuffer: 16 << 20 });
  return JSON.parse(out.trim().split('\n').pop()!) as CaseResult;
}

const single = flag('--case');
if (single) {
  process.stdout.write(`${JSON.stringify(await runCase(single))}\n`);
} else {
  const configs = (flag('--config') ?? 'base,quickstart').split(',').map(setup);
  const only = flag('--optimizers')?.split(',');
  console.log(`machine: ${cpus()[0]?.model ?? '?'}, ${cpus().length} logical CPUs, ${(totalmem() / 2 ** 30).toFixed(1)} GiB; threads ${threads}; steps ${steps}; ${loadLine()}`);
  const py = findTorchPython();
  const skipped = 'skipped' in py ? py.skipped : undefined;
  if (skipped) console.log(`torch side skipped: ${skipped}`);
  // onnxruntime's GEMM is measured again before each pair: the load on a shared machine moves
  // within a run, and a share read against a rate measured minutes earlier means little.
  const measureGemm = (): CaseResult => {
    const g = runOursInChild('gemm');
    console.log(JSON.stringify({ ...g, load: loadLine() }));
    return g;
  };
  let torchGemm: Record<string, unknown> | undefined;
  if ('python' in py) {
    torchGemm = runPeer(py.python, ['gemm', '--threads', String(threads)]);
    console.log(JSON.stringify({ case: 'torch-gemm', ...torchGemm }));
  }
  const pairs: { s: Setup; optimizer: OptimizerName; g: CaseResult; ours: CaseResult; torch?: Record<string, unknown>; torchError?: string }[] = [];
  for (const s of configs) {
    for (const optimizer of s.optimizers.filter((o) => !only || only.includes(o))) {
      const g = measureGemm();
      const ours = runOursInChild(`ours-${s.name}-${optimizer}`);
      console.log(JSON.stringify(ours));
      let torch: Record<string, unknown> | undefined;
      let torchError: string | undefined;
      if ('python' in py) {
        try {
          const argv = ['train', '--batch', String(s.batch), '--seq', String(s.seq), '--predictions', String(s.predictions), '--steps', String(s.steps), '--optimizer', optimizer, '--threads', String(threads), ...peerSizeArgs(s.config)];
          torch = runPeer(py.python, argv);
          console.log(JSON.stringify({ case: `torch-${s.name}-${optimizer}`, ...torch }));
        } catch (e) {
          torchError = String((e as { stderr?: string }).stderr ?? e).trim().split('\n').slice(-3).join(' | ');
          console.log(`torch-${s.name}-${optimizer}: failed: ${torchError}`);
        }
      }
      pairs.push({ s, optimizer, g, ours, torch, torchError });
    }
  }

  console.log('');
  console.log('summary');
  if (torchGemm) console.log(`  PyTorch fp32 GEMM ${String(torchGemm.shape)} (its BLAS, ${String(torchGemm.threads)} threads): ${Number(torchGemm.gflopsMedian).toFixed(0)} GFLOP/s median (best ${Number(torchGemm.gflopsBest).toFixed(0)})`);
  for (const { s, optimizer, g, ours, torch, torchError } of pairs) {
    // Share of the GEMM-bound time: the step's FLOPs at onnxruntime's best GEMM rate (measured just before the pair), over the step's time.
    const share = (gflop: number, seconds: number): string => `${((100 * gflop) / (g.gflopsBest as number) / seconds).toFixed(0)}%`;
    const gflop = ours.stepGflop as number;
    const om = ours.medianStepSeconds as number;
    const head = `  ${s.name} ${s.batch}x${s.seq} ${optimizer}:`;
    let line = `${head} ours ${om.toFixed(3)} s/step (median of ${(ours.stepSeconds as number[]).length}; first ${(ours.firstStepSeconds as number).toFixed(2)} s), peak RSS ${(ours.peakRssMb as number).toFixed(0)} MB, GEMM-bound share ${share(gflop, om)}`;
    if (torch) {
      const tm = torch.medianStepSeconds as number;
      line += `; torch ${tm.toFixed(3)} s/step (first ${(torch.firstStepSeconds as number).toFixed(2)} s), peak RSS ${(torch.peakRssMb as number).toFixed(0)} MB, GEMM-bound share ${share(gflop, tm)}; ours/torch ${(om / tm).toFixed(2)}`;
      line += ` | loss ours ${(ours.loss as number).toFixed(3)} torch ${(torch.loss as number).toFixed(3)}`;
    } else {
      line += `; torch skipped: ${torchError ?? skipped}`;
    }
    console.log(line);
    console.log(`${' '.repeat(head.length)} ${gflop.toFixed(1)} GFLOP/step (our FLOP rules) = ${((gflop / (g.gflopsBest as number)) * 1000).toFixed(0)} ms at onnxruntime's best GEMM rate just before:`);
    console.log(`${' '.repeat(head.length)}${gemmLine(g)}`);
  }
  console.log(`after: ${loadLine()}`);
}
