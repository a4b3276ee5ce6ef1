/**
 * The head registry: one HeadDefinition per task head, each in its own file next to this one.
 * Everything that differs between heads (batch features, parameters, graph, outputs, metrics,
 * the HuggingFace class, how a checkpoint shows which head it holds) is read from here; nothing
 * else switches on a head's name. Adding a head is a new file plus one line in HEADS.
 */
import type { Value } from '../../ir/graph.ts';
import { UserError } from '../../ir/errors.ts';
import type { Dim } from '../../ir/shape.ts';
import type { AlbertConfig } from '../config.ts';
import type { ModelContext } from '../builder-context.ts';
import type { EncoderOutputs } from '../encoder.ts';
import type { ParamSpec } from '../param-spec.ts';
import { classifier } from './classifier.ts';
import { encoder } from './encoder.ts';
import { mlm } from './mlm.ts';
import { multipleChoice } from './multiple-choice.ts';
import { pretraining } from './pretraining.ts';
import { squad } from './squad.ts';
import { squad2 } from './squad2.ts';

/** The sizes a head's features, parameters and outputs depend on, defaults applied. */
export interface HeadShape {
  /** Output classes (resolveNumLabels); undefined where the head has no label count. */
  numLabels: number | undefined;
  /** Answer choices per example (multiple choice; default 4). */
  numChoices: number;
  /** Masked positions per sequence, P (the original's max_predictions_per_seq). */
  maxPredictions: number;
  /** SQuAD v2 head's inference beam: starts kept (the original's start_n_top); undefined: 5. */
  startNTop?: number;
  /** SQuAD v2 head's inference beam: ends kept per start (end_n_top); undefined: 5. */
  endNTop?: number;
}

/** One batch feature: a graph input with the original's feature name. */
export interface BatchInput {
  name: string;
  /** float32 stands for the model's float type (float64 in gradient checks). */
  dtype: 'int32' | 'float32';
  /** In BATCH, SEQ (helpers.ts) and sizes from HeadShape. */
  shape: Dim[];
}

/** What one form of the graph reads and returns, in graph order. */
export interface HeadForm {
  inputs: BatchInput[];
  outputs: string[];
}

export interface HeadSignature {
  infer: HeadForm;
  /** The training form (losses as outputs, "loss" first) and its metrics; null: the head has no loss. */
  train: (HeadForm & { metrics: string[] }) | null;
}

/** How a head takes a number of labels: not at all, as an option (--num-labels), or fixed. */
export type LabelCount = { kind: 'none' } | { kind: 'option'; default: number } | { kind: 'fixed'; value: number };

export interface HeadBuildContext {
  m: ModelContext;
  encoder: EncoderOutputs;
  /** The batch inputs of the form being built, by name. */
  batch: Record<string, Value>;
  shape: HeadShape;
  train: boolean;
}

export interface HeadBuild {
  /** The outputs of the form being built, named as the signature says. */
  outputs: Record<string, Value>;
  /**
   * Training only: builds the metrics (named as the signature says) from the losses' parts.
   * Called only when metrics are asked for, so a graph without them has no node of theirs.
   */
  metrics?: () => Record<string, Value>;
}

/** A checkpoint as head recognition sees it: its tensor names (TF or HF) and shapes. */
export interface CheckpointContents {
  /** The first of `names` the checkpoint holds. */
  has(...names: string[]): string | undefined;
  /** The shape of a tensor it holds, in the checkpoint's layout. */
  shapeOf(name: string): number[];
  /** The HF config's "architectures" ([] when there is none). */
  architectures: readonly string[];
}

export interface HeadRecogniser {
  /** Where the tensors of several heads are present, the highest priority wins. */
  priority: number;
  /** Null when the checkpoint does not hold this head; else what it tells of the head's size. */
  match(ckpt: CheckpointContents): { numLabels?: number } | null;
}

