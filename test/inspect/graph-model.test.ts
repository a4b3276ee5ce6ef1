import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Graph, type Value } from '../../src/ir/graph.ts';
import * as ops from '../../src/ir/ops/index.ts';
import { buildModelGraph } from '../../src/compile.ts';
import { analyzeGraph } from '../../src/inspect/analyze.ts';
import { ranges, summarizePaths } from '../../src/inspect/graph-model.ts';
import { irGraphModel } from '../../src/inspect/ir-graph.ts';

const BLOCK = 'bert/encoder/transformer/group_0/inner_group_0';

/**
 * A miniature ALBERT: an embedding, three layers running one block with the same parameters (the
 * kernel reshaped once, as CSE leaves it, in the first layer), and a head.
 */
function sharedBlockGraph(layers = 3): Graph {
  const g = new Graph('mini');
  const x = g.input('x', 'float32', ['batch', 4]);
  const emb = g.input('bert/embeddings/table', 'float32', [4], { role: 'param', hfName: 'albert.embeddings.weight' });
  const kernel = g.input(`${BLOCK}/attention_1/kernel`, 'float32', [16], { role: 'param' });
  const gamma = g.input(`${BLOCK}/ffn_1/gamma`, 'float32', [4], { role: 'param' });
  const head = g.input('cls/bias', 'float32', [4], { role: 'param' });
  let h: Value = g.scope('embeddings', () => ops.mul(x, emb));
  let shaped: Value | null = null;
  for (let l = 0; l < layers; l++) {
    h = g.scope(`encoder/layer_${l}/inner_0`, () => {
      const a = g.scope('attention', () => {
        shaped ??= ops.reshape(kernel, [4, 4]);
        return ops.matmul(h, shaped);
      });
      return g.scope('ffn', () => ops.add(ops.mul(a, gamma), h));
    });
  }
  g.output('logits', g.scope('cls', () => ops.add(h, head)));
  return g;
}

