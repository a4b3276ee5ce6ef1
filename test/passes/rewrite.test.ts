import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Graph, type Value } from '../../src/ir/graph.ts';
import * as ops from '../../src/ir/ops/index.ts';
import { tensor } from '../../src/ir/tensor.ts';
import { verifyGraph } from '../../src/ir/verifier.ts';
import { any, constant, constFilled, is, oneOf, op, rewrite, rewritePass, rule, singleUse, type RewriteRule } from '../../src/passes/rewrite.ts';
import { simplifyRules } from '../../src/passes/simplify.ts';
import { opCounts } from './check-pass.ts';

/** Test rules that change what the graph computes: only the structure is checked here. */
const expToTanh = rule('exp-to-tanh', op(ops.Exp, any()), ({ operands: [x] }) => ops.tanh(x));
const tanhToNeg = rule('tanh-to-neg', op(ops.Tanh, any()), ({ operands: [x] }) => ops.neg(x));

describe('rewrite matchers', () => {
  it('is() tells a node of an op from others and from null', () => {
    const g = new Graph('is');
    const x = g.input('x', 'float32', [3]);
    const e = ops.exp(x).producer;
    assert.equal(is(e, ops.Exp), true);
    assert.equal(is(e, ops.Tanh), false);
    assert.equal(is(x.producer, ops.Exp), false);
    const t = ops.transpose(g.input('m', 'float32', [2, 3]), [1, 0]).producer;
    // The guard narrows to the op's attributes.
    assert.deepEqual(is(t, ops.Transpose) ? t.attrs.perm : null, [1, 0]);
  });

  it('op() matches operands in order, with captures, and commutes only when asked', () => {
    const g = new Graph('op');
    const x = g.input('x', 'float32', [3]);
    const xTimes1 = ops.mul(x, 1).producer!;
    const oneTimesX = ops.mul(1, x).producer!;
    const xTimes2 = ops.mul(x, 2).producer!;
    const xPlus1 = ops.add(x, 1).producer!;
    const p = op(ops.Mul, any(), constFilled(1));
    const m = p.match(xTimes1);
    assert.ok(m);
    assert.equal(m.node, xTimes1);
    assert.equal(m.operands[0], x);
    assert.deepEqual(Array.from(m.operands[1].data), [1]);
    assert.equal(p.match(xTimes2), null, 'the constant is not 1');
    assert.equal(p.match(xPlus1), null, 'another op');
    assert.equal(p.match(oneTimesX), null, 'operands in the other order');
    const c = p.commutative().match(oneTimesX);
    assert.ok(c);
    assert.equal(c.operands[0], x, 'captures stay in pattern order');
    assert.equal(op(ops.Mul, any()).match(xTimes1), null, 'the operand count must agree');
    assert.ok(op(ops.Mul).match(xTimes1), 'no operand patterns: inputs not looked at');
    assert.throws(() => op(ops.Neg, any()).commutative(), /two operand patterns/);
  });

  it('where() conditions apply per operand order', () => {
    const g = new Graph('where');
    const x = g.input('x', 'float32', [3]);
    const y = g.input('y', 'float32', [3]);
    const xy = ops.mul(x, y).producer!;
    const isY = (v: Value): boolean => v === y;
    // Pattern (a, b) with a == y: fails as written, matches with the operands swapped.
    const p = op(ops.Mul, any(), any()).where(({ operands: [a] }) => isY(a));
    assert.equal(p.match(xy), null);
    const m = p.commutative().match(xy);
    assert.ok(m);
    assert.deepEqual(m.operands, [y, x]);
    assert.equal(op(ops.Mul, any(isY), any()).match(xy), null, 'a value predicate');
  });

  it('nests op patterns through producers, and oneOf takes the first that matches', () => {
    const g = new Graph('nest');
    const x = g.input('x', 'float32', [2, 3]);
    const nn = ops.neg(ops.neg(x)).producer!;
    const n1 = ops.neg(ops.exp(x)).producer!;
    const negNeg = op(ops.Neg, op(ops.Neg, any()));
    const m = negNeg.match(nn);
    assert.ok(m);
    assert.equal(m.operands[0].operands[0], x);
    assert.equal(negNeg.match(n1), null);
    const expOrTanh = op(ops.Neg, oneOf(op(ops.Tanh, any()), op(ops.Exp, any())));
    assert.equal(expOrTanh.match(n1)?.operands[0].node.op, ops.Exp);
    assert.equal(expOrTanh.match(nn), null);
  });

  it('constant patterns read Constants only; constFilled(0) takes either zero', () => {
    const g = new Graph('const');
    const x = g.input('x', 'float32', [2]);
    const negZero = ops.constant(g, tensor('float32', [2], [-0, 0]));
    const mixed = ops.constant(g, tensor('float32', [2], [0, 1]));
    assert.ok(constFilled(0)(negZero));
    assert.equal(constFilled(0)(mixed), null);
    assert.equal(constFilled(0)(x), null, 'a graph input is not a constant');
    assert.equal(constant((t) => t.data.every((z) => Object.is(z, 0)))(negZero), null);
    assert.deepEqual(Array.from(constant()(mixed)!.data), [0, 1]);
  });

  it('singleUse: one user and not a graph output', () => {
    const g = new Graph('uses');
    const x = g.input('x', 'float32', [2]);
    const a = ops.exp(x);
    const b = ops.tanh(a);
    const c = ops.neg(b);
    g.output('b', b);
    g.output('y', ops.add(c, c));
    assert.equal(singleUse(a), true);
    assert.equal(singleUse(b), false, 'a graph output');
    assert.equal(singleUse(c), false, 'read twice');
  });
});

