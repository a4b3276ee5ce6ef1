/**
 * Several steps in one session run (the step graph in an ONNX Loop): the same parameters, slots,
 * losses and metrics as the same steps run one by one, a non-finite step skipped inside the loop
 * exactly as step() skips it, and any number of steps from one compiled model.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { StepResult } from '../../src/train/trainer.ts';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertOneLineError } from '../helpers/cli.ts';
import { albert, countingBatch, tinyFlags, tinyTrainer, writeCountingRecords } from './helpers.ts';

describe('several steps per session run', () => {
  it('equals the steps run one by one, in every output and in the state (dropout masks included)', async () => {
    const [single, multi] = [await tinyTrainer({ dropout: 0.1 }), await tinyTrainer({ dropout: 0.1 })];
    assert.ok(single.training.dropout, 'the step has dropout');
    const batches = Array.from({ length: 5 }, (_, i) => countingBatch(4, 300 + i));
    const one: StepResult[] = [];
    for (let i = 0; i < 5; i++) one.push(await single.step(i, [batches[i]]));
    const many = [...(await multi.steps(0, batches.slice(0, 3))), ...(await multi.steps(3, batches.slice(3)))];
    assert.equal(many.length, 5);
    many.forEach((r, i) => {
      const s = one[i];
      assert.equal(r.step, s.step);
      assert.equal(r.finite, true);
      assert.equal(r.loss, s.loss, `step ${i} loss`);
      assert.equal(r.gradNorm, s.gradNorm, `step ${i} gradient norm`);
      assert.equal(r.learningRate, s.learningRate);
      assert.deepEqual(r.outputs, s.outputs, `step ${i} outputs`);
    });
    for (const [name, v] of multi.parameterValues()) assert.deepEqual(v, single.parameterValues().get(name), name);
    for (const [name, v] of multi.slotValues()) assert.deepEqual(v, single.slotValues().get(name), name);
  });

  it('skips a step with a non-finite loss inside the loop, as step() does', async () => {
    const [single, multi] = [await tinyTrainer(), await tinyTrainer()];
    const batches = Array.from({ length: 3 }, (_, i) => countingBatch(4, 400 + i));
    batches[1].masked_lm_weights[0] = NaN;
    const one: StepResult[] = [];
    for (let i = 0; i < 3; i++) one.push(await single.step(i, [batches[i]]));
    const many = await multi.steps(0, batches);
    assert.deepEqual(many.map((r) => r.finite), [true, false, true]);
    assert.deepEqual(one.map((r) => r.finite), [true, false, true]);
    for (const [name, v] of multi.parameterValues()) assert.deepEqual(v, single.parameterValues().get(name), name);
  });

  it('refuses what it does not do: accumulation and mixed precision', async () => {
    const acc = await tinyTrainer({ gradAccum: 2 });
    await assert.rejects(acc.steps(0, [countingBatch(2, 1)]), /stepsPerRun.*gradAccum > 1/);
    const half = await tinyTrainer({ mixedPrecision: true });
    await assert.rejects(half.steps(0, [countingBatch(2, 1)]), /fp16/);
  });
});

describe('albert pretrain --steps-per-run', () => {
  it('ends with the bytes of a run of one step per session run, checkpoints included', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'albert-steps-'));
    const train = await writeCountingRecords(join(dir, 'train.tfrecord'), 40, 9);
    const run = (out: string, extra: string[]) => albert(tinyFlags(train, join(dir, out), ['--num-train-steps', '7', '--save-checkpoints-steps', '3', ...extra]));
    const [one, many] = [await run('one', []), await run('many', ['--steps-per-run', '4'])];
    assert.equal(one.code, 0, one.stderr);
    assert.equal(many.code, 0, many.stderr);
    for (const f of ['model.safetensors', 'checkpoint-3/optimizer.safetensors', 'checkpoint-6/model.safetensors', 'checkpoint-7/optimizer.safetensors']) {
      assert.ok(readFileSync(join(dir, 'many', f)).equals(readFileSync(join(dir, 'one', f))), `${f} differs`);
    }
    const refused = await run('refused', ['--steps-per-run', '2', '--grad-accum', '2']);
    assertOneLineError(refused, /^Error: --steps-per-run runs several updates .* not with --grad-accum > 1/);
  });
});
