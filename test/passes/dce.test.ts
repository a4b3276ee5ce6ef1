import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Graph } from '../../src/ir/graph.ts';
import { interpret } from '../../src/ir/interpreter.ts';
import { defineOp } from '../../src/ir/op.ts';
import * as ops from '../../src/ir/ops/index.ts';
import { eliminateDeadCode } from '../../src/passes/dce.ts';
import { checkPassPreserves, opCounts, randomFeeds } from './check-pass.ts';

describe('dce', () => {
  it('removes a dead branch, keeps the live one and every graph input', async () => {
    const g = new Graph('dce');
    const x = g.input('x', 'float32', ['batch', 3]);
    const unused = g.input('unused', 'float32', [4]);
    const live = ops.add(ops.exp(x), 1);
    // Dead: a branch that hangs off the live value and one that hangs off the input.
    ops.reduceSum(ops.mul(ops.tanh(live), 2));
    ops.neg(ops.sqrt(x));
    g.output('y', ops.mul(live, x));
    const before = g.nodes.length;
    const changed = await checkPassPreserves(g, randomFeeds(g, { batch: 2 }), eliminateDeadCode);
    assert.equal(changed, true);
    assert.equal(before - g.nodes.length, 6, 'Tanh, Mul, its constant, ReduceSum, Sqrt and Neg go');
    assert.deepEqual(opCounts(g), { Exp: 1, Constant: 1, Add: 1, Mul: 1 });
    assert.deepEqual(
      g.inputs.map((v) => v.input!.name),
      ['x', 'unused'],
    );
    assert.deepEqual(unused.uses, []);
    assert.equal(x.uses.length, 2, 'x keeps exactly its live uses (Exp, Mul)');
    assert.equal(eliminateDeadCode(g), false, 'a second run finds nothing');
  });

  it('keeps nodes whose output is a graph output even when it is also unused otherwise', async () => {
    const g = new Graph('dce-outputs');
    const x = g.input('x', 'float32', [2, 3]);
    const a = ops.tanh(x);
    const b = ops.reduceMax(a, [1]);
    g.output('a', a);
    g.output('b', b);
    const changed = await checkPassPreserves(g, randomFeeds(g), eliminateDeadCode);
    assert.equal(changed, false);
    assert.equal(g.nodes.length, 2);
  });

  it('keeps effectful nodes and what feeds them', () => {
    const Effect = defineOp<object>({
      name: 'TestEffectfulForDce',
      infer: ([a]) => [{ dtype: a.dtype, shape: [...a.shape] }],
      evaluate: ([a]) => [a],
      effectful: true,
    });
    const g = new Graph('dce-effect');
    const x = g.input('x', 'float64', [3]);
    g.addNode(Effect, [ops.exp(x)], {});
    ops.neg(x);
    g.output('y', ops.tanh(x));
    assert.equal(eliminateDeadCode(g), true);
    assert.deepEqual(opCounts(g), { Exp: 1, TestEffectfulForDce: 1, Tanh: 1 });
    assert.ok(interpret(g, randomFeeds(g)).y);
  });
});
