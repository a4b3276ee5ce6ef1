/**
 * The compile driver: config + head + mode -> IR graph -> passes -> ONNX ModelProto + manifest.
 * Commands call this; it holds no CLI concerns.
 */
import { join } from 'node:path';
import type { Graph } from './ir/graph.ts';
import { OptionError, UserError } from './util/errors.ts';
import { makeDir } from './util/make-dir.ts';
import { writeAtomic } from './util/atomic-write.ts';
import { canonDim } from './ir/shape.ts';
import { emitModel, encodeModel } from './backends/onnx/emit.ts';
import { keepAttentionProbabilities, legalizeForOnnx, resolveKernels, type FusionLevel, type RecomputeMode } from './backends/onnx/fusion.ts';
import { loadAlbertConfig, type AlbertConfig } from './model/config.ts';
import { buildAlbertGraph } from './model/albert.ts';
import { hasLoss, headDefinition } from './model/heads/registry.ts';
import { initialValues, InitRng } from './model/init.ts';
import { autocast } from './passes/autocast.ts';
import { autodiffPass } from './passes/autodiff.ts';
import { lowerEinsumPass } from './passes/lower-einsum.ts';
import { cleanupPasses, runPipeline } from './passes/pipeline.ts';
import type { Pass } from './passes/pass.ts';
import type { OptimizerName } from './passes/optimizer.ts';
import { planTrainGraph, type TrainStage } from './train-graph/plan.ts';
import type { CompileMode, GradientStageManifest, Manifest, ManifestTensor, TrainingManifest } from './manifest.ts';

export type { CompileMode, Manifest, ManifestParameter, ManifestTensor } from './manifest.ts';

export interface CompileOptions {
  /** A preset name, a config file or directory, or a config object. */
  config: string | AlbertConfig;
  head: string;
  mode: CompileMode;
  numLabels?: number;
  numChoices?: number;
  maxSeqLength?: number;
  maxPredictions?: number;
  /** squad2 inference graph: the beam's start_n_top and end_n_top (default 5 and 5). */
  startNTop?: number;
  endNTop?: number;
  keepEinsum?: boolean;
  /** Which composite ops become fused kernels (default 'all': onnxruntime's; see backends/onnx/fusion.ts). */
  fusion?: FusionLevel;
  /** What the backward pass of a grad/train graph recomputes (default: attention with fusion 'all', else none). */
  recompute?: RecomputeMode;
  /**
   * Mixed precision (passes/autocast.ts): matrix products, attention and GELU in float16,
   * parameters and everything else in float32; a train graph also takes a loss_scale input.
   */
  mixedPrecision?: boolean;
  dumpAfter?: string[];
  dump?: (pass: string, text: string) => void;
  /** Seed for the initial weights of an inference model (no checkpoint yet). */
  seed?: number;
  /** The optimizer step of a --mode train graph (ignored by the other modes). */
  train?: TrainSettings;
}

/** What a training graph is compiled with (defaults: the original ALBERT optimisers). */
export interface TrainSettings {
  /** Default: lamb for the pretraining head (run_pretraining), adamw otherwise (run_classifier, run_squad, run_race). */
  optimizer?: OptimizerName;
  gradAccum?: number;
  /** Regular expressions over parameter (TF) names; matching parameters are not trained. */
  freeze?: string[];
  biasCorrection?: boolean;
  weightDecay?: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  /** 0 turns clipping off. */
  clipNorm?: number;
  /** Data-parallel training compiles the step in two stages (train-graph/plan.ts); default 'whole'. */
  stage?: TrainStage;
}

export interface CompiledModel {
  graph: Graph;
  model: Uint8Array;
  manifest: Manifest;
  stats: { nodes: number; ops: Record<string, number>; parameters: number; seconds: number };
}

const MODES: readonly CompileMode[] = ['infer', 'grad', 'train'];

function checkOptions(opts: CompileOptions): AlbertConfig {
  if (!MODES.includes(opts.mode)) throw new UserError(`unknown mode "${opts.mode}" (expected infer, grad or train)`);
  if (opts.numLabels !== undefined) {
    // A head without a label count would silently ignore it.
    const labels = headDefinition(opts.head).numLabels;
    if (labels.kind === 'none' || (labels.kind === 'fixed' && labels.value !== opts.numLabels)) {
      throw new OptionError(`the ${opts.head} head has no label count to set: {numLabels} applies to the classifier head only`);
    }
  }
  return typeof opts.config === 'string' ? loadAlbertConfig(opts.config) : opts.config;
}

/** The default optimizer of the original scripts: LAMB for pretraining, AdamW for fine-tuning. */
export function defaultOptimizer(head: string): OptimizerName {
  return head === 'pretraining' ? 'lamb' : 'adamw';
}

/** The graph after all passes, before emission (also what `albert inspect --config` shows). */
export function buildModelGraph(opts: CompileOptions, cfg: AlbertConfig = checkOptions(opts)): Graph {
  return buildGraphAndTraining(opts, cfg).graph;
}

