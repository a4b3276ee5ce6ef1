import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Graph, type Node, type Value } from '../../src/ir/graph.ts';
import * as ops from '../../src/ir/ops/index.ts';
import type { Dim } from '../../src/ir/shape.ts';
import { differentiate } from '../../src/passes/autodiff.ts';
import { lowerEinsumPass, lowerEinsums } from '../../src/passes/lower-einsum.ts';
import { checkPassPreserves, opCounts, randomFeeds } from './check-pass.ts';

const DIMS = { batch: 2, seq: 3 };
// Graphs are float64 so that before/after comparisons are tight: lowering reorders sums and
// (in float32) rounds intermediate products, so results agree to rounding, not bit for bit.
const DTYPE = 'float64';
const INTERP_RTOL = 1e-10;

/** A graph with one einsum over inputs of the given (possibly symbolic) shapes. */
function einsumGraph(equation: string, shapes: Dim[][]): { g: Graph; xs: Value[] } {
  const g = new Graph(equation);
  const xs = shapes.map((s, i) => g.input(`x${i}`, DTYPE, s));
  g.output('y', ops.einsum(equation, ...xs));
  return { g, xs };
}

async function lowerChecked(g: Graph): Promise<Record<string, number>> {
  const changed = await checkPassPreserves(g, randomFeeds(g, DIMS), lowerEinsums, { interpRtol: INTERP_RTOL });
  assert.equal(changed, true);
  const counts = opCounts(g);
  assert.equal(counts.Einsum, undefined, `${g.name}: an Einsum is left`);
  return counts;
}

const matmuls = (g: Graph): Node[] => g.nodes.filter((n) => n.op === ops.MatMul);

/** ALBERT's einsums and those autodiff derives from them, with the op counts they must lower to. */
const albert: { equation: string; shapes: Dim[][]; counts: Record<string, number> }[] = [
  // Forward.
  { equation: 'BFH,HO->BFO', shapes: [['batch', 'seq', 4], [4, 5]], counts: { MatMul: 1 } },
  { equation: 'BFH,HND->BFND', shapes: [['batch', 'seq', 4], [4, 2, 3]], counts: { MatMul: 1, Reshape: 2 } },
  { equation: 'BFND,NDH->BFH', shapes: [['batch', 'seq', 2, 3], [2, 3, 4]], counts: { MatMul: 1, Reshape: 2 } },
  { equation: 'BTNH,BFNH->BNFT', shapes: [['batch', 'seq', 2, 4], ['batch', 'seq', 2, 4]], counts: { MatMul: 1, Transpose: 2 } },
  { equation: 'BNFT,BTNH->BFNH', shapes: [['batch', 2, 'seq', 'seq'], ['batch', 'seq', 2, 4]], counts: { MatMul: 1, Transpose: 2 } },
  // Heads: a kernel stored [out, in], and a weighted sum over the sequence.
  { equation: 'BFH,OH->BFO', shapes: [['batch', 'seq', 4], [5, 4]], counts: { MatMul: 1, Transpose: 1 } },
  { equation: 'BSH,BS->BH', shapes: [['batch', 'seq', 4], ['batch', 'seq']], counts: { MatMul: 1, Reshape: 2 } },
  // Backward (the VJP einsums of the above: cotangent first, then the other operand).
  { equation: 'BFO,HO->BFH', shapes: [['batch', 'seq', 5], [4, 5]], counts: { MatMul: 1, Transpose: 1 } },
  { equation: 'BFO,BFH->HO', shapes: [['batch', 'seq', 5], ['batch', 'seq', 4]], counts: { MatMul: 1, Reshape: 2, Transpose: 1 } },
  { equation: 'BFND,HND->BFH', shapes: [['batch', 'seq', 2, 3], [4, 2, 3]], counts: { MatMul: 1, Reshape: 2, Transpose: 1 } },
  { equation: 'BFND,BFH->HND', shapes: [['batch', 'seq', 2, 3], ['batch', 'seq', 4]], counts: { MatMul: 1, Reshape: 3, Transpose: 1 } },
  { equation: 'BFH,NDH->BFND', shapes: [['batch', 'seq', 4], [2, 3, 4]], counts: { MatMul: 1, Reshape: 2, Transpose: 1 } },
  { equation: 'BFH,BFND->NDH', shapes: [['batch', 'seq', 4], ['batch', 'seq', 2, 3]], counts: { MatMul: 1, Reshape: 3, Transpose: 1 } },
  { equation: 'BNFT,BFNH->BTNH', shapes: [['batch', 2, 'seq', 'seq'], ['batch', 'seq', 2, 4]], counts: { MatMul: 1, Transpose: 2 } },
  { equation: 'BFNH,BTNH->BNFT', shapes: [['batch', 'seq', 2, 4], ['batch', 'seq', 2, 4]], counts: { MatMul: 1, Transpose: 2 } },
  { equation: 'BFNH,BNFT->BTNH', shapes: [['batch', 'seq', 2, 4], ['batch', 2, 'seq', 'seq']], counts: { MatMul: 1, Transpose: 2 } },
  { equation: 'BH,BSH->BS', shapes: [['batch', 4], ['batch', 'seq', 4]], counts: { MatMul: 1, Reshape: 2 } },
  { equation: 'BH,BS->BSH', shapes: [['batch', 4], ['batch', 'seq']], counts: { Mul: 1, Reshape: 2 } },
];

