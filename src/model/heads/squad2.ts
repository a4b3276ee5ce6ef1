/**
 * The original ALBERT SQuAD v2.0 head (run_squad_v2): start logits; end logits conditioned on
 * the start token's hidden state (concat -> dense 2H->H tanh -> LayerNorm -> dense H->1);
 * answerability from [start-weighted hidden state, h_CLS]. Training conditions the end on the
 * gold start; the inference graph conditions it on the highest-scoring start (the original's
 * beam over the top 5 starts is left to the SQuAD task code). Logits outside the document
 * (p_mask 1) are masked.
 */
import type { Value } from '../../ir/graph.ts';
import { add, cast, concat, div, einsum, equal, expand, iota, matmul, mul, reduceMax, reduceMean, reduceSum, slice, squeeze, tanh, unsqueeze } from '../../ir/ops/index.ts';
import { layerNorm, sigmoidCrossEntropy, softmax, softmaxCrossEntropy } from '../../ir/composites.ts';
import type { AlbertConfig } from '../config.ts';
import { dense2d, dense3d, dropout } from '../encoder.ts';
import { dense, layerNorm as layerNormParams, type ParamSpec } from '../param-spec.ts';
import type { BatchInput, HeadBuild, HeadDefinition } from './registry.ts';
import { BATCH, maskLogits, SEQ, tokenInputs } from './helpers.ts';

/**
 * HF has no such head, so the "squad_v2." HF-style names are our own, used only when we write
 * HF-layout files. answer_class/dense_1 has no bias in the original (use_bias=False), so
 * neither do we.
 */
function squad2Params(cfg: AlbertConfig): ParamSpec[] {
  const H = cfg.hiddenSize;
  return [
    ...dense(cfg, 'start_logits/dense', 'squad_v2.start_logits', H, 1),
    ...dense(cfg, 'end_logits/dense_0', 'squad_v2.end_logits.dense_0', 2 * H, H),
    ...layerNormParams('end_logits/LayerNorm', 'squad_v2.end_logits.LayerNorm', H),
    ...dense(cfg, 'end_logits/dense_1', 'squad_v2.end_logits.dense_1', H, 1),
    ...dense(cfg, 'answer_class/dense_0', 'squad_v2.answer_class.dense_0', 2 * H, H),
    ...dense(cfg, 'answer_class/dense_1', 'squad_v2.answer_class.dense_1', H, 1, false),
  ];
}

function iotaLike(x: Value): Value {
  return iota(x, 1, 'int32');
}

export const squad2: HeadDefinition<'squad2', true> = {
  name: 'squad2',
  exportable: true,
  numLabels: { kind: 'none' },
  signature: () => {
    const features: BatchInput[] = [...tokenInputs(), { name: 'p_mask', dtype: 'float32', shape: [BATCH, SEQ] }];
    return {
      infer: { inputs: features, outputs: ['start_logits', 'end_logits', 'cls_logits'] },
      train: {
        inputs: [
          ...features,
          { name: 'start_positions', dtype: 'int32', shape: [BATCH] },
          { name: 'end_positions', dtype: 'int32', shape: [BATCH] },
          { name: 'is_impossible', dtype: 'float32', shape: [BATCH] },
        ],
        outputs: ['loss', 'start_loss', 'end_loss', 'answer_class_loss'],
        metrics: [],
      },
    };
  },
  params: (cfg) => squad2Params(cfg),
  classifierDropout: false,
  build({ m, encoder, batch, train }): HeadBuild {
    const { cfg, graph: g } = m;
    const seq = encoder.sequenceOutput;
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
    if (!train) return { outputs: { start_logits: start, end_logits: end, cls_logits: answerClass } };
    const startLoss = softmaxCrossEntropy(start, batch.start_positions).loss;
    const endLoss = softmaxCrossEntropy(end, batch.end_positions).loss;
    const clsLoss = reduceMean(sigmoidCrossEntropy(answerClass, batch.is_impossible));
    const loss = add(mul(add(startLoss, endLoss), 0.5), mul(clsLoss, 0.5));
    return { outputs: { loss, start_loss: startLoss, end_loss: endLoss, answer_class_loss: clsLoss } };
  },
  // HF has no class for it: HF loads the encoder and ignores the rest.
  hf: { architecture: 'AlbertModel', labelFields: false },
  recognise: { priority: 30, match: (ckpt) => (ckpt.has('start_logits/dense/kernel', 'squad_v2.start_logits.weight') ? {} : null) },
};
