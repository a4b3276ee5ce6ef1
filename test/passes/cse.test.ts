import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Graph, type Value } from '../../src/ir/graph.ts';
import { interpret } from '../../src/ir/interpreter.ts';
import * as ops from '../../src/ir/ops/index.ts';
import { tensor } from '../../src/ir/tensor.ts';
import { eliminateCommonSubexpressions } from '../../src/passes/cse.ts';
import { checkPassPreserves, opCounts, randomFeeds } from './check-pass.ts';

describe('cse', () => {
  it('merges two identical subgraphs into one, constants included', async () => {
    const g = new Graph('cse-twin');
    const x = g.input('x', 'float32', ['batch', 3]);
    const y = g.input('y', 'float32', [3]);
    // The second copy only becomes equal to the first once its inputs are merged: this needs the
    // rewiring to reach users in the same run.
    const branch = (): Value => ops.reduceSum(ops.tanh(ops.add(ops.mul(x, 2), y)), [1], true);
    const a = branch();
    const b = branch();
    g.output('a', a);
    g.output('b', ops.sub(b, x));
    const before = opCounts(g);
    assert.deepEqual(before, { Constant: 2, Mul: 2, Add: 2, Tanh: 2, ReduceSum: 2, Sub: 1 });
    const changed = await checkPassPreserves(g, randomFeeds(g, { batch: 2 }), eliminateCommonSubexpressions);
    assert.equal(changed, true);
    assert.deepEqual(opCounts(g), { Constant: 1, Mul: 1, Add: 1, Tanh: 1, ReduceSum: 1, Sub: 1 });
    assert.equal(g.outputByName('a'), g.outputByName('b')!.producer!.inputs[0], 'b now reads the surviving branch');
    assert.equal(eliminateCommonSubexpressions(g), false, 'one run reaches the fixpoint');
  });

  it('keeps nodes apart when op, input order or attributes differ', async () => {
    const g = new Graph('cse-distinct');
    const x = g.input('x', 'float32', [2, 3]);
    const y = g.input('y', 'float32', [2, 3]);
    const outs = [
      ops.sub(x, y),
      ops.sub(y, x), // same op, inputs swapped
      ops.add(x, y), // other op, same inputs
      ops.reduceSum(x, [0]),
      ops.reduceSum(x, [1]), // other axes
      ops.reduceSum(x, [1], true), // other keepdims
      ops.transpose(ops.reshape(x, [3, 2]), [1, 0]),
      ops.reshape(x, [6]), // other target shape
      ops.cast(x, 'int32'),
      ops.cast(x, 'float64'), // other dtype attribute
    ];
    outs.forEach((o, i) => g.output(`o${i}`, o));
    const before = g.nodes.length;
    const changed = await checkPassPreserves(g, randomFeeds(g), eliminateCommonSubexpressions);
    assert.equal(changed, false);
    assert.equal(g.nodes.length, before);
  });

  it('merges constants by value: equal tensors merge, 0 and -0 stay apart, NaN merges', async () => {
    const g = new Graph('cse-constants');
    const x = g.input('x', 'float32', [200]);
    const big = Array.from({ length: 200 }, (_, i) => Math.sin(i));
    const bigOther = big.map((v, i) => (i === 137 ? v + 1 : v));
    const c = (vals: number[] | number): Value => ops.constant(g, typeof vals === 'number' ? tensor('float32', [], [vals]) : tensor('float32', [200], vals));
    const outs = [
      ops.mul(x, c(big)),
      ops.mul(x, c(big)), // same big tensor: merges (hashed, then compared)
      ops.mul(x, c(bigOther)), // differs in one element: stays
      ops.div(1, ops.add(c(0), x)),
      ops.div(1, ops.add(c(-0), x)), // -0 is another constant: where x is -0, 1/(x + -0) = -inf, 1/(x + 0) = +inf
      ops.add(x, c(NaN)),
      ops.add(x, c(NaN)),
    ];
    outs.forEach((o, i) => g.output(`o${i}`, o));
    const feeds = randomFeeds(g);
    feeds.x.data[3] = -0; // make the sign of zero matter in the 1/(c + x) outputs
    assert.equal(opCounts(g).Constant, 9);
    const changed = await checkPassPreserves(g, feeds, eliminateCommonSubexpressions);
    assert.equal(changed, true);
    const counts = opCounts(g);
    // big, bigOther, 1 (merged from the two Div numerators), 0, -0, NaN
    assert.equal(counts.Constant, 6);
    assert.equal(counts.Mul, 2);
    assert.equal(counts.Add, 3);
    assert.equal(counts.Div, 2);
    const out = interpret(g, feeds);
    assert.equal(out.o3.data[3], Infinity);
    assert.equal(out.o4.data[3], -Infinity);
  });

  it('merges multi-use duplicates feeding graph outputs and other nodes alike', async () => {
    const g = new Graph('cse-outputs');
    const x = g.input('x', 'float32', [2, 'n']);
    const a = ops.exp(x);
    const b = ops.exp(x);
    g.output('a', a);
    g.output('b', b);
    g.output('c', ops.mul(a, b));
    const changed = await checkPassPreserves(g, randomFeeds(g, { n: 3 }), eliminateCommonSubexpressions);
    assert.equal(changed, true);
    assert.equal(g.outputByName('a'), g.outputByName('b'));
    const mul = g.outputByName('c')!.producer!;
    assert.deepEqual(mul.inputs, [a, a]);
    assert.equal(a.uses.length, 2, 'the Mul reads the survivor twice');
  });
});