describe('rewrite driver', () => {
  it('replaces uses, graph outputs included, and removes what it made dead but not older dead code', () => {
    const g = new Graph('replace');
    const x = g.input('x', 'float32', [3]);
    const deadBefore = ops.sqrt(x).producer!;
    const e = ops.exp(ops.mul(x, 2));
    g.output('e', e);
    g.output('y', ops.neg(e));
    const mulNode = e.producer!.inputs[0].producer!;
    const two = mulNode.inputs[1].producer!;
    // Exp(x*2) -> Tanh(x): the Mul and its constant lose their only user.
    const r = rule('exp-of-mul', op(ops.Exp, op(ops.Mul, any(), any())), ({ operands: [m] }) => ops.tanh(m.operands[0]));
    assert.equal(rewrite(g, [r]), true);
    verifyGraph(g);
    const t = g.outputByName('e')!;
    assert.equal(t.producer!.op, ops.Tanh);
    assert.equal(t.producer!.inputs[0], x);
    assert.equal(g.outputByName('y')!.producer!.inputs[0], t, 'the Neg reads the replacement');
    assert.ok(!g.nodes.includes(mulNode) && !g.nodes.includes(two), 'the debris goes');
    assert.ok(g.nodes.includes(deadBefore), 'dead code the rewrite did not touch stays');
    assert.deepEqual(opCounts(g), { Sqrt: 1, Tanh: 1, Neg: 1 });
    assert.equal(x.uses.length, 2, 'x: Sqrt and Tanh');
    assert.equal(rewrite(g, [r]), false, 'nothing left to do');
  });

  it('throws on a replacement of another type, naming the rule, before touching any use', () => {
    const g = new Graph('bad-type');
    const x = g.input('x', 'float32', [2, 3]);
    g.output('y', ops.exp(x));
    const before = g.nodes.length;
    const bad = rule('sum-instead', op(ops.Exp, any()), ({ operands: [v] }) => ops.reduceSum(v, [1]));
    assert.throws(() => rewrite(g, [bad]), /rule sum-instead: .*float32\[2, ?3\].*float32\[2\].*change its type/);
    assert.equal(g.outputByName('y')!.producer!.op, ops.Exp);
    const wrongCount = rule('two-for-one', op(ops.Exp, any()), ({ operands: [v] }) => [v, v]);
    assert.throws(() => rewrite(g, [wrongCount]), /rule two-for-one: Exp has 1 outputs, the rule gave 2/);
    const badRewire = rule('bad-rewire', op(ops.Exp, any()), ({ node, operands: [v] }, ctx) => ctx.rewire(node, [ops.reduceSum(v, [0])], {}));
    assert.throws(() => rewrite(g, [badRewire]), /rule bad-rewire: rewiring Exp would change its type/);
    assert.ok(g.nodes.length >= before);
  });

  it('rewires in place, keeping the output value and sweeping the producer read around', () => {
    const g = new Graph('rewire');
    const x = g.input('x', 'float32', [3]);
    const inner = ops.tanh(x);
    const out = ops.exp(inner);
    g.output('y', out);
    const r = rule('skip-tanh', op(ops.Exp, op(ops.Tanh, any())), ({ node, operands: [t] }, ctx) => ctx.rewire(node, [t.operands[0]], {}));
    assert.equal(rewrite(g, [r]), true);
    verifyGraph(g);
    assert.equal(g.outputByName('y'), out, 'same output value');
    assert.equal(out.producer!.inputs[0], x);
    assert.deepEqual(opCounts(g), { Exp: 1 });
    assert.deepEqual(inner.uses, []);
  });

  it('reaches a fixpoint across chained rules, within maxRounds', () => {
    const build = (): Graph => {
      const g = new Graph('chain');
      const x = g.input('x', 'float32', [3]);
      g.output('y', ops.sqrt(ops.exp(x)));
      return g;
    };
    // tanh-to-neg comes first, so the Tanh that exp-to-tanh builds is only met in the next walk.
    const g1 = build();
    assert.equal(rewrite(g1, [tanhToNeg, expToTanh], { maxRounds: 1 }), true);
    assert.deepEqual(opCounts(g1), { Tanh: 1, Sqrt: 1 });
    const g2 = build();
    assert.equal(rewrite(g2, [tanhToNeg, expToTanh]), true);
    verifyGraph(g2);
    assert.deepEqual(opCounts(g2), { Neg: 1, Sqrt: 1 });
    assert.deepEqual(
      g2.nodes.map((n) => n.op.name),
      ['Neg', 'Sqrt'],
      'built nodes are sorted before their users',
    );
  });

  it('builds replacements in the scope of the node they replace', () => {
    const g = new Graph('scopes');
    const x = g.input('x', 'float32', [3]);
    const e = g.scope('encoder', () => g.scope('layer_0', () => ops.exp(x)));
    g.output('y', g.scope('head', () => ops.neg(e)));
    rewrite(g, [expToTanh]);
    const t = g.outputByName('y')!.producer!.inputs[0].producer!;
    assert.equal(t.op, ops.Tanh);
    assert.equal(t.scope, 'encoder/layer_0');
    assert.equal(g.currentScope(), '', 'the scope is closed again');
  });

  it('removes what a declining rule built', () => {
    const g = new Graph('decline');
    const x = g.input('x', 'float32', [3]);
    g.output('y', ops.exp(x));
    const messy: RewriteRule = { name: 'messy', apply: (n) => (ops.neg(n.inputs[0]), null) };
    assert.equal(rewrite(g, [messy]), false);
    assert.deepEqual(opCounts(g), { Exp: 1 });
  });

  it('composes rule sets: simplify cleans up after another set in the same run', () => {
    const build = (): { g: Graph; x: Value } => {
      const g = new Graph('compose');
      const x = g.input('x', 'float32', [3]);
      g.output('y', ops.exp(x));
      return { g, x };
    };
    // Exp(x) -> Neg(Neg(x)) * 1: left alone, it stays; with simplify's rules, it becomes x.
    const noisy = rule('exp-to-noise', op(ops.Exp, any()), ({ operands: [x] }) => ops.mul(ops.neg(ops.neg(x)), 1));
    const alone = build();
    rewrite(alone.g, [noisy]);
    assert.deepEqual(opCounts(alone.g), { Neg: 2, Constant: 1, Mul: 1 });
    const both = build();
    const pass = rewritePass('noise-then-simplify', [noisy, ...simplifyRules]);
    assert.equal(pass.name, 'noise-then-simplify');
    assert.equal(pass.run(both.g), true);
    verifyGraph(both.g);
    assert.equal(both.g.outputByName('y'), both.x);
    assert.deepEqual(opCounts(both.g), {});
  });
});
