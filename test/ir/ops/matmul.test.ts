import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as ops from '../../../src/ir/ops/index.ts';
import { ShapeError } from '../../../src/ir/errors.ts';
import { Graph, type Node, type Value } from '../../../src/ir/graph.ts';
import { interpret } from '../../../src/ir/interpreter.ts';
import { tensor } from '../../../src/ir/tensor.ts';
import { differentiate } from '../../../src/passes/autodiff.ts';
import { checkGradients, checkOnnxAgreement, type OpCase } from '../../helpers/check.ts';

/** y and the gradients of <y, ct> w.r.t. a and b, so ONNX agreement covers the backward graph too. */
function withGrads(y: Value, ct: Value, wrt: Value[]): Value[] {
  return [y, ...differentiate(ops.reduceSum(ops.mul(y, ct)), wrt)];
}

const mm = (name: string, a: number[], b: number[], declared?: { a?: (number | string)[]; b?: (number | string)[] }): OpCase => ({
  name,
  inputs: [
    { name: 'a', shape: a, declared: declared?.a },
    { name: 'b', shape: b, declared: declared?.b },
  ],
  build: ([x, y]) => ops.matmul(x, y),
});

const cases: OpCase[] = [
  mm('2-D', [3, 4], [4, 5]),
  mm('batched with broadcast batch dims', [2, 1, 3, 4], [3, 4, 2]),
  mm('dense layer (rank-3 @ rank-2)', [2, 3, 4], [4, 5]),
  mm('rank-2 @ rank-3', [3, 4], [2, 4, 5]),
  mm('symbolic batch and seq', [2, 3, 4], [4, 5], { a: ['batch', 'seq', 4] }),
  mm('symbolic batch on both sides', [2, 3, 4], [2, 4, 2], { a: ['batch', 3, 4], b: ['batch', 4, 2] }),
];

describe('MatMul', () => {
  for (const c of cases) {
    it(`${c.name}: VJP matches finite differences`, () => checkGradients(c));
    it(`${c.name}: interpreter matches onnxruntime`, () => checkOnnxAgreement(c));
  }

  it('backward graph (dense and broadcast) agrees with onnxruntime, symbolic dims included', () =>
    checkOnnxAgreement({
      name: 'matmul grads',
      inputs: [
        { name: 'a', shape: [2, 3, 4], declared: ['batch', 'seq', 4] },
        { name: 'w', shape: [4, 5] },
        { name: 'b', shape: [1, 5, 2] },
        { name: 'ct', shape: [2, 3, 2], declared: ['batch', 'seq', 2] },
      ],
      build: ([a, w, b, ct]) => withGrads(ops.matmul(ops.matmul(a, w), b), ct, [a, w, b]),
    }));

  it('evaluates exactly in float64', () => {
    const g = new Graph('exact');
    const a = g.input('a', 'float64', [2, 3]);
    const b = g.input('b', 'float64', [3, 2]);
    g.output('y', ops.matmul(a, b));
    const third = 1 / 3;
    const out = interpret(g, {
      a: tensor('float64', [2, 3], [1, 2, 3, third, 1e-17, -1]),
      b: tensor('float64', [3, 2], [1, 0, 0, 1, 3, 1e16]),
    }).y;
    assert.deepEqual(out.shape, [2, 2]);
    // float64 arithmetic in k order, with no float32 rounding anywhere
    assert.deepEqual(Array.from(out.data), [1 + 0 + 9, 0 + 2 + 3e16, third + 0 - 3, 0 + 1e-17 - 1e16]);
  });

  it('dense-layer gradient of the weight is one 2-D product, not a batched one', () => {
    const g = new Graph('dense');
    const x = g.input('x', 'float32', ['batch', 'seq', 4]);
    const w = g.input('w', 'float32', [4, 5]);
    const [gw] = differentiate(ops.reduceSum(ops.matmul(x, w)), [w]);
    assert.deepEqual(gw.shape, [4, 5]);
    assert.equal(gw.producer?.op, ops.MatMul, 'dW comes straight from a MatMul (no reduction over batch)');
    assert.deepEqual(gw.producer.inputs.map((v) => v.rank), [2, 2]);
  });

  it('flops count 2*M*N*K per batch, symbolically', () => {
    const g = new Graph('flops');
    const x = g.input('x', 'float32', ['batch', 'seq', 4]);
    const w = g.input('w', 'float32', [4, 5]);
    const y = ops.matmul(x, w);
    assert.equal(ops.MatMul.flops!(y.producer as Node<object>), '40*batch*seq');
    const b = g.input('b', 'float32', [3, 5, 7]);
    const z = ops.matmul(g.input('a', 'float32', [1, 2, 5]), b);
    assert.equal(ops.MatMul.flops!(z.producer as Node<object>), 2 * 3 * 2 * 7 * 5);
  });

  it('rejects mismatched inner dims, naming both shapes', () => {
    const g = new Graph('bad');
    const a = g.input('a', 'float32', ['batch', 3]);
    const b = g.input('b', 'float32', [4, 5]);
    assert.throws(() => ops.matmul(a, b), (e: Error) => e instanceof ShapeError && e.message.includes('[batch, 3]') && e.message.includes('[4, 5]'));
  });

  it('rejects rank-1 operands, non-broadcasting batch dims and int dtypes', () => {
    const g = new Graph('bad');
    const v = g.input('v', 'float32', [4]);
    const m = g.input('m', 'float32', [4, 4]);
    assert.throws(() => ops.matmul(v, m), ShapeError);
    assert.throws(() => ops.matmul(g.input('p', 'float32', [2, 3, 4]), g.input('q', 'float32', [3, 4, 5])), /batch dims/);
    assert.throws(() => ops.matmul(g.input('i', 'int32', [2, 2]), g.input('j', 'int32', [2, 2])), /int32/);
  });
});
