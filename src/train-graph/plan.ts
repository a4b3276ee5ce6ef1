/**
 * The training graph of one ALBERT head: the model's training forward pass (losses as the
 * gradient graph has them), cheap metrics, then autodiff and the optimizer pass, giving one
 * ONNX-ready step
 *   (params, optimizer slots, step, lr settings, batch) -> (loss, metrics, new params, new slots).
 * With gradient accumulation (K micro-steps) each run differentiates its share of the K-times
 * larger batch's loss (loss-share.ts), so the K accumulated gradients are that batch's gradient.
 */
import { OptionError } from '../util/errors.ts';
import type { AlbertConfig } from '../model/config.ts';
import { buildAlbertGraph } from '../model/albert.ts';
import { modelParams } from '../model/params.ts';
import { autocast } from '../passes/autocast.ts';
import { autodiffPass } from '../passes/autodiff.ts';
import { mul } from '../ir/ops/index.ts';
import { optimizerPass, resolveOptimizerSettings, STEP_INPUTS, type OptimizerInfo, type OptimizerOptions } from '../passes/optimizer.ts';
import type { Pass } from '../passes/pass.ts';
import { runPipeline } from '../passes/pipeline.ts';
import { addLossShare, LOSS_SHARE, type AccumulationTotal } from './loss-share.ts';
import type { AccumulationInfo, GradientStageManifest, TrainingManifest } from '../manifest.ts';
import { Graph } from '../ir/graph.ts';

export type { AccumulationInfo, GradientStageManifest, TrainingManifest } from '../manifest.ts';
import { addMetrics } from './metrics.ts';

export { ACCUM_INPUTS, LOSS_SHARE } from './loss-share.ts';

export interface TrainGraphOptions extends OptimizerOptions {
  head: string;
  numLabels?: number;
  numChoices?: number;
  maxSeqLength?: number;
  maxPredictions?: number;
  /** Regular expressions over the parameters' TF names: matching parameters are not trained. */
  freeze?: string[];
  /** float64 builds the same step for the reference interpreter. */
  dtype?: 'float32' | 'float64';
  /**
   * Mixed precision: the autocast pass (matrix products, attention and GELU in float16) and a
   * loss scale input (STEP_INPUTS.lossScale) the differentiated loss is multiplied by.
   */
  mixedPrecision?: boolean;
  /**
   * Data-parallel training splits the step in two graphs with an all-reduce between them:
   * 'gradients' (forward and backward of one micro-batch's loss share: the summed gradients, not
   * yet unscaled) and 'update' (clipping, schedule, LAMB/AdamW on the reduced sums). Default
   * 'whole': today's single step graph.
   */
  stage?: TrainStage;
}

export type TrainStage = 'whole' | 'gradients' | 'update';

export interface TrainGraphPlan {
  /** The model's training forward graph with metrics (and loss shares), before the passes. */
  graph: Graph;
  /** autodiff and the optimizer, to run first in the compile pipeline. */
  passes: Pass[];
  /** Available once the passes have run ('whole' and 'update' stages). */
  training(): TrainingManifest;
  /** Available once the passes have run ('gradients' stage). */
  gradientStage(): GradientStageManifest;
}

/** The graph input of the update stage that receives the reduced gradient of a parameter. */
export const reducedGradInput = (param: string): string => `reduced_grad:${param}`;

export function planTrainGraph(cfg: AlbertConfig, opts: TrainGraphOptions): TrainGraphPlan {
  const settings = resolveOptimizerSettings(opts);
  const stage = opts.stage ?? 'whole';
  if (stage !== 'whole' && settings.gradAccum !== 1) throw new OptionError(`{gradAccum} ${settings.gradAccum}: a split step accumulates outside its graphs (compile it with 1)`);
  const g = buildAlbertGraph(cfg, {
    head: opts.head,
    train: true,
    numLabels: opts.numLabels,
    numChoices: opts.numChoices,
    maxSeqLength: opts.maxSeqLength,
    maxPredictions: opts.maxPredictions,
    dtype: opts.dtype,
  });
  // Names (and so decay flags) do not depend on the label count.
  const specs = new Map(modelParams(cfg, opts.head, { numLabels: 1 }).map((s) => [s.name, s]));
  const decay = opts.decay ?? ((name: string): boolean => specs.get(name)?.decay ?? !/LayerNorm|layer_norm|bias/.test(name));
  const trainable = selectTrainable(g, opts.freeze ?? [], opts.head);
  const losses = g.outputs.map((o) => o.name);
  const dropout = g.inputByName('dropout_seed') && g.inputByName('dropout_step') ? { seed: 'dropout_seed', step: 'dropout_step' } : null;
  const metrics = addMetrics(g);

  if (stage === 'update') return planUpdateStage(g, trainable, { ...opts, decay });
  let accumulation: AccumulationInfo | null = null;
  let totals: AccumulationTotal[] = [];
  // The gradient stage always differentiates a share: its denominators are totals over every
  // micro-batch of the update, on every worker.
  if (settings.gradAccum > 1 || stage === 'gradients') {
    totals = addLossShare(g);
    accumulation = { steps: settings.gradAccum, microStep: STEP_INPUTS.microStep, totals, lossShare: LOSS_SHARE };
  }
  let differentiated = accumulation ? LOSS_SHARE : 'loss';
  let lossScaleInput: string | undefined;
  if (opts.mixedPrecision) {
    if ((opts.dtype ?? 'float32') !== 'float32') throw new OptionError(`{mixedPrecision} needs a float32 model; this one is ${opts.dtype}`);
    autocast(g);
    // Differentiated: loss x scale, so that float16 gradients stay above half precision's
    // smallest values; the optimizer divides the scale out again.
    lossScaleInput = STEP_INPUTS.lossScale;
    const scale = g.input(lossScaleInput, 'float32', [], { role: 'state' });
    g.output(SCALED_LOSS, mul(g.outputByName(differentiated)!, scale));
    differentiated = SCALED_LOSS;
  }
  let info: OptimizerInfo | null = null;
  const passes: Pass[] = [autodiffPass({ loss: differentiated, wrt: trainable }), ...(lossScaleInput ? [dropOutputPass(SCALED_LOSS)] : [])];
  if (stage === 'whole') passes.push(optimizerPass({ ...opts, decay, lossScaleInput }, (i) => (info = i)));
  const frozen = g
    .params()
    .map((p) => p.input!.name)
    .filter((n) => !trainable.includes(n));
  return {
    graph: g,
    passes,
    training(): TrainingManifest {
      if (!info) throw new Error('training(): the optimizer pass has not run yet (a gradients stage has gradientStage())');
      const i: OptimizerInfo = info;
      return { ...i, metrics: [...metrics, ...i.metrics], losses, accumulation, dropout };
    },
    gradientStage(): GradientStageManifest {
      if (stage !== 'gradients') throw new Error(`gradientStage(): this is the ${stage} stage`);
      return { losses, metrics, totals, lossShare: LOSS_SHARE, dropout, gradients: trainable.map((p) => ({ param: p, output: `grad:${p}` })), frozen, lossScale: lossScaleInput ?? null };
    },
  };
}

