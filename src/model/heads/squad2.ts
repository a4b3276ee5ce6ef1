/**
 * The original ALBERT SQuAD v2.0 head (run_squad_v2 / squad_utils.create_v2_model): start logits;
 * end logits conditioned on a start token's hidden state (concat -> dense 2H->H tanh -> LayerNorm
 * -> dense H->1); answerability from [start-weighted hidden state, h_CLS]. Logits outside the
 * document (p_mask 1) are masked.
 *
 * Training conditions the end on the gold start; loss 0.5 x (start + end) + 0.5 x answer-class BCE.
 *
 * Inference runs the original's beam inside the graph: the start_n_top (HeadShape.startNTop,
 * default 5) most probable starts, and for each of them the end_n_top (endNTop, default 5) most
 * probable ends given that start. Its outputs, as the original's PREDICT mode names them:
 *   - start_top_log_probs [batch, start_n_top]: log_softmax of the masked start logits, largest first;
 *   - start_top_index [batch, start_n_top] int32: their positions (ties: the lower position first);
 *   - end_top_log_probs [batch, start_n_top * end_n_top]: entry i * end_n_top + j is the j-th most
 *     probable end (log_softmax of the masked end logits) given the i-th start;
 *   - end_top_index [batch, start_n_top * end_n_top] int32: those ends' positions;
 *   - cls_logits [batch]: the answer-class logit (larger: more likely unanswerable);
 *   - start_logits [batch, seq]: the masked start logits (-1e30 outside the document).
 * The sequence must be at least start_n_top and end_n_top tokens long.
 */
import type { Value } from '../../ir/graph.ts';
import { add, cast, concat, einsum, equal, expand, gatherElements, iota, matmul, mul, reduceMean, reshape, slice, squeeze, tanh, topK, unsqueeze } from '../../ir/ops/index.ts';
import { layerNorm, logSoftmax, sigmoidCrossEntropy, softmax, softmaxCrossEntropy } from '../../ir/composites.ts';
import { OptionError } from '../../util/errors.ts';
import type { AlbertConfig } from '../config.ts';
import type { ModelContext } from '../builder-context.ts';
import { dense2d, dense3d, dropout } from '../encoder.ts';
import { dense, layerNorm as layerNormParams, type ParamSpec } from '../param-spec.ts';
import type { BatchInput, HeadBuild, HeadDefinition, HeadShape } from './registry.ts';
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

/** The original's start_n_top and end_n_top defaults. */
export const DEFAULT_START_N_TOP = 5;
export const DEFAULT_END_N_TOP = 5;

/** The beam sizes a graph is built with, defaults applied. */
export function beamSizes(shape: Pick<HeadShape, 'startNTop' | 'endNTop'>): { startNTop: number; endNTop: number } {
  return { startNTop: shape.startNTop ?? DEFAULT_START_N_TOP, endNTop: shape.endNTop ?? DEFAULT_END_N_TOP };
}

/** The inference outputs, in graph order. */
export const SQUAD2_INFER_OUTPUTS = ['start_top_log_probs', 'start_top_index', 'end_top_log_probs', 'end_top_index', 'cls_logits', 'start_logits'] as const;

/**
 * End logits for each of the K conditioning starts: [B, K, S]. The dense layer on
 * concat(h_s, h_start) is computed as h_s . W[:H] + h_start . W[H:] + b (the same function as the
 * training graph's concat), so no [B, K, S, 2H] tensor is made.
 */
function beamEndLogits(m: ModelContext, seq: Value, startFeatures: Value, pMask: Value): Value {
  const H = m.cfg.hiddenSize;
  const kernel = m.param('end_logits/dense_0/kernel');
  const fromToken = einsum('BSH,HO->BSO', seq, slice(kernel, [0], [H], [0]));
  const fromStart = einsum('BKH,HO->BKO', startFeatures, slice(kernel, [H], [2 * H], [0]));
  const h0 = tanh(add(add(unsqueeze(fromToken, [1]), unsqueeze(fromStart, [2])), m.param('end_logits/dense_0/bias')));
  const h1 = layerNorm(h0, m.param('end_logits/LayerNorm/gamma'), m.param('end_logits/LayerNorm/beta'), m.cfg.layerNormEps);
  const logits = add(squeeze(einsum('BKSH,HO->BKSO', h1, m.param('end_logits/dense_1/kernel')), [3]), m.param('end_logits/dense_1/bias'));
  return maskLogits(logits, unsqueeze(pMask, [1]));
}