describe('inspect graph model', () => {
  it('numbers in ranges, scope paths folded where one number varies', () => {
    assert.equal(ranges([0, 1, 2, 3, 7, 9, 10]), '0-3, 7, 9-10');
    assert.equal(ranges([5]), '5');
    assert.equal(
      summarizePaths(['encoder/layer_0/inner_0/attention', 'encoder/layer_1/inner_0/attention', 'encoder/layer_2/inner_0/attention', 'optimizer']),
      'encoder/layer_{0-2}/inner_0/attention, optimizer',
    );
    // Two numbers varying: listed as they are.
    assert.equal(summarizePaths(['g_0/l_0', 'g_1/l_1']), 'g_0/l_0, g_1/l_1');
  });

  it('groups nodes by scope, merges single-child chains and draws the shared block once', () => {
    const m = irGraphModel(sharedBlockGraph(), { batchSize: 2 });
    const top = m.scopes[0].children.map((c) => m.scopes[c].label);
    assert.deepEqual(top, ['embeddings', 'encoder', 'cls']);
    const encoder = m.scopes.find((s) => s.path === 'encoder')!;
    // encoder/layer_i has one child (inner_0) and no ops of its own: one box "layer_i/inner_0".
    assert.deepEqual(encoder.children.map((c) => m.scopes[c].label), ['layer_0/inner_0', 'layer_1/inner_0', 'layer_2/inner_0']);
    assert.equal(m.folds.length, 1);
    const f = m.folds[0];
    assert.equal(f.label, 'layer_{0-2}/inner_0');
    assert.equal(f.block, 'group_0/inner_group_0');
    assert.deepEqual(f.members, encoder.children);
    assert.deepEqual(f.params.map((p) => m.params[p].name), [`${BLOCK}/attention_1/kernel`, `${BLOCK}/ffn_1/gamma`]);
    // Each later layer's MatMul, Mul and Add map onto the first layer's (the Reshape is done once).
    assert.equal(f.alias.length, 2 * 3);
    for (const [from, to] of f.alias) assert.equal(m.nodes[from].op, m.nodes[to].op);
    const reshape = m.nodes.find((n) => n.op === 'Reshape')!;
    assert.equal(reshape.paramOnly, true);
    // The kernel is read (through the reshape) by every layer's attention.
    const kernel = m.params.find((p) => p.name.endsWith('attention_1/kernel'))!;
    assert.equal(kernel.sharedBy, 'encoder/layer_{0-2}/inner_0/attention');
    assert.equal(kernel.readers.length, 3);
    assert.equal(m.params[0].hfName, 'albert.embeddings.weight');
    // FLOPs of a box add up its subtree.
    assert.equal(m.scopes[0].flops, m.nodes.reduce((s, n) => s + (n.flops ?? 0), 0));
    assert.equal(encoder.flops, encoder.children.reduce((s, c) => s + m.scopes[c].flops, 0));
  });

  it('does not fold layers that do different work', () => {
    const g = new Graph('differ');
    const x = g.input('x', 'float32', [4]);
    const w = g.input('w', 'float32', [4], { role: 'param' });
    const a = g.scope('layer_0', () => ops.mul(x, w));
    g.output('y', g.scope('layer_1', () => ops.add(a, w)));
    assert.deepEqual(irGraphModel(g).folds, []);
  });

  it('puts many loose ops beside boxes into a group of their own', () => {
    const g = new Graph('loose');
    let v = g.input('x', 'float32', [4]);
    v = g.scope('encoder', () => ops.neg(v));
    for (let i = 0; i < 8; i++) v = ops.exp(v);
    g.output('y', v);
    const m = irGraphModel(g);
    assert.deepEqual(m.scopes[0].children.map((c) => [m.scopes[c].label, m.scopes[c].nodes.length, m.scopes[c].synthetic ?? false]), [['encoder', 1, false], ['(unscoped)', 8, true]]);
    assert.deepEqual(m.scopes[0].nodes, []);
  });

  it("splits a scope of very many ops into the chains that share no values: the optimizer's per-parameter updates", () => {
    const g = buildModelGraph({ config: 'tiny', head: 'pretraining', mode: 'train' });
    const m = irGraphModel(g);
    const opt = m.scopes.find((s) => s.path === 'optimizer')!;
    assert.ok(opt.nodeCount > 120, `${opt.nodeCount} optimizer ops`);
    const parts = opt.children.map((c) => m.scopes[c]);
    assert.ok(parts.every((p) => p.synthetic));
    const labels = parts.map((p) => p.label);
    for (const want of ['word_embeddings', 'query/kernel', 'LayerNorm_1/gamma', 'output_weights']) assert.ok(labels.includes(want), labels.join(' | '));
    // Each parameter's chain reads that parameter and no other.
    const query = parts.find((p) => p.label === 'query/kernel')!;
    assert.deepEqual(query.params.map((p) => m.params[p].name), ['bert/encoder/transformer/group_0/inner_group_0/attention_1/self/query/kernel']);
    assert.equal(opt.nodes.length, 0);
  });

  it('has the peak of the liveness scan, and the values alive there add up to it', () => {
    const g = buildModelGraph({ config: 'tiny', head: 'pretraining', mode: 'grad' });
    const opts = { batchSize: 4, seqLength: 16 };
    const m = irGraphModel(g, opts);
    const r = analyzeGraph(g, opts);
    const mem = m.memory!;
    assert.equal(mem.peakBytes, r.memory!.peakLiveBytes);
    assert.equal(mem.live.length, g.nodes.length);
    assert.equal(Math.max(...mem.live), mem.peakBytes);
    assert.equal(mem.live[mem.peakStep], mem.peakBytes);
    assert.equal(mem.alive.reduce((s, v) => s + m.values[v].bytes!, 0), mem.peakBytes);
    assert.equal(m.flops.total, r.flops.total);
    // Parameters: the same tensors and count as the report.
    assert.equal(m.params.filter((p) => p.used).reduce((s, p) => s + p.size, 0), r.parameters.count);
    // The forward layers and the backward layers each fold into one block.
    assert.deepEqual(m.folds.map((f) => `${m.scopes[f.scope].path}: ${f.label} (${f.block})`), ['encoder: layer_{0-1}/inner_0 (group_0/inner_group_0)', 'grad/encoder: layer_{0-1}/inner_0 (group_0/inner_group_0)']);
  });
});
