import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Graph, type Value } from '../../src/ir/graph.ts';
import { apply1 } from '../../src/ir/op.ts';
import * as ops from '../../src/ir/ops/index.ts';
import { tensor } from '../../src/ir/tensor.ts';
import { simplify } from '../../src/passes/simplify.ts';
import { checkPassPreserves, opCounts, randomFeeds } from './check-pass.ts';

describe('simplify', () => {
  it('removes neutral arithmetic with scalar and broadcast-neutral constants', async () => {
    const g = new Graph('simplify-arith');
    const x = g.input('x', 'float32', ['batch', 3]);
    const ones = ops.constant(g, tensor('float32', [1, 3], 1));
    const zeros = ops.constant(g, tensor('float32', [3], 0));
    let v: Value = ops.mul(x, 1);
    v = ops.mul(ones, v);
    v = ops.add(v, zeros);
    v = ops.add(0, v);
    v = ops.sub(v, 0);
    v = ops.div(v, ones);
    g.output('y', ops.tanh(v));
    const changed = await checkPassPreserves(g, randomFeeds(g, { batch: 2 }), simplify);
    assert.equal(changed, true);
    assert.deepEqual(opCounts(g), { Tanh: 1 });
    assert.equal(g.nodes[0].inputs[0], x);
  });

  it('keeps arithmetic that broadcasts x up or is not an identity', async () => {
    const g = new Graph('simplify-keep');
    const x = g.input('x', 'float32', [3]);
    const outs = [
      ops.mul(x, ops.constant(g, tensor('float32', [2, 3], 1))), // grows x to [2, 3]
      ops.add(x, ops.constant(g, tensor('float32', [1, 3], 0))), // grows the rank
      ops.sub(0, x), // 0 - x is -x
      ops.div(1, x), // 1 / x
      ops.mul(x, ops.constant(g, tensor('float32', [3], [1, 1, 2]))), // not all ones
      ops.mul(x, 0), // x * 0 is not 0 for inf/NaN: kept
      ops.sub(x, ops.constant(g, tensor('float32', [], [-0]))), // x - (-0) turns -0 into +0: kept
    ];
    outs.forEach((o, i) => g.output(`o${i}`, o));
    const before = g.nodes.length;
    assert.equal(await checkPassPreserves(g, randomFeeds(g), simplify), false);
    assert.equal(g.nodes.length, before);
  });

  it('removes Identity, same-type Cast, Expand and Reshape, and double Neg', async () => {
    const g = new Graph('simplify-trivial');
    const x = g.input('x', 'float32', ['batch', 3]);
    const i = g.input('i', 'int32', [3]);
    let v = ops.identity(x);
    // The builders skip these no-ops themselves; passes can still produce them.
    v = apply1(ops.Cast, [v], { to: 'float32' });
    v = apply1(ops.Expand, [v], { shape: ['batch', 3] });
    v = apply1(ops.Reshape, [v], { shape: ['batch', 3] });
    v = ops.neg(ops.neg(v));
    g.output('y', ops.exp(v));
    g.output('triple', ops.neg(ops.neg(ops.neg(x))));
    g.output('ints', ops.neg(ops.neg(i)));
    // An Identity from a graph input straight to a graph output: the emitter names outputs
    // itself, so it can go too.
    g.output('passthrough', ops.identity(x));
    const changed = await checkPassPreserves(g, randomFeeds(g, { batch: 2 }), simplify);
    assert.equal(changed, true);
    assert.deepEqual(opCounts(g), { Exp: 1, Neg: 1 });
    assert.equal(g.outputByName('passthrough'), x);
    assert.equal(g.outputByName('ints'), i);
    assert.equal(g.outputByName('triple')!.producer!.inputs[0], x);
  });

  it('keeps Cast to another dtype, Expand that grows and StopGradient', async () => {
    const g = new Graph('simplify-keep-shape');
    const x = g.input('x', 'float32', [1, 3]);
    g.output('c', ops.cast(x, 'int32'));
    g.output('e', ops.expand(x, [2, 3]));
    g.output('s', ops.stopGradient(x));
    assert.equal(await checkPassPreserves(g, randomFeeds(g), simplify), false);
    assert.deepEqual(opCounts(g), { Cast: 1, Expand: 1, StopGradient: 1 });
  });

  it('merges chains of reshapes and of transposes', async () => {
    const g = new Graph('simplify-shapes');
    const x = g.input('x', 'float32', ['batch', 2, 3]);
    // Reshape(Reshape(Unsqueeze)) -> one Reshape; Reshape back to x's shape -> x.
    const flat = ops.reshape(ops.reshape(ops.unsqueeze(x, [0]), ['batch', 6]), ['6*batch']);
    g.output('flat', flat);
    g.output('back', ops.tanh(ops.reshape(ops.reshape(x, ['batch', 6]), ['batch', 2, 3])));
    // Transposes: [0,2,1] then [2,1,0] compose to one; a pair that cancels vanishes.
    const t = ops.transpose(ops.transpose(x, [0, 2, 1]), [2, 1, 0]);
    g.output('t', t);
    g.output('cancel', ops.exp(ops.transpose(ops.transpose(x, [1, 2, 0]), [2, 0, 1])));
    const changed = await checkPassPreserves(g, randomFeeds(g, { batch: 2 }), simplify);
    assert.equal(changed, true);
    assert.deepEqual(opCounts(g), { Reshape: 1, Tanh: 1, Transpose: 1, Exp: 1 });
    const r = g.outputByName('flat')!.producer!;
    assert.equal(r.inputs[0], x);
    const tr = g.outputByName('t')!.producer!;
    assert.equal(tr.inputs[0], x);
    assert.deepEqual((tr.attrs as ops.TransposeAttrs).perm, [1, 2, 0]);
    assert.equal(g.outputByName('cancel')!.producer!.inputs[0], x);
    assert.equal(g.outputByName('back')!.producer!.inputs[0], x);
  });

  it('keeps an inner reshape or transpose that has other users', async () => {
    const g = new Graph('simplify-shared');
    const x = g.input('x', 'float32', [2, 3]);
    const inner = ops.transpose(x, [1, 0]);
    g.output('inner', inner);
    g.output('outer', ops.transpose(inner, [1, 0]));
    const r = ops.reshape(x, [6]);
    g.output('r', r);
    g.output('rr', ops.reshape(r, [3, 2]));
    const changed = await checkPassPreserves(g, randomFeeds(g), simplify);
    assert.equal(changed, true);
    assert.equal(g.outputByName('outer'), x);
    assert.equal(g.outputByName('rr')!.producer!.inputs[0], x);
    assert.deepEqual(opCounts(g), { Transpose: 1, Reshape: 2 });
  });
});
