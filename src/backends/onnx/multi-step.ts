/**
 * Several training steps in one session run: the compiled step graph becomes the body of an ONNX
 * Loop over stacked batches. Parameters and optimizer slots are the loop-carried values, so they
 * stay inside onnxruntime from one step to the next and cross the host boundary (PCIe, on CUDA,
 * where the Node binding has no device-resident tensors) once per run instead of once per step.
 *
 * The transformation is on the emitted ModelProto, after every pass: the body is exactly the
 * single-step graph, so a run of S steps computes what S runs of the step compute. Inside the body
 * a step whose gate outputs (the loss, the gradient norm) are not finite hands the carried values
 * through unchanged — the trainer's own rule for a non-finite step.
 */
import type { TrainingManifest } from '../../manifest.ts';
import { onnx, type ModelProto } from './proto.ts';

type ValueInfo = InstanceType<typeof onnx.ValueInfoProto>;
type NodeProto = InstanceType<typeof onnx.NodeProto>;

export interface MultiStepSpec {
  /** Inputs fed once per step: the outer model takes them stacked along a new leading axis. */
  perStep: string[];
  /** Loop-carried values: a step input and the step output holding its next value. */
  carried: { input: string; output: string }[];
  /** Carried values that advance even on a non-finite step (the step counter). */
  ungated: string[];
  /** Step inputs computed in the body as a copy of a carried one (dropout_step = global_step). */
  derived: { input: string; from: string }[];
  /** Step outputs collected over the steps (each becomes [steps, ...]). */
  collected: string[];
  /** Outputs that must be finite for a step's carried values to be kept. */
  gate: string[];
  /**
   * Mixed precision: the dynamic loss scale moves into the loop, as the trainer's scaler moves it
   * between runs (train/loss-scale.ts): the step input `input` is carried with a count of clean
   * steps (`goodSteps`, int32); a step that fails the gate halves it and resets the count, a clean
   * one counts, and `growthInterval` clean steps in a row double it (at most `max`). The scale each
   * step used is collected as `used`.
   */
  lossScale?: { input: string; goodSteps: string; used: string; growthInterval: number; max: number };
}

/**
 * The Loop of a compiled training step (one micro-batch per update): the parameters, slots and
 * step counter carried, the batch inputs stacked, dropout keyed by the step, every loss and
 * metric collected, a step with a non-finite loss or gradient norm leaving the state as it was.
 */
export function trainingStepLoop(training: TrainingManifest, inputNames: readonly string[], lossScale?: { growthInterval: number; max: number }): MultiStepSpec {
  const t = training;
  const state = new Set([...t.handoff.map((h) => h.input), ...t.frozen, ...t.scalarInputs.map((x) => x.name), ...(t.dropout ? [t.dropout.seed, t.dropout.step] : [])]);
  const scaled = t.scalarInputs.some((x) => x.name === 'loss_scale');
  if (scaled && !lossScale) throw new Error('trainingStepLoop: a mixed-precision step needs its loss scale settings');
  return {
    perStep: inputNames.filter((n) => !state.has(n)),
    carried: t.handoff.map((h) => ({ input: h.input, output: h.output })),
    ungated: ['global_step'],
    derived: t.dropout ? [{ input: t.dropout.step, from: 'global_step' }] : [],
    collected: [...new Set(['loss', ...t.losses, ...t.metrics])],
    gate: ['loss', 'grad_norm'],
    ...(scaled && lossScale ? { lossScale: { input: 'loss_scale', goodSteps: LOSS_SCALE_STEPS, used: LOSS_SCALE_USED, ...lossScale } } : {}),
  };
}

/** The Loop's names for the loss scale's count of clean steps and the scale each step used. */
export const LOSS_SCALE_STEPS = 'loss_scale/good_steps';
export const LOSS_SCALE_USED = 'loss_scale/used';

/** The outer model's names: carried inputs start as `initial/<input>`, and so on. */
export const MULTI_STEP_NAMES = {
  initial: (input: string): string => `initial/${input}`,
  stacked: (input: string): string => `stacked/${input}`,
  final: (output: string): string => `final/${output}`,
  collected: (output: string): string => `steps/${output}`,
} as const;

function typeOf(vi: ValueInfo): InstanceType<typeof onnx.TypeProto> {
  return onnx.TypeProto.create(onnx.TypeProto.toObject(vi.type as InstanceType<typeof onnx.TypeProto>) as never);
}

function info(name: string, type: InstanceType<typeof onnx.TypeProto>): ValueInfo {
  return onnx.ValueInfoProto.create({ name, type });
}

/** `type` with a leading dimension `dim` (a symbolic one). */
function stackedType(type: InstanceType<typeof onnx.TypeProto>, dim: string): InstanceType<typeof onnx.TypeProto> {
  const t = typeOf(info('', type));
  const shape = t.tensorType!.shape ?? onnx.TensorShapeProto.create({ dim: [] });
  t.tensorType!.shape = onnx.TensorShapeProto.create({ dim: [onnx.TensorShapeProto.Dimension.create({ dimParam: dim }), ...(shape.dim ?? [])] });
  return t;
}