const general: { equation: string; shapes: Dim[][] }[] = [
  { equation: 'ij,jk->ik', shapes: [[3, 4], [4, 2]] },
  { equation: 'bij,bjk->bik', shapes: [['batch', 3, 4], ['batch', 4, 2]] },
  { equation: 'i,i->', shapes: [[5], [5]] },
  { equation: 'ij->ji', shapes: [[3, 4]] },
  { equation: 'ij->i', shapes: [[3, 4]] },
  { equation: 'ii->i', shapes: [[4, 4]] },
  { equation: 'ii->i', shapes: [['seq', 'seq']] },
  { equation: 'ii', shapes: [[4, 4]] },
  { equation: 'iij,jk->ik', shapes: [[3, 3, 2], [2, 4]] },
  { equation: 'ij,ji->', shapes: [[3, 4], [4, 3]] },
  { equation: 'i,j->ij', shapes: [[3], [4]] },
  { equation: 'bi,bi->bi', shapes: [['batch', 3], ['batch', 3]] },
  { equation: 'ij,k->ik', shapes: [[3, 4], [2]] },
  { equation: '...ij,...jk->...ik', shapes: [[2, 3, 4], [4, 2]] },
  { equation: '...ij,...jk->...ik', shapes: [[2, 1, 3, 4], [3, 4, 2]] },
  { equation: 'i...,i->...', shapes: [[3, 2, 1], [3]] },
  { equation: 'abc,cd->abd', shapes: [[2, 3, 4], [4, 5]] },
  { equation: 'abc,bd->dca', shapes: [[2, 3, 4], [3, 5]] },
  { equation: 'ij,jk,kl->il', shapes: [[2, 3], [3, 4], [4, 2]] },
  { equation: 'ij,jk,kl,l->i', shapes: [[2, 3], [3, 4], [4, 2], [2]] },
  { equation: 'bxi,byi,b->bxy', shapes: [['batch', 2, 3], ['batch', 4, 3], ['batch']] },
];

