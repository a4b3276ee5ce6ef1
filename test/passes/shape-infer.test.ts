import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ShapeError } from '../../src/ir/errors.ts';
import { Graph } from '../../src/ir/graph.ts';
import * as ops from '../../src/ir/ops/index.ts';
import { verifyGraph } from '../../src/ir/verifier.ts';
import { inferShapes } from '../../src/passes/shape-infer.ts';
import { checkPassPreserves, randomFeeds } from './check-pass.ts';

function build(): { g: Graph; x: ReturnType<Graph['input']> } {
  const g = new Graph('shapes');
  const x = g.input('x', 'float32', ['batch', 3]);
  const flat = ops.reshape(ops.exp(x), ['3*batch']);
  g.output('flat', flat);
  g.output('sum', ops.reduceSum(ops.mul(x, ops.reshape(flat, ['batch', 3])), [0], true));
  g.output('count', ops.dimProduct(x, [0], 'float32'));
  return { g, x };
}

describe('shape-infer', () => {
  it('is a no-op on a consistent graph', () => {
    const { g } = build();
    assert.equal(inferShapes(g), false);
  });

  it('propagates a changed input type downstream', async () => {
    // No Reshape here: its target shape is an attribute naming "batch", which a static input
    // no longer matches (next test).
    const g = new Graph('shapes-static');
    const x = g.input('x', 'float32', ['batch', 3]);
    const w = g.input('w', 'float32', [3]);
    const e = ops.mul(ops.exp(x), w);
    g.output('e', ops.transpose(e, [1, 0]));
    g.output('sum', ops.reduceSum(e, [0], true));
    g.output('count', ops.dimProduct(x, [0], 'float32'));
    const feeds = randomFeeds(g, { batch: 2 });
    const changed = await checkPassPreserves(g, feeds, (gr) => {
      // A static batch, as a caller fixing the input shape would set it.
      x.type = { dtype: 'float32', shape: [2, 3] };
      assert.throws(() => verifyGraph(gr), /shape rule now gives/);
      return inferShapes(gr);
    });
    assert.equal(changed, true);
    assert.deepEqual(g.outputByName('e')!.shape, [3, 2]);
    assert.deepEqual(g.outputByName('sum')!.shape, [1, 3]);
    assert.deepEqual(e.shape, [2, 3]);
    assert.equal(inferShapes(g), false, 'a second run changes nothing');
  });

  it('throws a ShapeError naming the op when the new types do not fit', () => {
    const { g, x } = build();
    x.type = { dtype: 'float32', shape: [2, 4] };
    assert.throws(
      () => inferShapes(g),
      (e: unknown) => e instanceof ShapeError && /Reshape/.test(e.message) && /node %\d+/.test(e.message) && !e.message.includes('\n'),
    );
  });

  it('follows a dtype change, and leaves types alone when one op rejects it', () => {
    const make = (withAdd: boolean): { g: Graph; y: ReturnType<Graph['input']>; e: ReturnType<typeof ops.exp> } => {
      const g = new Graph('dtype');
      const y = g.input('y', 'float32', [3]);
      const e = ops.exp(ops.neg(y));
      g.output('e', e);
      if (withAdd) g.output('bad', ops.add(e, ops.constant(g, { dtype: 'float32', shape: [], data: Float64Array.of(1) })));
      return { g, y, e };
    };
    const bad = make(true);
    bad.y.type = { dtype: 'float64', shape: [3] };
    assert.throws(() => inferShapes(bad.g), (err: unknown) => err instanceof ShapeError && /Add\(float64\[3\], float32\[\]\)/.test(err.message));
    assert.equal(bad.e.dtype, 'float32', 'rolled back');
    const good = make(false);
    good.y.type = { dtype: 'float64', shape: [3] };
    assert.equal(inferShapes(good.g), true);
    assert.equal(good.e.dtype, 'float64');
    verifyGraph(good.g);
  });
});
