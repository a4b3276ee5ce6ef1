import { describe, it } from 'node:test';
import * as ops from '../../../src/ir/ops/index.ts';
import { Graph } from '../../../src/ir/graph.ts';
import { interpret } from '../../../src/ir/interpreter.ts';
import { tensor } from '../../../src/ir/tensor.ts';
import { differentiate } from '../../../src/passes/autodiff.ts';
import { assertClose, checkGradients, checkOnnxAgreement, type OpCase } from '../../helpers/check.ts';

const bin = (name: string, f: (a: ops.Operand, b: ops.Operand) => ReturnType<typeof ops.add>, kind: 'normal' | 'positive' = 'normal'): OpCase => ({
  name,
  inputs: [
    { name: 'a', shape: [2, 3, 4], kind },
    { name: 'b', shape: [3, 1], kind },
  ],
  build: ([a, b]) => f(a, b),
});

const un = (name: string, f: (x: ReturnType<typeof ops.add>) => ReturnType<typeof ops.add>, kind: 'normal' | 'positive' = 'normal'): OpCase => ({
  name,
  inputs: [{ name: 'x', shape: [3, 5], kind }],
  build: ([x]) => f(x),
});

const cases: OpCase[] = [
  bin('Add', ops.add),
  bin('Sub', ops.sub),
  bin('Mul', ops.mul),
  bin('Div', ops.div, 'positive'),
  bin('Pow', ops.pow, 'positive'),
  bin('Max', ops.maximum),
  bin('Min', ops.minimum),
  un('Neg', ops.neg),
  un('Sqrt', ops.sqrt, 'positive'),
  un('Reciprocal', ops.reciprocal, 'positive'),
  un('Exp', ops.exp),
  un('Log', ops.log, 'positive'),
  un('Tanh', ops.tanh),
  un('Erf', ops.erf),
  un('Relu', ops.relu),
  un('Identity', ops.identity),
  { ...un('Cast f32 roundtrip', (x) => ops.cast(ops.cast(x, 'float32'), x.dtype)), fd: { h: 1e-1, rtol: 1e-4, atol: 1e-5 } },
  {
    name: 'Where',
    inputs: [
      { name: 'c', shape: [3, 1], dtype: 'bool', kind: 'bool', values: [1, 0, 1] },
      { name: 'a', shape: [3, 4] },
      { name: 'b', shape: [4] },
    ],
    build: ([c, a, b]) => ops.where(c, a, b),
  },
];

describe('elementwise ops', () => {
  it('StopGradient: gradient flows only through the unstopped path', () => {
    // d/dx [x * stop(exp(x))] = exp(x): compare against that closed form.
    const g = new Graph('stop');
    const x = g.input('x', 'float64', [4]);
    const [gx] = differentiate(ops.reduceSum(ops.mul(x, ops.stopGradient(ops.exp(x)))), [x]);
    g.output('gx', gx);
    const xs = [0.3, -1.2, 2, 0.01];
    const out = interpret(g, { x: tensor('float64', [4], xs) }).gx;
    assertClose(out.data, xs.map(Math.exp), 'stop-gradient', 1e-12, 0);
  });
  for (const c of cases) {
    it(`${c.name}: VJP matches finite differences`, () => checkGradients(c));
    it(`${c.name}: interpreter matches onnxruntime`, () => checkOnnxAgreement(c));
  }
  it('comparisons and logic agree with onnxruntime', () =>
    checkOnnxAgreement({
      name: 'compare',
      inputs: [
        { name: 'a', shape: [2, 3], kind: 'int', max: 3, dtype: 'int32' },
        { name: 'b', shape: [3], kind: 'int', max: 3, dtype: 'int32' },
      ],
      build: ([a, b]) => [
        ops.equal(a, b),
        ops.less(a, b),
        ops.lessOrEqual(a, b),
        ops.greater(a, b),
        ops.not(ops.and(ops.greaterOrEqual(a, b), ops.or(ops.equal(a, 1), ops.less(b, 2)))),
        ops.mod(ops.add(a, 7), ops.add(b, 1)),
      ],
    }));
  it('IsNaN and IsInf agree with onnxruntime', () =>
    checkOnnxAgreement({
      name: 'nan-inf',
      inputs: [{ name: 'x', shape: [5], values: [0, NaN, Infinity, -Infinity, -2.5] }],
      build: ([x]) => [ops.isNaN(x), ops.isInf(x)],
    }));
  it('uint32 arithmetic wraps identically', () =>
    checkOnnxAgreement({
      name: 'uint32',
      inputs: [{ name: 'a', shape: [4], dtype: 'uint32', values: [0, 1, 0xfffffff0, 0x9e3779b9] }],
      build: ([a]) => [ops.mul(a, 0x85ebca6b), ops.add(a, 0x7fffffff), ops.sub(a, 5), ops.shiftRight(ops.mul(a, 0xc2b2ae35), 13)],
    }));
});
