import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as ops from '../../../src/ir/ops/index.ts';
import { ShapeError } from '../../../src/ir/errors.ts';
import { Graph, type Value } from '../../../src/ir/graph.ts';
import { interpret } from '../../../src/ir/interpreter.ts';
import { tensor } from '../../../src/ir/tensor.ts';
import { differentiate } from '../../../src/passes/autodiff.ts';
import { emitModel, encodeModel } from '../../../src/backends/onnx/emit.ts';
import { checkGradients, checkOnnxAgreement, type CaseInput, type OpCase } from '../../helpers/check.ts';
import { checkOnnxModel, onnxCheckerUnavailable } from '../../helpers/onnx-checker.ts';

interface TopKCase {
  name: string;
  inputs: CaseInput[];
  k: number;
  axis: number;
  /** Shape of the values (concrete, and declared where symbolic). */
  out: number[];
  outDeclared?: (number | string)[];
}

/** Both outputs: values (differentiated) and indices (int32, compared with onnxruntime's). */
function forward(c: TopKCase): OpCase {
  return { name: c.name, inputs: c.inputs, build: ([x]) => ops.topK(x, c.k, c.axis) };
}

/** Forward outputs plus the gradient of <values, ct>, so the VJP's lowering is run by onnxruntime too. */
function backward(c: TopKCase): OpCase {
  return {
    name: `${c.name} (with gradients)`,
    inputs: [...c.inputs, { name: 'ct', shape: c.out, declared: c.outDeclared }],
    build: ([x, ct]) => {
      const [values, indices] = ops.topK(x, c.k, c.axis);
      return [values, indices, ...differentiate(ops.reduceSum(ops.mul(values, ct)), [x])];
    },
  };
}

const CASES: TopKCase[] = [
  { name: 'last axis', inputs: [{ name: 'x', shape: [3, 7] }], k: 3, axis: -1, out: [3, 3] },
  { name: 'middle axis of a rank-3 tensor', inputs: [{ name: 'x', shape: [2, 5, 3] }], k: 2, axis: 1, out: [2, 2, 3] },
  { name: 'axis 0, k = the whole axis', inputs: [{ name: 'x', shape: [4, 3] }], k: 4, axis: 0, out: [4, 3] },
  { name: 'symbolic batch and axis', inputs: [{ name: 'x', shape: [2, 6], declared: ['batch', 'seq'] }], k: 5, axis: 1, out: [2, 5], outDeclared: ['batch', 5] },
];

describe('TopK', () => {
  for (const c of CASES) {
    it(`${c.name}: VJP matches finite differences`, () => checkGradients(forward(c)));
    it(`${c.name}: forward and backward agree with onnxruntime`, () => checkOnnxAgreement(backward(c)));
  }

  it('ties: the lower index comes first, in the interpreter and in onnxruntime', async () => {
    const c: TopKCase = {
      name: 'ties',
      inputs: [{ name: 'x', shape: [2, 6], values: [1, 3, 3, -1, 3, 0, -1e30, 2, -1e30, -1e30, 5, -1e30] }],
      k: 4,
      axis: 1,
      out: [2, 4],
    };
    const g = new Graph('ties');
    const x = g.input('x', 'float64', [2, 6]);
    const [values, indices] = ops.topK(x, 4);
    g.output('values', values);
    g.output('indices', indices);
    const r = interpret(g, { x: tensor('float64', [2, 6], c.inputs[0].values!) });
    assert.deepEqual(Array.from(r.values.data), [3, 3, 3, 1, 5, 2, -1e30, -1e30]);
    assert.deepEqual(Array.from(r.indices.data), [1, 2, 4, 0, 4, 1, 0, 2]);
    assert.equal(r.indices.dtype, 'int32');
    await checkOnnxAgreement(backward(c));
  });

  it('integer input: values keep the dtype, indices are int32', () => {
    const g = new Graph('ints');
    const x = g.input('x', 'int64', [5]);
    const [values, indices] = ops.topK(x, 2);
    assert.equal(values.dtype, 'int64');
    assert.equal(indices.dtype, 'int32');
    g.output('values', values);
    g.output('indices', indices);
    const r = interpret(g, { x: tensor('int64', [5], [4, 9, -2, 9, 7]) });
    assert.deepEqual(Array.from(r.values.data), [9, 9]);
    assert.deepEqual(Array.from(r.indices.data), [1, 3]);
  });

  it('the indices output carries no gradient', () => {
    const g = new Graph('idx');
    const x = g.input('x', 'float64', [4]);
    const [, indices] = ops.topK(x, 2);
    const [values] = g.nodes[0].outputs;
    // d/dx of (sum of indices + 0 * sum of values): the indices contribute nothing.
    const loss = ops.add(ops.reduceSum(ops.cast(indices, 'float64')), ops.mul(ops.reduceSum(values), 0));
    g.output('grad', differentiate(loss, [x])[0]);
    const r = interpret(g, { x: tensor('float64', [4], [0.5, -1, 2, 3]) });
    assert.deepEqual(Array.from(r.grad.data), [0, 0, 0, 0]);
  });

  it('bad shapes and attributes give one-line errors', () => {
    const g = new Graph('bad');
    const x = g.input('x', 'float32', [2, 3]);
    const oneLine = (re: RegExp) => (e: unknown): boolean => e instanceof ShapeError && !e.message.includes('\n') && re.test(e.message);
    assert.throws(() => ops.topK(x, 4), oneLine(/^TopK\{k=4, axis=1\}\(float32\[2, ?3\]\): k 4 exceeds the size 3 of axis 1$/));
    assert.throws(() => ops.topK(x, 0), oneLine(/k must be a positive integer/));
    assert.throws(() => ops.topK(x, 1.5), oneLine(/k must be a positive integer/));
    assert.throws(() => ops.topK(x, 1, 2), oneLine(/axis 2 is out of range for rank 2/));
    const b = g.input('b', 'bool', [3]);
    assert.throws(() => ops.topK(b, 1), oneLine(/dtype bool is not supported/));
  });

  it('k beyond a symbolic axis is refused when the graph runs', () => {
    const g = new Graph('late');
    const x = g.input('x', 'float64', ['n']);
    const [values] = ops.topK(x, 3);
    g.output('values', values);
    assert.throws(
      () => interpret(g, { x: tensor('float64', [2], [1, 2]) }),
      (e: unknown) => e instanceof ShapeError && /k 3 exceeds the run-time size 2 of axis 0/.test(e.message),
    );
  });

  it('lowers to ONNX TopK (k an int64 input, largest, sorted) and a Cast to int32; the checker accepts it', () => {
    const g = new Graph('onnx');
    const x: Value = g.input('x', 'float32', ['batch', 'seq']);
    const [values, indices] = ops.topK(x, 3);
    g.output('values', values);
    g.output('indices', indices);
    const model = emitModel(g, { paramsAs: 'inputs' });
    const nodes = model.graph!.node!;
    const topk = nodes.find((n) => n.opType === 'TopK');
    assert.ok(topk);
    const attrs = Object.fromEntries(topk.attribute!.map((a) => [a.name, Number(a.i)]));
    assert.deepEqual(attrs, { axis: 1, largest: 1, sorted: 1 });
    assert.ok(nodes.some((n) => n.opType === 'Cast' && n.input![0] === topk.output![1] && n.output![0] === 'indices'));
    const why = onnxCheckerUnavailable();
    if (why) {
      console.log(`skipped the ONNX checker: ${why}`);
      return;
    }
    checkOnnxModel(encodeModel(model));
  });
});
