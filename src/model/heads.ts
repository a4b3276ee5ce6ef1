/**
 * Task heads on top of the encoder. Each returns its named outputs: logits always, and the
 * losses when the graph is built for training (labels present).
 */
import type { Value } from '../ir/graph.ts';
import {
  add,
  cast,
  concat,
  div,
  einsum,
  equal,
  expand,
  gatherElements,
  iota,
  matmul,
  mul,
  reduceMax,
  reduceSum,
  reshape,
  slice,
  squeeze,
  sub,
  tanh,
  transpose,
  unsqueeze,
  reduceMean,
} from '../ir/ops/index.ts';
import { activation, layerNorm, sigmoidCrossEntropy, softmax, softmaxCrossEntropy } from '../ir/composites.ts';
import type { ModelContext } from './builder-context.ts';
import { dense3d, dense2d, dropout } from './encoder.ts';

export type Outputs = Record<string, Value>;

/** logits = x . W^T + b with the original's [n, H] output_weights layout. */
function outputLayer(m: ModelContext, x: Value, prefix: string): Value {
  const w = m.param(`${prefix}output_weights`);
  const b = m.param(`${prefix}output_bias`);
  if (x.rank === 2) return add(matmul(x, transpose(w)), b);
  return add(einsum('BFH,OH->BFO', x, w), b);
}

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

export function maskedLmLoss(logits: Value, ids: Value, weights: Value): Value {
  return softmaxCrossEntropy(logits, ids, { weights }).loss;
}

export function pretrainingHead(m: ModelContext, seq: Value, pooled: Value, batch: Record<string, Value>, train: boolean): Outputs {
  const mlmLogits = m.graph.scope('cls/predictions', () => maskedLmLogits(m, seq, batch.masked_lm_positions));
  const sopLogits = m.graph.scope('cls/seq_relationship', () => outputLayer(m, pooled, 'cls/seq_relationship/'));
  if (!train) return { masked_lm_logits: mlmLogits, sentence_order_logits: sopLogits };
  const mlmLoss = maskedLmLoss(mlmLogits, batch.masked_lm_ids, batch.masked_lm_weights);
  const sopLoss = softmaxCrossEntropy(sopLogits, batch.next_sentence_labels).loss;
  return { loss: add(mlmLoss, sopLoss), masked_lm_loss: mlmLoss, sentence_order_loss: sopLoss };
}

export function mlmHead(m: ModelContext, seq: Value, batch: Record<string, Value>, train: boolean): Outputs {
  if (!train) return { logits: m.graph.scope('cls/predictions', () => maskedLmLogits(m, seq, null)) };
  const logits = m.graph.scope('cls/predictions', () => maskedLmLogits(m, seq, batch.masked_lm_positions));
  const loss = maskedLmLoss(logits, batch.masked_lm_ids, batch.masked_lm_weights);
  return { loss, masked_lm_loss: loss };
}

/** Sequence classification (num_labels > 1: softmax CE) or regression (num_labels == 1: MSE). */
export function classifierHead(m: ModelContext, pooled: Value, batch: Record<string, Value>, numLabels: number, train: boolean): Outputs {
  const logits = m.graph.scope('classifier', () => outputLayer(m, dropout(m, pooled, m.cfg.classifierDropoutProb), ''));
  if (!train) return { logits };
  if (numLabels === 1) {
    const diff = sub(squeeze(logits, [1]), batch.label_ids);
    const loss = reduceMean(mul(diff, diff));
    return { loss, regression_loss: loss };
  }
  const loss = softmaxCrossEntropy(logits, batch.label_ids).loss;
  return { loss, classification_loss: loss };
}

/** SQuAD v1.1: start/end logits from one [2, H] output layer; loss = mean of the two CEs. */
export function squadHead(m: ModelContext, seq: Value, batch: Record<string, Value>, train: boolean): Outputs {
  const both = m.graph.scope('cls/squad', () => outputLayer(m, seq, 'cls/squad/'));
  const start = squeeze(slice(both, [0], [1], [2]), [2]);
  const end = squeeze(slice(both, [1], [2], [2]), [2]);
  if (!train) return { start_logits: start, end_logits: end };
  const startLoss = softmaxCrossEntropy(start, batch.start_positions).loss;
  const endLoss = softmaxCrossEntropy(end, batch.end_positions).loss;
  return { loss: mul(add(startLoss, endLoss), 0.5), start_loss: startLoss, end_loss: endLoss };
}

