import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Graph } from '../../src/ir/graph.ts';
import { defineOp } from '../../src/ir/op.ts';
import * as ops from '../../src/ir/ops/index.ts';
import { tensor } from '../../src/ir/tensor.ts';
import { foldConstants } from '../../src/passes/const-fold.ts';
import { checkPassPreserves, opCounts, randomFeeds } from './check-pass.ts';

describe('const-fold', () => {
  it('turns a constant subexpression into one Constant', async () => {
    const g = new Graph('fold');
    const x = g.input('x', 'float32', ['batch', 3]);
    const c = ops.constant(g, tensor('float32', [2, 3], [0.1, -0.2, 0.3, 1.5, 2, -1]));
    // exp(c * 0.5) summed over axis 0, reshaped, transposed twice, minus max: all constant.
    const e = ops.reduceSum(ops.exp(ops.mul(c, 0.5)), [0]);
    const r = ops.transpose(ops.transpose(ops.reshape(e, [3, 1]), [1, 0]), [1, 0]);
    const k = ops.sub(ops.reshape(r, [3]), ops.reduceMax(c));
    g.output('y', ops.add(x, k));
    const before = g.nodes.length;
    assert.ok(before >= 10);
    const changed = await checkPassPreserves(g, randomFeeds(g, { batch: 2 }), foldConstants, { interpRtol: 1e-6 });
    assert.equal(changed, true);
    assert.deepEqual(opCounts(g), { Constant: 1, Add: 1 });
    const folded = ops.constantValue(g.nodes.find((n) => n.op.name === 'Add')!.inputs[1])!;
    assert.equal(folded.dtype, 'float32');
    assert.deepEqual(folded.shape, [3]);
    assert.equal(foldConstants(g), false, 'one run reaches the fixpoint');
  });

  it('rounds folded results to the output dtype', () => {
    const g = new Graph('fold-round');
    const a = ops.constant(g, tensor('float32', [2], [0.1, 1 / 3]));
    // ReduceSum's reference evaluation keeps float64 precision; the folded float32 constant must not.
    g.output('s', ops.reduceSum(ops.mul(a, 3)));
    g.output('i', ops.add(ops.constant(g, tensor('int32', [2], [2147483647, 5])), ops.constant(g, tensor('int32', [2], [1, 6]))));
    assert.equal(foldConstants(g), true);
    const s = ops.constantValue(g.outputByName('s')!)!;
    const f = Math.fround;
    const want = f(f(f(0.1) * 3) + f(f(1 / 3) * 3));
    assert.equal(s.data[0], want);
    assert.equal(s.data[0], f(s.data[0]));
    const i = ops.constantValue(g.outputByName('i')!)!;
    assert.deepEqual(Array.from(i.data), [-2147483648, 11], 'int32 addition wraps');
    assert.deepEqual(opCounts(g), { Constant: 2 });
  });

  it('folds DimProduct over static axes only', async () => {
    const g = new Graph('fold-dims');
    const x = g.input('x', 'float32', ['batch', 4, 3]);
    g.output('static', ops.div(x, ops.dimProduct(x, [1, 2], 'float32')));
    g.output('symbolic', ops.div(x, ops.dimProduct(x, [0, 1], 'float32')));
    g.output('count', ops.dimProduct(x, [2], 'int32'));
    const changed = await checkPassPreserves(g, randomFeeds(g, { batch: 2 }), foldConstants);
    assert.equal(changed, true);
    assert.equal(opCounts(g).DimProduct, 1, 'the product over batch stays');
    assert.deepEqual(Array.from(ops.constantValue(g.outputByName('count')!)!.data), [3]);
    const staticDiv = g.outputByName('static')!.producer!;
    assert.deepEqual(Array.from(ops.constantValue(staticDiv.inputs[1])!.data), [12]);
  });

  it('leaves large results and broadcast copies alone unless allowed', () => {
    const g = new Graph('fold-size');
    const one = ops.scalar(g, 1, 'float32');
    g.output('huge', ops.expand(one, [300, 300]));
    g.output('spread', ops.expand(ops.scalar(g, 2, 'float32'), [40, 40]));
    const same = ops.constant(g, tensor('float32', [40, 40], 3));
    g.output('sameSize', ops.neg(same));
    assert.equal(foldConstants(g), true, 'the same-size Neg folds');
    assert.deepEqual(opCounts(g), { Constant: 3, Expand: 2 });
    assert.equal(foldConstants(g, { maxExpandedElements: 4096 }), true);
    assert.deepEqual(opCounts(g), { Constant: 3, Expand: 1 }, 'the 1600-element broadcast folds when allowed');
    assert.equal(foldConstants(g, { maxElements: 1000, maxExpandedElements: 1e9 }), false);
  });

  it('never folds effectful ops and keeps symbolic results', async () => {
    const Effect = defineOp<object>({
      name: 'TestEffectfulForConstFold',
      infer: ([a]) => [{ dtype: a.dtype, shape: [...a.shape] }],
      evaluate: ([a]) => [a],
      effectful: true,
    });
    const g = new Graph('fold-effect');
    const x = g.input('x', 'float32', ['batch', 2]);
    const c = ops.constant(g, tensor('float32', [2], [1, 2]));
    g.output('e', g.addNode(Effect, [c], {})[0]);
    g.output('b', ops.add(x, ops.expand(c, ['batch', 2])));
    assert.equal(foldConstants(g), false);
    assert.deepEqual(opCounts(g), { Constant: 1, TestEffectfulForConstFold: 1, Expand: 1, Add: 1 });
  });
});
