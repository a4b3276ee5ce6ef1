/**
 * Builds the whole ALBERT graph for one head: batch inputs with the original feature names,
 * parameters from the parameter table, the encoder, the head, and named outputs. What differs
 * between heads comes from the head registry (heads/registry.ts).
 */
import { Graph, type Value } from '../ir/graph.ts';
import { OptionError, UserError } from '../util/errors.ts';
import { reshape } from '../ir/ops/index.ts';
import type { AlbertConfig } from './config.ts';
import { ModelContext } from './builder-context.ts';
import { buildEncoder } from './encoder.ts';
import { SEQ } from './heads/helpers.ts';
import { headDefinition, resolveNumLabels, type HeadShape } from './heads/registry.ts';
import { modelParams } from './params.ts';

export { BATCH, SEQ } from './heads/helpers.ts';

export interface AlbertGraphOptions {
  head: string;
  /** Build the training form: label inputs, losses as outputs, dropout active. */
  train: boolean;
  numLabels?: number;
  /** Number of answer choices for multiple-choice (RACE: 4). */
  numChoices?: number;
  /** Upper bound on the sequence length (checked against max_position_embeddings). */
  maxSeqLength?: number;
  /** Masked positions per sequence (the original's max_predictions_per_seq). */
  maxPredictions?: number;
  /** squad2 inference only: the beam's starts (start_n_top) and ends per start (end_n_top); default 5 and 5. */
  startNTop?: number;
  endNTop?: number;
  /** float64 builds the same model for finite-difference checks in the interpreter. */
  dtype?: 'float32' | 'float64';
  /**
   * Training form only: also output the head's metrics (after the losses, as addModelMetrics
   * adds them). Without it the graph has no metric node; addModelMetrics can add them later.
   */
  metrics?: boolean;
}

/** Metrics of training graphs, built on demand: the head's builder, then the names added. */
const graphMetrics = new WeakMap<Graph, { build: () => Record<string, Value>; declared: string[]; added?: string[] }>();

export function buildAlbertGraph(cfg: AlbertConfig, opts: AlbertGraphOptions): Graph {
  const def = headDefinition(opts.head);
  const maxSeq = opts.maxSeqLength ?? cfg.maxPositionEmbeddings;
  if (opts.maxSeqLength === undefined && !(maxSeq >= 2)) {
    throw new UserError(`the config's max_position_embeddings is ${maxSeq}: a sequence needs at least 2 positions ([CLS] and [SEP])`);
  }
  if (!Number.isInteger(maxSeq) || maxSeq < 2) throw new OptionError(`{maxSeqLength} must be an integer >= 2 (got ${maxSeq})`);
  if (maxSeq > cfg.maxPositionEmbeddings) {
    throw new OptionError(`{maxSeqLength} ${maxSeq} exceeds the config's max_position_embeddings ${cfg.maxPositionEmbeddings}`);
  }
  // Only heads with masked positions read P; the default must not refuse a short sequence elsewhere.
  const P = opts.maxPredictions ?? Math.min(20, maxSeq);
  if (!Number.isInteger(P) || P < 1 || P > maxSeq) throw new OptionError(`{maxPredictions} must be an integer in 1..${maxSeq} (got ${P})`);
  const shape: HeadShape = { numLabels: resolveNumLabels(def, opts.numLabels), numChoices: opts.numChoices ?? 4, maxPredictions: P, startNTop: opts.startNTop, endNTop: opts.endNTop };
  def.validate?.(shape);
  const signature = def.signature(shape);
  const form = opts.train ? signature.train : signature.infer;
  if (!form) throw new UserError(`the ${def.name} head has no loss: it has an inference graph only`);

  const g = new Graph(`albert_${def.name}_${opts.train ? 'train' : 'infer'}`);
  // Batch inputs first, so symbolic dims are carried by them.
  const floatType = opts.dtype ?? 'float32';
  const batch: Record<string, Value> = {};
  for (const i of form.inputs) batch[i.name] = g.input(i.name, i.dtype === 'float32' ? floatType : i.dtype, i.shape);
  const dropoutOn = opts.train && (cfg.hiddenDropoutProb > 0 || cfg.attentionProbsDropoutProb > 0 || (def.classifierDropout && cfg.classifierDropoutProb > 0));
  const rng = dropoutOn ? { seed: g.input('dropout_seed', 'int32', [], { role: 'state' }), step: g.input('dropout_step', 'int32', [], { role: 'state' }) } : null;

  const m = new ModelContext(g, cfg, rng, floatType);
  m.declare(modelParams(cfg, def.name, { numLabels: shape.numLabels }));

  // Token features with leading dims beyond [batch, seq] (multiple choice's [batch, choices,
  // seq]) run through the encoder as [batch*choices, seq].
  const flat = (v: Value): Value => (v.rank > 2 ? reshape(v, [-1, SEQ]) : v);
  const encoder = buildEncoder(m, { inputIds: flat(batch.input_ids), inputMask: flat(batch.input_mask), segmentIds: flat(batch.segment_ids) });

  const built = def.build({ m, encoder, batch, shape, train: opts.train });
  checkNames(def.name, 'outputs', Object.keys(built.outputs), form.outputs);
  for (const [name, v] of Object.entries(built.outputs)) g.output(name, v);
  if (signature.train && opts.train) {
    const declared = signature.train.metrics;
    graphMetrics.set(g, { build: built.metrics ?? ((): Record<string, Value> => ({})), declared });
    if (opts.metrics) addModelMetrics(g);
  }
  return g;
}

/**
 * Adds the head's metrics (masked_lm_accuracy, accuracy, ...) to a training graph that
 * buildAlbertGraph made, in a "metrics" scope after everything else, and returns their output
 * names. A graph without metrics (inference, or a head with none) gives []; asking again
 * returns the names already added.
 */
export function addModelMetrics(g: Graph): string[] {
  const entry = graphMetrics.get(g);
  if (!entry) return [];
  if (entry.added) return [...entry.added];
  const values = g.scope('metrics', entry.build);
  const names = Object.keys(values);
  checkNames(g.name, 'metrics', names, entry.declared);
  for (const name of names) g.output(name, values[name]);
  entry.added = names;
  return [...names];
}

function checkNames(head: string, what: string, built: string[], declared: readonly string[]): void {
  if (built.join(',') !== declared.join(',')) throw new Error(`${head}: the builder's ${what} are [${built.join(', ')}], its signature says [${declared.join(', ')}]`);
}