/** Masks logits outside the document: logits * (1 - p_mask) - 1e30 * p_mask. */
function maskLogits(logits: Value, pMask: Value): Value {
  return sub(mul(logits, sub(1, pMask)), mul(pMask, 1e30));
}

/**
 * The original ALBERT SQuAD v2.0 head: start logits; end logits conditioned on the start
 * token's hidden state (concat -> dense 2H->H tanh -> LayerNorm -> dense H->1); answerability
 * from [start-weighted hidden state, h_CLS]. Training conditions the end on the gold start; the
 * inference graph conditions it on the highest-scoring start (the original's beam over the top
 * 5 starts is left to the SQuAD task code).
 */
export function squad2Head(m: ModelContext, seq: Value, batch: Record<string, Value>, train: boolean): Outputs {
  const { cfg, graph: g } = m;
  const H = cfg.hiddenSize;
  const [B, S] = seq.shape;
  const pMask = batch.p_mask;
  const start = g.scope('start_logits', () => maskLogits(squeeze(dense3d(m, seq, 'start_logits/dense'), [2]), pMask));
  // Weights over positions that pick the conditioning start: one-hot at the gold start when
  // training, at the argmax at inference.
  const pick = train
    ? cast(equal(unsqueeze(batch.start_positions, [1]), unsqueeze(iotaLike(start), [0])), m.dtype)
    : (() => {
        const isMax = cast(equal(start, reduceMax(start, [1], true)), m.dtype);
        return div(isMax, reduceSum(isMax, [1], true));
      })();
  const startFeature = einsum('BSH,BS->BH', seq, pick);
  const end = g.scope('end_logits', () => {
    const cond = concat([seq, expand(unsqueeze(startFeature, [1]), [B, S, H])], 2);
    const h0 = tanh(dense3d(m, cond, 'end_logits/dense_0'));
    const h1 = layerNorm(h0, m.param('end_logits/LayerNorm/gamma'), m.param('end_logits/LayerNorm/beta'), cfg.layerNormEps);
    return maskLogits(squeeze(dense3d(m, h1, 'end_logits/dense_1'), [2]), pMask);
  });
  const answerClass = g.scope('answer_class', () => {
    const weighted = einsum('BSH,BS->BH', seq, softmax(start));
    const cls = squeeze(slice(seq, [0], [1], [1]), [1]);
    // The original drops out the answer feature (hidden_dropout_prob) before the last dense.
    const h0 = dropout(m, tanh(dense2d(m, concat([weighted, cls], 1), 'answer_class/dense_0')), cfg.hiddenDropoutProb);
    return squeeze(matmul(h0, m.param('answer_class/dense_1/kernel')), [1]);
  });
  if (!train) return { start_logits: start, end_logits: end, cls_logits: answerClass };
  const startLoss = softmaxCrossEntropy(start, batch.start_positions).loss;
  const endLoss = softmaxCrossEntropy(end, batch.end_positions).loss;
  const clsLoss = reduceMean(sigmoidCrossEntropy(answerClass, batch.is_impossible));
  const loss = add(mul(add(startLoss, endLoss), 0.5), mul(clsLoss, 0.5));
  return { loss, start_loss: startLoss, end_loss: endLoss, answer_class_loss: clsLoss };
}

function iotaLike(x: Value): Value {
  return iota(x, 1, 'int32');
}

/** Multiple choice (RACE): one score per choice from the pooled output, softmax over choices. */
export function multipleChoiceHead(m: ModelContext, pooled: Value, numChoices: number, batch: Record<string, Value>, train: boolean): Outputs {
  const scores = m.graph.scope('classifier', () => outputLayer(m, dropout(m, pooled, m.cfg.classifierDropoutProb), ''));
  const logits = reshape(scores, [-1, numChoices]);
  if (!train) return { logits };
  const loss = softmaxCrossEntropy(logits, batch.label_ids).loss;
  return { loss, classification_loss: loss };
}

