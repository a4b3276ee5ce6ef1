import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as ops from '../../../src/ir/ops/index.ts';
import { ShapeError } from '../../../src/ir/errors.ts';
import { Graph, type Value } from '../../../src/ir/graph.ts';
import { apply1 } from '../../../src/ir/op.ts';
import { interpret } from '../../../src/ir/interpreter.ts';
import { tensor } from '../../../src/ir/tensor.ts';
import { differentiate } from '../../../src/passes/autodiff.ts';
import { checkGradients, checkOnnxAgreement, type CaseInput, type OpCase } from '../../helpers/check.ts';

/**
 * Each case runs twice: checkGradients on y, and checkOnnxAgreement on y plus the gradient of
 * <y, ct> (ct a random input shaped like y), so the backward ops' lowerings are checked too.
 */
interface Case {
  name: string;
  inputs: CaseInput[];
  out: number[];
  outDeclared?: (number | string)[];
  y: (ins: Value[]) => Value;
  /** The op has no gradient worth checking (e.g. it only reads shapes). */
  noGrad?: boolean;
}

function suite(cases: Case[]): void {
  for (const c of cases) {
    if (!c.noGrad) it(`${c.name}: VJP matches finite differences`, () => checkGradients({ name: c.name, inputs: c.inputs, build: c.y }));
    it(`${c.name}: forward${c.noGrad ? '' : ' and backward'} agree with onnxruntime`, () =>
      checkOnnxAgreement({
        name: c.name,
        inputs: c.noGrad ? c.inputs : [...c.inputs, { name: 'ct', shape: c.out, declared: c.outDeclared }],
        build: (ins) => {
          if (c.noGrad) return c.y(ins);
          const xs = ins.slice(0, -1);
          const y = c.y(xs);
          return [y, ...differentiate(ops.reduceSum(ops.mul(y, ins[ins.length - 1])), xs.filter((v) => v.dtype === 'float32'))];
        },
      }));
  }
}

const sym3: CaseInput = { name: 'x', shape: [2, 3, 8], declared: ['batch', 'seq', 8] };

describe('Reshape', () => {
  suite([
    { name: 'Reshape static with -1', inputs: [{ name: 'x', shape: [2, 3, 4] }], out: [6, 4], y: ([x]) => ops.reshape(x, [-1, 4]) },
    {
      name: 'Reshape [batch, seq, 8] -> [batch*seq, 8] -> back',
      inputs: [sym3],
      out: [2, 3, 8],
      outDeclared: ['batch', 'seq', 8],
      y: ([x]) => ops.exp(ops.reshape(ops.tanh(ops.reshape(x, [-1, 8])), ['batch', -1, 8])),
    },
    {
      name: 'Reshape splitting a static dim next to symbolic ones',
      inputs: [sym3],
      out: [2, 3, 2, 4],
      outDeclared: ['batch', 'seq', 2, 4],
      y: ([x]) => ops.reshape(x, ['batch', 'seq', 2, -1]),
    },
    { name: 'Reshape to an empty tensor', inputs: [{ name: 'x', shape: [2, 0] }], out: [0, 3], y: ([x]) => ops.reshape(x, [0, 3]) },
  ]);

  it('infers -1 symbolically', () => {
    const g = new Graph('r');
    const x = g.input('x', 'float32', ['batch', 'seq', 8]);
    const flat = ops.reshape(x, [-1, 8]);
    assert.deepEqual(flat.shape, ['batch*seq', 8]);
    assert.deepEqual(ops.reshape(flat, ['batch', -1, 8]).shape, ['batch', 'seq', 8]);
    assert.deepEqual(ops.reshape(flat, ['seq', 'batch', -1]).shape, ['seq', 'batch', 8]);
    assert.deepEqual(ops.reshape(x, [-1]).shape, ['8*batch*seq']);
    assert.deepEqual(ops.reshape(x, ['seq*batch', 2, 4]).shape, ['batch*seq', 2, 4]);
    assert.equal(ops.reshape(x, ['batch', 'seq', 8]), x, 'a reshape to the same shape is no node');
  });

  it('rejects impossible reshapes, naming the shapes', () => {
    const g = new Graph('r');
    const x = g.input('x', 'float32', ['batch', 'seq', 8]);
    assert.throws(() => ops.reshape(x, [-1, -1]), /more than one -1/);
    assert.throws(() => ops.reshape(x, [-1, 3]), (e: Error) => e instanceof ShapeError && /cannot infer -1/.test(e.message) && e.message.includes('[batch, seq, 8]'));
    assert.throws(() => ops.reshape(x, ['batch', 8]), /element counts 8\*batch\*seq and 8\*batch differ/);
    assert.throws(() => ops.reshape(x, [-1, 'other']), /cannot infer -1/);
  });

  it('the interpreter catches a symbolic reshape that does not hold at run time', () => {
    const g = new Graph('r');
    const x = g.input('x', 'float64', ['batch', 'seq']);
    const y = g.input('y', 'float64', ['batch*seq']);
    g.output('z', ops.add(ops.reshape(x, [-1]), y));
    assert.throws(() => interpret(g, { x: tensor('float64', [2, 3], 1), y: tensor('float64', [5], 1) }), /should be batch\*seq = 6, got 5/);
  });
});

