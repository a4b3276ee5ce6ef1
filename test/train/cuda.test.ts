/**
 * Training on onnxruntime's CUDA provider, float32 and mixed precision, against the CPU provider.
 * It runs where `albert doctor` finds the provider usable (a GPU, its driver, the CUDA 13
 * libraries and `albert setup cuda`); elsewhere it skips and prints why.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { probeInChild } from '../../src/backends/doctor.ts';
import { countingBatch, tinyTrainer } from './helpers.ts';

describe('training on CUDA', () => {
  let unusable: string | null = null;
  before(() => {
    const p = probeInChild('cuda');
    if (!p.ok) unusable = p.error ?? 'the CUDA probe failed';
  });

  for (const mixedPrecision of [false, true]) {
    it(`${mixedPrecision ? 'mixed precision' : 'float32'}: three steps agree with the CPU provider`, async (t) => {
      if (unusable) {
        console.log(`cuda: skipped, the CUDA provider is not usable here (${unusable}); \`albert doctor --provider cuda\` says what is missing`);
        t.skip(unusable);
        return;
      }
      const [cpu, gpu] = [await tinyTrainer({ mixedPrecision }), await tinyTrainer({ device: 'cuda', mixedPrecision })];
      for (let step = 0; step < 3; step++) {
        const b = countingBatch(4, 70 + step);
        const [x, y] = [await cpu.step(step, [b]), await gpu.step(step, [b])];
        assert.deepEqual(y.lossScale, x.lossScale);
        assert.ok(Math.abs(x.loss - y.loss) <= 1e-3 * Math.abs(x.loss), `step ${step}: loss ${y.loss} vs ${x.loss}`);
      }
      const want = cpu.parameterValues();
      for (const [name, v] of gpu.parameterValues()) {
        const w = want.get(name)!;
        let scale = 1e-3;
        for (const u of w) scale = Math.max(scale, Math.abs(u));
        for (let i = 0; i < v.length; i++) assert.ok(Math.abs(v[i] - w[i]) <= 5e-2 * scale, `${name}[${i}]: ${v[i]} vs ${w[i]}`);
      }
    });
  }
});
