import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as ops from '../../../src/ir/ops/index.ts';
import { ShapeError, UserError } from '../../../src/ir/errors.ts';
import { Graph, type Value } from '../../../src/ir/graph.ts';
import { interpret } from '../../../src/ir/interpreter.ts';
import { tensor } from '../../../src/ir/tensor.ts';
import { differentiate } from '../../../src/passes/autodiff.ts';
import { assertClose, checkGradients, checkOnnxAgreement, type CaseInput, type OpCase } from '../../helpers/check.ts';

/**
 * A case run twice: checkGradients on `y`, and checkOnnxAgreement on y together with the
 * gradients of <y, ct> (ct a random input shaped like y), so the VJP ops' lowerings
 * (SliceGrad, Split, GatherGrad, GatherElementsGrad) are compared with onnxruntime too.
 */
interface GradCase {
  name: string;
  inputs: CaseInput[];
  /** Shape of y (concrete, and declared where symbolic). */
  out: number[];
  outDeclared?: (number | string)[];
  y: (ins: Value[]) => Value;
}

function forward(c: GradCase): OpCase {
  return { name: c.name, inputs: c.inputs, build: c.y };
}

function backward(c: GradCase): OpCase {
  return {
    name: `${c.name} (with gradients)`,
    inputs: [...c.inputs, { name: 'ct', shape: c.out, declared: c.outDeclared }],
    build: (ins) => {
      const ct = ins[ins.length - 1];
      const xs = ins.slice(0, -1);
      const y = c.y(xs);
      const wrt = xs.filter((v) => v.dtype === 'float32' || v.dtype === 'float64');
      return [y, ...differentiate(ops.reduceSum(ops.mul(y, ct)), wrt)];
    },
  };
}

function suite(title: string, cases: GradCase[]): void {
  for (const c of cases) {
    it(`${title} ${c.name}: VJP matches finite differences`, () => checkGradients(forward(c)));
    it(`${title} ${c.name}: forward and backward agree with onnxruntime`, () => checkOnnxAgreement(backward(c)));
  }
}

function evalOne(build: (g: Graph) => Value, feeds: Record<string, ReturnType<typeof tensor>>): ReturnType<typeof tensor> {
  const g = new Graph('one');
  g.output('y', build(g));
  return interpret(g, feeds).y;
}

