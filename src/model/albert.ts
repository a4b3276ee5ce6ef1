/**
 * Builds the whole ALBERT graph for one head: batch inputs with the original feature names,
 * parameters from the parameter table, the encoder, the head, and named outputs.
 */
import { Graph, type Value } from '../ir/graph.ts';
import { UserError } from '../ir/errors.ts';
import { reshape } from '../ir/ops/index.ts';
import type { Dim } from '../ir/shape.ts';
import type { AlbertConfig } from './config.ts';
import { ModelContext } from './builder-context.ts';
import { buildEncoder } from './encoder.ts';
import { classifierHead, mlmHead, multipleChoiceHead, pretrainingHead, squad2Head, squadHead, type Outputs } from './heads.ts';
import { HEAD_NAMES, isHeadName, modelParams, type HeadName } from './params.ts';

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
  /** float64 builds the same model for finite-difference checks in the interpreter. */
  dtype?: 'float32' | 'float64';
}

export const BATCH: Dim = 'batch';
export const SEQ: Dim = 'seq';

export function buildAlbertGraph(cfg: AlbertConfig, opts: AlbertGraphOptions): Graph {
  if (!isHeadName(opts.head)) throw new UserError(`unknown head "${opts.head}" (expected one of ${HEAD_NAMES.join(', ')})`);
  const head: HeadName = opts.head;
  const maxSeq = opts.maxSeqLength ?? cfg.maxPositionEmbeddings;
  if (!Number.isInteger(maxSeq) || maxSeq < 2) throw new UserError(`--max-seq-length must be an integer >= 2 (got ${maxSeq})`);
  if (maxSeq > cfg.maxPositionEmbeddings) {
    throw new UserError(`--max-seq-length ${maxSeq} exceeds the config's max_position_embeddings ${cfg.maxPositionEmbeddings}`);
  }
  const P = opts.maxPredictions ?? 20;
  if (!Number.isInteger(P) || P < 1 || P > maxSeq) throw new UserError(`--max-predictions must be an integer in 1..${maxSeq} (got ${P})`);
  const numChoices = opts.numChoices ?? 4;
  const numLabels = head === 'classifier' ? (opts.numLabels ?? 2) : head === 'multiple-choice' ? 1 : opts.numLabels;
  if (head === 'multiple-choice' && (!Number.isInteger(numChoices) || numChoices < 2)) {
    throw new UserError(`--num-choices must be an integer >= 2 (got ${numChoices})`);
  }

  const g = new Graph(`albert_${head}_${opts.train ? 'train' : 'infer'}`);
  // Batch inputs first, so symbolic dims are carried by them.
  const tokenShape: Dim[] = head === 'multiple-choice' ? [BATCH, numChoices, SEQ] : [BATCH, SEQ];
  const batch: Record<string, Value> = {};
  const floatType = opts.dtype ?? 'float32';
  const data = (name: string, dtype: 'int32' | 'float32', shape: Dim[]): void => {
    batch[name] = g.input(name, dtype === 'float32' ? floatType : dtype, shape);
  };
  data('input_ids', 'int32', tokenShape);
  data('input_mask', 'int32', tokenShape);
  data('segment_ids', 'int32', tokenShape);
  if (head === 'pretraining' || (head === 'mlm' && opts.train)) data('masked_lm_positions', 'int32', [BATCH, P]);
  if (head === 'squad2') data('p_mask', 'float32', [BATCH, SEQ]);
  if (opts.train) {
    switch (head) {
      case 'pretraining':
        data('masked_lm_ids', 'int32', [BATCH, P]);
        data('masked_lm_weights', 'float32', [BATCH, P]);
        data('next_sentence_labels', 'int32', [BATCH]);
        break;
      case 'mlm':
        data('masked_lm_ids', 'int32', [BATCH, P]);
        data('masked_lm_weights', 'float32', [BATCH, P]);
        break;
      case 'classifier':
        data('label_ids', numLabels === 1 ? 'float32' : 'int32', [BATCH]);
        break;
      case 'multiple-choice':
        data('label_ids', 'int32', [BATCH]);
        break;
      case 'squad':
        data('start_positions', 'int32', [BATCH]);
        data('end_positions', 'int32', [BATCH]);
        break;
      case 'squad2':
        data('start_positions', 'int32', [BATCH]);
        data('end_positions', 'int32', [BATCH]);
        data('is_impossible', 'float32', [BATCH]);
        break;
      case 'encoder':
        throw new UserError('the encoder head has no loss: compile it with --mode infer');
    }
  }
  const dropoutOn = opts.train && (cfg.hiddenDropoutProb > 0 || cfg.attentionProbsDropoutProb > 0 || hasClassifierDropout(head, cfg));
  const rng = dropoutOn ? { seed: g.input('dropout_seed', 'int32', [], { role: 'state' }), step: g.input('dropout_step', 'int32', [], { role: 'state' }) } : null;

  const m = new ModelContext(g, cfg, rng, floatType);
  m.declare(modelParams(cfg, head, { numLabels }));

  // Multiple choice runs the encoder on [batch*choices, seq].
  const flat = (v: Value): Value => (head === 'multiple-choice' ? reshape(v, [-1, SEQ]) : v);
  const enc = buildEncoder(m, { inputIds: flat(batch.input_ids), inputMask: flat(batch.input_mask), segmentIds: flat(batch.segment_ids) });

  let outs: Outputs;
  switch (head) {
    case 'encoder':
      outs = { last_hidden_state: enc.sequenceOutput, pooler_output: enc.pooledOutput };
      break;
    case 'pretraining':
      outs = pretrainingHead(m, enc.sequenceOutput, enc.pooledOutput, batch, opts.train);
      break;
    case 'mlm':
      outs = mlmHead(m, enc.sequenceOutput, batch, opts.train);
      break;
    case 'classifier':
      outs = classifierHead(m, enc.pooledOutput, batch, numLabels!, opts.train);
      break;
    case 'squad':
      outs = squadHead(m, enc.sequenceOutput, batch, opts.train);
      break;
    case 'squad2':
      outs = squad2Head(m, enc.sequenceOutput, batch, opts.train);
      break;
    case 'multiple-choice':
      outs = multipleChoiceHead(m, enc.pooledOutput, numChoices, batch, opts.train);
      break;
  }
  for (const [name, v] of Object.entries(outs)) g.output(name, v);
  return g;
}

function hasClassifierDropout(head: HeadName, cfg: AlbertConfig): boolean {
  return (head === 'classifier' || head === 'multiple-choice') && cfg.classifierDropoutProb > 0;
}
