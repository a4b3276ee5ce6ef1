/**
 * Fine-tuning-step benchmark (figures, not assertions): one compiled fine-tuning step of
 * ALBERT-base with the sentence classifier head (2 labels, AdamW, the base config's dropout:
 * none in the encoder, 0.1 before the classifier) at batch 32 x seq 128 (the original's SST-2
 * setting), run by the same Trainer and the same classification feeder that
 * `albert finetune glue` / `albert finetune classify` use: seconds per step, examples/s, tokens/s,
 * the step's FLOPs (our FLOP rules) and the rate they imply, peak RSS; and onnxruntime's own fp32
 * GEMM rate on this machine in the same run (one MatMul, 1024x768 by 768x3072, built with our IR),
 * so the step can be read as a fraction of what the machine's GEMM does.
 *
 *   node --import tsx bench/finetune-step.ts [--threads N] [--steps N] [--batch B] [--seq S] [--only gemm,step]
 *   npm run bench:finetune -- --steps 3
 *
 * Each case runs in its own process so that peak RSS is that case's.
 */
import { availableParallelism } from 'node:os';
import { benchCases, gemmOrStep, printStepSummary, stepRates, timeSteps, type CaseResult } from './gemm.ts';
import { analyzeGraph } from '../src/inspect/index.ts';
import { loadAlbertConfig } from '../src/model/config.ts';
import { InitRng, initialValues } from '../src/model/init.ts';
import { modelParams } from '../src/model/params.ts';
import type { ClassificationFeatures } from '../src/tasks/classification/features.ts';
import { classificationMetrics } from '../src/tasks/classification/metrics.ts';
import { classificationTask, epochBatches } from '../src/tasks/classification/task.ts';
import { Trainer } from '../src/train/trainer.ts';

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const threads = Number(flag('--threads') ?? availableParallelism());
const steps = Number(flag('--steps') ?? 3);
const B = Number(flag('--batch') ?? 32);
const S = Number(flag('--seq') ?? 128);
const NUM_LABELS = 2;

/**
 * A generated training set shaped like SST-2's features: [CLS] tokens [SEP], random lengths,
 * zero padding to seq (the step's cost does not depend on the padding: every position is computed).
 */
function syntheticFeatures(count: number, seq: number, vocab: number, seed: number): ClassificationFeatures {
  const r = new InitRng(seed);
  const f: ClassificationFeatures = {
    count,
    seqLength: seq,
    inputIds: new Int32Array(count * seq),
    inputMask: new Int32Array(count * seq),
    segmentIds: new Int32Array(count * seq),
    labels: new Int32Array(count),
    ids: Array.from({ length: count }, (_, i) => String(i)),
  };
  for (let i = 0; i < count; i++) {
    const len = 8 + Math.floor(r.uniform() * (seq - 8));
    for (let t = 0; t < len; t++) {
      f.inputIds[i * seq + t] = t === 0 ? 2 : t === len - 1 ? 3 : 5 + Math.floor(r.uniform() * (vocab - 5));
      f.inputMask[i * seq + t] = 1;
    }
    f.labels[i] = r.uniform() < 0.5 ? 0 : 1;
  }
  return f;
}

async function step(): Promise<CaseResult> {
  const cfg = loadAlbertConfig('base');
  const train = syntheticFeatures(B * (steps + 1), S, cfg.vocabSize, 3);
  // The feeder of `albert finetune glue/classify`: batchFeeds, rows, tokens, accumulation, output weights.
  const task = classificationTask({
    name: 'bench',
    config: cfg,
    labels: ['0', '1'],
    train,
    evalSets: [],
    testSets: [],
    predictBatchSize: 8,
    evalBatchSize: B,
    seed: 1,
    metrics: (p, l) => classificationMetrics(p, l, NUM_LABELS),
    mainMetric: 'accuracy',
  });
  const t0 = performance.now();
  const trainer = await Trainer.create(
    { config: cfg, graph: { head: 'classifier', numLabels: NUM_LABELS }, maxSeqLength: S, optimizer: 'adamw', learningRate: 1e-5, numWarmupSteps: 10, numTrainSteps: 1000, seed: 1, threads },
    task,
  );
  const setupSeconds = (performance.now() - t0) / 1000;
  const r = new InitRng(2);
  trainer.setState(new Map(modelParams(cfg, 'classifier', { numLabels: NUM_LABELS }).map((s) => [s.name, initialValues(s.init, s.shape.reduce((a, d) => a * d, 1), r)])));
  const flops = analyzeGraph(trainer.compiled.graph, { batchSize: B, seqLength: S, dims: { batch: B, seq: S } }).flops.total ?? NaN;
  const data = epochBatches(train, B, 1, null);
  const t = await timeSteps(steps, async (i) => trainer.step(i, [await data.next()]));
  return {
    case: `base-classifier-${B}x${S}`,
    nodes: trainer.compiled.stats.nodes,
    dropout: { hidden: cfg.hiddenDropoutProb, attention: cfg.attentionProbsDropoutProb, classifier: cfg.classifierDropoutProb },
    compileSeconds: trainer.compileSeconds,
    sessionSeconds: trainer.sessionSeconds,
    setupSeconds,
    ...t,
    ...stepRates(t, flops, B, B * S),
  };
}

const results = await benchCases(import.meta.url, gemmOrStep(step, threads), 'gemm,step', threads);
if (results) printStepSummary(results, `ALBERT-base fine-tuning step (classifier, 2 labels, AdamW) ${B} x ${S}`, 1);
