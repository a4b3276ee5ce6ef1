/**
 * Multiple choice (HF's AlbertForMultipleChoice, the original run_race): the encoder runs on
 * [batch * choices, seq]; one score per choice from the pooled output; softmax over choices.
 */
import { OptionError } from '../../util/errors.ts';
import { reshape } from '../../ir/ops/index.ts';
import { softmaxCrossEntropy } from '../../ir/composites.ts';
import { dropout } from '../encoder.ts';
import { outputLayer as outputLayerParams } from '../param-spec.ts';
import type { HeadBuild, HeadDefinition } from './registry.ts';
import { accuracy, BATCH, outputLayer, SEQ, tokenInputs } from './helpers.ts';

export const multipleChoice: HeadDefinition<'multiple-choice', true> = {
  name: 'multiple-choice',
  exportable: true,
  numLabels: { kind: 'fixed', value: 1 },
  signature: ({ numChoices }) => {
    const tokens = tokenInputs([BATCH, numChoices, SEQ]);
    return {
      infer: { inputs: tokens, outputs: ['logits'] },
      train: {
        inputs: [...tokens, { name: 'label_ids', dtype: 'int32', shape: [BATCH] }],
        outputs: ['loss', 'classification_loss'],
        metrics: ['accuracy'],
      },
    };
  },
  validate: ({ numChoices }) => {
    if (!Number.isInteger(numChoices) || numChoices < 2) throw new OptionError(`{numChoices} must be an integer >= 2 (got ${numChoices})`);
  },
  params: (cfg) => outputLayerParams(cfg, '', 'classifier', 1),
  classifierDropout: true,
  build({ m, encoder, batch, shape, train }): HeadBuild {
    const scores = m.graph.scope('classifier', () => outputLayer(m, dropout(m, encoder.pooledOutput, m.cfg.classifierDropoutProb), ''));
    const logits = reshape(scores, [-1, shape.numChoices]);
    if (!train) return { outputs: { logits } };
    const ce = softmaxCrossEntropy(logits, batch.label_ids);
    return { outputs: { loss: ce.loss, classification_loss: ce.loss }, metrics: () => ({ accuracy: accuracy(ce) }) };
  },
  hf: { architecture: 'AlbertForMultipleChoice', labelFields: false },
  recognise: {
    // Its [1, H] layer is a one-label classifier's: only an HF config tells them apart.
    priority: 20,
    match: (ckpt) => {
      const weights = ckpt.has('output_weights', 'classifier.weight');
      return weights && ckpt.architectures.includes('AlbertForMultipleChoice') && ckpt.shapeOf(weights)[0] === 1 ? {} : null;
    },
  },
};
