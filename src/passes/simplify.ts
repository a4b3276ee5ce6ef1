import type { Graph, Node, Value } from '../ir/graph.ts';
import { Add, Cast, Div, Expand, Identity, Mul, Neg, Reshape, Squeeze, Sub, Transpose, Unsqueeze } from '../ir/ops/index.ts';
import { shapeEq } from '../ir/shape.ts';
import type { Pass } from './pass.ts';
import { any, constant, constFilled, oneOf, op, rewrite, rule, type OpMatch, type RewriteRule } from './rewrite.ts';

/**
 * Algebraic simplification with identities that hold for every input:
 *   x*1, 1*x, x/1, x-(+0) -> x (bit-exact, NaN and -0 included);
 *   x+0, 0+x -> x (equal for every x under ==; only the sign of a zero can differ, as
 *     -0 + 0 is +0, and only division and Reciprocal tell the two zeros apart);
 *   Identity(x) -> x; Cast(x to its own dtype) -> x; Expand(x to its own shape) -> x;
 *   Neg(Neg(x)) -> x; Reshape(x to its own shape) -> x;
 *   Reshape(Reshape|Squeeze|Unsqueeze(x)) -> Reshape(x) (all three only relabel the same data);
 *   Transpose(Transpose(x)) -> one Transpose of x, or x when the perms cancel.
 * The neutral constant may be a scalar or any tensor of ones/zeros that broadcasts into x
 * without growing it; the rule fires only when the result's type is x's type. StopGradient is
 * kept: it is the identity, but autodiff may still need to see it.
 */
export function simplify(g: Graph): boolean {
  // Producers come first in the walk, so one walk normally reaches the fixpoint; the extra
  // rounds are a guard for rules that look further than one producer back.
  return rewrite(g, simplifyRules, { maxRounds: 4 });
}

export function simplifyPass(): Pass {
  return { name: 'simplify', run: simplify };
}

/** x op c -> x is only valid when the result has exactly x's type (c does not broadcast x up). */
function keepsType(n: Node, x: Value): boolean {
  const o = n.outputs[0];
  return o.dtype === x.dtype && shapeEq(o.shape, x.shape);
}

/** For patterns whose first operand is the x that would replace the node. */
const keepsFirst = <A>({ node, operands: [x] }: OpMatch<A, readonly [Value, ...unknown[]]>): boolean => keepsType(node, x);
const first = <A>({ operands: [x] }: OpMatch<A, readonly [Value, ...unknown[]]>): Value => x;

/** The rules of `simplify`, in the order they are tried; a rule set for `rewrite`. */
export const simplifyRules: readonly RewriteRule[] = [
  rule('mul-by-one', op(Mul, any(), constFilled(1)).commutative().where(keepsFirst), first),
  rule('add-zero', op(Add, any(), constFilled(0)).commutative().where(keepsFirst), first),
  // Only +0: x - (-0) is x + 0, which turns a -0 into +0.
  rule('sub-positive-zero', op(Sub, any(), constant((t) => t.data.every((z) => Object.is(z, 0)))).where(keepsFirst), first),
  rule('div-by-one', op(Div, any(), constFilled(1)).where(keepsFirst), first),
  rule('identity', op(Identity, any()), first),
  rule('cast-to-own-dtype', op(Cast, any()).where(({ node, operands: [x] }) => node.attrs.to === x.dtype), first),
  rule('expand-to-own-shape', op(Expand, any()).where(keepsFirst), first),
  rule('neg-neg', op(Neg, op(Neg, any())), ({ operands: [inner] }) => inner.operands[0]),
  rule('reshape-to-own-shape', op(Reshape, any()).where(keepsFirst), first),
  rule('reshape-of-relabel', op(Reshape, oneOf(op(Reshape, any()), op(Squeeze, any()), op(Unsqueeze, any()))), ({ node, operands: [inner] }, ctx) => {
    const [x] = inner.operands;
    return keepsType(node, x) ? x : ctx.rewire(node, [x], { shape: node.attrs.shape });
  }),
  rule('transpose-of-transpose', op(Transpose, op(Transpose, any())), ({ node, operands: [inner] }, ctx) => {
    // out[i] = inner.out[perm[i]] = x[inner.perm[perm[i]]]
    const perm = node.attrs.perm.map((i) => inner.node.attrs.perm[i]);
    const [x] = inner.operands;
    return perm.every((v, i) => v === i) ? x : ctx.rewire(node, [x], { perm });
  }),
];
