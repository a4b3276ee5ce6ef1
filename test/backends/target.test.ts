// The execution-target seam: devices as users write them, host tensors, the CPU target opening
// the same sessions createSession does, and the GPU targets' choices that need no GPU to check.
// (That src/train, src/tasks and src/predict use nothing else is checked in test/layering.test.ts.)
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compileModel } from '../../src/compile.ts';
import { allOps } from '../../src/ir/op.ts';
import { emitsFused, FUSION_LEVELS } from '../../src/backends/onnx/fusion.ts';
import { createSession } from '../../src/backends/onnx/session.ts';
import { syntheticFeeds } from '../../src/backends/onnx/synthetic-feeds.ts';
import { float32Scalar, hostTensor, int32Scalar, parseDevice, targetFor, type Device } from '../../src/backends/target.ts';
import { OptionError, UserError } from '../../src/util/errors.ts';

describe('devices', () => {
  it('reads cpu, cuda, cuda:N and webgpu', () => {
    assert.deepEqual(parseDevice('cpu'), { name: 'cpu' });
    assert.deepEqual(parseDevice('cuda'), { name: 'cuda' });
    assert.deepEqual(parseDevice('cuda:0'), { name: 'cuda', index: 0 });
    assert.deepEqual(parseDevice('cuda:3'), { name: 'cuda', index: 3 });
    assert.deepEqual(parseDevice('webgpu'), { name: 'webgpu' });
  });

  it('rejects anything else as a bad {device}', () => {
    for (const bad of ['', 'gpu', 'CPU', 'cuda:', 'cuda:-1', 'cuda:x', 'cuda:1.5', 'cpu:0', 'webgpu:1', ' cuda', 'cuda:0 ']) {
      assert.throws(
        () => parseDevice(bad),
        (e: unknown) => e instanceof OptionError && e.options.includes('device') && e.template.startsWith('{device} '),
        JSON.stringify(bad),
      );
    }
  });
});

describe('host tensors', () => {
  it('wrap their data without a copy', () => {
    const data = Float32Array.of(1, 2, 3, 4, 5, 6);
    const t = hostTensor('float32', data, [2, 3]);
    assert.equal(t.data, data);
    assert.deepEqual(t.dims, [2, 3]);
    assert.equal(t.type, 'float32');
  });

  it('make int32 and float32 scalars', () => {
    const i = int32Scalar(7);
    assert.equal(i.type, 'int32');
    assert.deepEqual(i.dims, []);
    assert.deepEqual([...(i.data as Int32Array)], [7]);
    const f = float32Scalar(0.5);
    assert.equal(f.type, 'float32');
    assert.deepEqual(f.dims, []);
    assert.deepEqual([...(f.data as Float32Array)], [0.5]);
  });
});

describe('execution targets', () => {
  it('the CPU target runs a compiled model as createSession does', async () => {
    const c = compileModel({ config: 'tiny', head: 'classifier', mode: 'infer' });
    const feeds = syntheticFeeds(c.manifest, { batchSize: 2, seqLength: 8 });
    const cpu = targetFor({ name: 'cpu' });
    assert.deepEqual(cpu.device, { name: 'cpu' });
    assert.equal(targetFor(), cpu, 'the default target is the CPU');
    const viaTarget = await cpu.open(c.model, { threads: 1 });
    const viaSession = await createSession(c.model, { threads: 1 });
    try {
      assert.deepEqual(viaTarget.inputNames, viaSession.inputNames);
      assert.deepEqual(viaTarget.outputNames, viaSession.outputNames);
      const a = await viaTarget.run(feeds);
      const b = await viaSession.run(feeds);
      assert.deepEqual(Object.keys(a).sort(), Object.keys(b).sort());
      assert.ok(Object.keys(a).length > 0);
      for (const k of Object.keys(a)) {
        assert.deepEqual(a[k].dims, b[k].dims, k);
        assert.deepEqual(a[k].data, b[k].data, k);
      }
    } finally {
      await viaTarget.release();
      await viaSession.release();
    }
  });

  it('the CPU target checks threads as createSession does', async () => {
    await assert.rejects(targetFor().open(new Uint8Array(0), { threads: 100000 }), OptionError);
  });

  it('every target fuses what the ONNX backend emits fused', () => {
    compileModel({ config: 'tiny', head: 'classifier', mode: 'infer' }); // registers the ops
    const devices: Device[] = [{ name: 'cpu' }, { name: 'cuda', index: 1 }, { name: 'webgpu' }];
    for (const d of devices) {
      const target = targetFor(d);
      assert.deepEqual(target.device, d);
      for (const level of FUSION_LEVELS) {
        const fused = target.fusedKernels(level);
        for (const op of allOps()) assert.equal(fused(op), emitsFused(level, op), `${d.name} ${level} ${op.name}`);
      }
    }
  });

  it('the CUDA target refuses outputs on the device before opening anything', async () => {
    await assert.rejects(
      targetFor({ name: 'cuda' }).open(new Uint8Array(0), { outputsOnDevice: ['bert/embeddings/word_embeddings'] }),
      (e: unknown) => e instanceof UserError && /not supported yet/.test(e.message),
    );
  });
});
