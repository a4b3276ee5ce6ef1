import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Graph } from '../../src/ir/graph.ts';
import * as ops from '../../src/ir/ops/index.ts';
import { analyzeGraph, liveness } from '../../src/inspect/analyze.ts';
import { irGraphModel } from '../../src/inspect/ir-graph.ts';
import { DimBinding } from '../../src/inspect/dims.ts';
import { byteSize } from '../../src/ir/dtype.ts';

/** y = (x @ w + b)^2 with x: [batch, 4], w: [4, 3], b: [3]. */
function denseGraph(): Graph {
  const g = new Graph('dense');
  const x = g.input('x', 'float32', ['batch', 4]);
  const w = g.input('dense/kernel', 'float32', [4, 3], { role: 'param', hfName: 'dense.weight', transposed: true });
  const b = g.input('dense/bias', 'float32', [3], { role: 'param', hfName: 'dense.bias' });
  const y = ops.add(ops.matmul(x, w), b);
  g.output('y', ops.mul(y, y));
  return g;
}

describe('inspect analysis of IR graphs', () => {
  it('counts ops, parameters and FLOPs of a dense layer exactly', () => {
    const r = analyzeGraph(denseGraph(), { batchSize: 8, seqLength: 16 });
    assert.equal(r.nodes, 3);
    assert.deepEqual(
      r.ops.map((o) => [o.op, o.count]).sort(),
      [['Add', 1], ['MatMul', 1], ['Mul', 1]],
    );
    assert.equal(r.parameters.count, 4 * 3 + 3);
    assert.equal(r.parameters.bytes, 15 * 4);
    assert.deepEqual(
      r.parameters.rows.map((p) => [p.name, p.hfName, p.transposed ?? false, p.size]),
      [['dense/kernel', 'dense.weight', true, 12], ['dense/bias', 'dense.bias', false, 3]],
    );
    // MatMul: 2 * batch * 3 * 4 = 192 at batch 8; Add and Mul: one per element of [8, 3].
    const flops = Object.fromEntries(r.ops.map((o) => [o.op, o.flops]));
    assert.deepEqual(flops, { MatMul: 192, Add: 24, Mul: 24 });
    assert.equal(r.flops.total, 240);
    // Only batch appears in the graph, so only batch is bound.
    assert.deepEqual(r.figures.bindings, { batch: 8 });
    assert.deepEqual(r.figures.assumptions, ['batch = 8 (batch size)']);
    // Three [8, 3] float32 outputs of 96 bytes; at most two alive together.
    assert.equal(r.memory!.activationBytes, 3 * 96);
    assert.equal(r.memory!.peakLiveBytes, 2 * 96);
    assert.match(r.memory!.peakAt!, /^Add /);
    assert.deepEqual(r.inputs.map((i) => i.role), ['data', 'param', 'param']);
    assert.deepEqual(r.outputs, [{ name: 'y', dtype: 'float32', shape: ['batch', 3] }]);
    assert.match(r.listing, /MatMul\(%x, %dense\/kernel\)/);
  });

  it('scales the figures with the batch size', () => {
    const r = analyzeGraph(denseGraph(), { batchSize: 3 });
    assert.equal(r.flops.total, 2 * 3 * 3 * 4 + 9 + 9);
    assert.equal(r.memory!.activationBytes, 3 * 9 * 4);
  });

  it('finds the liveness peak of a hand-built chain', () => {
    // a = -x; u = exp(x) (unused); b = exp(a); c = b + a; d = -c (output). 40 bytes each.
    // Live after each node: {a}, {a,u}, {a,b}, {a,b,c}, {c,d} -> the peak is 120 at the Add.
    const g = new Graph('chain');
    const x = g.input('x', 'float32', [10]);
    const a = ops.neg(x);
    ops.exp(x);
    const b = ops.exp(a);
    const c = ops.add(b, a);
    g.output('d', ops.neg(c));
    const l = liveness(g, (v) => (v.shape[0] as number) * byteSize(v.dtype));
    assert.equal(l.totalBytes, 5 * 40);
    assert.equal(l.peakBytes, 120);
    assert.equal(l.peakNode?.op.name, 'Add');
  });

  it('keeps graph outputs live to the end', () => {
    // p = -x is an output used by nothing else; the later q, r chain still sees it live.
    const g = new Graph('outputs');
    const x = g.input('x', 'float32', [10]);
    g.output('p', ops.neg(x));
    const q = ops.exp(x);
    g.output('r', ops.neg(q));
    const l = liveness(g, () => 40);
    assert.equal(l.peakBytes, 120); // p, q and r at the last node
  });

  it('binds other symbols with stated guesses, and given values win', () => {
    const g = new Graph('symbols');
    const x = g.input('x', 'float32', ['batch', 'predictions', 'widgets']);
    g.output('y', ops.neg(x));
    const r = analyzeGraph(g, { batchSize: 2, seqLength: 128 });
    assert.deepEqual(r.figures.bindings, { batch: 2, predictions: 20, widgets: 1 });
    assert.equal(r.flops.total, 2 * 20);
    assert.ok(r.figures.assumptions.some((a) => a.startsWith('widgets = 1 (unknown symbol')));
    const given = analyzeGraph(g, { batchSize: 2, dims: { widgets: 5, predictions: 3 } });
    assert.deepEqual(given.figures.bindings, { batch: 2, predictions: 3, widgets: 5 });
    assert.equal(given.flops.total, 2 * 3 * 5);
  });

  it('evaluates products and opaque dims', () => {
    const d = new DimBinding({ batchSize: 4, seqLength: 10 });
    assert.equal(d.eval('batch*seq'), 40);
    assert.equal(d.eval('3*seq'), 30);
    assert.equal(d.eval('sequence-length'), 10); // not a product of symbols: one opaque name
  });

  it('notes ops without a FLOP rule and builds the graph model of the wiring', () => {
    const g = new Graph('view');
    const x = g.input('x', 'float32', [2, 3]);
    const w = g.input('w', 'float32', [3], { role: 'param' });
    g.output('y', ops.reshape(ops.mul(x, w), [6]));
    const r = analyzeGraph(g);
    assert.ok(r.notes.some((n) => n.includes('Reshape')), r.notes.join('; '));
    const m = irGraphModel(g);
    assert.deepEqual(m.inputs.map((i) => [m.values[i].name, m.values[i].role]), [['x', 'data'], ['w', 'param']]);
    assert.deepEqual(m.nodes[0].inputs, m.inputs);
    assert.deepEqual(m.nodes[1].inputs, m.nodes[0].outputs);
    assert.equal(m.values[m.outputs[0].value].producer, 1);
    assert.deepEqual(m.nodes.map((n) => n.params), [[0], []]);
    assert.equal(m.params[0].used, true);
  });

  it('counts only the parameters some op reads, and says which it left out', () => {
    const g = new Graph('unused');
    const x = g.input('x', 'float32', [4]);
    const w = g.input('w', 'float32', [4], { role: 'param' });
    g.input('pooler/kernel', 'float32', [4, 4], { role: 'param' });
    g.output('y', ops.mul(x, w));
    const r = analyzeGraph(g);
    assert.equal(r.parameters.count, 4);
    assert.deepEqual(r.parameters.rows.map((p) => p.name), ['w']);
    assert.ok(r.notes.some((n) => /1 parameters no op reads are not counted: pooler\/kernel/.test(n)), r.notes.join('; '));
    assert.deepEqual(irGraphModel(g).params.map((p) => [p.name, p.used]), [['w', true], ['pooler/kernel', false]]);
  });
});
