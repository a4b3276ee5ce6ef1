import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as c from '../../src/ir/composites.ts';
import * as ops from '../../src/ir/ops/index.ts';
import { ShapeError, UserError } from '../../src/ir/errors.ts';
import { Graph, type Value } from '../../src/ir/graph.ts';
import { interpret } from '../../src/ir/interpreter.ts';
import type { Dim } from '../../src/ir/shape.ts';
import { tensor, type Tensor } from '../../src/ir/tensor.ts';
import { assertClose, checkGradients, checkOnnxAgreement, type OpCase } from '../helpers/check.ts';

/** Runs `build` on float64 inputs through the interpreter. */
function run(inputs: { name: string; declared: Dim[]; value: Tensor }[], build: (ins: Value[]) => Value | Value[]): Tensor[] {
  const g = new Graph('eval');
  const vs = inputs.map((i) => g.input(i.name, i.value.dtype, i.declared));
  const built = build(vs);
  const outs = Array.isArray(built) ? built : [built];
  outs.forEach((o, k) => g.output(`o${k}`, o));
  const res = interpret(g, Object.fromEntries(inputs.map((i) => [i.name, i.value])));
  return outs.map((_, k) => res[`o${k}`]);
}

const rows = (t: Tensor, width: number): number[][] =>
  Array.from({ length: t.data.length / width }, (_, r) => Array.from(t.data.slice(r * width, (r + 1) * width)));

const cases: OpCase[] = [
  {
    name: 'softmax (symbolic batch)',
    inputs: [{ name: 'x', shape: [3, 5], declared: ['batch', 5] }],
    build: ([x]) => c.softmax(x),
  },
  {
    name: 'softmax over axis 1 of 3',
    inputs: [{ name: 'x', shape: [2, 4, 3] }],
    build: ([x]) => c.softmax(x, 1),
  },
  {
    name: 'logSoftmax (symbolic batch, seq)',
    inputs: [{ name: 'x', shape: [2, 3, 4], declared: ['batch', 'seq', 4] }],
    build: ([x]) => c.logSoftmax(x),
  },
  {
    name: 'layerNorm (symbolic batch, seq)',
    inputs: [
      { name: 'x', shape: [2, 3, 6], declared: ['batch', 'seq', 6] },
      { name: 'gamma', shape: [6] },
      { name: 'beta', shape: [6] },
    ],
    build: ([x, g, b]) => c.layerNorm(x, g, b),
  },
  { name: 'geluTanh', inputs: [{ name: 'x', shape: [4, 5] }], build: ([x]) => c.geluTanh(x) },
  { name: 'geluExact', inputs: [{ name: 'x', shape: [4, 5] }], build: ([x]) => c.geluExact(x) },
  {
    name: 'activations',
    inputs: [{ name: 'x', shape: [3, 4] }],
    build: ([x]) => c.ACTIVATION_NAMES.map((a) => c.activation(x, a)),
  },
  {
    name: 'softmaxCrossEntropy mean (symbolic batch, seq)',
    inputs: [
      { name: 'logits', shape: [2, 3, 5], declared: ['batch', 'seq', 5] },
      { name: 'labels', shape: [2, 3], declared: ['batch', 'seq'], dtype: 'int32', kind: 'int', max: 5 },
    ],
    build: ([x, l]) => {
      const r = c.softmaxCrossEntropy(x, l);
      return [r.loss, r.perExample];
    },
  },
  {
    name: 'softmaxCrossEntropy weighted (symbolic batch)',
    inputs: [
      { name: 'logits', shape: [4, 6], declared: ['batch', 6] },
      { name: 'labels', shape: [4], declared: ['batch'], dtype: 'int64', kind: 'int', max: 6 },
      { name: 'weights', shape: [4], declared: ['batch'], kind: 'positive' },
    ],
    build: ([x, l, w]) => c.softmaxCrossEntropy(x, l, { weights: w }).loss,
  },
  {
    name: 'softmaxCrossEntropy over a symbolic class dim (SQuAD positions)',
    inputs: [
      { name: 'logits', shape: [3, 7], declared: ['batch', 'seq'] },
      { name: 'labels', shape: [3], declared: ['batch'], dtype: 'int32', values: [0, 6, 3] },
    ],
    build: ([x, l]) => c.softmaxCrossEntropy(x, l).loss,
  },
  {
    name: 'softmaxCrossEntropy of one example',
    inputs: [
      { name: 'logits', shape: [4] },
      { name: 'labels', shape: [], dtype: 'int32', values: [2] },
    ],
    build: ([x, l]) => c.softmaxCrossEntropy(x, l).loss,
  },
  {
    name: 'sigmoidCrossEntropy (symbolic batch, soft targets)',
    inputs: [
      { name: 'x', shape: [6], declared: ['batch'], values: [-3, -0.4, 0.1, 0.7, 2.5, 4] },
      { name: 'z', shape: [6], declared: ['batch'], values: [0, 1, 0.3, 1, 0, 0.8] },
    ],
    wrt: ['x', 'z'],
    build: ([x, z]) => c.sigmoidCrossEntropy(x, z),
  },
];