/**
 * The update stage: the optimizer on gradients that arrive as inputs (reduced over the workers,
 * still multiplied by the loss scale under mixed precision). Its parameters are the trained
 * ones of the model graph `model`, with their names, shapes and initialisers.
 */
function planUpdateStage(model: Graph, trainable: string[], opts: TrainGraphOptions): TrainGraphPlan {
  const g = new Graph(`${model.name}/update`);
  for (const name of trainable) {
    const p = model.inputByName(name)!;
    g.input(name, p.dtype, p.shape, { ...p.input! });
    // The optimizer reads grad:<param> outputs, as autodiff leaves them; it consumes them.
    g.output(`grad:${name}`, g.input(reducedGradInput(name), p.dtype, p.shape, { role: 'data' }));
  }
  const lossScaleInput = opts.mixedPrecision ? STEP_INPUTS.lossScale : undefined;
  if (lossScaleInput) g.input(lossScaleInput, 'float32', [], { role: 'state' });
  let info: OptimizerInfo | null = null;
  return {
    graph: g,
    passes: [optimizerPass({ ...opts, lossScaleInput }, (i) => (info = i))],
    training(): TrainingManifest {
      if (!info) throw new Error('training(): the optimizer pass has not run yet');
      return { ...(info as OptimizerInfo), losses: [], accumulation: null, dropout: null };
    },
    gradientStage(): GradientStageManifest {
      throw new Error('gradientStage(): this is the update stage');
    },
  };
}

/** planTrainGraph with its passes run (no clean-up or einsum lowering): for the interpreter and tests. */
export function buildTrainGraph(cfg: AlbertConfig, opts: TrainGraphOptions): { graph: Graph; training: TrainingManifest } {
  const plan = planTrainGraph(cfg, opts);
  runPipeline(plan.graph, plan.passes, { verify: true });
  return { graph: plan.graph, training: plan.training() };
}

/** The loss times the loss scale: what autodiff differentiates under mixed precision. */
const SCALED_LOSS = 'scaled_loss';

/** Removes an output once it has served (the scaled loss after differentiation). */
function dropOutputPass(name: string): Pass {
  return {
    name: `drop ${name}`,
    run(g: Graph): boolean {
      const before = g.outputs.length;
      g.outputs = g.outputs.filter((o) => o.name !== name);
      return g.outputs.length !== before;
    },
  };
}

function selectTrainable(g: Graph, freeze: string[], head: string): string[] {
  const names = g.params().map((p) => p.input!.name);
  const frozen = new Set<string>();
  for (const pattern of freeze) {
    let re: RegExp;
    try {
      re = new RegExp(pattern);
    } catch (e) {
      throw new OptionError(`{freeze} ${JSON.stringify(pattern)}: not a valid regular expression (${(e as Error).message})`);
    }
    const hit = names.filter((n) => re.test(n));
    if (hit.length === 0) throw new OptionError(`{freeze} ${JSON.stringify(pattern)} matches no parameter of the ${head} model (they are named like bert/embeddings/word_embeddings)`);
    for (const n of hit) frozen.add(n);
  }
  const trainable = names.filter((n) => !frozen.has(n));
  if (trainable.length === 0) throw new OptionError(`{freeze} ${freeze.map((p) => JSON.stringify(p)).join(' ')} freezes every parameter: nothing left to train`);
  return trainable;
}