describe('Transpose, Expand, Squeeze, Unsqueeze', () => {
  suite([
    { name: 'Transpose 3-D', inputs: [{ name: 'x', shape: [2, 3, 4] }], out: [4, 2, 3], y: ([x]) => ops.transpose(x, [2, 0, 1]) },
    { name: 'Transpose reverses by default', inputs: [sym3], out: [8, 3, 2], outDeclared: [8, 'seq', 'batch'], y: ([x]) => ops.transpose(x) },
    { name: 'Expand with new leading axes', inputs: [{ name: 'x', shape: [3, 1] }], out: [2, 3, 4], y: ([x]) => ops.expand(x, [2, 3, 4]) },
    {
      name: 'Expand to a symbolic shape',
      inputs: [
        { name: 'x', shape: [1, 3, 8] },
        { name: 'y', shape: [2, 3, 8], declared: ['batch', 3, 8] },
      ],
      out: [2, 3, 8],
      outDeclared: ['batch', 3, 8],
      y: ([x, y]) => ops.add(ops.expand(x, ['batch', 3, 8]), ops.mul(y, 0.5)),
    },
    { name: 'Unsqueeze with a negative axis', inputs: [sym3], out: [2, 3, 1, 8], outDeclared: ['batch', 'seq', 1, 8], y: ([x]) => ops.unsqueeze(x, [-2]) },
    { name: 'Unsqueeze two axes', inputs: [{ name: 'x', shape: [3] }], out: [1, 3, 1], y: ([x]) => ops.unsqueeze(x, [0, 2]) },
    { name: 'Squeeze', inputs: [{ name: 'x', shape: [1, 3, 1, 2] }], out: [3, 2], y: ([x]) => ops.squeeze(x, [0, -2]) },
    // ONNX Squeeze with no axes removes every size-1 axis; ours removes none.
    { name: 'Squeeze with no axes', inputs: [{ name: 'x', shape: [1, 3, 1] }], out: [1, 3, 1], y: ([x]) => ops.squeeze(x, []) },
  ]);

  it('shape rules and errors', () => {
    const g = new Graph('t');
    const x = g.input('x', 'float32', ['batch', 1, 8]);
    assert.deepEqual(ops.transposeLast2(x).shape, ['batch', 8, 1]);
    assert.deepEqual(ops.expand(x, [4, 'batch', 3, 8]).shape, [4, 'batch', 3, 8]);
    assert.deepEqual(ops.squeeze(x, [1]).shape, ['batch', 8]);
    assert.deepEqual(ops.unsqueeze(x, [0, -1]).shape, [1, 'batch', 1, 8, 1]);
    assert.throws(() => ops.transpose(x, [0, 0, 1]), /not a permutation/);
    assert.throws(() => ops.transpose(x, [1, 0]), /not a permutation/);
    assert.throws(() => ops.expand(x, ['batch', 3, 7]), /do not broadcast/);
    assert.throws(() => ops.expand(x, ['seq', 1, 8]), /do not broadcast/);
    assert.throws(() => ops.squeeze(x, [0]), /axis 0 has size batch, not 1/);
    assert.throws(() => ops.squeeze(x, [3]), /out of range/);
    assert.throws(() => ops.unsqueeze(x, [1, 1]), /repeated axis/);
  });
});

