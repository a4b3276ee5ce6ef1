/**
 * Masked LM (HF's AlbertForMaskedLM): scores at masked_lm_positions when training; at
 * inference, over every position (fill-mask).
 */
import { softmaxCrossEntropy } from '../../ir/composites.ts';
import type { HeadBuild, HeadDefinition } from './registry.ts';
import { BATCH, maskedLmLogits, MLM_BIAS_NAMES, mlmParams, tokenInputs, weightedAccuracy } from './helpers.ts';

export const mlm: HeadDefinition<'mlm', true> = {
  name: 'mlm',
  exportable: true,
  numLabels: { kind: 'none' },
  signature: ({ maxPredictions: P }) => ({
    infer: { inputs: tokenInputs(), outputs: ['logits'] },
    train: {
      inputs: [
        ...tokenInputs(),
        { name: 'masked_lm_positions', dtype: 'int32', shape: [BATCH, P] },
        { name: 'masked_lm_ids', dtype: 'int32', shape: [BATCH, P] },
        { name: 'masked_lm_weights', dtype: 'float32', shape: [BATCH, P] },
      ],
      outputs: ['loss', 'masked_lm_loss'],
      metrics: ['masked_lm_accuracy'],
    },
  }),
  params: (cfg) => mlmParams(cfg),
  classifierDropout: false,
  build({ m, encoder, batch, train }): HeadBuild {
    if (!train) return { outputs: { logits: m.graph.scope('cls/predictions', () => maskedLmLogits(m, encoder.sequenceOutput, null)) } };
    const logits = m.graph.scope('cls/predictions', () => maskedLmLogits(m, encoder.sequenceOutput, batch.masked_lm_positions));
    const ce = softmaxCrossEntropy(logits, batch.masked_lm_ids, { weights: batch.masked_lm_weights });
    return {
      outputs: { loss: ce.loss, masked_lm_loss: ce.loss },
      metrics: () => ({ masked_lm_accuracy: weightedAccuracy(ce, batch.masked_lm_weights) }),
    };
  },
  hf: { architecture: 'AlbertForMaskedLM', labelFields: false },
  recognise: { priority: 50, match: (ckpt) => (ckpt.has(...MLM_BIAS_NAMES) ? {} : null) },
};