describe('lower-einsum', () => {
  for (const c of albert) {
    it(`"${c.equation}" lowers to ${JSON.stringify(c.counts)} and keeps its outputs`, async () => {
      const { g } = einsumGraph(c.equation, c.shapes);
      assert.deepEqual(await lowerChecked(g), c.counts);
    });
  }

  for (const c of general) {
    it(`"${c.equation}" ${JSON.stringify(c.shapes)} keeps its outputs`, async () => {
      const { g } = einsumGraph(c.equation, c.shapes);
      await lowerChecked(g);
    });
  }

  it('dense: MatMul reads x and W as they are (rank-3 x rank-2)', async () => {
    const { g, xs } = einsumGraph('BFH,HO->BFO', [['batch', 'seq', 4], [4, 5]]);
    await lowerChecked(g);
    const [mm] = matmuls(g);
    assert.deepEqual(mm.inputs, xs);
    assert.equal(g.outputs[0].value, mm.outputs[0]);
  });

  it('q/k/v and attention output: x goes to MatMul unreshaped / reshaped only, W reshaped', async () => {
    const qkv = einsumGraph('BFH,HND->BFND', [['batch', 'seq', 4], [4, 2, 3]]);
    await lowerChecked(qkv.g);
    const [mm] = matmuls(qkv.g);
    assert.equal(mm.inputs[0], qkv.xs[0]);
    assert.deepEqual(mm.inputs[1].shape, [4, 6]);
    assert.deepEqual(qkv.g.outputs[0].value.shape, ['batch', 'seq', 2, 3]);

    const out = einsumGraph('BFND,NDH->BFH', [['batch', 'seq', 2, 3], [2, 3, 4]]);
    await lowerChecked(out.g);
    const [mm2] = matmuls(out.g);
    assert.deepEqual(mm2.inputs[0].shape, ['batch', 'seq', 6]);
    assert.equal(mm2.inputs[0].producer!.inputs[0], out.xs[0]);
    assert.deepEqual(mm2.inputs[1].shape, [6, 4]);
  });

  it('weight gradient: one MatMul of Transpose(Reshape(x)) and Reshape(dy) over batch*seq rows', async () => {
    const { g, xs } = einsumGraph('BFO,BFH->HO', [['batch', 'seq', 5], ['batch', 'seq', 4]]);
    await lowerChecked(g);
    const [mm] = matmuls(g);
    const [left, right] = mm.inputs;
    assert.equal(left.producer!.op, ops.Transpose);
    assert.deepEqual((left.producer!.attrs as ops.TransposeAttrs).perm, [1, 0]);
    const flat = left.producer!.inputs[0];
    assert.deepEqual(flat.shape, ['batch*seq', 4]);
    assert.equal(flat.producer!.inputs[0], xs[1]);
    assert.deepEqual(right.shape, ['batch*seq', 5]);
    assert.equal(right.producer!.inputs[0], xs[0]);
    assert.equal(g.outputs[0].value, mm.outputs[0]);
  });

  it('scores and context: transposes feed one batched MatMul', async () => {
    const { g } = einsumGraph('BTNH,BFNH->BNFT', [['batch', 'seq', 2, 4], ['batch', 'seq', 2, 4]]);
    await lowerChecked(g);
    const [mm] = matmuls(g);
    assert.deepEqual(mm.inputs[0].shape, ['batch', 2, 'seq', 4]);
    assert.deepEqual(mm.inputs[1].shape, ['batch', 2, 4, 'seq']);
    assert.equal(g.outputs[0].value, mm.outputs[0]);
  });

  it('lowers after autodiff: no Einsum left, gradients unchanged, one MatMul per einsum', async () => {
    const g = new Graph('attention');
    const x = g.input('x', DTYPE, ['batch', 'seq', 4]);
    const wq = g.input('wq', DTYPE, [4, 2, 3], { role: 'param' });
    const wk = g.input('wk', DTYPE, [4, 2, 3], { role: 'param' });
    const wv = g.input('wv', DTYPE, [4, 2, 3], { role: 'param' });
    const wo = g.input('wo', DTYPE, [2, 3, 4], { role: 'param' });
    const wd = g.input('wd', DTYPE, [4, 5], { role: 'param' });
    const q = ops.einsum('BFH,HND->BFND', x, wq);
    const k = ops.einsum('BFH,HND->BFND', x, wk);
    const v = ops.einsum('BFH,HND->BFND', x, wv);
    const scores = ops.tanh(ops.einsum('BTNH,BFNH->BNFT', k, q));
    const context = ops.einsum('BNFT,BTNH->BFNH', scores, v);
    const attended = ops.tanh(ops.einsum('BFND,NDH->BFH', context, wo));
    const y = ops.einsum('BFH,HO->BFO', attended, wd);
    const loss = ops.reduceSum(ops.mul(y, y));
    g.output('loss', loss);
    const wrt = [x, wq, wk, wv, wo, wd];
    differentiate(loss, wrt).forEach((gr, i) => g.output(`grad:${wrt[i].input!.name}`, gr));
    const einsums = opCounts(g).Einsum;
    assert.ok(einsums >= 7 + 11, `expected forward and backward einsums, got ${einsums}`);
    const counts = await lowerChecked(g);
    assert.equal(counts.MatMul, einsums, 'one MatMul per einsum');
    assert.equal(counts.ReduceSum ?? 0, opCounts(g).ReduceSum ?? 0);
  });

  it('float32: the lowered forward einsums agree with the interpreter and onnxruntime', async () => {
    const g = new Graph('albert-f32');
    const x = g.input('x', 'float32', ['batch', 'seq', 4]);
    const wq = g.input('wq', 'float32', [4, 2, 3]);
    const wo = g.input('wo', 'float32', [2, 3, 4]);
    const wd = g.input('wd', 'float32', [4, 5]);
    const q = ops.einsum('BFH,HND->BFND', x, wq);
    const probs = ops.tanh(ops.einsum('BTNH,BFNH->BNFT', q, q));
    const context = ops.einsum('BNFT,BTNH->BFNH', probs, q);
    g.output('y', ops.einsum('BFH,HO->BFO', ops.einsum('BFND,NDH->BFH', context, wo), wd));
    await checkPassPreserves(g, randomFeeds(g, DIMS), lowerEinsums, { interpRtol: 1e-5 });
    assert.deepEqual(opCounts(g), { MatMul: 5, Reshape: 4, Transpose: 4, Tanh: 1 });
  });

  it('lowers the VJPs of diagonals, summed letters and broadcast ellipsis dims', async () => {
    const g = new Graph('odd-vjps');
    const d = g.input('d', DTYPE, [3, 3, 2]);
    const w = g.input('w', DTYPE, [2, 4]);
    const s = g.input('s', DTYPE, [3, 5]);
    const a = g.input('a', DTYPE, [2, 1, 3, 4]);
    const b = g.input('b', DTYPE, [3, 4, 2]);
    const y1 = ops.einsum('iij,jk->ik', d, w);
    const y2 = ops.einsum('ij->i', s);
    const y3 = ops.einsum('...ij,...jk->...ik', a, b);
    const loss = ops.add(ops.add(ops.reduceSum(ops.mul(y1, y1)), ops.reduceSum(ops.mul(y2, y2))), ops.reduceSum(ops.mul(y3, y3)));
    g.output('loss', loss);
    const wrt = [d, w, s, a, b];
    differentiate(loss, wrt).forEach((gr, i) => g.output(`grad${i}`, gr));
    await lowerChecked(g);
  });

  it('keeps the scope of the einsum it replaces', () => {
    const g = new Graph('scoped');
    const x = g.input('x', DTYPE, [2, 3]);
    const w = g.input('w', DTYPE, [3, 4]);
    g.output('y', g.scope('layer_0', () => ops.einsum('ij,jk->ki', x, w)));
    lowerEinsums(g);
    assert.ok(g.nodes.length > 0);
    for (const n of g.nodes) assert.equal(n.scope, 'layer_0');
  });

  it('reports no change on a graph without Einsum', () => {
    const g = new Graph('plain');
    const x = g.input('x', DTYPE, [2, 3]);
    g.output('y', ops.tanh(x));
    const pass = lowerEinsumPass();
    assert.equal(pass.name, 'lower-einsum');
    assert.equal(pass.run(g), false);
    assert.deepEqual(opCounts(g), { Tanh: 1 });
  });
});
