import { hostTensor } from '../../backends/target.ts';
import type { Feeds } from '../../train/task.ts';
import type { PretrainingBatch } from './dataset.ts';

/** The batch features the pretraining graph reads, wrapped without a copy. */
export function batchFeeds(b: PretrainingBatch, batchSize: number): Feeds {
  const S = b.input_ids.length / batchSize;
  const P = b.masked_lm_ids.length / batchSize;
  return {
    input_ids: hostTensor('int32', b.input_ids, [batchSize, S]),
    input_mask: hostTensor('int32', b.input_mask, [batchSize, S]),
    segment_ids: hostTensor('int32', b.segment_ids, [batchSize, S]),
    masked_lm_positions: hostTensor('int32', b.masked_lm_positions, [batchSize, P]),
    masked_lm_ids: hostTensor('int32', b.masked_lm_ids, [batchSize, P]),
    masked_lm_weights: hostTensor('float32', b.masked_lm_weights, [batchSize, P]),
    next_sentence_labels: hostTensor('int32', b.next_sentence_labels, [batchSize]),
  };
}
