/**
 * The optimizer pass: turns a gradient graph (outputs `grad:<param>`, as the autodiff pass
 * makes them) into one training step
 *   (params, optimizer slots, step, lr settings, batch) -> (loss, metrics, new params, new slots).
 * It clips the gradients by their global norm, computes the learning rate of this step from the
 * schedule and applies AdamW or LAMB, all in ordinary IR ops (so in standard ONNX ops after
 * emission). Parameters without a `grad:` output are frozen: they stay inputs and get no slots.
 *
 * With gradient accumulation (K > 1) every run adds its gradient to an accumulator
 * `<param>/grad_acc` (input) and only the run with micro_step == K-1 applies the update to the
 * sum; the other runs hand params and slots through unchanged. Making that sum equal the
 * gradient of one K-times larger batch is the loss's business (see src/train/train-graph.ts).
 */
import { isFloat, type DType } from '../ir/dtype.ts';
import { OptionError, UserError } from '../util/errors.ts';
import type { Graph, Value } from '../ir/graph.ts';
import { add, cast, div, equal, mod, mul, pow, scalar, sub, where } from '../ir/ops/index.ts';
import { adamDirection, adamMoments, adamwUpdate, type AdamSettings, type BiasCorrection } from './optimizer/adamw.ts';
import { clipByGlobalNorm, globalNorm } from './optimizer/clipping.ts';
import { lambUpdate } from './optimizer/lamb.ts';
import { learningRateSchedule } from './optimizer/schedule.ts';
import type { Pass } from './pass.ts';

export const OPTIMIZER_NAMES = ['adamw', 'lamb'] as const;
export type OptimizerName = (typeof OPTIMIZER_NAMES)[number];

export interface OptimizerOptions {
  optimizer: OptimizerName;
  /** Defaults: the original's 0.9, 0.999, 1e-6, 0.01. */
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  weightDecay?: number;
  /** Adam bias correction (off in the original ALBERT optimisers). */
  biasCorrection?: boolean;
  /** Global-norm clipping threshold; 0 turns clipping off (default 1.0, as the original). */
  clipNorm?: number;
  /** Micro-steps per update (default 1: no accumulation). */
  gradAccum?: number;
  /**
   * Whether a parameter gets weight decay, and (LAMB) the trust ratio. Default: its name does
   * not match /LayerNorm|layer_norm|bias/, the original's exclusion list.
   */
  decay?: (param: string) => boolean;
  /**
   * Mixed precision: the name of the graph input (a float32 scalar) the differentiated loss was
   * multiplied by. Every gradient is divided by it, in float32, before it is accumulated,
   * clipped or applied. An overflow shows as a non-finite gradient norm; the loop skips that
   * update and lowers the scale (src/train/loss-scale.ts).
   */
  lossScaleInput?: string;
}

export interface ResolvedOptimizerSettings {
  optimizer: OptimizerName;
  beta1: number;
  beta2: number;
  epsilon: number;
  weightDecay: number;
  biasCorrection: boolean;
  clipNorm: number;
  gradAccum: number;
}

/** The graph's scalar inputs for the step and the schedule. */
export const STEP_INPUTS = {
  globalStep: 'global_step',
  learningRate: 'learning_rate',
  warmupSteps: 'num_warmup_steps',
  trainSteps: 'num_train_steps',
  microStep: 'micro_step',
  lossScale: 'loss_scale',
} as const;

export interface SlotInfo {
  /** Graph input name, e.g. "bert/pooler/dense/kernel/adam_m". */
  input: string;
  /** The output holding its next value. */
  output: string;
  /** What a fresh run feeds: zeros shaped like the parameter. */
  init: 'zeros';
}

export interface TrainedParam {
  input: string;
  output: string;
  shape: number[];
  /** Weight decay applies (and for LAMB, the trust ratio). */
  decay: boolean;
  slots: SlotInfo[];
}

/** What the training loop needs to drive the step by name; goes into manifest.json. */
export interface OptimizerInfo {
  settings: ResolvedOptimizerSettings;
  scalarInputs: { name: string; dtype: DType; meaning: string }[];
  parameters: TrainedParam[];
  /** Parameters that are inputs but not trained (no gradient, no slots, no new value). */
  frozen: string[];
  /** Each output that the next run takes as an input. */
  handoff: { output: string; input: string }[];
  metrics: string[];
}

const DEFAULT_DECAY = (name: string): boolean => !/LayerNorm|layer_norm|bias/.test(name);

