import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as ops from '../../../src/ir/ops/index.ts';
import { ShapeError } from '../../../src/ir/errors.ts';
import { Graph } from '../../../src/ir/graph.ts';
import { interpret } from '../../../src/ir/interpreter.ts';
import { tensor } from '../../../src/ir/tensor.ts';
import { checkGradients, checkOnnxAgreement, type OpCase } from '../../helpers/check.ts';

// In range, negative (wrapping), and out of range on both sides for depth 4.
const INDICES = [2, 0, -1, -4, 4, -5, 3, 7];

describe('OneHot', () => {
  it('puts a 1 at the index, wraps negatives, zeroes out-of-range rows', () => {
    const g = new Graph('onehot');
    const idx = g.input('idx', 'int32', ['batch', 4]);
    g.output('y', ops.oneHot(idx, 4));
    const y = interpret(g, { idx: tensor('int32', [2, 4], INDICES) }).y;
    assert.deepEqual(y.shape, [2, 4, 4]);
    const expected = [2, 0, 3, 0, null, null, 3, null];
    expected.forEach((k, r) => {
      const row = Array.from(y.data.slice(r * 4, r * 4 + 4));
      assert.deepEqual(row, [0, 1, 2, 3].map((j) => (j === k ? 1 : 0)), `row ${r} (index ${INDICES[r]})`);
    });
  });

  it('takes a symbolic depth from the bound dims', () => {
    const g = new Graph('onehot-seq');
    const x = g.input('x', 'float64', ['batch', 'seq']);
    const i = g.input('i', 'int32', ['batch']);
    const y = ops.oneHot(i, 'seq', 'float64');
    assert.deepEqual(y.shape, ['batch', 'seq']);
    g.output('y', ops.add(y, x));
    const out = interpret(g, { x: tensor('float64', [2, 3], 0), i: tensor('int32', [2], [1, 3]) }).y;
    assert.deepEqual(Array.from(out.data), [0, 1, 0, 0, 0, 0]);
  });

  it('rejects float indices and a bad depth', () => {
    const g = new Graph('bad');
    const x = g.input('x', 'float32', [3]);
    const i = g.input('i', 'int32', [3]);
    assert.throws(() => ops.oneHot(x, 4), ShapeError);
    assert.throws(() => ops.oneHot(i, 0), ShapeError);
    assert.throws(() => ops.oneHot(i, 2.5), ShapeError);
  });

  const onnxCases: OpCase[] = [
    {
      name: 'int32 indices, symbolic batch',
      inputs: [{ name: 'i', shape: [2, 4], declared: ['batch', 4], dtype: 'int32', values: INDICES }],
      build: ([i]) => ops.oneHot(i, 4),
    },
    {
      name: 'int64 indices, float64 and int32 outputs',
      inputs: [{ name: 'i', shape: [8], dtype: 'int64', values: INDICES }],
      build: ([i]) => [ops.oneHot(i, 4, 'float64'), ops.oneHot(i, 4, 'int32'), ops.oneHot(i, 6, 'float32')],
    },
    {
      name: 'symbolic depth read at run time',
      inputs: [
        { name: 'x', shape: [2, 5], declared: ['batch', 'seq'] },
        { name: 'i', shape: [2], declared: ['batch'], dtype: 'int32', values: [4, -2] },
      ],
      build: ([x, i]) => ops.mul(ops.oneHot(i, 'seq', x.dtype), x),
    },
    {
      name: 'scalar index',
      inputs: [{ name: 'i', shape: [], dtype: 'int32', values: [-2] }],
      build: ([i]) => [ops.oneHot(i, 3), ops.oneHot(i, 3, 'float64')],
    },
  ];
  for (const c of onnxCases) it(`${c.name}: interpreter matches onnxruntime`, () => checkOnnxAgreement(c));

  it('gradients flow around it: d/dx of onehot(i) * exp(x) reaches only the labelled entries', () =>
    checkGradients({
      name: 'onehot-select',
      inputs: [
        { name: 'x', shape: [3, 5], declared: ['batch', 5] },
        { name: 'i', shape: [3], declared: ['batch'], dtype: 'int32', kind: 'int', max: 5 },
      ],
      build: ([x, i]) => ops.reduceSum(ops.mul(ops.oneHot(i, 5, x.dtype), ops.exp(x)), [-1]),
    }));
});
