/** The micro-batches of update `step` for `n` workers: sizes 3, 4, ... so masked-LM weights differ between workers. */
import type { PretrainingBatch } from '../../src/tasks/pretraining/dataset.ts';
import { countingBatch } from '../train/helpers.ts';

export function workerBatches(step: number, n: number): PretrainingBatch[] {
  return Array.from({ length: n }, (_, i) => countingBatch(3 + i, 100 + step * n + i));
}