export function resolveOptimizerSettings(o: OptimizerOptions): ResolvedOptimizerSettings {
  const s: ResolvedOptimizerSettings = {
    optimizer: o.optimizer,
    beta1: o.beta1 ?? 0.9,
    beta2: o.beta2 ?? 0.999,
    epsilon: o.epsilon ?? 1e-6,
    weightDecay: o.weightDecay ?? 0.01,
    biasCorrection: o.biasCorrection ?? false,
    clipNorm: o.clipNorm ?? 1.0,
    gradAccum: o.gradAccum ?? 1,
  };
  if (!(OPTIMIZER_NAMES as readonly string[]).includes(s.optimizer)) throw new OptionError(`{optimizer} ${s.optimizer}: expected one of ${OPTIMIZER_NAMES.join(', ')}`);
  const inUnit = (x: number): boolean => Number.isFinite(x) && x >= 0 && x < 1;
  if (!inUnit(s.beta1)) throw new OptionError(`{beta1} ${s.beta1}: must be in [0, 1)`);
  if (!inUnit(s.beta2)) throw new OptionError(`{beta2} ${s.beta2}: must be in [0, 1)`);
  if (!(Number.isFinite(s.epsilon) && s.epsilon > 0)) throw new OptionError(`{epsilon} ${s.epsilon}: must be a positive number`);
  if (!(Number.isFinite(s.weightDecay) && s.weightDecay >= 0)) throw new OptionError(`{weightDecay} ${s.weightDecay}: must be a number >= 0`);
  if (!(Number.isFinite(s.clipNorm) && s.clipNorm >= 0)) throw new OptionError(`{clipNorm} ${s.clipNorm}: must be a number >= 0 (0 turns clipping off)`);
  if (!(Number.isInteger(s.gradAccum) && s.gradAccum >= 1)) throw new OptionError(`{gradAccum} ${s.gradAccum}: must be an integer >= 1`);
  return s;
}

/**
 * Appends the optimizer step to `g` (see the file comment) and returns what the manifest needs.
 * Consumes the `grad:<param>` outputs (they are removed from the outputs).
 */
