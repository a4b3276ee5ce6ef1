import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UserError } from '../../src/ir/errors.ts';
import { Graph, type Value } from '../../src/ir/graph.ts';
import * as ops from '../../src/ir/ops/index.ts';
import { tensor } from '../../src/ir/tensor.ts';
import type { Pass } from '../../src/passes/pass.ts';
import { cleanupPasses, runPipeline } from '../../src/passes/pipeline.ts';
import { normal, rng } from '../helpers/random.ts';
import { checkPassPreserves, opCounts, randomFeeds } from './check-pass.ts';

function sample(): Graph {
  const g = new Graph('sample');
  const x = g.input('x', 'float32', ['batch', 3]);
  const c = ops.constant(g, tensor('float32', [3], [1, 2, 3]));
  const scale = ops.div(ops.reduceSum(c), 6); // a constant 1 once folded
  const a = ops.tanh(ops.mul(x, scale));
  const b = ops.tanh(ops.mul(x, scale));
  ops.exp(a); // dead
  g.output('y', ops.add(ops.identity(a), b));
  return g;
}

describe('pipeline', () => {
  it('runs the clean-up passes to a fixpoint and reports what changed', async () => {
    const g = sample();
    const lines: string[] = [];
    let result: ReturnType<typeof runPipeline> | undefined;
    await checkPassPreserves(g, randomFeeds(g, { batch: 2 }), (gr) => {
      result = runPipeline(gr, cleanupPasses(), { maxRounds: 4, log: (l) => lines.push(l) });
      return true;
    });
    // x * (sum([1,2,3]) / 6) folds to x * 1 in round 1, simplify removes it in round 2.
    assert.deepEqual(opCounts(g), { Tanh: 1, Add: 1 });
    const r = result!;
    assert.deepEqual(r.changed, { simplify: true, 'const-fold': true, cse: true, dce: true });
    assert.equal(r.nodeCounts.simplify.before, 11);
    assert.equal(r.nodeCounts.dce.after, 2);
    const rounds = Math.max(...r.runs.map((x) => x.round));
    assert.ok(rounds >= 2 && rounds <= 4);
    assert.ok(r.runs.filter((x) => x.round === rounds).every((x) => !x.changed), 'the last round changes nothing');
    assert.equal(lines.length, r.runs.length);
    assert.match(lines[0], /^simplify \(round 1\): 11 -> \d+ nodes/);
  });

  it('dumps the graph after the named passes only, or after all', () => {
    const dumps: [string, string][] = [];
    runPipeline(sample(), cleanupPasses(), { dumpAfter: ['cse'], dump: (p, t) => dumps.push([p, t]) });
    assert.equal(dumps.length, 1);
    assert.equal(dumps[0][0], 'cse');
    assert.match(dumps[0][1], /^graph sample\(/);
    assert.match(dumps[0][1], /Tanh/);
    assert.doesNotMatch(dumps[0][1], /Identity/, 'the dump shows the graph after simplify');
    const all: string[] = [];
    runPipeline(sample(), cleanupPasses(), { dumpAfter: 'all', dump: (p) => all.push(p) });
    assert.deepEqual(all, ['simplify', 'const-fold', 'cse', 'dce']);
  });

  it('rejects unknown pass names in dumpAfter with a UserError listing the passes', () => {
    const g = sample();
    const before = g.nodes.length;
    assert.throws(
      () => runPipeline(g, cleanupPasses(), { dumpAfter: ['cse', 'fusion'], dump: () => {} }),
      (e: unknown) => e instanceof UserError && /"fusion"/.test(e.message) && /simplify, const-fold, cse, dce/.test(e.message),
    );
    assert.equal(g.nodes.length, before, 'nothing ran');
  });

  it('verifies after every pass and names the pass that broke the graph', () => {
    const breaker: Pass = {
      name: 'breaker',
      run: (g) => {
        g.nodes.reverse();
        return true;
      },
    };
    assert.throws(() => runPipeline(sample(), [...cleanupPasses(), breaker]), /pass breaker left an invalid graph: verify: node/);
    assert.doesNotThrow(() => runPipeline(sample(), [breaker], { verify: false }));
  });

  it('keeps outputs equal on random graphs with duplicated subexpressions', async () => {
    for (let seed = 1; seed <= 30; seed++) {
      const { g, dims } = randomGraph(seed);
      const before = g.nodes.length;
      let result: ReturnType<typeof runPipeline> | undefined;
      await checkPassPreserves(
        g,
        randomFeeds(g, dims, seed),
        (gr) => {
          result = runPipeline(gr, cleanupPasses(), { maxRounds: 6 });
          return true;
        },
        // Folded constants are rounded to float32 where the interpreter's float64 reductions are not.
        { interpRtol: 1e-5 },
      );
      assert.ok(g.nodes.length < before, `seed ${seed}: ${before} -> ${g.nodes.length} nodes`);
      const last = Math.max(...result!.runs.map((x) => x.round));
      assert.ok(result!.runs.filter((x) => x.round === last).every((x) => !x.changed), `seed ${seed}: no fixpoint`);
      const again = runPipeline(g, cleanupPasses());
      assert.ok(Object.values(again.changed).every((c) => !c), `seed ${seed}: a second run changed ${JSON.stringify(again.changed)}`);
    }
  });
});

/**
 * A seeded random graph over x: [batch, 3] and y: [3] built from elementwise, reduce, reshape
 * and transpose ops, with exact duplicates, constant subexpressions, neutral operations and
 * dead values mixed in. Pooled values have shapes [batch, 3], [batch, 1], [3], [1] or [1, 1],
 * which all broadcast together.
 */
function randomGraph(seed: number): { g: Graph; dims: Record<string, number> } {
  const r = rng(seed * 7919);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const g = new Graph(`random-${seed}`);
  const x = g.input('x', 'float32', ['batch', 3]);
  const y = g.input('y', 'float32', [3]);
  const pool: Value[] = [x, y];
  const konst = (): Value => ops.constant(g, tensor('float32', [3], [normal(r), normal(r), normal(r)]));
  const full = (v: Value): boolean => v.rank === 2 && v.shape[1] === 3;
  const steps: (() => Value)[] = [
    () => pick([ops.add, ops.sub, ops.mul, ops.maximum])(pick(pool), pick(pool)),
    () => pick([ops.tanh, ops.neg, ops.relu])(pick(pool)),
    () => ops.exp(ops.tanh(pick(pool))),
    () => ops.mul(ops.add(konst(), ops.reduceMax(konst())), pick(pool)), // constant subexpression
    () => pick([(v: Value) => ops.mul(v, 1), (v: Value) => ops.add(0, v), ops.identity, (v: Value) => ops.neg(ops.neg(v))])(pick(pool)),
    () => {
      const v = pick(pool);
      if (!full(v)) return ops.reduceMean(v, [0], true);
      return pick([() => ops.reduceSum(v, [1], true), () => ops.reduceMean(v, [0]), () => ops.reduceMax(v, [1], true)])();
    },
    () => {
      const v = pick(pool);
      if (!full(v)) return ops.div(v, ops.dimProduct(v, [v.rank - 1], 'float32'));
      return ops.reshape(ops.reshape(ops.unsqueeze(v, [2]), ['3*batch']), ['batch', 3]);
    },
    () => {
      const v = pick(pool);
      return full(v) ? ops.transpose(ops.tanh(ops.transpose(v, [1, 0])), [1, 0]) : ops.sub(v, ops.dimProduct(v, [0], 'float32'));
    },
    () => {
      // An exact duplicate of an existing node (op, inputs, attributes).
      const n = pick(g.nodes.filter((m) => m.op.name !== 'Constant' && pool.includes(m.outputs[0])));
      return n ? g.addNode(n.op, n.inputs, n.attrs)[0] : ops.tanh(x);
    },
  ];
  for (let i = 0; i < 14; i++) pool.push(pick(steps)());
  const outs = new Set<Value>([pool[pool.length - 1], pick(pool.slice(2)), pick(pool.slice(2))]);
  [...outs].forEach((o, i) => g.output(`out${i}`, o));
  return { g, dims: { batch: 2 } };
}