describe('Slice', () => {
  suite('Slice', [
    { name: 'two axes, negative start, end past the dim', inputs: [{ name: 'x', shape: [4, 5] }], out: [2, 4], y: ([x]) => ops.slice(x, [1, -4], [3, 100]) },
    { name: 'negative end, axis given as -1', inputs: [{ name: 'x', shape: [3, 6] }], out: [3, 3], y: ([x]) => ops.slice(x, [2], [-1], [-1]) },
    { name: 'step 3 to the end', inputs: [{ name: 'x', shape: [2, 7] }], out: [2, 2], y: ([x]) => ops.slice(x, [1], [ops.TO_END], [1], [3]) },
    // 0, 2, 4 of 5: spreading 3 elements 2 apart overshoots the axis, so the lowering crops.
    { name: 'step 2 whose spread overshoots the axis', inputs: [{ name: 'x', shape: [5, 2] }], out: [3, 2], y: ([x]) => ops.slice(x, [0], [5], [0], [2]) },
    { name: 'steps on two axes', inputs: [{ name: 'x', shape: [6, 5, 2] }], out: [2, 2, 2], y: ([x]) => ops.slice(x, [1, 0], [5, 4], [0, 1], [2, 3]) },
    {
      name: 'CLS token and a static window on symbolic dims',
      inputs: [{ name: 'x', shape: [2, 3, 4], declared: ['batch', 'seq', 4] }],
      out: [2, 1, 2],
      outDeclared: ['batch', 1, 2],
      y: ([x]) => ops.slice(x, [0, 1], [1, 3], [1, 2]),
    },
    {
      name: 'the whole symbolic axis',
      inputs: [{ name: 'x', shape: [3, 4], declared: ['batch', 4] }],
      out: [3, 2],
      outDeclared: ['batch', 2],
      y: ([x]) => ops.slice(x, [0, 2], [ops.TO_END, 4], [0, 1]),
    },
    {
      name: 'every other row of a 2*batch axis',
      inputs: [{ name: 'x', shape: [3, 2, 2], declared: ['batch', 2, 2] }],
      out: [3, 2],
      outDeclared: ['batch', 2],
      y: ([x]) => ops.slice(ops.reshape(x, [-1, 2]), [0], [ops.TO_END], [0], [2]),
    },
  ]);

  it('infers symbolic output dims', () => {
    const g = new Graph('s');
    const x = g.input('x', 'float32', ['batch', 'seq', 8]);
    assert.deepEqual(ops.slice(x, [0], [1], [1]).shape, ['batch', 1, 8]);
    assert.deepEqual(ops.slice(x, [0], [2 ** 62], [0]).shape, ['batch', 'seq', 8]);
    assert.deepEqual(ops.slice(ops.reshape(x, ['batch', -1, 4]), [0], [ops.TO_END], [1], [2]).shape, ['batch', 'seq', 4]);
    assert.deepEqual(ops.slice(x, [3], [1], [1]).shape, ['batch', 0, 8]);
  });

  it('refuses symbolic slices whose size is not a dim, saying why', () => {
    const g = new Graph('s');
    const x = g.input('x', 'float32', ['batch', 'seq', 8]);
    assert.throws(() => ops.slice(x, [1], [ops.TO_END], [1]), (e: Error) => e instanceof ShapeError && /seq.*start 1 to the end/.test(e.message) && e.message.includes('[batch, seq, 8]'));
    assert.throws(() => ops.slice(x, [-1], [ops.TO_END], [1]), /counts from the end/);
    assert.throws(() => ops.slice(x, [0], [-1], [1]), /not known to lie within/);
    assert.throws(() => ops.slice(x, [0], [2], [1]), /not known to lie within/);
    assert.throws(() => ops.slice(x, [0], [ops.TO_END], [1], [2]), /step 2 does not divide/);
  });

  it('rejects non-positive steps and mismatched lists', () => {
    const g = new Graph('s');
    const x = g.input('x', 'float32', [4, 5]);
    assert.throws(() => ops.slice(x, [3], [0], [0], [-1]), /only positive steps/);
    assert.throws(() => ops.slice(x, [0], [1], [0], [0]), /only positive steps/);
    assert.throws(() => ops.slice(x, [0, 0], [1], [0]), ShapeError);
    assert.throws(() => ops.slice(x, [0, 0], [1, 1], [1, -1]), /repeated axis/);
    assert.throws(() => ops.slice(x, [0], [1], [2]), /out of range/);
  });

  it('checks static windows on symbolic axes at run time', () => {
    const build = (g: Graph): Value => ops.slice(g.input('x', 'float64', ['n', 2]), [0], [1], [0]);
    assert.throws(() => evalOne(build, { x: tensor('float64', [0, 2], []) }), /end 1 lies beyond axis 0 of run-time size 0/);
    assert.deepEqual(Array.from(evalOne(build, { x: tensor('float64', [2, 2], [1, 2, 3, 4]) }).data), [1, 2]);
  });

  it('SliceGrad puts the cotangent back in the window, zeros elsewhere', () => {
    const g = new Graph('sg');
    const x = g.input('x', 'float64', [7]);
    const ct = g.input('ct', 'float64', [2]);
    const y = ops.slice(x, [1], [ops.TO_END], [0], [3]);
    g.output('gx', differentiate(ops.reduceSum(ops.mul(y, ct)), [x])[0]);
    const out = interpret(g, { x: tensor('float64', [7], [0, 1, 2, 3, 4, 5, 6]), ct: tensor('float64', [2], [10, 20]) }).gx;
    assert.deepEqual(Array.from(out.data), [0, 10, 0, 0, 20, 0, 0]);
  });
});