describe('composites', () => {
  for (const k of cases) {
    it(`${k.name}: VJP matches finite differences`, () => checkGradients(k));
    it(`${k.name}: interpreter matches onnxruntime`, () => checkOnnxAgreement(k, { rtol: 1e-5, atol: 2e-6 }));
  }

  it('softmax rows sum to 1 and survive huge logits; logSoftmax is their log', () => {
    const xs = [1, 2, 3, -1, 1000, 999, 1001, 990, -1000, -1001, -999, -1000];
    const [p, lp] = run([{ name: 'x', declared: ['batch', 4], value: tensor('float64', [3, 4], xs) }], ([x]) => [c.softmax(x), c.logSoftmax(x)]);
    for (const row of rows(p, 4)) assertClose([row.reduce((a, b) => a + b)], [1], 'row sum', 1e-14, 0);
    rows(p, 4).forEach((row, r) => {
      const m = Math.max(...xs.slice(r * 4, r * 4 + 4));
      const e = xs.slice(r * 4, r * 4 + 4).map((v) => Math.exp(v - m));
      const s = e.reduce((a, b) => a + b);
      assertClose(row, e.map((v) => v / s), `softmax row ${r}`, 1e-14, 0);
      assertClose(rows(lp, 4)[r], e.map((v) => Math.log(v / s)), `logSoftmax row ${r}`, 1e-13, 1e-13);
    });
  });

  it('layerNorm gives mean 0 and (biased) variance 1 per row before gamma/beta, then applies them', () => {
    const xs = Array.from({ length: 12 }, (_, i) => Math.sin(3 * i) * 5 + i);
    const x = { name: 'x', declared: ['batch', 4], value: tensor('float64', [3, 4], xs) };
    const gamma = { name: 'gamma', declared: [4], value: tensor('float64', [4], [1, 1, 1, 1]) };
    const beta = { name: 'beta', declared: [4], value: tensor('float64', [4], [0, 0, 0, 0]) };
    const [y] = run([x, gamma, beta], ([a, g, b]) => c.layerNorm(a, g, b));
    for (const row of rows(y, 4)) {
      const mean = row.reduce((a, b) => a + b) / 4;
      const variance = row.reduce((a, b) => a + (b - mean) ** 2, 0) / 4;
      assertClose([mean, variance], [0, 1], 'normalised row', 1e-10, 1e-12);
    }
    const g2 = { ...gamma, value: tensor('float64', [4], [2, -1, 0.5, 3]) };
    const b2 = { ...beta, value: tensor('float64', [4], [0.1, 0.2, -0.3, 4]) };
    const [z] = run([x, g2, b2], ([a, g, b]) => c.layerNorm(a, g, b));
    assertClose(z.data, y.data.map((v, i) => v * g2.value.data[i % 4] + b2.value.data[i % 4]), 'gamma/beta', 1e-14, 1e-14);
  });

  it('gelu forms match their formulas and known values', () => {
    const pts = [-3, -1, -0.5, 0, 0.5, 1, 2, 3];
    const [t, e, gelu, relu, th] = run([{ name: 'x', declared: [8], value: tensor('float64', [8], pts) }], ([x]) => [
      c.geluTanh(x),
      c.geluExact(x),
      c.activation(x, 'gelu'),
      c.activation(x, 'relu'),
      c.activation(x, 'tanh'),
    ]);
    const tanhForm = (x: number): number => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
    assertClose(t.data, pts.map(tanhForm), 'geluTanh', 1e-15, 1e-15);
    assertClose(gelu.data, t.data, "'gelu' is the tanh form", 0, 0);
    // x * Phi(x) with Phi from tables: Phi(0.5), Phi(1), Phi(2), Phi(3).
    const phi: Record<number, number> = { 0.5: 0.6914624612740131, 1: 0.8413447460685429, 2: 0.9772498680518208, 3: 0.9986501019683699 };
    const cdf = (x: number): number => (x === 0 ? 0.5 : x > 0 ? phi[x] : 1 - phi[-x]);
    assertClose(e.data, pts.map((x) => x * cdf(x)), 'geluExact', 1e-13, 1e-15);
    assertClose(relu.data, pts.map((x) => Math.max(x, 0)), 'relu', 0, 0);
    assertClose(th.data, pts.map(Math.tanh), 'tanh', 0, 0);
    // The two forms differ, but by little.
    assert.ok(t.data.some((v, i) => v !== e.data[i]));
    assertClose(t.data, e.data, 'tanh vs erf', 0, 1e-3);
  });

  it('activation rejects unknown names', () => {
    const g = new Graph('act');
    const x = g.input('x', 'float32', [2]);
    assert.throws(() => c.activation(x, 'swish' as c.ActivationName), UserError);
  });

  it('softmaxCrossEntropy equals a hand computation, with and without weights', () => {
    const logits = [2, 1, 0.1, -1, 0.5, 3, 0, 0, 0, 1, -2, 4];
    const labels = [0, 2, 1, 7]; // the last is out of range: nll 0
    const weights = [1, 0.5, 0, 2];
    const nll = [0, 1, 2, 3].map((r) => {
      const row = logits.slice(r * 3, r * 3 + 3);
      if (labels[r] >= 3) return 0;
      return Math.log(row.reduce((s, v) => s + Math.exp(v), 0)) - row[labels[r]];
    });
    const [loss, per, wloss] = run(
      [
        { name: 'logits', declared: ['batch', 3], value: tensor('float64', [4, 3], logits) },
        { name: 'labels', declared: ['batch'], value: tensor('int32', [4], labels) },
        { name: 'weights', declared: ['batch'], value: tensor('float64', [4], weights) },
      ],
      ([x, l, w]) => {
        const plain = c.softmaxCrossEntropy(x, l);
        return [plain.loss, plain.perExample, c.softmaxCrossEntropy(x, l, { weights: w }).loss];
      },
    );
    assertClose(per.data, nll, 'per example', 1e-14, 1e-15);
    assertClose(loss.data, [nll.reduce((a, b) => a + b) / 4], 'mean over the run-time batch', 1e-14, 0);
    const wsum = weights.reduce((a, b) => a + b);
    assertClose(wloss.data, [nll.reduce((s, v, i) => s + v * weights[i], 0) / (wsum + 1e-5)], 'weighted', 1e-14, 0);
  });

  it('softmaxCrossEntropy checks its shapes', () => {
    const g = new Graph('sce');
    const x = g.input('x', 'float32', ['batch', 4]);
    assert.throws(() => c.softmaxCrossEntropy(x, g.input('l1', 'int32', ['seq'])), ShapeError);
    assert.throws(() => c.softmaxCrossEntropy(x, g.input('l2', 'float32', ['batch'])), ShapeError);
    assert.throws(() => c.softmaxCrossEntropy(g.input('y', 'float32', []), g.input('l3', 'int32', [])), ShapeError);
    const l = g.input('l', 'int32', ['batch']);
    assert.throws(() => c.softmaxCrossEntropy(x, l, { weights: g.input('w', 'float32', [4]) }), ShapeError);
    assert.throws(() => c.layerNorm(x, g.input('gm', 'float32', [3]), g.input('bt', 'float32', [4])), ShapeError);
  });

  it('sigmoidCrossEntropy equals -z log s(x) - (1-z) log(1-s(x)), and stays finite at large |x|', () => {
    const xs = [-2, -0.3, 0, 0.8, 3, 100, -100, 100];
    const zs = [1, 0, 1, 0.25, 0, 0, 1, 1];
    const [bce] = run(
      [
        { name: 'x', declared: [8], value: tensor('float64', [8], xs) },
        { name: 'z', declared: [8], value: tensor('float64', [8], zs) },
      ],
      ([x, z]) => c.sigmoidCrossEntropy(x, z),
    );
    const sig = (x: number): number => 1 / (1 + Math.exp(-x));
    const naive = xs.slice(0, 5).map((x, i) => -zs[i] * Math.log(sig(x)) - (1 - zs[i]) * Math.log(1 - sig(x)));
    assertClose(bce.data.slice(0, 5), naive, 'moderate logits', 1e-12, 1e-14);
    assertClose(bce.data.slice(5), [100, 100, 0], 'large logits', 1e-12, 1e-40);
    // Integer 0/1 labels are accepted and cast.
    const [fromInt] = run(
      [
        { name: 'x', declared: [3], value: tensor('float64', [3], [0.5, -1, 2]) },
        { name: 'z', declared: [3], value: tensor('int32', [3], [1, 0, 1]) },
      ],
      ([x, z]) => c.sigmoidCrossEntropy(x, z),
    );
    assertClose(fromInt.data, [0.5, -1, 2].map((x, i) => -Math.log(i === 1 ? 1 - sig(x) : sig(x))), 'int targets', 1e-12, 0);
  });

  it('dropout is re-exported for model code', () => {
    assert.equal(c.dropout, ops.dropout);
  });
});
