import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as ops from '../../../src/ir/ops/index.ts';
import { ShapeError, UserError } from '../../../src/ir/errors.ts';
import { Graph } from '../../../src/ir/graph.ts';
import { interpret } from '../../../src/ir/interpreter.ts';
import type { DType } from '../../../src/ir/dtype.ts';
import type { Dim } from '../../../src/ir/shape.ts';
import { scalarTensor, tensor, type Tensor } from '../../../src/ir/tensor.ts';
import { verifyGraph } from '../../../src/ir/verifier.ts';
import { emitModel, encodeModel } from '../../../src/backends/onnx/emit.ts';
import { createSession, runReference } from '../../../src/backends/onnx/session.ts';
import { checkGradients } from '../../helpers/check.ts';

interface MaskGraph {
  graph: Graph;
  feeds(shape: number[], seed: number, step: number): Record<string, Tensor>;
}

/** like -> one mask output per (rate, site), all from the same seed/step inputs. */
function maskGraph(declared: Dim[], sites: { rate: number; site: number }[], dtype: DType = 'float32', rngType: DType = 'int32'): MaskGraph {
  const g = new Graph('masks');
  const like = g.input('like', dtype, declared);
  const seed = g.input('seed', rngType, []);
  const step = g.input('step', rngType, []);
  sites.forEach(({ rate, site }, k) => g.output(`mask${k}`, ops.dropoutMask(like, seed, step, rate, site)));
  verifyGraph(g);
  return {
    graph: g,
    feeds: (shape, s, t) => ({
      like: tensor(dtype, shape, 0),
      seed: scalarTensor(rngType, s),
      step: scalarTensor(rngType, t),
    }),
  };
}

function maskOf(shape: number[], seed: number, step: number, rate: number, site: number): Float64Array {
  const m = maskGraph(shape, [{ rate, site }]);
  return interpret(m.graph, m.feeds(shape, seed, step)).mask0.data;
}

const keptOf = (mask: Float64Array): Uint8Array => Uint8Array.from(mask, (v) => (v !== 0 ? 1 : 0));

