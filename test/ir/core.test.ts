/** The IR's own machinery: symbolic dims, shape errors, the printer, the verifier, Iota. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Graph } from '../../src/ir/graph.ts';
import { ShapeError } from '../../src/ir/errors.ts';
import { add, iota, matmul, mul, reshape, cast } from '../../src/ir/ops/index.ts';
import { canonDim, divDims, mulDims, evalDim, broadcastShapes } from '../../src/ir/shape.ts';
import { printGraph } from '../../src/ir/printer.ts';
import { verifyGraph } from '../../src/ir/verifier.ts';
import { checkOnnxAgreement, checkGradients } from '../helpers/check.ts';
import { defineOp } from '../../src/ir/op.ts';
import { tensor } from '../../src/ir/tensor.ts';
import { emitModel, encodeModel } from '../../src/backends/onnx/emit.ts';
import { registerLowering } from '../../src/backends/onnx/lowering.ts';
import { createSession, runReference } from '../../src/backends/onnx/session.ts';

describe('symbolic dims', () => {
  it('canonicalises products and divides them', () => {
    assert.equal(canonDim('seq*batch'), 'batch*seq');
    assert.equal(mulDims('batch', 'seq', 12), '12*batch*seq');
    assert.equal(mulDims(3, 4), 12);
    assert.equal(divDims('12*batch*seq', 'seq'), '12*batch');
    assert.equal(divDims('12*batch*seq', '12*batch*seq'), 1);
    assert.equal(divDims('batch', 'seq'), null);
    assert.equal(divDims('6*batch', 4), null);
    assert.equal(evalDim('12*batch*seq', new Map([['batch', 2], ['seq', 5]])), 120);
  });
  it('broadcasts 1 against symbols and refuses mismatches', () => {
    assert.deepEqual(broadcastShapes([['batch', 1, 4], [3, 1]], () => 'x'), ['batch', 3, 4]);
    assert.throws(() => broadcastShapes([['batch'], ['seq']], () => 'Add'), /Add: shapes \[batch\] and \[seq\] do not broadcast/);
    assert.throws(() => broadcastShapes([[3], [4]], () => 'Add'), ShapeError);
  });
});

describe('shape errors name the op and the inputs', () => {
  it('at build time', () => {
    const g = new Graph();
    const x = g.input('x', 'float32', ['batch', 'seq', 768]);
    const w = g.input('w', 'float32', [512, 64]);
    assert.throws(() => matmul(x, w), (e: Error) => e instanceof ShapeError && /MatMul/.test(e.message) && /768/.test(e.message) && /512/.test(e.message) && !e.message.includes('\n'));
    assert.throws(() => add(x, g.input('y', 'float32', [3])), /Add\(float32\[batch, seq, 768\], float32\[3\]\)/);
    assert.throws(() => add(x, g.input('i', 'int32', [768])), /dtypes differ/);
    assert.throws(() => reshape(x, [-1, 7]), /Reshape/);
  });
});

describe('printer and verifier', () => {
  it('prints inputs, nodes with types and scopes, and outputs', () => {
    const g = new Graph('demo');
    const x = g.input('x', 'float32', ['batch', 4]);
    const w = g.input('w', 'float32', [4, 2], { role: 'param', hfName: 'layer.weight', transposed: true });
    const y = g.scope('dense', () => matmul(x, w));
    g.output('y', y);
    const text = printGraph(g);
    assert.match(text, /^graph demo\(/);
    assert.match(text, /%w : float32\[4, 2\] param  # layer\.weight \(transposed\)/);
    assert.match(text, /= MatMul\(%x, %w\) : float32\[batch, 2\]  @dense/);
    assert.match(text, /return y=%\d+/);
  });
  it('accepts a well-formed graph and rejects broken links and stale types', () => {
    const g = new Graph();
    const x = g.input('x', 'float32', [3]);
    const y = mul(x, 2);
    const z = add(y, x);
    g.output('z', z);
    verifyGraph(g);
    // Out of order: the consumer before its producer.
    g.nodes.reverse();
    assert.throws(() => verifyGraph(g), /before it is defined/);
    g.toposort();
    verifyGraph(g);
    // A type that no longer matches the shape rule.
    z.type = { dtype: 'float32', shape: [4] };
    assert.throws(() => verifyGraph(g), /shape rule now gives/);
    z.type = { dtype: 'float32', shape: [3] };
    // A use list out of step with the inputs.
    y.uses.length = 0;
    assert.throws(() => verifyGraph(g), /use list/);
  });
});

describe('Iota', () => {
  it('counts along a symbolic axis, in the interpreter and in onnxruntime', () =>
    checkOnnxAgreement({
      name: 'iota',
      inputs: [{ name: 'ids', shape: [2, 5], dtype: 'int32', kind: 'int', declared: ['batch', 'seq'] }],
      build: ([ids]) => [iota(ids, 1, 'int32'), iota(ids, 0, 'int64'), iota(ids, -1, 'float32')],
    }));
  it('has no gradient (positions are constants of the loss)', () =>
    checkGradients({
      name: 'iota in a differentiable expression',
      inputs: [{ name: 'x', shape: [2, 5], declared: ['batch', 'seq'] }],
      build: ([x]) => mul(x, cast(iota(x, 1, 'int32'), x.dtype)),
    }));
});

describe('ONNX emitter constants', () => {
  // The emitter shares small constants by value; its key used to spell -0 as "0", so a
  // lowering asking for -0 after +0 got +0 (1 / c then gave +inf for both).
  it('keeps +0 and -0 apart', async () => {
    const ZeroSigns = defineOp<object>({
      name: 'TestDivBySignedZeros',
      infer: ([x]) => [{ dtype: x.dtype, shape: [...x.shape] }, { dtype: x.dtype, shape: [...x.shape] }],
      evaluate: ([x]) => [x, x],
    });
    registerLowering(ZeroSigns, (e, _n, ins, outs) => {
      e.node('Div', [ins[0], e.constant({ dtype: 'float32', shape: [], data: Float64Array.of(0) })], [outs[0]]);
      e.node('Div', [ins[0], e.constant({ dtype: 'float32', shape: [], data: Float64Array.of(-0) })], [outs[1]]);
    });
    const g = new Graph('zeros');
    const x = g.input('x', 'float32', [1]);
    const [pos, negative] = g.addNode(ZeroSigns, [x], {});
    g.output('pos', pos);
    g.output('neg', negative);
    const session = await createSession(encodeModel(emitModel(g, { paramsAs: 'inputs' })), { threads: 1 });
    const out = await runReference(session, { x: tensor('float32', [1], [1]) });
    assert.deepEqual([out.pos.data[0], out.neg.data[0]], [Infinity, -Infinity]);
  });
});

describe('toposort', () => {
  it('orders a 30,000-node chain given in reverse without overflowing the stack', () => {
    const g = new Graph();
    let v = g.input('x', 'float32', [2]);
    for (let i = 0; i < 30_000; i++) v = add(v, 1);
    g.output('y', v);
    g.nodes.reverse();
    g.toposort();
    verifyGraph(g);
  });
  it('refuses a cycle', () => {
    const g = new Graph();
    const x = g.input('x', 'float32', [2]);
    const a = add(x, 1);
    const b = add(a, 2);
    // Make a read b: a cycle a -> b -> a.
    const na = a.producer!;
    na.inputs[0] = b;
    b.uses.push(na);
    assert.throws(() => g.toposort(), /cycle/);
  });
});
