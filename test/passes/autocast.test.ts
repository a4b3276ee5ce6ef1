/**
 * The autocast pass (mixed precision): which ops it puts in float16, that chains stay in float16,
 * that the interpreter rounds float16 results as a device stores them, and that the graph
 * computes what the float32 graph computes to half precision's accuracy — in the interpreter and
 * in onnxruntime.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { emitModel, encodeModel } from '../../src/backends/onnx/emit.ts';
import { createSession, runReference } from '../../src/backends/onnx/session.ts';
import { Graph } from '../../src/ir/graph.ts';
import { interpret } from '../../src/ir/interpreter.ts';
import { add, cast, einsum } from '../../src/ir/ops/index.ts';
import { tensor } from '../../src/ir/tensor.ts';
import { verifyGraph } from '../../src/ir/verifier.ts';
import { presetConfig } from '../../src/model/config.ts';
import { buildAlbertGraph } from '../../src/model/albert.ts';
import { autocast, HALF_PRECISION_OPS } from '../../src/passes/autocast.ts';
import { decomposeComposites } from '../../src/passes/decompose.ts';
import { buildTrainGraph } from '../../src/train-graph/plan.ts';
import { assertClose } from '../helpers/check.ts';
import { randomFeeds } from './check-pass.ts';

const HALF = new Set(HALF_PRECISION_OPS.map((o) => o.name));

describe('autocast', () => {
  it('the interpreter rounds float16 results to half precision, ties to even', () => {
    const g = new Graph('half');
    const x = g.input('x', 'float32', [4]);
    const h = cast(x, 'float16');
    g.output('h', h);
    // 1 + 2^-11 lies halfway between 1 and the next half (1 + 2^-10): an op's float16 result rounds to 1.
    g.output('sum', add(h, cast(g.input('y', 'float32', [4]), 'float16')));
    g.output('dot', einsum('i,i->', h, h));
    const out = interpret(g, { x: tensor('float32', [4], [1 / 3, 70000, 1e-8, 1]), y: tensor('float32', [4], [0, 0, 0, 2 ** -11]) });
    assert.deepEqual([...out.h.data], [0.333251953125, Infinity, 0, 1]);
    assert.equal(out.sum.data[3], 1);
    assert.equal(out.dot.data[0], Infinity);
  });

  it('puts the matrix products, attention and GELU in float16, keeps the rest in float32, and chains them without round trips', () => {
    const cfg = presetConfig('tiny')!;
    const g = buildAlbertGraph(cfg, { head: 'classifier', train: false, numLabels: 3, maxSeqLength: 16 });
    const paramTypes = g.params().map((p) => `${p.input!.name}:${p.dtype}`);
    assert.equal(autocast(g), true);
    verifyGraph(g);
    assert.deepEqual(g.params().map((p) => `${p.input!.name}:${p.dtype}`), paramTypes, 'parameters stay float32 inputs');
    let half = 0;
    for (const n of g.nodes) {
      const floats = n.inputs.filter((x) => x.dtype.startsWith('float')).map((x) => x.dtype);
      if (HALF.has(n.op.name)) {
        half++;
        assert.ok(floats.every((d) => d === 'float16'), `${n.op.name} reads ${floats.join(', ')}`);
      } else if (['LayerNorm', 'Softmax', 'LogSoftmax'].includes(n.op.name)) {
        assert.ok(floats.every((d) => d === 'float32'), `${n.op.name} reads ${floats.join(', ')}`);
      }
      if (n.op.name === 'Cast' && n.attrs && (n.attrs as { to: string }).to === 'float16') {
        const p = n.inputs[0].producer;
        assert.ok(!(p?.op.name === 'Cast' && p.inputs[0].dtype === 'float16'), 'no float16 -> float32 -> float16 round trip');
      }
    }
    assert.ok(half >= 2 * 4, `${half} ops in float16`);
    assert.ok(g.outputs.every((o) => o.value.dtype !== 'float16'), 'outputs keep their dtypes');
    assert.equal(autocast(g), false, 'a second run changes nothing');
    // Decomposed (no fused kernels), float16 attention still takes its softmax in float32.
    decomposeComposites(g);
    const softmaxes = g.nodes.filter((n) => n.op.name === 'Softmax' || n.op.name === 'ReduceMax');
    assert.ok(softmaxes.length > 0);
    for (const n of g.nodes.filter((x) => x.op.name === 'Exp')) assert.equal(n.inputs[0].dtype, 'float32', 'softmax in float32');
  });

  it('computes the float32 graph to half precision, in the interpreter and in onnxruntime', async () => {
    const cfg = { ...presetConfig('tiny')!, initializerRange: 0.2 };
    const g = buildAlbertGraph(cfg, { head: 'classifier', train: false, numLabels: 3, maxSeqLength: 16 });
    const feeds = randomFeeds(g, { batch: 2, seq: 8 }, 3);
    for (const v of g.params()) {
      const f = feeds[v.input!.name];
      for (let i = 0; i < f.data.length; i++) f.data[i] *= 0.2;
    }
    // Two segment types; the mask's random 0/1s are kept.
    const types = feeds.segment_ids.data;
    for (let i = 0; i < types.length; i++) types[i] %= 2;
    const want = interpret(g, feeds);
    autocast(g);
    const got = interpret(g, feeds);
    const session = await createSession(encodeModel(emitModel(g, { paramsAs: 'inputs' })), { threads: 1 });
    const ort = await runReference(session, feeds);
    for (const name of Object.keys(want)) {
      assertClose(got[name].data, want[name].data, `interpreter ${name}`, 2e-2, 2e-2);
      assertClose(ort[name].data, got[name].data, `onnxruntime ${name}`, 1e-2, 1e-2);
    }
    // Half precision is visible: the float16 graph does not compute the float32 one exactly.
    assert.ok(Object.keys(want).some((n) => want[n].data.some((v, i) => v !== got[n].data[i])));
  });

  it('a mixed-precision training step differentiates loss x loss_scale and divides the scale out in float32', () => {
    const cfg = presetConfig('tiny')!;
    const { graph, training } = buildTrainGraph(cfg, { head: 'classifier', numLabels: 2, optimizer: 'adamw', maxSeqLength: 16, mixedPrecision: true });
    assert.ok(training.scalarInputs.some((s) => s.name === 'loss_scale' && s.dtype === 'float32'));
    assert.ok(!graph.outputs.some((o) => o.name === 'scaled_loss'), 'the scaled loss is not an output');
    assert.equal(graph.inputByName('loss_scale')!.dtype, 'float32');
    for (const p of training.parameters) assert.equal(graph.outputByName(p.output)!.dtype, 'float32', `${p.output} is a float32 master weight`);
    assert.ok(graph.nodes.some((n) => n.op.name === 'Einsum' && n.inputs[0].dtype === 'float16'), 'backward products in float16 too');
    assert.throws(() => buildTrainGraph(cfg, { head: 'classifier', numLabels: 2, optimizer: 'adamw', maxSeqLength: 16, mixedPrecision: true, dtype: 'float64' }), /needs a float32 model/);
  });
});
