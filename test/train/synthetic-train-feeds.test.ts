/**
 * `albert run` feeds a --mode train graph too: fresh optimizer slots, step scalars and, with
 * accumulation, the totals of K synthetic micro-batches.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type * as ort from 'onnxruntime-node';
import { compileModel } from '../../src/compile.ts';
import { createSession } from '../../src/backends/onnx/session.ts';
import { syntheticFeeds } from '../../src/backends/onnx/synthetic-feeds.ts';

describe('synthetic feeds for training graphs', () => {
  it('feeds every input of a pretraining step with accumulation and of a classifier step', async () => {
    for (const [head, gradAccum] of [['pretraining', 2], ['classifier', 1]] as const) {
      const c = compileModel({ config: 'tiny', head, mode: 'train', maxPredictions: 4, train: { gradAccum } });
      const feeds = syntheticFeeds(c.manifest, { batchSize: 3, seqLength: 16 });
      const s = await createSession(c.model, { threads: 1 });
      assert.deepEqual([...s.inputNames].sort(), Object.keys(feeds).sort(), head);
      const slot = c.manifest.training!.parameters[0].slots[0].input;
      assert.ok((feeds[slot].data as Float32Array).every((x) => x === 0), `${slot} starts at zero`);
      if (gradAccum > 1) {
        assert.equal(feeds.accum_examples.data[0], 6);
        assert.equal(feeds.accum_masked_lm_weight.data[0], 2 * 3 * 4);
      }
      const out = (await s.run(feeds)) as Record<string, ort.Tensor>;
      assert.ok(Number.isFinite(out.loss.data[0] as number), `${head}: loss`);
      assert.ok((out.learning_rate_used.data[0] as number) > 0, `${head}: a learning rate that updates`);
    }
  });
});
