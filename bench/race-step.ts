/**
 * RACE training-step benchmark (figures, not assertions): one compiled fine-tuning step of
 * ALBERT-base with the multiple-choice head (pooled -> dropout -> dense H -> 1, softmax over the
 * 4 choices; AdamW; the seed's v2 RACE recipe: --albert-dropout-rate 0, so no dropout in the
 * encoder, and --dropout-prob 0.1 before the scorer) at batch 4 examples x 4 choices x 512 tokens
 * (16 sequences of 512: run_race.py's max_seq_length), run by the same Trainer and the same
 * classification feeder (features [count, 4, 512]) that `albert finetune race` uses: seconds per
 * step, examples/s, tokens/s, the step's FLOPs (our FLOP rules) and the rate they imply, peak RSS;
 * and onnxruntime's own fp32 GEMM rate on this machine in the same run (one MatMul, 1024x768 by
 * 768x3072, built with our IR), so the step can be read as a fraction of what the machine's GEMM does.
 *
 *   node --import tsx bench/race-step.ts [--threads N] [--steps N] [--batch B] [--seq S] [--choices C] [--only gemm,step]
 *   npm run bench:race -- --steps 2
 *
 * Each case runs in its own process so that peak RSS is that case's. Several GB: the activations
 * kept for the backward pass grow with batch x choices x seq, and attention's with x seq².
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
const steps = Number(flag('--steps') ?? 2);
const B = Number(flag('--batch') ?? 4);
const S = Number(flag('--seq') ?? 512);
const C = Number(flag('--choices') ?? 4);
const QA = 128; // run_race.py's max_qa_length

/**
 * A generated training set shaped like RACE's features: per example, C sequences
 * [CLS] article [SEP] question+option [SEP] with segment ids 0 / 1, the article shared by the
 * choices, mostly filling the 512 tokens (RACE's articles are long), zero padding to seq (the
 * step's cost does not depend on the padding: every position is computed).
 */
function syntheticFeatures(count: number, seq: number, choices: number, vocab: number, seed: number): ClassificationFeatures {
  const r = new InitRng(seed);
  const n = count * choices * seq;
  const f: ClassificationFeatures = {
    count,
    seqLength: seq,
    choices,
    inputIds: new Int32Array(n),
    inputMask: new Int32Array(n),
    segmentIds: new Int32Array(n),
    labels: new Int32Array(count),
    ids: Array.from({ length: count }, (_, i) => String(i)),
  };
  const word = (): number => 5 + Math.floor(r.uniform() * (vocab - 5));
  for (let i = 0; i < count; i++) {
    const articleLen = Math.floor(seq * (0.5 + 0.5 * r.uniform()));
    const article = Array.from({ length: articleLen }, word);
    for (let c = 0; c < choices; c++) {
      const qaLen = 4 + Math.floor(r.uniform() * (QA - 4));
      const a = Math.min(articleLen, seq - 3 - qaLen);
      const tokens = [2, ...article.slice(0, a), 3, ...Array.from({ length: qaLen }, word), 3];
      const base = (i * choices + c) * seq;
      for (let t = 0; t < tokens.length; t++) {
        f.inputIds[base + t] = tokens[t];
        f.inputMask[base + t] = 1;
        f.segmentIds[base + t] = t <= a + 1 ? 0 : 1;
      }
    }
    f.labels[i] = Math.floor(r.uniform() * choices);
  }
  return f;
}

async function step(): Promise<CaseResult> {
  // The v2 RACE recipe: --albert-dropout-rate 0 (encoder), --dropout-prob 0.1 (before the scorer).
  const cfg = { ...loadAlbertConfig('base'), hiddenDropoutProb: 0, attentionProbsDropoutProb: 0, classifierDropoutProb: 0.1 };
  const train = syntheticFeatures(B * (steps + 1), S, C, cfg.vocabSize, 3);
  // The feeder of `albert finetune race` / `multiple-choice`: batchFeeds, rows, tokens, output weights.
  const task = classificationTask({
    name: 'bench-race',
    config: cfg,
    labels: Array.from({ length: C }, (_, i) => String.fromCharCode(65 + i)),
    choices: C,
    train,
    evalSets: [],
    testSets: [],
    predictBatchSize: 4,
    evalBatchSize: B,
    seed: 1,
    metrics: (p, l) => classificationMetrics(p, l, C),
    mainMetric: 'accuracy',
  });
  const t0 = performance.now();
  const trainer = await Trainer.create(
    { config: cfg, graph: { head: 'multiple-choice', numChoices: C }, maxSeqLength: S, optimizer: 'adamw', learningRate: 1e-5, numWarmupSteps: 10, numTrainSteps: 1000, seed: 1, threads },
    task,
  );
  const setupSeconds = (performance.now() - t0) / 1000;
  const r = new InitRng(2);
  trainer.setState(new Map(modelParams(cfg, 'multiple-choice').map((s) => [s.name, initialValues(s.init, s.shape.reduce((a, d) => a * d, 1), r)])));
  const report = analyzeGraph(trainer.compiled.graph, { batchSize: B, seqLength: S, dims: { batch: B, seq: S, choices: C, num_choices: C } });
  const flops = report.flops.total ?? NaN;
  const data = epochBatches(train, B, 1, null);
  const t = await timeSteps(steps, async (i) => trainer.step(i, [await data.next()]));
  return {
    case: `base-multiple-choice-${B}x${C}x${S}`,
    nodes: trainer.compiled.stats.nodes,
    dropout: { hidden: cfg.hiddenDropoutProb, attention: cfg.attentionProbsDropoutProb, classifier: cfg.classifierDropoutProb },
    figures: report.figures,
    compileSeconds: trainer.compileSeconds,
    sessionSeconds: trainer.sessionSeconds,
    setupSeconds,
    ...t,
    ...stepRates(t, flops, B, B * C * S),
  };
}

const results = await benchCases(import.meta.url, gemmOrStep(step, threads), 'gemm,step', threads);
if (results) printStepSummary(results, `ALBERT-base RACE step (multiple choice, AdamW) ${B} x ${C} x ${S}`, 2);
