/**
 * What several heads share: the batch dims and token features, the original's [n, H] output
 * layer, the masked-LM layer (its parameters and its graph), p_mask masking, and the accuracy
 * metrics read from a cross-entropy's parts.
 */
import type { Value } from '../../ir/graph.ts';
import { add, cast, div, einsum, equal, expand, gatherElements, greater, matmul, mul, reduceMax, reduceMean, reduceSum, sub, transpose, unsqueeze, where } from '../../ir/ops/index.ts';
import { activation, layerNorm, type CrossEntropy } from '../../ir/composites.ts';
import type { Dim } from '../../ir/shape.ts';
import type { AlbertConfig } from '../config.ts';
import type { ModelContext } from '../builder-context.ts';
import { dense3d } from '../encoder.ts';
import { dense, layerNorm as layerNormParams, plain, ZEROS, type ParamSpec } from '../param-spec.ts';
import type { BatchInput } from './registry.ts';

/** The symbolic batch and sequence dims of every graph's inputs. */
export const BATCH: Dim = 'batch';
export const SEQ: Dim = 'seq';

/** input_ids, input_mask, segment_ids (int32), in that order: the encoder's features. */
export function tokenInputs(shape: Dim[] = [BATCH, SEQ]): BatchInput[] {
  return ['input_ids', 'input_mask', 'segment_ids'].map((name) => ({ name, dtype: 'int32', shape }));
}

/** logits = x . W^T + b with the original's [n, H] output_weights layout. */
export function outputLayer(m: ModelContext, x: Value, prefix: string): Value {
  const w = m.param(`${prefix}output_weights`);
  const b = m.param(`${prefix}output_bias`);
  if (x.rank === 2) return add(matmul(x, transpose(w)), b);
  return add(einsum('BFH,OH->BFO', x, w), b);
}

/** MLM transform and output bias; the decoder weight is tied to the word embeddings. */
export function mlmParams(cfg: AlbertConfig): ParamSpec[] {
  const bias = plain('cls/predictions/output_bias', 'predictions.bias', [cfg.vocabSize], ZEROS);
  bias.hfAliases = ['predictions.decoder.bias'];
  return [
    ...dense(cfg, 'cls/predictions/transform/dense', 'predictions.dense', cfg.hiddenSize, cfg.embeddingSize),
    ...layerNormParams('cls/predictions/transform/LayerNorm', 'predictions.LayerNorm', cfg.embeddingSize),
    bias,
  ];
}

/** The names a checkpoint may hold the MLM output bias under (TF, HF, HF's tied copy). */
export const MLM_BIAS_NAMES = ['cls/predictions/output_bias', 'predictions.bias', 'predictions.decoder.bias'];

/**
 * Masked-LM head: gather the hidden states at masked_lm_positions, transform (dense H->E +
 * activation + LayerNorm) and score against the tied word embeddings plus an output bias.
 */
export function maskedLmLogits(m: ModelContext, sequenceOutput: Value, positions: Value | null): Value {
  const { cfg } = m;
  let x = sequenceOutput;
  if (positions) {
    const [B, P] = positions.shape;
    const idx = expand(unsqueeze(positions, [2]), [B, P, cfg.hiddenSize]);
    x = gatherElements(sequenceOutput, idx, 1);
  }
  const transformed = layerNorm(
    activation(dense3d(m, x, 'cls/predictions/transform/dense'), cfg.hiddenAct),
    m.param('cls/predictions/transform/LayerNorm/gamma'),
    m.param('cls/predictions/transform/LayerNorm/beta'),
    cfg.layerNormEps,
  );
  return add(einsum('BPE,VE->BPV', transformed, m.param('bert/embeddings/word_embeddings')), m.param('cls/predictions/output_bias'));
}

/** Masks logits outside the document: logits * (1 - p_mask) - 1e30 * p_mask. */
export function maskLogits(logits: Value, pMask: Value): Value {
  return sub(mul(logits, sub(1, pMask)), mul(pMask, 1e30));
}

/**
 * 1 where the label's log-probability is the largest of its row, else 0: argmax == label,
 * except that a tie for the maximum counts as correct when the label is among the tied classes
 * (the original's tf.argmax takes the first of them).
 */
export function correctness(ce: CrossEntropy): Value {
  return cast(equal(reduceSum(ce.picked, [-1]), reduceMax(ce.logProbs, [-1])), ce.logProbs.dtype);
}

/** The fraction of examples whose label scores highest (correctness's tie rule). */
export function accuracy(ce: CrossEntropy): Value {
  return reduceMean(correctness(ce));
}

/** tf.metrics.accuracy with weights: sum(w * correct) / sum(w), 0 when no weight. */
export function weightedAccuracy(ce: CrossEntropy, weights: Value): Value {
  const correct = correctness(ce);
  const w = cast(weights, correct.dtype);
  const total = reduceSum(w);
  return where(greater(total, 0), div(reduceSum(mul(correct, w)), total), 0);
}
