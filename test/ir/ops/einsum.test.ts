import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as ops from '../../../src/ir/ops/index.ts';
import { ShapeError } from '../../../src/ir/errors.ts';
import { Graph, type Value } from '../../../src/ir/graph.ts';
import { interpret } from '../../../src/ir/interpreter.ts';
import { mulDims, type Dim } from '../../../src/ir/shape.ts';
import { tensor } from '../../../src/ir/tensor.ts';
import { differentiate } from '../../../src/passes/autodiff.ts';
import { assertClose, checkGradients, checkOnnxAgreement, type OpCase } from '../../helpers/check.ts';

/** An einsum case: operand shapes (and optional declared shapes with symbolic dims). */
function es(equation: string, shapes: number[][], declared?: (Dim[] | undefined)[]): OpCase {
  return {
    name: `"${equation}"${declared ? ' (symbolic)' : ''}`,
    inputs: shapes.map((shape, i) => ({ name: `x${i}`, shape, declared: declared?.[i] })),
    build: (xs) => ops.einsum(equation, ...xs),
  };
}

const cases: OpCase[] = [
  // ALBERT's five, as the original writes them.
  es('BFH,HO->BFO', [
    [2, 3, 4],
    [4, 5],
  ]),
  es('BFH,HND->BFND', [
    [2, 3, 4],
    [4, 2, 3],
  ]),
  es('BFND,NDH->BFH', [
    [2, 3, 2, 3],
    [2, 3, 4],
  ]),
  es('BTNH,BFNH->BNFT', [
    [2, 3, 2, 4],
    [2, 5, 2, 4],
  ]),
  es('BNFT,BTNH->BFNH', [
    [2, 2, 5, 3],
    [2, 3, 2, 4],
  ]),
  // General subscripts.
  es('ij,jk->ik', [
    [3, 4],
    [4, 2],
  ]),
  es('bij,bjk->bik', [
    [2, 3, 4],
    [2, 4, 3],
  ]),
  es('i,i->', [[5], [5]]),
  es('ij->ji', [[3, 4]]),
  es('ij->i', [[3, 4]]),
  es('ij->', [[3, 4]]),
  es('i,j->ij', [[3], [4]]),
  es('ij,jk', [
    [3, 4],
    [4, 2],
  ]),
  es('ii->i', [[4, 4]]),
  es('ii', [[4, 4]]),
  es('iij->j', [[3, 3, 2]]),
  es('iij,jk->ik', [
    [3, 3, 2],
    [2, 4],
  ]),
  es('ij,k->ik', [[3, 4], [2]]),
  es('...ij,...jk->...ik', [
    [2, 1, 3, 4],
    [3, 4, 2],
  ]),
  es('i...,i->...', [
    [3, 2, 1],
    [3],
  ]),
  es('abc,cd->abd', [
    [2, 3, 4],
    [4, 5],
  ]),
  es('ij,jk,kl->il', [
    [2, 3],
    [3, 4],
    [4, 2],
  ]),
  // Symbolic dims: batch and seq stay symbolic through the shape rule, VJP and ONNX.
  es(
    'BFH,HO->BFO',
    [
      [2, 3, 4],
      [4, 5],
    ],
    [['batch', 'seq', 4], undefined],
  ),
  es(
    'BFO,BFH->HO',
    [
      [2, 3, 5],
      [2, 3, 4],
    ],
    [
      ['batch', 'seq', 5],
      ['batch', 'seq', 4],
    ],
  ),
  es(
    'BTNH,BFNH->BNFT',
    [
      [2, 3, 2, 4],
      [2, 3, 2, 4],
    ],
    [
      ['batch', 'seq', 2, 4],
      ['batch', 'seq', 2, 4],
    ],
  ),
  // A diagonal over a symbolic dim: the VJP's mask is built at run time.
  es('ii->i', [[3, 3]], [['n', 'n']]),
];

function outShape(equation: string, shapes: Dim[][]): Dim[] {
  const g = new Graph('shape');
  const xs = shapes.map((s, i) => g.input(`x${i}`, 'float32', s));
  return ops.einsum(equation, ...xs).shape;
}

function evalEinsum(equation: string, inputs: { shape: number[]; data: number[] }[]): { shape: number[]; data: number[] } {
  const g = new Graph('eval');
  const xs = inputs.map((t, i) => g.input(`x${i}`, 'float64', t.shape));
  g.output('y', ops.einsum(equation, ...xs));
  const y = interpret(g, Object.fromEntries(inputs.map((t, i) => [`x${i}`, tensor('float64', t.shape, t.data)]))).y;
  return { shape: y.shape, data: Array.from(y.data) };
}