export interface HeadDefinition<N extends string = string, E extends boolean = boolean> {
  readonly name: N;
  /** Whether `albert export` offers it (pretraining does not: its inference part is the mlm head). */
  readonly exportable: E;
  readonly numLabels: LabelCount;
  /** Batch features and output names of the inference and training graphs. */
  signature(shape: HeadShape): HeadSignature;
  /** A UserError naming the flag for an option this head cannot take (checked before building). */
  validate?(shape: HeadShape): void;
  /** The head's parameters on top of the encoder (the pooler belongs to the encoder). */
  params(cfg: AlbertConfig, opts: { numLabels?: number }): ParamSpec[];
  /** Whether the training graph applies classifier_dropout_prob (the original's classifier layers). */
  readonly classifierDropout: boolean;
  /** The head's graph on the encoder's outputs. */
  build(ctx: HeadBuildContext): HeadBuild;
  readonly hf: {
    /** The transformers class (config.json "architectures"); AlbertModel where HF has none. */
    architecture: string;
    /** Whether config.json carries the label fields (id2label, label2id, problem_type). */
    labelFields: boolean;
  };
  readonly recognise: HeadRecogniser;
}

/** Every head, in the order flags and messages list them. */
export const HEADS = [encoder, pretraining, mlm, classifier, squad, squad2, multipleChoice] as const;

export type HeadName = (typeof HEADS)[number]['name'];
export type ExportableHeadName = Extract<(typeof HEADS)[number], { exportable: true }>['name'];

export const HEAD_NAMES: readonly HeadName[] = HEADS.map((h) => h.name);
export const EXPORTABLE_HEAD_NAMES: readonly ExportableHeadName[] = HEADS.filter(
  (h): h is Extract<(typeof HEADS)[number], { exportable: true }> => h.exportable,
).map((h) => h.name);

const BY_NAME = new Map<string, HeadDefinition>(HEADS.map((h) => [h.name, h]));

export function isHeadName(name: string): name is HeadName {
  return BY_NAME.has(name);
}

/** The definition of a head; an unknown name is a UserError listing the heads. */
export function headDefinition(name: string): HeadDefinition {
  const def = BY_NAME.get(name);
  if (!def) throw new UserError(`unknown head "${name}" (expected one of ${HEAD_NAMES.join(', ')})`);
  return def;
}

/** The label count a head is built with: the option (or its default), the fixed count, or as given. */
export function resolveNumLabels(def: HeadDefinition, given: number | undefined): number | undefined {
  switch (def.numLabels.kind) {
    case 'option':
      return given ?? def.numLabels.default;
    case 'fixed':
      return def.numLabels.value;
    case 'none':
      return given;
  }
}

/** Whether the head has a training form (a loss); no head's answer depends on the shape. */
export function hasLoss(def: HeadDefinition): boolean {
  return def.signature({ numLabels: resolveNumLabels(def, undefined), numChoices: 4, maxPredictions: 1 }).train !== null;
}

/** The head whose tensors a checkpoint holds (the encoder's recogniser matches anything). */
export function recogniseHead(ckpt: CheckpointContents): { head: HeadName; numLabels?: number } {
  let best: { head: HeadName; numLabels?: number } | null = null;
  let bestPriority = -Infinity;
  for (const def of HEADS) {
    if (def.recognise.priority <= bestPriority) continue;
    const found = def.recognise.match(ckpt);
    if (found) {
      best = { head: def.name, ...found };
      bestPriority = def.recognise.priority;
    }
  }
  if (!best) throw new Error('recogniseHead: no head matched (the encoder matches every checkpoint)');
  return best;
}

/**
 * A parameter list seen as a checkpoint: TF names in our layout, HF names (and aliases) in
 * HF's; `architectures` as given (the one hint a parameter list lacks).
 */
export function paramsAsCheckpoint(params: readonly ParamSpec[], architectures: readonly string[] = []): CheckpointContents {
  const shapes = new Map<string, number[]>();
  for (const p of params) {
    shapes.set(p.name, p.shape);
    const hfShape = p.transposed ? [...p.shape].reverse() : p.shape;
    for (const n of [p.hfName, ...(p.hfAliases ?? [])]) shapes.set(n, hfShape);
  }
  return {
    has: (...names) => names.find((n) => shapes.has(n)),
    shapeOf: (name) => {
      const s = shapes.get(name);
      if (!s) throw new Error(`paramsAsCheckpoint: no tensor ${name}`);
      return s;
    },
    architectures,
  };
}