function node(opType: string, input: string[], output: string[], attribute: InstanceType<typeof onnx.AttributeProto>[] = []): NodeProto {
  return onnx.NodeProto.create({ opType, input, output, attribute, name: output[0] });
}

/** Wraps the step model `step` in a Loop over its stacked per-step inputs (see the file comment). */
export function multiStepModel(step: ModelProto, spec: MultiStepSpec): ModelProto {
  const g = step.graph!;
  const inputs = new Map((g.input ?? []).map((i) => [i.name!, i as ValueInfo]));
  const outputs = new Map((g.output ?? []).map((o) => [o.name!, o as ValueInfo]));
  const need = (m: Map<string, ValueInfo>, name: string, what: string): ValueInfo => {
    const v = m.get(name);
    if (!v) throw new Error(`multiStepModel: the step has no ${what} "${name}"`);
    return v;
  };
  if (spec.perStep.length === 0) throw new Error('multiStepModel: no per-step input to count the steps by');
  const N = MULTI_STEP_NAMES;
  const gated = new Set(spec.carried.map((c) => c.input).filter((n) => !spec.ungated.includes(n)));

  // ---- the body: one step ----
  const body: NodeProto[] = [];
  for (const d of spec.perStep) body.push(node('Gather', [N.stacked(d), 'iter'], [d], [onnx.AttributeProto.create({ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 0 })]));
  for (const d of spec.derived) body.push(node('Identity', [d.from], [d.input]));
  body.push(...((g.node ?? []) as NodeProto[]));
  // ok = every gate output is neither NaN nor infinite
  let ok: string | null = null;
  for (const o of spec.gate) {
    need(outputs, o, 'output');
    body.push(node('IsNaN', [o], [`gate/${o}/nan`]), node('IsInf', [o], [`gate/${o}/inf`]));
    body.push(node('Or', [`gate/${o}/nan`, `gate/${o}/inf`], [`gate/${o}/bad`]), node('Not', [`gate/${o}/bad`], [`gate/${o}/ok`]));
    if (ok) body.push(node('And', [ok, `gate/${o}/ok`], [`gate/ok/${o}`]));
    ok = ok ? `gate/ok/${o}` : `gate/${o}/ok`;
  }
  const carriedOut = spec.carried.map((c) => {
    need(outputs, c.output, 'output');
    if (!ok || !gated.has(c.input)) return c.output;
    body.push(node('Where', [ok, c.output, c.input], [`gated/${c.output}`]));
    return `gated/${c.output}`;
  });
  const ls = spec.lossScale;
  const lossScaleOut: string[] = [];
  if (ls) {
    if (!ok) throw new Error('multiStepModel: a loss scale needs a gate');
    const constant = (name: string, dataType: number, v: number): NodeProto =>
      node('Constant', [], [name], [
        onnx.AttributeProto.create({
          name: 'value',
          type: onnx.AttributeProto.AttributeType.TENSOR,
          t: onnx.TensorProto.create(dataType === onnx.TensorProto.DataType.FLOAT ? { dataType, dims: [], floatData: [v] } : { dataType, dims: [], int32Data: [v] }),
        }),
      ]);
    const F = onnx.TensorProto.DataType.FLOAT;
    const I = onnx.TensorProto.DataType.INT32;
    body.push(
      constant('scale/one', I, 1),
      constant('scale/zero', I, 0),
      constant('scale/interval', I, ls.growthInterval),
      constant('scale/two', F, 2),
      constant('scale/half', F, 0.5),
      constant('scale/max', F, ls.max),
      node('Identity', [ls.input], [ls.used]),
      node('Add', [ls.goodSteps, 'scale/one'], ['scale/counted']),
      node('GreaterOrEqual', ['scale/counted', 'scale/interval'], ['scale/grow']),
      node('Mul', [ls.input, 'scale/two'], ['scale/doubled_raw']),
      node('Min', ['scale/doubled_raw', 'scale/max'], ['scale/doubled']),
      node('Where', ['scale/grow', 'scale/doubled', ls.input], ['scale/clean']),
      node('Where', ['scale/grow', 'scale/zero', 'scale/counted'], ['scale/clean_count']),
      node('Mul', [ls.input, 'scale/half'], ['scale/halved']),
      node('Where', [ok, 'scale/clean', 'scale/halved'], ['scale/next']),
      node('Where', [ok, 'scale/clean_count', 'scale/zero'], ['scale/next_count']),
    );
    lossScaleOut.push('scale/next', 'scale/next_count');
  }
  body.push(node('Identity', ['cond_in'], ['cond_out']));
  const scalar = (elemType: number): InstanceType<typeof onnx.TypeProto> =>
    onnx.TypeProto.create({ tensorType: onnx.TypeProto.Tensor.create({ elemType, shape: onnx.TensorShapeProto.create({ dim: [] }) }) });
  const lsInputs = ls ? [info(ls.input, scalar(onnx.TensorProto.DataType.FLOAT)), info(ls.goodSteps, scalar(onnx.TensorProto.DataType.INT32))] : [];
  const bodyGraph = onnx.GraphProto.create({
    name: `${g.name ?? 'step'}/body`,
    node: body,
    initializer: g.initializer ?? [],
    input: [info('iter', scalar(onnx.TensorProto.DataType.INT64)), info('cond_in', scalar(onnx.TensorProto.DataType.BOOL)), ...spec.carried.map((c) => info(c.input, typeOf(need(inputs, c.input, 'input')))), ...lsInputs],
    output: [
      info('cond_out', scalar(onnx.TensorProto.DataType.BOOL)),
      ...spec.carried.map((c, i) => info(carriedOut[i], typeOf(need(outputs, c.output, 'output')))),
      ...(ls ? [info('scale/next', scalar(onnx.TensorProto.DataType.FLOAT)), info('scale/next_count', scalar(onnx.TensorProto.DataType.INT32))] : []),
      ...spec.collected.map((o) => info(o, typeOf(need(outputs, o, 'output')))),
      ...(ls ? [info(ls.used, scalar(onnx.TensorProto.DataType.FLOAT))] : []),
    ],
    valueInfo: g.valueInfo ?? [],
  });

  // ---- the outer graph: the Loop, counting the stacked steps ----
  const stepInputs = new Set([...spec.perStep, ...spec.carried.map((c) => c.input), ...spec.derived.map((d) => d.input), ...(ls ? [ls.input] : [])]);
  const outerInputs = [
    ...spec.carried.map((c) => info(N.initial(c.input), typeOf(need(inputs, c.input, 'input')))),
    ...lsInputs.map((i) => info(N.initial(i.name!), i.type as InstanceType<typeof onnx.TypeProto>)),
    ...spec.perStep.map((d) => info(N.stacked(d), stackedType(typeOf(need(inputs, d, 'input')), 'steps'))),
    // Inputs every step reads as they are (the schedule's settings): seen from the body as outer-scope values.
    ...[...inputs.values()].filter((i) => !stepInputs.has(i.name!)),
  ];
  const int64 = (name: string, v: number): NodeProto =>
    node('Constant', [], [name], [onnx.AttributeProto.create({ name: 'value', type: onnx.AttributeProto.AttributeType.TENSOR, t: onnx.TensorProto.create({ dataType: onnx.TensorProto.DataType.INT64, dims: [], int64Data: [v] }) })]);
  const outer: NodeProto[] = [
    node('Shape', [N.stacked(spec.perStep[0])], ['loop/shape']),
    int64('loop/zero', 0),
    node('Gather', ['loop/shape', 'loop/zero'], ['loop/steps'], [onnx.AttributeProto.create({ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 0 })]),
    node('Constant', [], ['loop/true'], [onnx.AttributeProto.create({ name: 'value', type: onnx.AttributeProto.AttributeType.TENSOR, t: onnx.TensorProto.create({ dataType: onnx.TensorProto.DataType.BOOL, dims: [], int32Data: [1] }) })]),
    node(
      'Loop',
      ['loop/steps', 'loop/true', ...spec.carried.map((c) => N.initial(c.input)), ...(ls ? [N.initial(ls.input), N.initial(ls.goodSteps)] : [])],
      [...spec.carried.map((c) => N.final(c.output)), ...(ls ? [N.final(ls.input), N.final(ls.goodSteps)] : []), ...spec.collected.map((o) => N.collected(o)), ...(ls ? [N.collected(ls.used)] : [])],
      [onnx.AttributeProto.create({ name: 'body', type: onnx.AttributeProto.AttributeType.GRAPH, g: bodyGraph })],
    ),
  ];
  const outerGraph = onnx.GraphProto.create({
    name: `${g.name ?? 'step'}/steps`,
    node: outer,
    input: outerInputs,
    output: [
      ...spec.carried.map((c) => info(N.final(c.output), typeOf(need(outputs, c.output, 'output')))),
      ...(ls ? [info(N.final(ls.input), scalar(onnx.TensorProto.DataType.FLOAT)), info(N.final(ls.goodSteps), scalar(onnx.TensorProto.DataType.INT32))] : []),
      ...spec.collected.map((o) => info(N.collected(o), stackedType(typeOf(need(outputs, o, 'output')), 'steps'))),
      ...(ls ? [info(N.collected(ls.used), stackedType(scalar(onnx.TensorProto.DataType.FLOAT), 'steps'))] : []),
    ],
  });
  return onnx.ModelProto.create({ ...step, graph: outerGraph, docString: `${step.docString ?? ''} (steps in an ONNX Loop)` });
}
