/**
 * Training on the WebGPU provider (onnxruntime-node's, on Mesa's software Vulkan driver where
 * there is no GPU): parameters and optimizer slots stay in GPU buffers between steps, come back
 * to the host only for checkpoints and evaluation, and the run agrees with the CPU provider's.
 * Skips, saying why, where `albert doctor` finds WebGPU unusable (.ci/run installs lavapipe).
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { probeInChild } from '../../src/backends/doctor.ts';
import { readSafetensors } from '../../src/model/weights/safetensors.ts';
import { albert, countingBatch, tinyFlags, tinyTrainer, writeCountingRecords } from './helpers.ts';

/**
 * |a - b| <= tol * (the tensor's largest |b|, at least 1e-3). The two providers round
 * differently (their own reductions and fused kernels); Adam's m / sqrt(v) turns the small
 * gradients of biases that start at zero into near-sign updates, so after a few steps those
 * differ by up to ~3e-3 of their scale (measured on lavapipe) while the losses agree to 1e-5.
 */
function assertNear(a: Float32Array, b: Float32Array, what: string, tol = 1e-2): void {
  assert.equal(a.length, b.length, what);
  let scale = 1e-3;
  for (const v of b) scale = Math.max(scale, Math.abs(v));
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= tol * scale, `${what}[${i}]: ${a[i]} vs ${b[i]}`);
}

describe('training on WebGPU', () => {
  let unusable: string | null = null;
  before(() => {
    const p = probeInChild('webgpu');
    if (!p.ok) unusable = p.error ?? 'the WebGPU probe failed';
  });

  it('keeps parameters and slots on the device between steps, and matches the CPU', async (t) => {
    if (unusable) {
      console.log(`webgpu: skipped, WebGPU is not usable here (${unusable}); \`albert doctor --provider webgpu\` says how to fix it`);
      t.skip(unusable);
      return;
    }
    const [cpu, gpu] = [await tinyTrainer(), await tinyTrainer({ device: 'webgpu' })];
    for (let step = 0; step < 3; step++) {
      const b = countingBatch(4, 20 + step);
      const [x, y] = [await cpu.step(step, [b]), await gpu.step(step, [b])];
      assert.ok(Math.abs(x.loss - y.loss) <= 1e-4 * Math.abs(x.loss), `step ${step}: loss ${y.loss} vs ${x.loss}`);
      assert.equal(gpu.stateOnDevice, true, 'the state stays on the device between steps');
      assert.throws(() => gpu.parameterValues(), /on the device: call syncToHost\(\) first/);
    }
    await gpu.syncToHost();
    assert.equal(gpu.stateOnDevice, false);
    const want = cpu.parameterValues();
    for (const [name, v] of gpu.parameterValues()) assertNear(v, want.get(name)!, name);
    for (const [name, v] of gpu.slotValues()) assertNear(v, cpu.slotValues().get(name)!, name);
    // Training goes on from the host copy (uploaded again by the next step).
    const b = countingBatch(4, 30);
    const [x, y] = [await cpu.step(3, [b]), await gpu.step(3, [b])];
    assert.ok(Math.abs(x.loss - y.loss) <= 1e-4 * Math.abs(x.loss));
  });

  it('mixed precision (float16 products on the device) follows the CPU provider', async (t) => {
    if (unusable) {
      console.log(`webgpu: skipped, WebGPU is not usable here (${unusable})`);
      t.skip(unusable);
      return;
    }
    const [cpu, gpu] = [await tinyTrainer({ mixedPrecision: true }), await tinyTrainer({ device: 'webgpu', mixedPrecision: true })];
    for (let step = 0; step < 3; step++) {
      const b = countingBatch(4, 50 + step);
      const [x, y] = [await cpu.step(step, [b]), await gpu.step(step, [b])];
      assert.deepEqual(y.lossScale, x.lossScale);
      assert.ok(Math.abs(x.loss - y.loss) <= 1e-3 * Math.abs(x.loss), `step ${step}: loss ${y.loss} vs ${x.loss}`);
      assert.equal(gpu.stateOnDevice, true);
    }
    await gpu.syncToHost();
    const want = cpu.parameterValues();
    for (const [name, v] of gpu.parameterValues()) assertNear(v, want.get(name)!, name, 5e-2);
  });

  it('albert pretrain --device webgpu: checkpoints and the final model agree with a CPU run', async (t) => {
    if (unusable) {
      console.log(`webgpu: skipped, WebGPU is not usable here (${unusable})`);
      t.skip(unusable);
      return;
    }
    const dir = mkdtempSync(join(tmpdir(), 'albert-webgpu-'));
    const train = await writeCountingRecords(join(dir, 'train.tfrecord'), 24, 1);
    const run = (device: string) => albert(tinyFlags(train, join(dir, device), ['--num-train-steps', '4', '--save-checkpoints-steps', '2', '--device', device]), {}, 300_000);
    const [cpu, gpu] = [await run('cpu'), await run('webgpu')];
    assert.equal(cpu.code, 0, cpu.stderr);
    assert.equal(gpu.code, 0, gpu.stderr);
    for (const file of ['checkpoint-2/model.safetensors', 'checkpoint-4/model.safetensors', 'model.safetensors']) {
      const [a, b] = [readSafetensors(join(dir, 'webgpu', file)).tensors, readSafetensors(join(dir, 'cpu', file)).tensors];
      assert.deepEqual([...a.keys()].sort(), [...b.keys()].sort(), file);
      for (const [name, v] of a) assertNear(v.data as Float32Array, b.get(name)!.data as Float32Array, `${file} ${name}`);
    }
  });
});