describe('Reductions', () => {
  const x = { name: 'x', shape: [2, 3, 4] };
  suite([
    { name: 'ReduceSum axes [0, 2] keepdims', inputs: [x], out: [1, 3, 1], y: ([v]) => ops.reduceSum(v, [0, 2], true) },
    { name: 'ReduceSum axis -1', inputs: [x], out: [2, 3], y: ([v]) => ops.reduceSum(v, [-1]) },
    { name: 'ReduceSum all', inputs: [x], out: [], y: ([v]) => ops.reduceSum(v) },
    { name: 'ReduceSum no axes is the identity', inputs: [x], out: [2, 3, 4], y: ([v]) => ops.reduceSum(v, []) },
    { name: 'ReduceMean axes [1, 2]', inputs: [x], out: [2], y: ([v]) => ops.reduceMean(v, [2, 1]) },
    { name: 'ReduceMean keepdims over symbolic axes', inputs: [sym3], out: [1, 1, 8], y: ([v]) => ops.reduceMean(v, [0, 1], true) },
    { name: 'ReduceMean over the last axis, symbolic batch', inputs: [sym3], out: [2, 3], outDeclared: ['batch', 'seq'], y: ([v]) => ops.reduceMean(v, [-1]) },
    { name: 'ReduceMean no axes', inputs: [x], out: [2, 3, 4], y: ([v]) => ops.reduceMean(v, [], true) },
    { name: 'ReduceMax axis 1 keepdims', inputs: [x], out: [2, 1, 4], y: ([v]) => ops.reduceMax(v, [1], true) },
    { name: 'ReduceMax axes [0, 2]', inputs: [x], out: [3], y: ([v]) => ops.reduceMax(v, [0, 2]) },
    { name: 'ReduceMax all over symbolic dims', inputs: [sym3], out: [], y: ([v]) => ops.reduceMax(v) },
    { name: 'ReduceMax no axes', inputs: [x], out: [2, 3, 4], y: ([v]) => ops.reduceMax(v, []) },
  ]);

  // ReduceMax's VJP used to give the whole cotangent to each tied maximum: the gradient of
  // max over [x, x] (which is x) came out as 2.
  it('ReduceMax shares the cotangent among tied maxima', () => {
    checkGradients({ name: 'max over [v; v]', inputs: [{ name: 'v', shape: [2, 3] }], build: ([v]) => ops.reduceMax(ops.concat([v, v], 0), [0]) });
    checkGradients({ name: 'max over [v; v] keepdims', inputs: [{ name: 'v', shape: [2, 3] }], build: ([v]) => ops.reduceMax(ops.concat([v, v], 1), [1], true) });
    const g = new Graph('tie');
    const v = g.input('v', 'float64', [4]);
    const [dv] = differentiate(ops.reduceMax(v), [v]);
    g.output('dv', dv);
    assert.deepEqual(Array.from(interpret(g, { v: tensor('float64', [4], [3, 1, 3, 3]) }).dv.data), [1 / 3, 0, 1 / 3, 1 / 3]);
  });

  // The reference used to keep float64 results for every dtype: an int32 mean of [1, 2] was 1.5
  // where onnxruntime truncates to 1.
  it('int32 ReduceMean truncates and ReduceSum stays int, as in onnxruntime', async () => {
    const c: OpCase = {
      name: 'int32 reductions',
      inputs: [{ name: 'v', shape: [2, 3], dtype: 'int32', values: [1, 2, 4, -1, -2, 7], declared: ['batch', 3] }],
      build: ([v]) => [ops.reduceMean(v, [1]), ops.reduceMean(v, [0]), ops.reduceSum(v, [1])],
    };
    await checkOnnxAgreement(c);
    const g = new Graph('ri');
    const v = g.input('v', 'int32', [2, 3]);
    g.output('m', ops.reduceMean(v, [1]));
    const out = interpret(g, { v: tensor('int32', [2, 3], [1, 2, 4, -1, -2, 7]) });
    assert.deepEqual(Array.from(out.m.data), [2, 1]);
    const g0 = new Graph('ri0');
    const w = g0.input('w', 'int32', [2, 2]);
    g0.output('m', ops.reduceMean(w, [0]));
    assert.deepEqual(Array.from(interpret(g0, { w: tensor('int32', [2, 2], [1, -1, 2, -2]) }).m.data), [1, -1]);
  });

  it('reference values', () => {
    const g = new Graph('r');
    const v = g.input('v', 'float64', [2, 3]);
    g.output('s0', ops.reduceSum(v, [0]));
    g.output('m1', ops.reduceMean(v, [1], true));
    g.output('x', ops.reduceMax(v));
    const out = interpret(g, { v: tensor('float64', [2, 3], [1, -2, 3, 4, 5, -6]) });
    assert.deepEqual(out.s0.shape, [3]);
    assert.deepEqual(Array.from(out.s0.data), [5, 3, -3]);
    assert.deepEqual(out.m1.shape, [2, 1]);
    assert.deepEqual(Array.from(out.m1.data), [2 / 3, 1]);
    assert.deepEqual(out.x.shape, []);
    assert.deepEqual(Array.from(out.x.data), [5]);
  });

  it('shape rules and errors', () => {
    const g = new Graph('r');
    const v = g.input('v', 'float32', ['batch', 'seq', 8]);
    assert.deepEqual(ops.reduceSum(v, [-1, 0], true).shape, [1, 'seq', 1]);
    assert.deepEqual(ops.reduceMean(v, [1]).shape, ['batch', 8]);
    assert.deepEqual(ops.reduceMax(v, [2, 2]).shape, ['batch', 'seq'], 'repeated axes in the builder collapse');
    assert.throws(() => ops.reduceSum(v, [3]), /axis 3 is out of range for rank 3/);
    assert.throws(() => apply1(ops.ReduceSum, [v], { axes: [-1], keepdims: false }), /normalised/);
    assert.throws(() => apply1(ops.ReduceSum, [v], { axes: [1, 1], keepdims: false }), /repeated axis/);
  });
});