describe('Concat and Split', () => {
  suite('Concat', [
    {
      name: 'three pieces on the last axis',
      inputs: [
        { name: 'a', shape: [2, 3] },
        { name: 'b', shape: [2, 1] },
        { name: 'c', shape: [2, 2] },
      ],
      out: [2, 6],
      y: ([a, b, c]) => ops.concat([a, b, c], -1),
    },
    {
      name: 'symbolic batch, static axis',
      inputs: [
        { name: 'a', shape: [2, 3, 2], declared: ['batch', 3, 2] },
        { name: 'b', shape: [2, 1, 2], declared: ['batch', 1, 2] },
      ],
      out: [2, 4, 2],
      outDeclared: ['batch', 4, 2],
      y: ([a, b]) => ops.concat([a, b], 1),
    },
    {
      name: 'along a symbolic axis (gradient via Split with symbolic sizes)',
      inputs: [
        { name: 'a', shape: [2, 3], declared: ['batch', 3] },
        { name: 'b', shape: [2, 3], declared: ['batch', 3] },
      ],
      out: [6, 3],
      outDeclared: ['3*batch', 3],
      y: ([a, b]) => ops.concat([a, b, a], 0),
    },
  ]);
  suite('Split', [
    {
      name: 'unused middle piece gets a zero cotangent',
      inputs: [{ name: 'x', shape: [2, 6] }],
      out: [2, 4],
      y: ([x]) => {
        const [p, , r] = ops.split(x, [1, 2, 3], 1);
        return ops.concat([r, p], 1);
      },
    },
    {
      name: 'symbolic sizes',
      inputs: [{ name: 'x', shape: [2, 3], declared: ['batch', 3] }],
      out: [2, 3],
      outDeclared: ['batch', 3],
      y: ([x]) => {
        const [p, q] = ops.split(ops.concat([x, x], 0), ['batch', 'batch'], 0);
        return ops.mul(p, ops.exp(q));
      },
    },
  ]);

  it('infers symbolic sums and refuses unrepresentable ones', () => {
    const g = new Graph('c');
    const a = g.input('a', 'float32', ['batch', 3]);
    const b = g.input('b', 'float32', [2, 3]);
    assert.deepEqual(ops.concat([a, a, a], 0).shape, ['3*batch', 3]);
    assert.throws(() => ops.concat([a, b], 0), (e: Error) => e instanceof ShapeError && /do not add up/.test(e.message) && e.message.includes('[batch, 3]'));
    assert.throws(() => ops.concat([a, g.input('c', 'float32', ['batch', 4])], 0), /dims 1 differ/);
    assert.throws(() => ops.concat([a, g.input('d', 'int32', ['batch', 3])], 0), /dtypes differ/);
    assert.throws(() => ops.split(b, [1, 2], 0), /do not add up/);
    assert.equal(ops.addDims([2, 'seq', 'seq', 0]), null);
    assert.equal(ops.addDims(['2*seq', 'seq']), '3*seq');
  });
});

describe('Gather', () => {
  suite('Gather', [
    {
      // 4 and -1 are the same row of 5; row 0 appears three times.
      name: 'embedding lookup with repeated and negative int32 indices',
      inputs: [
        { name: 'table', shape: [5, 3] },
        { name: 'ids', shape: [2, 3], dtype: 'int32', values: [0, 4, -1, 2, 0, 0] },
      ],
      out: [2, 3, 3],
      y: ([t, i]) => ops.gather(t, i),
    },
    {
      name: 'int64 indices',
      inputs: [
        { name: 'table', shape: [4, 2] },
        { name: 'ids', shape: [5], dtype: 'int64', values: [3, 3, 1, -4, 3] },
      ],
      out: [5, 2],
      y: ([t, i]) => ops.gather(t, i),
    },
    {
      name: 'axis 1 (gradient by transposing)',
      inputs: [
        { name: 'x', shape: [3, 4, 2] },
        { name: 'ids', shape: [2, 2], dtype: 'int32', values: [1, 3, 1, -1] },
      ],
      out: [3, 2, 2, 2],
      y: ([x, i]) => ops.gather(x, i, -2),
    },
    {
      name: 'symbolic batch and seq of ids',
      inputs: [
        { name: 'table', shape: [6, 4] },
        { name: 'ids', shape: [2, 3], dtype: 'int32', kind: 'int', max: 6, declared: ['batch', 'seq'] },
      ],
      out: [2, 3, 4],
      outDeclared: ['batch', 'seq', 4],
      y: ([t, i]) => ops.gather(t, i),
    },
    {
      name: 'symbolic table rows',
      inputs: [
        { name: 'table', shape: [4, 2], declared: ['n', 2] },
        { name: 'ids', shape: [3], dtype: 'int64', values: [0, 3, 0] },
      ],
      out: [3, 2],
      y: ([t, i]) => ops.gather(t, i),
    },
  ]);

  it('repeated indices accumulate in the table gradient', () => {
    const g = new Graph('acc');
    const t = g.input('t', 'float64', [4, 2]);
    const ids = g.input('ids', 'int32', [5]);
    const ct = g.input('ct', 'float64', [5, 2]);
    g.output('gt', differentiate(ops.reduceSum(ops.mul(ops.gather(t, ids), ct)), [t])[0]);
    const out = interpret(g, {
      t: tensor('float64', [4, 2], 0),
      ids: tensor('int32', [5], [2, 0, 2, -2, 1]),
      ct: tensor('float64', [5, 2], [1, 2, 10, 20, 100, 200, 1000, 2000, 3, 4]),
    }).gt;
    assert.deepEqual(Array.from(out.data), [10, 20, 3, 4, 1101, 2202, 0, 0]);
  });

  it('out-of-range indices are a clear error in the interpreter', () => {
    const build = (g: Graph): Value => ops.gather(g.input('t', 'float64', [3, 2]), g.input('i', 'int32', [2]));
    assert.throws(
      () => evalOne(build, { t: tensor('float64', [3, 2], 1), i: tensor('int32', [2], [1, 3]) }),
      (e: Error) => e instanceof UserError && /index 3 is out of range for an axis of size 3/.test(e.message) && e.message.includes('Gather('),
    );
    assert.throws(() => evalOne(build, { t: tensor('float64', [3, 2], 1), i: tensor('int32', [2], [-4, 0]) }), /index -4 is out of range/);
  });

  it('rejects float indices', () => {
    const g = new Graph('bad');
    assert.throws(() => ops.gather(g.input('t', 'float32', [3, 2]), g.input('i', 'float32', [2])), /indices must be int32 or int64/);
  });
});

