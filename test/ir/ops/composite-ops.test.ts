/**
 * The composite ops (Softmax, LogSoftmax, LayerNorm with its statistics, Gelu in both forms,
 * Attention):
 * their own VJPs against finite differences (statistics outputs included), their reference
 * evaluation against their decomposition in float64, and the fused ONNX kernels against the
 * interpreter.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Graph, type Value } from '../../../src/ir/graph.ts';
import { interpret } from '../../../src/ir/interpreter.ts';
import { attentionOp, geluOp, layerNormOp, logSoftmaxOp, softmaxOp, Attention, Gelu, LayerNorm, Softmax, LogSoftmax } from '../../../src/ir/ops/index.ts';
import { decomposeComposites } from '../../../src/passes/decompose.ts';
import { assertClose, buildCase, checkGradients, checkOnnxAgreement, makeFeeds, type OpCase } from '../../helpers/check.ts';

const ln = (ins: Value[]): Value[] => {
  const r = layerNormOp(ins[0], ins[1], ins[2], 1e-5);
  return [r.y, r.mean, r.invStdDev];
};

const cases: OpCase[] = [
  { name: 'Softmax last axis', inputs: [{ name: 'x', shape: [3, 5] }], build: ([x]) => softmaxOp(x) },
  { name: 'Softmax middle axis (symbolic batch)', inputs: [{ name: 'x', shape: [2, 4, 3], declared: ['batch', 4, 3] }], build: ([x]) => softmaxOp(x, 1) },
  { name: 'LogSoftmax last axis', inputs: [{ name: 'x', shape: [2, 3, 4] }], build: ([x]) => logSoftmaxOp(x) },
  { name: 'LogSoftmax first axis', inputs: [{ name: 'x', shape: [4, 3] }], build: ([x]) => logSoftmaxOp(x, 0) },
  {
    name: 'LayerNorm y, mean and 1/std (symbolic batch, seq)',
    inputs: [
      { name: 'x', shape: [2, 3, 6], declared: ['batch', 'seq', 6] },
      { name: 'gamma', shape: [6] },
      { name: 'beta', shape: [6] },
    ],
    build: ln,
  },
  { name: 'LayerNorm of a vector', inputs: [{ name: 'x', shape: [5] }, { name: 'gamma', shape: [5] }, { name: 'beta', shape: [5] }], build: ln },
  { name: 'Gelu tanh', inputs: [{ name: 'x', shape: [4, 5] }], build: ([x]) => geluOp(x, 'tanh') },
  { name: 'Gelu exact', inputs: [{ name: 'x', shape: [4, 5] }], build: ([x]) => geluOp(x, 'none') },
  {
    name: 'Attention with a mask bias [B, 1, 1, T] (symbolic batch and seq)',
    inputs: [
      { name: 'q', shape: [2, 3, 2, 4], declared: ['batch', 'seq', 2, 4] },
      { name: 'k', shape: [2, 3, 2, 4], declared: ['batch', 'seq', 2, 4] },
      { name: 'v', shape: [2, 3, 2, 4], declared: ['batch', 'seq', 2, 4] },
      { name: 'bias', shape: [2, 1, 1, 3], declared: ['batch', 1, 1, 'seq'], values: [0, 0, -10000, 0, -10000, 0] },
    ],
    wrt: ['q', 'k', 'v'],
    build: ([q, k, v, b]) => attentionOp(q, k, v, b, 0.5),
  },
  {
    name: 'Attention with more keys than queries and a full bias',
    inputs: [
      { name: 'q', shape: [1, 2, 3, 2] },
      { name: 'k', shape: [1, 4, 3, 2] },
      { name: 'v', shape: [1, 4, 3, 2] },
      { name: 'bias', shape: [1, 3, 2, 4] },
    ],
    build: ([q, k, v, b]) => attentionOp(q, k, v, b, 0.7),
  },
];

describe('composite ops', () => {
  for (const c of cases) {
    it(`${c.name}: VJP against finite differences`, () => checkGradients(c));
    it(`${c.name}: reference evaluation equals the decomposition`, () => {
      const { graph } = buildCase(c, 'float64');
      const feeds = makeFeeds(c, 'float64');
      const before = interpret(graph, feeds);
      const composites = graph.nodes.filter((n) => n.op.decompose).length;
      assert.ok(composites > 0);
      assert.equal(decomposeComposites(graph), true);
      assert.equal(graph.nodes.filter((n) => n.op.decompose).length, 0);
      const after = interpret(graph, feeds);
      for (const k of Object.keys(before)) assertClose(after[k].data, before[k].data, `${c.name} ${k}`, 1e-12, 1e-13);
    });
    it(`${c.name}: the fused ONNX kernel agrees with the interpreter`, () => checkOnnxAgreement(c));
  }

  it('checks shapes with one-line errors naming the op', () => {
    const g = new Graph('bad');
    const x = g.input('x', 'float32', [2, 4]);
    const bad = g.input('g', 'float32', [3]);
    const ids = g.input('i', 'int32', [2, 4]);
    assert.throws(() => layerNormOp(x, bad, bad, 1e-12), /LayerNorm\{epsilon=1e-12\}\(float32\[2, 4\].*gamma and beta must be float32\[4\]/);
    assert.throws(() => softmaxOp(ids), /softmax\(int32\[2, 4\]\): input must be a float tensor/);
    assert.throws(() => geluOp(ids, 'tanh'), /gelu\(int32\[2, 4\]\): input must be a float tensor/);
    assert.throws(() => softmaxOp(x, 2), /axis/);
  });

  it('are composites: each has a decomposition, and the plain ops do not', () => {
    for (const op of [Softmax, LogSoftmax, LayerNorm, Gelu, Attention]) assert.equal(typeof op.decompose, 'function', op.name);
  });
});
