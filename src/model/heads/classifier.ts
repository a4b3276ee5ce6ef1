/**
 * Sequence classification (HF's AlbertForSequenceClassification, the original run_classifier):
 * logits from the pooled output; softmax cross-entropy for num_labels > 1, mean squared error
 * (regression, float labels) for num_labels == 1.
 */
import { UserError } from '../../ir/errors.ts';
import { mul, reduceMean, squeeze, sub } from '../../ir/ops/index.ts';
import { softmaxCrossEntropy } from '../../ir/composites.ts';
import { dropout } from '../encoder.ts';
import { outputLayer as outputLayerParams } from '../param-spec.ts';
import type { HeadBuild, HeadDefinition } from './registry.ts';
import { accuracy, BATCH, outputLayer, tokenInputs } from './helpers.ts';

export const classifier: HeadDefinition<'classifier', true> = {
  name: 'classifier',
  exportable: true,
  numLabels: { kind: 'option', default: 2 },
  signature: ({ numLabels }) => {
    const regression = numLabels === 1;
    return {
      infer: { inputs: tokenInputs(), outputs: ['logits'] },
      train: {
        inputs: [...tokenInputs(), { name: 'label_ids', dtype: regression ? 'float32' : 'int32', shape: [BATCH] }],
        outputs: ['loss', regression ? 'regression_loss' : 'classification_loss'],
        // Integer labels only: a regression has no accuracy.
        metrics: regression ? [] : ['accuracy'],
      },
    };
  },
  params: (cfg, { numLabels: n }) => {
    if (n === undefined || !Number.isInteger(n) || n <= 0) {
      throw new UserError(`classifier head: number of labels must be a positive integer (got ${n})`);
    }
    return outputLayerParams(cfg, '', 'classifier', n);
  },
  classifierDropout: true,
  build({ m, encoder, batch, shape, train }): HeadBuild {
    const logits = m.graph.scope('classifier', () => outputLayer(m, dropout(m, encoder.pooledOutput, m.cfg.classifierDropoutProb), ''));
    if (!train) return { outputs: { logits } };
    if (shape.numLabels === 1) {
      const diff = sub(squeeze(logits, [1]), batch.label_ids);
      const loss = reduceMean(mul(diff, diff));
      return { outputs: { loss, regression_loss: loss } };
    }
    const ce = softmaxCrossEntropy(logits, batch.label_ids);
    return { outputs: { loss: ce.loss, classification_loss: ce.loss }, metrics: () => ({ accuracy: accuracy(ce) }) };
  },
  hf: { architecture: 'AlbertForSequenceClassification', labelFields: true },
  recognise: {
    priority: 10,
    match: (ckpt) => {
      const weights = ckpt.has('output_weights', 'classifier.weight');
      return weights ? { numLabels: ckpt.shapeOf(weights)[0] } : null;
    },
  },
};