describe('GatherElements', () => {
  suite('GatherElements', [
    {
      name: 'axis 0 with repeated and negative indices',
      inputs: [
        { name: 'x', shape: [3, 4] },
        { name: 'ids', shape: [2, 4], dtype: 'int32', values: [0, 2, -1, 1, 0, 2, 2, 1] },
      ],
      out: [2, 4],
      y: ([x, i]) => ops.gatherElements(x, i, 0),
    },
    {
      name: 'last axis, int64, fewer columns than the data',
      inputs: [
        { name: 'x', shape: [3, 4] },
        { name: 'ids', shape: [3, 2], dtype: 'int64', values: [3, 3, 0, 1, -1, 2] },
      ],
      out: [3, 2],
      y: ([x, i]) => ops.gatherElements(x, i, -1),
    },
    {
      name: 'symbolic batch',
      inputs: [
        { name: 'x', shape: [2, 5], declared: ['batch', 5] },
        { name: 'ids', shape: [2, 3], dtype: 'int32', kind: 'int', max: 5, declared: ['batch', 3] },
      ],
      out: [2, 3],
      outDeclared: ['batch', 3],
      y: ([x, i]) => ops.gatherElements(x, i, 1),
    },
  ]);

  it('evaluates like ONNX and accumulates repeated indices in the gradient', () => {
    const g = new Graph('ge');
    const x = g.input('x', 'float64', [2, 3]);
    const ids = g.input('ids', 'int32', [2, 2]);
    const y = ops.gatherElements(x, ids, 1);
    g.output('y', y);
    g.output('gx', differentiate(ops.reduceSum(ops.mul(y, ops.constant(g, tensor('float64', [2, 2], [1, 2, 3, 4])))), [x])[0]);
    const out = interpret(g, { x: tensor('float64', [2, 3], [10, 11, 12, 20, 21, 22]), ids: tensor('int32', [2, 2], [2, 2, 0, -2]) });
    assert.deepEqual(Array.from(out.y.data), [12, 12, 20, 21]);
    assertClose(out.gx.data, [0, 0, 3, 3, 4, 0], 'gx', 0, 0);
  });

  it('rejects bad shapes and out-of-range indices', () => {
    const g = new Graph('bad');
    const x = g.input('x', 'float32', [3, 4]);
    assert.throws(() => ops.gatherElements(x, g.input('i', 'int32', [3]), 0), /ranks differ/);
    assert.throws(() => ops.gatherElements(x, g.input('j', 'int32', [4, 4]), 1), /indices dim 0 \(4\) exceeds/);
    const build = (h: Graph): Value => ops.gatherElements(h.input('x', 'float64', [2, 2]), h.input('i', 'int64', [1, 2]), 1);
    assert.throws(() => evalOne(build, { x: tensor('float64', [2, 2], 0), i: tensor('int64', [1, 2], [0, 2]) }), /index 2 is out of range/);
  });
});
