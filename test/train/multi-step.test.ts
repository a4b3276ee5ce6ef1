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

  it('mixed precision: the loss scale moves inside the loop as the scaler moves it between runs', async () => {
    // From 2^20 the first updates overflow (skipped, scale halved), then clean ones double it.
    const settings = { mixedPrecision: true, lossScale: { initial: 2 ** 20, growthInterval: 2 } };
    const [single, multi] = [await tinyTrainer(settings), await tinyTrainer(settings)];
    const batches = Array.from({ length: 10 }, (_, i) => countingBatch(4, 500 + i));
    const one: StepResult[] = [];
    for (let i = 0; i < 10; i++) one.push(await single.step(i, [batches[i]]));
    const many = [...(await multi.steps(0, batches.slice(0, 6))), ...(await multi.steps(6, batches.slice(6)))];
    const scales = one.map((r) => r.lossScale);
    assert.ok(scales.some((x) => x!.overflow) && scales.some((x) => !x!.overflow), JSON.stringify(scales));
    assert.deepEqual(many.map((r) => r.lossScale), scales);
    assert.deepEqual(many.map((r) => r.loss), one.map((r) => r.loss));
    assert.deepEqual(multi.lossScaler!.state(), single.lossScaler!.state());
    for (const [name, v] of multi.parameterValues()) assert.deepEqual(v, single.parameterValues().get(name), name);
  });

  it('refuses accumulation', async () => {
    const acc = await tinyTrainer({ gradAccum: 2 });
    await assert.rejects(acc.steps(0, [countingBatch(2, 1)]), /stepsPerRun.*gradAccum > 1/);
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
    const [halfOne, halfMany] = [await run('half-one', ['--fp16']), await run('half-many', ['--fp16', '--steps-per-run', '4'])];
    assert.equal(halfMany.code, 0, halfMany.stderr);
    assert.equal(halfOne.code, 0, halfOne.stderr);
    for (const f of ['model.safetensors', 'checkpoint-6/training_state.json']) {
      const [a, b] = [readFileSync(join(dir, 'half-many', f)), readFileSync(join(dir, 'half-one', f))];
      if (f.endsWith('.json')) assert.deepEqual(JSON.parse(a.toString()).loss_scale, JSON.parse(b.toString()).loss_scale);
      else assert.ok(a.equals(b), `--fp16 ${f} differs`);
    }
    const refused = await run('refused', ['--steps-per-run', '2', '--grad-accum', '2']);
    assertOneLineError(refused, /^Error: --steps-per-run runs several updates .* not with --grad-accum > 1/);
  });
});