function buildGraphAndTraining(opts: CompileOptions, cfg: AlbertConfig): { graph: Graph; training?: () => TrainingManifest; gradientStage?: () => GradientStageManifest } {
  if (opts.mode !== 'infer') {
    const def = headDefinition(opts.head);
    if (!hasLoss(def)) throw new OptionError(`the ${def.name} head has no loss: compile it with {mode} infer`);
  }
  const kernels = resolveKernels({ fusion: opts.fusion, recompute: opts.recompute });
  // Attention stays one op through differentiation only when its backward is to recompute.
  const passes: Pass[] = opts.mode !== 'infer' && kernels.recompute === 'none' ? [keepAttentionProbabilities()] : [];
  let graph: Graph;
  let training: (() => TrainingManifest) | undefined;
  let gradientStage: (() => GradientStageManifest) | undefined;
  if (opts.mode === 'train') {
    const t = opts.train ?? {};
    const plan = planTrainGraph(cfg, {
      ...t,
      optimizer: t.optimizer ?? defaultOptimizer(opts.head),
      head: opts.head,
      numLabels: opts.numLabels,
      numChoices: opts.numChoices,
      maxSeqLength: opts.maxSeqLength,
      maxPredictions: opts.maxPredictions,
      mixedPrecision: opts.mixedPrecision,
    });
    graph = plan.graph;
    if (t.stage === 'gradients') gradientStage = plan.gradientStage;
    else training = plan.training;
    passes.push(...plan.passes);
  } else {
    graph = buildAlbertGraph(cfg, {
      head: opts.head,
      train: opts.mode === 'grad',
      numLabels: opts.numLabels,
      numChoices: opts.numChoices,
      maxSeqLength: opts.maxSeqLength,
      maxPredictions: opts.maxPredictions,
      startNTop: opts.startNTop,
      endNTop: opts.endNTop,
    });
    if (opts.mixedPrecision) autocast(graph);
    if (opts.mode === 'grad') passes.push(autodiffPass({ loss: 'loss' }));
  }
  passes.push(legalizeForOnnx(kernels.fusion), ...cleanupPasses());
  if (!opts.keepEinsum) passes.push(lowerEinsumPass(), ...cleanupPasses());
  runPipeline(graph, passes, { verify: true, dumpAfter: opts.dumpAfter, dump: opts.dump });
  return { graph, training, gradientStage };
}

export function compileModel(opts: CompileOptions): CompiledModel {
  const t0 = performance.now();
  const cfg = checkOptions(opts);
  const { graph, training, gradientStage } = buildGraphAndTraining(opts, cfg);
  const paramsAs = opts.mode === 'infer' ? 'initializers' : 'inputs';
  const rng = new InitRng(opts.seed ?? 12345);
  const params = graph.params();
  const model = emitModel(graph, {
    paramsAs,
    weights: (_name, v) => initialValues(v.input!.init, v.shape.reduce<number>((a, d) => a * (d as number), 1), rng),
    docString: `ALBERT ${opts.head} (${opts.mode}) compiled by albert-compiler`,
  });
  const bytes = encodeModel(model);
  const ops: Record<string, number> = {};
  for (const n of graph.nodes) ops[n.op.name] = (ops[n.op.name] ?? 0) + 1;
  const tensorOf = (name: string, v: { dtype: string; shape: (number | string)[] }): ManifestTensor => ({
    name,
    dtype: v.dtype,
    shape: v.shape.map(canonDim),
  });
  const manifest: Manifest = {
    format: 'albert-compiler/manifest@1',
    head: opts.head,
    mode: opts.mode,
    config: cfg,
    opset: 17,
    maxSeqLength: opts.maxSeqLength ?? cfg.maxPositionEmbeddings,
    inputs: graph.inputs.filter((v) => paramsAs === 'inputs' || v.input!.role !== 'param').map((v) => tensorOf(v.input!.name, v.type)),
    outputs: graph.outputs.map((o) => tensorOf(o.name, o.value.type)),
    parameters: params.map((v) => ({ input: v.input!.name, hfName: v.input!.hfName ?? v.input!.name, shape: v.shape as number[], transposed: v.input!.transposed ?? false })),
    parametersAs: paramsAs,
    ...(training ? { training: training() } : {}),
    ...(gradientStage ? { gradientStage: gradientStage() } : {}),
  };
  const parameters = params.reduce((s, v) => s + v.shape.reduce<number>((a, d) => a * (d as number), 1), 0);
  return { graph, model: bytes, manifest, stats: { nodes: graph.nodes.length, ops, parameters, seconds: (performance.now() - t0) / 1000 } };
}

/** Writes model.onnx and manifest.json atomically (temp file, then rename). */
export function writeCompiled(c: CompiledModel, outDir: string): { modelPath: string; manifestPath: string } {
  makeDir(outDir, 'output directory');
  const modelPath = join(outDir, 'model.onnx');
  const manifestPath = join(outDir, 'manifest.json');
  writeAtomic(modelPath, c.model);
  writeAtomic(manifestPath, JSON.stringify(c.manifest, null, 2) + '\n');
  return { modelPath, manifestPath };
}