function positiveInt(v: number | undefined, flag: string): void {
  if (v !== undefined && !(Number.isInteger(v) && v >= 1)) throw new OptionError(`{${flag}} must be a positive integer (got ${v})`);
}

export const squad2: HeadDefinition<'squad2', true> = {
  name: 'squad2',
  exportable: true,
  numLabels: { kind: 'none' },
  signature: () => {
    const features: BatchInput[] = [...tokenInputs(), { name: 'p_mask', dtype: 'float32', shape: [BATCH, SEQ] }];
    return {
      infer: { inputs: features, outputs: [...SQUAD2_INFER_OUTPUTS] },
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
  validate: (shape) => {
    positiveInt(shape.startNTop, 'startNTop');
    positiveInt(shape.endNTop, 'endNTop');
  },
  params: (cfg) => squad2Params(cfg),
  classifierDropout: false,
  build({ m, encoder, batch, shape, train }): HeadBuild {
    const { cfg, graph: g } = m;
    const seq = encoder.sequenceOutput;
    const H = cfg.hiddenSize;
    const [B, S] = seq.shape;
    const pMask = batch.p_mask;
    const start = g.scope('start_logits', () => maskLogits(squeeze(dense3d(m, seq, 'start_logits/dense'), [2]), pMask));
    const answerClass = (): Value =>
      g.scope('answer_class', () => {
        const weighted = einsum('BSH,BS->BH', seq, softmax(start));
        const cls = squeeze(slice(seq, [0], [1], [1]), [1]);
        // The original drops out the answer feature (hidden_dropout_prob) before the last dense.
        const h0 = dropout(m, tanh(dense2d(m, concat([weighted, cls], 1), 'answer_class/dense_0')), cfg.hiddenDropoutProb);
        return squeeze(matmul(h0, m.param('answer_class/dense_1/kernel')), [1]);
      });

    if (!train) {
      const { startNTop, endNTop } = beamSizes(shape);
      const beam = g.scope('end_logits', () => {
        const [startTopLogProbs, startTopIndex] = topK(logSoftmax(start, 1), startNTop, 1);
        // The hidden states of the top starts: [B, K, H].
        const startFeatures = gatherElements(seq, expand(unsqueeze(startTopIndex, [2]), [B, startNTop, H]), 1);
        const endLogProbs = logSoftmax(beamEndLogits(m, seq, startFeatures, pMask), 2);
        const [endTop, endTopIndex] = topK(endLogProbs, endNTop, 2);
        return {
          start_top_log_probs: startTopLogProbs,
          start_top_index: startTopIndex,
          end_top_log_probs: reshape(endTop, [B, startNTop * endNTop]),
          end_top_index: reshape(endTopIndex, [B, startNTop * endNTop]),
        };
      });
      return { outputs: { ...beam, cls_logits: answerClass(), start_logits: start } };
    }

    // Training: the end is conditioned on the gold start.
    const pick = cast(equal(unsqueeze(batch.start_positions, [1]), unsqueeze(iotaLike(start), [0])), m.dtype);
    const startFeature = einsum('BSH,BS->BH', seq, pick);
    const end = g.scope('end_logits', () => {
      const cond = concat([seq, expand(unsqueeze(startFeature, [1]), [B, S, H])], 2);
      const h0 = tanh(dense3d(m, cond, 'end_logits/dense_0'));
      const h1 = layerNorm(h0, m.param('end_logits/LayerNorm/gamma'), m.param('end_logits/LayerNorm/beta'), cfg.layerNormEps);
      return maskLogits(squeeze(dense3d(m, h1, 'end_logits/dense_1'), [2]), pMask);
    });
    const clsLogits = answerClass();
    const startLoss = softmaxCrossEntropy(start, batch.start_positions).loss;
    const endLoss = softmaxCrossEntropy(end, batch.end_positions).loss;
    const clsLoss = reduceMean(sigmoidCrossEntropy(clsLogits, batch.is_impossible));
    const loss = add(mul(add(startLoss, endLoss), 0.5), mul(clsLoss, 0.5));
    return { outputs: { loss, start_loss: startLoss, end_loss: endLoss, answer_class_loss: clsLoss } };
  },
  // HF has no class for it: HF loads the encoder and ignores the rest.
  hf: { architecture: 'AlbertModel', labelFields: false },
  recognise: { priority: 30, match: (ckpt) => (ckpt.has('start_logits/dense/kernel', 'squad_v2.start_logits.weight') ? {} : null) },
};