export function applyOptimizer(g: Graph, opts: OptimizerOptions): OptimizerInfo {
  const s = resolveOptimizerSettings(opts);
  const decayOf = opts.decay ?? DEFAULT_DECAY;
  const params = g.params();
  const pairs: { param: Value; grad: Value }[] = [];
  for (const p of params) {
    const o = g.outputs.find((x) => x.name === `grad:${p.input!.name}`);
    if (o) pairs.push({ param: p, grad: o.value });
  }
  if (pairs.length === 0) throw new UserError('optimizer: the graph has no grad:<parameter> outputs (nothing to train; run autodiff first, and do not freeze every parameter)');
  const gradNames = new Set(pairs.map((x) => `grad:${x.param.input!.name}`));
  g.outputs = g.outputs.filter((o) => !gradNames.has(o.name));
  const f = pairs[0].param.dtype;
  for (const { param } of pairs) {
    if (!isFloat(param.dtype) || param.dtype !== f) throw new UserError(`optimizer: parameter ${param.input!.name} is ${param.dtype}; all trained parameters must share one float dtype`);
  }
  for (const n of Object.values(STEP_INPUTS)) if (n !== opts.lossScaleInput && g.inputByName(n)) throw new UserError(`optimizer: the graph already has an input "${n}"`);

  const K = s.gradAccum;
  const scalarInputs: OptimizerInfo['scalarInputs'] = [];
  const scalarInput = (name: string, dtype: DType, meaning: string): Value => {
    scalarInputs.push({ name, dtype, meaning });
    return g.input(name, dtype, [], { role: 'state' });
  };
  const step = scalarInput(STEP_INPUTS.globalStep, 'int32', 'the 0-based optimizer step being taken (the original global_step); new:global_step is the next one');
  const lr = scalarInput(STEP_INPUTS.learningRate, f, 'peak learning rate of the schedule');
  const warmup = scalarInput(STEP_INPUTS.warmupSteps, 'int32', 'linear warmup steps');
  const total = scalarInput(STEP_INPUTS.trainSteps, 'int32', 'steps of the linear decay to 0 (at least 1)');
  const micro = K > 1 ? scalarInput(STEP_INPUTS.microStep, 'int32', `micro-step 0..${K - 1} within the accumulation; the update is applied when it is ${K - 1}`) : null;

  let lossScale: Value | null = null;
  if (opts.lossScaleInput) {
    lossScale = g.inputByName(opts.lossScaleInput) ?? null;
    if (!lossScale || lossScale.dtype !== 'float32' || lossScale.rank !== 0) throw new UserError(`optimizer: the loss scale "${opts.lossScaleInput}" must be a float32 scalar input of the graph`);
    scalarInputs.push({ name: opts.lossScaleInput, dtype: 'float32', meaning: 'mixed precision: the factor the differentiated loss was multiplied by (dynamic loss scaling); gradients are divided by it' });
  }

  const slot = (p: Value, suffix: string): Value => g.input(`${p.input!.name}/${suffix}`, f, p.shape, { role: 'state' });
  const trained: TrainedParam[] = [];
  const handoff: OptimizerInfo['handoff'] = [];
  const settings: AdamSettings = { beta1: s.beta1, beta2: s.beta2, epsilon: s.epsilon, weightDecay: s.weightDecay };

  g.scope('optimizer', () => {
    const slots = pairs.map(({ param }) => ({ m: slot(param, 'adam_m'), v: slot(param, 'adam_v'), acc: micro ? slot(param, 'grad_acc') : null }));
    // With accumulation: micro-step 0 ignores whatever the accumulator holds (so a fresh run may
    // feed anything there), the last one applies the update.
    const isFirst = micro ? equal(micro, scalar(g, 0, 'int32')) : null;
    const isLast = micro ? equal(micro, scalar(g, K - 1, 'int32')) : null;
    const unscale = lossScale ? div(scalar(g, 1, 'float32'), lossScale) : null;
    const grads = pairs.map(({ grad }, i) => {
      const acc = slots[i].acc;
      const own = unscale ? mul(grad, cast(unscale, grad.dtype)) : grad;
      return acc && isFirst ? add(where(isFirst, 0, acc), own) : own;
    });

    const { clipped, norm } = s.clipNorm > 0 ? clipByGlobalNorm(grads, s.clipNorm) : { clipped: grads, norm: globalNorm(grads) };
    const lrNow = learningRateSchedule({ step, learningRate: lr, warmupSteps: warmup, trainSteps: total });
    let bc: BiasCorrection | undefined;
    if (s.biasCorrection) {
      const t = cast(add(step, scalar(g, 1, 'int32')), f);
      bc = { c1: sub(1, pow(scalar(g, s.beta1, f), t)), c2: sub(1, pow(scalar(g, s.beta2, f), t)) };
    }
    // On a micro-step that does not update, the old value passes through.
    const gate = (updated: Value, old: Value): Value => (isLast ? where(isLast, updated, old) : updated);

    g.output('learning_rate_used', lrNow);
    g.output('grad_norm', norm);
    pairs.forEach(({ param }, i) => {
      const name = param.input!.name;
      const decay = decayOf(name);
      const { m, v, acc } = slots[i];
      const mo = adamMoments(clipped[i], m, v, settings);
      const u = adamDirection(param, mo, decay, settings, bc);
      const next = s.optimizer === 'lamb' ? lambUpdate(param, u, lrNow, decay) : adamwUpdate(param, u, lrNow);
      const outs: [Value, Value, Value][] = [
        [param, next, param],
        [m, mo.m, m],
        [v, mo.v, v],
      ];
      for (const [input, updated, old] of outs) {
        g.output(`new:${input.input!.name}`, gate(updated, old));
        handoff.push({ output: `new:${input.input!.name}`, input: input.input!.name });
      }
      if (acc && isLast) {
        // Emptied after the update; otherwise the running sum.
        g.output(`new:${acc.input!.name}`, where(isLast, 0, grads[i]));
        handoff.push({ output: `new:${acc.input!.name}`, input: acc.input!.name });
      }
      const slotInfo = [m, v, ...(acc ? [acc] : [])].map((x) => ({ input: x.input!.name, output: `new:${x.input!.name}`, init: 'zeros' as const }));
      trained.push({ input: name, output: `new:${name}`, shape: param.shape.map((d) => Number(d)), decay, slots: slotInfo });
    });

    const one = scalar(g, 1, 'int32');
    g.output(`new:${STEP_INPUTS.globalStep}`, add(step, isLast ? cast(isLast, 'int32') : one));
    handoff.push({ output: `new:${STEP_INPUTS.globalStep}`, input: STEP_INPUTS.globalStep });
    if (micro) {
      g.output(`new:${STEP_INPUTS.microStep}`, mod(add(micro, one), scalar(g, K, 'int32')));
      handoff.push({ output: `new:${STEP_INPUTS.microStep}`, input: STEP_INPUTS.microStep });
    }
  });

  const trainedNames = new Set(trained.map((t) => t.input));
  return {
    settings: s,
    scalarInputs,
    parameters: trained,
    frozen: params.map((p) => p.input!.name).filter((n) => !trainedNames.has(n)),
    handoff,
    metrics: ['learning_rate_used', 'grad_norm'],
  };
}

/** applyOptimizer as a pass; `onApplied` receives what it returns (for the manifest). */
export function optimizerPass(opts: OptimizerOptions, onApplied?: (info: OptimizerInfo) => void): Pass {
  return {
    name: 'optimizer',
    run(g: Graph): boolean {
      const info = applyOptimizer(g, opts);
      onApplied?.(info);
      return true;
    },
  };
}