describe('Einsum', () => {
  for (const c of cases) {
    it(`${c.name}: VJP matches finite differences`, () => checkGradients(c));
    it(`${c.name}: interpreter matches onnxruntime (ONNX Einsum)`, () => checkOnnxAgreement(c));
  }

  it('infers output shapes: explicit, implicit (ASCII order), ellipsis broadcast, symbolic', () => {
    assert.deepEqual(outShape('BFH,HND->BFND', [['batch', 'seq', 8], [8, 2, 4]]), ['batch', 'seq', 2, 4]);
    assert.deepEqual(outShape('ij,jk', [[2, 3], [3, 5]]), [2, 5]);
    assert.deepEqual(outShape('ba', [[2, 3]]), [3, 2]);
    assert.deepEqual(outShape('bA', [[2, 3]]), [3, 2]); // uppercase sorts first, as in numpy
    assert.deepEqual(outShape('ii', [[4, 4]]), []);
    assert.deepEqual(outShape('...ij,...jk->...ik', [[2, 1, 3, 4], [5, 4, 6]]), [2, 5, 3, 6]);
    assert.deepEqual(outShape('...ij,...jk', [['batch', 1, 3, 4], [1, 4, 6]]), ['batch', 1, 3, 6]);
    assert.deepEqual(outShape('i...j->j...i', [[2, 3, 4, 5]]), [5, 3, 4, 2]);
    assert.deepEqual(outShape(' ij , jk -> ki ', [[2, 3], [3, 5]]), [5, 2]);
  });

  it('returns the operand itself for an identity equation', () => {
    const g = new Graph('id');
    const x = g.input('x', 'float32', [2, 3]);
    assert.equal(ops.einsum('ij->ij', x), x);
    assert.equal(ops.einsum('ij', x), x);
    assert.equal(g.nodes.length, 0);
  });

  it('rejects impossible shapes with one line naming the equation and the shapes', () => {
    const g = new Graph('bad');
    const x = g.input('x', 'float32', ['batch', 'seq', 768]);
    const w = g.input('w', 'float32', [512, 12, 64]);
    const v = g.input('v', 'float32', [3, 4]);
    const n = g.input('n', 'int32', [3, 4]);
    assert.throws(() => ops.einsum('BFH,HND->BFND', x, w), {
      name: 'ShapeError',
      message: 'Einsum "BFH,HND->BFND": letter H is 768 in operand 0 and 512 in operand 1 (shapes [batch, seq, 768], [512, 12, 64])',
    });
    const bad = (eq: string, xs: Value[], pattern: RegExp): void => {
      assert.throws(
        () => ops.einsum(eq, ...xs),
        (e: unknown) => e instanceof ShapeError && pattern.test(e.message) && e.message.startsWith(`Einsum "${eq}"`),
        eq,
      );
    };
    bad('ij,jk->ik', [v], /2 operand terms for 1 operands/);
    bad('ijk->k', [v], /operand 0 has rank 2 but term 0 names 3 axes/);
    bad('ij->ik', [v], /output letter k is in no operand/);
    bad('ij->ii', [v], /letter i appears twice in the output/);
    bad('ii->i', [v], /letter i is both 3 and 4 in operand 0/);
    bad('...j->j', [v], /no "\.\.\."/);
    bad('...i,...i->...', [x, v], /do not broadcast \(seq and 3\)/);
    bad('i1->i', [v], /"1" in term "i1" is not a letter/);
    bad('ij->j->i', [v], /more than one "->"/);
    bad('ij,jk->ik', [n, n], /dtype int32 is not supported/);
    bad('BFH,Hk->BFk', [x, v], /letter H is 768 in operand 0 and 3 in operand 1/);
  });

  it('evaluates exactly: products, traces, diagonals, size-1 ellipsis broadcasting', () => {
    const a = { shape: [2, 3], data: [1, 2, 3, 4, 5, 6] };
    const b = { shape: [3, 2], data: [7, 8, 9, 10, 11, 12] };
    assert.deepEqual(evalEinsum('ij,jk->ik', [a, b]), { shape: [2, 2], data: [58, 64, 139, 154] });
    assert.deepEqual(evalEinsum('ij,jk->ki', [a, b]), { shape: [2, 2], data: [58, 139, 64, 154] });
    const sq = { shape: [3, 3], data: [1, 2, 3, 4, 5, 6, 7, 8, 9] };
    assert.deepEqual(evalEinsum('ii->i', [sq]), { shape: [3], data: [1, 5, 9] });
    assert.deepEqual(evalEinsum('ii', [sq]), { shape: [], data: [15] });
    assert.deepEqual(evalEinsum('ij->j', [a]), { shape: [3], data: [5, 7, 9] });
    assert.deepEqual(evalEinsum('i,j', [{ shape: [2], data: [1, 2] }, { shape: [2], data: [3, 4] }]), { shape: [2, 2], data: [3, 4, 6, 8] });
    // [1, 2, 3] against [2, 3, 2] under "...": the size-1 batch is read for both batches.
    const p = evalEinsum('...ij,...jk->...ik', [{ shape: [1, 2, 3], data: a.data }, { shape: [2, 3, 2], data: [...b.data, ...b.data.map((x) => -x)] }]);
    assert.deepEqual(p, { shape: [2, 2, 2], data: [58, 64, 139, 154, -58, -64, -139, -154] });
  });

  it('differentiates into einsums with swapped subscripts', () => {
    const g = new Graph('vjp');
    const x = g.input('x', 'float32', ['batch', 'seq', 4]);
    const w = g.input('w', 'float32', [4, 2, 3]);
    const y = ops.einsum('BFH,HND->BFND', x, w);
    const ct = g.input('ct', 'float32', ['batch', 'seq', 2, 3]);
    differentiate(ops.reduceSum(ops.mul(y, ct)), [x, w]);
    const equations = g.nodes.filter((n) => n.op === ops.Einsum).map((n) => (n.attrs as ops.EinsumAttrs).equation);
    assert.deepEqual(equations.sort(), ['BFH,HND->BFND', 'BFND,BFH->HND', 'BFND,HND->BFH']);
  });

  it('VJP expands letters found in no other operand and masks repeated letters', () => {
    // d/dx of sum_j x[i,i,j] c[j] is c[j] on the diagonal i == i' and 0 elsewhere, the same for every i.
    const g = new Graph('vjp-diag');
    const x = g.input('x', 'float64', [2, 2, 3]);
    const c = g.input('c', 'float64', [3]);
    const [gx] = differentiate(ops.einsum('iij,j->', x, c), [x]);
    g.output('gx', gx);
    const cv = [0.5, -1, 2];
    const out = interpret(g, { x: tensor('float64', [2, 2, 3], 0), c: tensor('float64', [3], cv) }).gx;
    assert.deepEqual(out.shape, [2, 2, 3]);
    const want = [...cv, 0, 0, 0, 0, 0, 0, ...cv];
    assertClose(out.data, want, 'diagonal cotangent', 0, 0);
  });

  it('VJP agrees with onnxruntime, symbolic dims included', () =>
    checkOnnxAgreement({
      name: 'einsum grads',
      inputs: [
        { name: 'x', shape: [2, 3, 4], declared: ['batch', 'seq', 4] },
        { name: 'w', shape: [4, 2, 3] },
        { name: 'd', shape: [3, 3] },
        { name: 'ct', shape: [2, 3, 2, 3], declared: ['batch', 'seq', 2, 3] },
      ],
      build: ([x, w, d, ct]) => {
        const y = ops.einsum('BFH,HND->BFND', x, ops.mul(w, ops.einsum('ii->i', d)));
        return [y, ...differentiate(ops.reduceSum(ops.mul(y, ct)), [x, w, d])];
      },
    }));

  it('counts flops: 2 * product of letter sizes for two operands, symbolic dims kept', () => {
    const g = new Graph('flops');
    const x = g.input('x', 'float32', ['batch', 'seq', 768]);
    const w = g.input('w', 'float32', [768, 3072]);
    const y = ops.einsum('BFH,HO->BFO', x, w);
    assert.equal(y.producer!.op.flops!(y.producer!), mulDims(2, 'batch', 'seq', 768, 3072));
    const t = ops.einsum('ii->', g.input('s', 'float32', [5, 5]));
    assert.equal(t.producer!.op.flops!(t.producer!), 5);
    const three = ops.einsum('ij,jk,kl->il', g.input('a', 'float32', [2, 3]), g.input('b', 'float32', [3, 4]), g.input('c', 'float32', [4, 5]));
    assert.equal(three.producer!.op.flops!(three.producer!), 3 * 2 * 3 * 4 * 5);
  });
});
