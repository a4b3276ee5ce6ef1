/**
 * Pretraining (HF's AlbertForPreTraining): masked LM at masked_lm_positions plus sentence-order
 * prediction from the pooled output; loss = MLM loss + SOP loss.
 */
import { add } from '../../ir/ops/index.ts';
import { softmaxCrossEntropy } from '../../ir/composites.ts';
import { outputLayer as outputLayerParams } from '../param-spec.ts';
import type { BatchInput, HeadBuild, HeadDefinition } from './registry.ts';
import { accuracy, BATCH, maskedLmLogits, MLM_BIAS_NAMES, mlmParams, outputLayer, tokenInputs, weightedAccuracy } from './helpers.ts';

export const pretraining: HeadDefinition<'pretraining', false> = {
  name: 'pretraining',
  exportable: false,
  numLabels: { kind: 'none' },
  signature: ({ maxPredictions: P }) => {
    const features: BatchInput[] = [...tokenInputs(), { name: 'masked_lm_positions', dtype: 'int32', shape: [BATCH, P] }];
    return {
      infer: { inputs: features, outputs: ['masked_lm_logits', 'sentence_order_logits'] },
      train: {
        inputs: [
          ...features,
          { name: 'masked_lm_ids', dtype: 'int32', shape: [BATCH, P] },
          { name: 'masked_lm_weights', dtype: 'float32', shape: [BATCH, P] },
          { name: 'next_sentence_labels', dtype: 'int32', shape: [BATCH] },
        ],
        outputs: ['loss', 'masked_lm_loss', 'sentence_order_loss'],
        metrics: ['masked_lm_accuracy', 'sentence_order_accuracy'],
      },
    };
  },
  params: (cfg) => [...mlmParams(cfg), ...outputLayerParams(cfg, 'cls/seq_relationship/', 'sop_classifier.classifier', 2)],
  classifierDropout: false,
  build({ m, encoder, batch, train }): HeadBuild {
    const mlmLogits = m.graph.scope('cls/predictions', () => maskedLmLogits(m, encoder.sequenceOutput, batch.masked_lm_positions));
    const sopLogits = m.graph.scope('cls/seq_relationship', () => outputLayer(m, encoder.pooledOutput, 'cls/seq_relationship/'));
    if (!train) return { outputs: { masked_lm_logits: mlmLogits, sentence_order_logits: sopLogits } };
    const mlm = softmaxCrossEntropy(mlmLogits, batch.masked_lm_ids, { weights: batch.masked_lm_weights });
    const sop = softmaxCrossEntropy(sopLogits, batch.next_sentence_labels);
    return {
      outputs: { loss: add(mlm.loss, sop.loss), masked_lm_loss: mlm.loss, sentence_order_loss: sop.loss },
      metrics: () => ({
        masked_lm_accuracy: weightedAccuracy(mlm, batch.masked_lm_weights),
        sentence_order_accuracy: accuracy(sop),
      }),
    };
  },
  hf: { architecture: 'AlbertForPreTraining', labelFields: false },
  recognise: {
    priority: 60,
    match: (ckpt) => (ckpt.has(...MLM_BIAS_NAMES) && ckpt.has('cls/seq_relationship/output_weights', 'sop_classifier.classifier.weight') ? {} : null),
  },
};
