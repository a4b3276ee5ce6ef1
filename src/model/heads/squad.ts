/**
 * SQuAD v1.1 (HF's AlbertForQuestionAnswering, the original run_squad_v1): start/end logits
 * from one [2, H] output layer; loss = mean of the two cross-entropies.
 */
import { add, mul, slice, squeeze } from '../../ir/ops/index.ts';
import { softmaxCrossEntropy } from '../../ir/composites.ts';
import { outputLayer as outputLayerParams } from '../param-spec.ts';
import type { HeadBuild, HeadDefinition } from './registry.ts';
import { BATCH, outputLayer, tokenInputs } from './helpers.ts';

export const squad: HeadDefinition<'squad', true> = {
  name: 'squad',
  exportable: true,
  numLabels: { kind: 'none' },
  signature: () => ({
    infer: { inputs: tokenInputs(), outputs: ['start_logits', 'end_logits'] },
    train: {
      inputs: [
        ...tokenInputs(),
        { name: 'start_positions', dtype: 'int32', shape: [BATCH] },
        { name: 'end_positions', dtype: 'int32', shape: [BATCH] },
      ],
      outputs: ['loss', 'start_loss', 'end_loss'],
      metrics: [],
    },
  }),
  params: (cfg) => outputLayerParams(cfg, 'cls/squad/', 'qa_outputs', 2),
  classifierDropout: false,
  build({ m, encoder, batch, train }): HeadBuild {
    const both = m.graph.scope('cls/squad', () => outputLayer(m, encoder.sequenceOutput, 'cls/squad/'));
    const start = squeeze(slice(both, [0], [1], [2]), [2]);
    const end = squeeze(slice(both, [1], [2], [2]), [2]);
    if (!train) return { outputs: { start_logits: start, end_logits: end } };
    const startLoss = softmaxCrossEntropy(start, batch.start_positions).loss;
    const endLoss = softmaxCrossEntropy(end, batch.end_positions).loss;
    return { outputs: { loss: mul(add(startLoss, endLoss), 0.5), start_loss: startLoss, end_loss: endLoss } };
  },
  hf: { architecture: 'AlbertForQuestionAnswering', labelFields: false },
  recognise: { priority: 40, match: (ckpt) => (ckpt.has('cls/squad/output_weights', 'qa_outputs.weight') ? {} : null) },
};