describe('DropoutMask', () => {
  it('is bit-identical in the interpreter and onnxruntime (symbolic dims, two sizes, seeds, steps, sites)', async () => {
    const sites = [
      { rate: 0.1, site: 0 },
      { rate: 0.5, site: 1 },
      { rate: 0.9, site: 7 },
      { rate: 0.37, site: 4_000_000_000 },
    ];
    const models: { m: MaskGraph; sizes: number[][] }[] = [
      { m: maskGraph(['batch', 'seq', 8], sites), sizes: [[2, 5, 8], [3, 17, 8]] },
      { m: maskGraph(['batch', 4], sites, 'float64', 'int64'), sizes: [[1, 4], [300, 4]] },
      { m: maskGraph([257, 400], sites.slice(0, 2), 'float16', 'uint32'), sizes: [[257, 400]] },
      { m: maskGraph([], sites), sizes: [[]] },
    ];
    const rngs = [
      [0, 0],
      [1, 0],
      [0, 1],
      [12345, 99_999],
      [-7, 2_000_000_000],
    ];
    for (const { m, sizes } of models) {
      const session = await createSession(encodeModel(emitModel(m.graph, { paramsAs: 'inputs' })), { threads: 1 });
      for (const shape of sizes) {
        for (const [seed, step] of rngs) {
          if (m.graph.inputByName('seed')!.dtype === 'uint32' && seed < 0) continue;
          const feeds = m.feeds(shape, seed, step);
          const want = interpret(m.graph, feeds);
          const got = await runReference(session, feeds);
          for (const [name, w] of Object.entries(want)) {
            const o = got[name];
            assert.deepEqual(o.shape, w.shape, `${name} shape`);
            assert.equal(o.dtype, w.dtype);
            const bad = w.data.findIndex((v, i) => v !== o.data[i]);
            assert.equal(bad, -1, `${name} [${shape}] seed ${seed} step ${step}: element ${bad} is ${o.data[bad]} in onnxruntime, ${w.data[bad]} in the interpreter`);
          }
        }
      }
    }
  });

  it('depends on seed, step and site, and only on them', () => {
    const shape = [64, 64];
    const base = maskOf(shape, 3, 10, 0.5, 2);
    assert.deepEqual(maskOf(shape, 3, 10, 0.5, 2), base);
    const others = [maskOf(shape, 4, 10, 0.5, 2), maskOf(shape, 3, 11, 0.5, 2), maskOf(shape, 3, 10, 0.5, 3)];
    for (const o of others) {
      // Independent masks at rate 0.5 agree on about half the elements.
      const agree = o.reduce((s, v, i) => s + (v === base[i] ? 1 : 0), 0) / o.length;
      assert.ok(Math.abs(agree - 0.5) < 0.05, `agreement ${agree}`);
    }
  });

  for (const rate of [0.1, 0.5, 0.9]) {
    it(`keeps a fraction 1 - ${rate} of 100k elements, scaled by 1/(1-rate), without neighbour correlation`, () => {
      const [rows, cols] = [250, 400];
      const mask = maskOf([rows, cols], 42, 7, rate, 5);
      const kept = keptOf(mask);
      const n = kept.length;
      const p = kept.reduce((s, v) => s + v, 0) / n;
      assert.ok(Math.abs(p - (1 - rate)) < 0.01, `keep fraction ${p}`);
      const scale = Math.fround(1 / (1 - rate));
      assert.ok(mask.every((v) => v === 0 || v === scale), 'values are 0 or 1/(1-rate)');
      // (kept, kept) pairs at several strides, row neighbours included, should be ~p^2.
      for (const stride of [1, 2, 3, 8, cols, cols + 1]) {
        let both = 0;
        for (let i = stride; i < n; i++) both += kept[i] & kept[i - stride];
        const ratio = both / (n - stride) / (p * p);
        assert.ok(Math.abs(ratio - 1) < 0.03 / Math.min(p, 1 - p), `stride ${stride}: (kept, kept) / p^2 = ${ratio}`);
      }
      // The next step's mask is independent of this one.
      const next = keptOf(maskOf([rows, cols], 42, 8, rate, 5));
      const both = kept.reduce((s, v, i) => s + (v & next[i]), 0) / n;
      assert.ok(Math.abs(both / (p * p) - 1) < 0.03 / Math.min(p, 1 - p), `consecutive steps: ${both} vs ${p * p}`);
    });
  }

  it('dropout keeps x/(1-rate) or 0, returns x itself at rate 0, and rejects bad rates', () => {
    const g = new Graph('dropout');
    const x = g.input('x', 'float64', [50, 20]);
    const rng = { seed: g.input('seed', 'int32', []), step: g.input('step', 'int32', []) };
    assert.equal(ops.dropout(x, 0, rng, 0), x);
    g.output('y', ops.dropout(x, 0.25, rng, 3));
    const xs = tensor('float64', [50, 20], Array.from({ length: 1000 }, (_, i) => Math.sin(i) + 2));
    const y = interpret(g, { x: xs, seed: scalarTensor('int32', 1), step: scalarTensor('int32', 2) }).y;
    let kept = 0;
    y.data.forEach((v, i) => {
      if (v === 0) return;
      kept++;
      assert.equal(v, xs.data[i] * (1 / 0.75)); // x/(1-rate), as the product with the mask's scale
    });
    assert.ok(kept > 650 && kept < 850, `kept ${kept} of 1000`);
    assert.throws(() => ops.dropout(x, 1, rng, 0), UserError);
    assert.throws(() => ops.dropout(x, -0.1, rng, 0), UserError);
    assert.throws(() => ops.dropout(x, 0.1, rng, 1.5), UserError);
    assert.throws(() => ops.dropoutMask(x, x, rng.step, 0.1, 0), ShapeError);
    assert.throws(() => ops.dropoutMask(x, g.input('v', 'int32', [1]), rng.step, 0.1, 0), ShapeError);
  });

  it('dropout: VJP matches finite differences (the mask is constant in x)', () =>
    checkGradients({
      name: 'dropout',
      inputs: [
        { name: 'x', shape: [3, 7], declared: ['batch', 7] },
        { name: 'seed', shape: [], dtype: 'int32', values: [5] },
        { name: 'step', shape: [], dtype: 'int32', values: [11] },
      ],
      build: ([x, seed, step]) => ops.dropout(ops.tanh(x), 0.3, { seed, step }, 1),
    }));
});