describe('DimProduct', () => {
  suite([
    { name: 'DimProduct over symbolic axes as float32', inputs: [sym3], out: [], y: ([v]) => ops.dimProduct(v, [0, 1], 'float32'), noGrad: true },
    { name: 'DimProduct with a negative axis as int64', inputs: [sym3], out: [], y: ([v]) => ops.dimProduct(v, [-1, 1], 'int64'), noGrad: true },
    { name: 'DimProduct with no axes is 1', inputs: [sym3], out: [], y: ([v]) => ops.dimProduct(v, [], 'int32'), noGrad: true },
  ]);

  it('reads run-time sizes and passes no gradient', () => {
    const g = new Graph('d');
    const v = g.input('v', 'float64', ['batch', 'seq', 8]);
    const n = ops.dimProduct(v, [0, -1], 'float64');
    g.output('n', n);
    // d/dv of sum(v) * n is n everywhere: DimProduct contributes nothing.
    g.output('gv', differentiate(ops.mul(ops.reduceSum(v), n), [v])[0]);
    const out = interpret(g, { v: tensor('float64', [3, 2, 8], 0.5) });
    assert.deepEqual(Array.from(out.n.data), [24]);
    assert.ok(out.gv.data.every((d) => d === 24));
    assert.throws(() => ops.dimProduct(v, [0], 'bool'), /dtype bool is not supported/);
    assert.throws(() => ops.dimProduct(v, [5], 'float32'), /out of range/);
  });
});
