/**
 * Mixed-precision training on the CPU provider (its float16 kernels): the loss follows the
 * float32 run on the tiny config, an overflowing update is skipped exactly (state untouched,
 * scale halved), clean updates grow the scale, and the scaler's arithmetic.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DynamicLossScale } from '../../src/train/loss-scale.ts';
import type { LossScaleSettings } from '../../src/train/loss-scale.ts';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { albert, countingBatch, tinyFlags, tinyTrainer, writeCountingRecords } from './helpers.ts';

const trainer = (mixedPrecision: boolean, lossScale?: LossScaleSettings, gradAccum = 1) => tinyTrainer({ mixedPrecision, lossScale, gradAccum });

const copy = (m: Map<string, Float32Array>): Map<string, Float32Array> => new Map([...m].map(([k, v]) => [k, Float32Array.from(v)]));

describe('mixed-precision training', () => {
  it('follows the float32 run over several steps on the tiny config', async () => {
    const [full, mixed] = [await trainer(false), await trainer(true)];
    const start = copy(full.parameterValues());
    assert.equal(full.lossScaler, null);
    for (let step = 0; step < 5; step++) {
      const b = countingBatch(4, 40 + step);
      const [x, y] = [await full.step(step, [b]), await mixed.step(step, [b])];
      assert.equal(x.lossScale, undefined);
      assert.deepEqual(y.lossScale, { scale: 2 ** 16, overflow: false });
      assert.ok(Math.abs(x.loss - y.loss) <= 1e-3 * Math.abs(x.loss), `step ${step}: loss ${y.loss} vs ${x.loss}`);
      assert.ok(Math.abs(x.gradNorm - y.gradNorm) <= 2e-2 * x.gradNorm, `step ${step}: gradient norm ${y.gradNorm} vs ${x.gradNorm}`);
    }
    // Adam turns the tiny gradients of biases that start at zero into near-sign updates, which
    // half precision may flip: compare the whole update, not single entries.
    let drift = 0;
    let moved = 0;
    const want = full.parameterValues();
    for (const [name, v] of mixed.parameterValues()) {
      const [w, w0] = [want.get(name)!, start.get(name)!];
      for (let i = 0; i < v.length; i++) {
        drift += (v[i] - w[i]) ** 2;
        moved += (w[i] - w0[i]) ** 2;
      }
    }
    console.log(`mixed precision: the parameters' update differs from float32's by ${(100 * Math.sqrt(drift / moved)).toFixed(2)}% of its norm`);
    assert.ok(moved > 0 && Math.sqrt(drift / moved) < 0.02, `update drift ${Math.sqrt(drift / moved)}`);
  });

  for (const K of [1, 2]) {
    it(`skips an overflowing update exactly and halves the scale; clean updates double it (grad-accum ${K})`, async () => {
      // 2^64 x the loss overflows half precision in the backward pass.
      const tr = await trainer(true, { initial: 2 ** 64, growthInterval: 2 }, K);
      const before = copy(tr.parameterValues());
      const slotsBefore = copy(tr.slotValues());
      const micro = (s: number) => Array.from({ length: K }, (_, k) => countingBatch(2, 60 + s * K + k));
      const r = await tr.step(0, micro(0));
      assert.equal(r.finite, false);
      assert.deepEqual(r.lossScale, { scale: 2 ** 64, overflow: true });
      assert.ok(Number.isFinite(r.loss), 'the forward pass was fine; the gradients overflowed');
      assert.equal(tr.lossScaler!.scale, 2 ** 63);
      for (const [name, v] of tr.parameterValues()) assert.deepEqual(v, before.get(name), `${name} untouched`);
      for (const [name, v] of tr.slotValues()) assert.deepEqual(v, slotsBefore.get(name), `${name} untouched`);

      tr.lossScaler!.restore({ scale: 2 ** 10, good_steps: 0 }, 'test');
      const a = await tr.step(1, micro(1));
      const b = await tr.step(2, micro(2));
      const c = await tr.step(3, micro(3));
      assert.deepEqual([a, b, c].map((x) => x.lossScale), [
        { scale: 2 ** 10, overflow: false },
        { scale: 2 ** 10, overflow: false },
        { scale: 2 ** 11, overflow: false },
      ]);
      assert.ok([a, b, c].every((x) => x.finite));
      assert.notDeepEqual(tr.parameterValues().get('bert/embeddings/word_embeddings'), before.get('bert/embeddings/word_embeddings'));
      assert.deepEqual(tr.lossScaler!.state(), { scale: 2 ** 11, good_steps: 1 });
    });
  }

  it('the scaler: halves on overflow, doubles after the interval, stays a power of two, refuses bad settings', () => {
    const s = new DynamicLossScale({ initial: 8, growthInterval: 3 });
    const seen = [true, true, false, true, true, true, true, false, false].map((f) => s.update(f));
    assert.deepEqual(seen, [8, 8, 4, 4, 4, 8, 8, 4, 2]);
    assert.deepEqual(s.state(), { scale: 2, good_steps: 0 });
    assert.equal(new DynamicLossScale().scale, 65536);
    assert.throws(() => new DynamicLossScale({ initial: 1000 }), /power of two/);
    assert.throws(() => new DynamicLossScale({ growthInterval: 0 }), /integer >= 1/);
    assert.throws(() => s.restore({ scale: 3, good_steps: 0 }, 'ck/training_state.json'), /ck\/training_state.json: field "loss_scale"/);
  });

  it('albert pretrain --fp16: step lines carry the loss scale, checkpoints keep it, and a resumed run ends with the same bytes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'albert-fp16-'));
    const train = await writeCountingRecords(join(dir, 'train.tfrecord'), 32, 5);
    const flags = (out: string, steps: number) => tinyFlags(train, join(dir, out), ['--num-train-steps', String(steps), '--save-checkpoints-steps', '2', '--fp16', '--metrics-file', join(dir, `${out}.jsonl`)]);
    const whole = await albert(flags('whole', 4));
    assert.equal(whole.code, 0, whole.stderr);
    const steps = readFileSync(join(dir, 'whole.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>).filter((e) => e.type === 'step');
    assert.equal(steps.length, 4);
    assert.ok(steps.every((e) => e.loss_scale === 65536), JSON.stringify(steps.map((e) => e.loss_scale)));
    const state = JSON.parse(readFileSync(join(dir, 'whole', 'checkpoint-2', 'training_state.json'), 'utf8'));
    assert.deepEqual(state.loss_scale, { scale: 65536, good_steps: 2 });
    const first = await albert(flags('resumed', 2));
    assert.equal(first.code, 0, first.stderr);
    const rest = await albert(flags('resumed', 4));
    assert.equal(rest.code, 0, rest.stderr);
    assert.match(rest.stderr, /resuming from .*checkpoint-2/);
    for (const f of ['model.safetensors', 'checkpoint-4/optimizer.safetensors']) {
      assert.ok(readFileSync(join(dir, 'resumed', f)).equals(readFileSync(join(dir, 'whole', f))), `${f} differs after resuming`);
    }
  });
});
