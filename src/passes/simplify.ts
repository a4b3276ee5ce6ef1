import { formatType, Value, type Graph, type Node } from '../ir/graph.ts';
import {
  Add,
  Cast,
  constantValue,
  Div,
  Expand,
  Identity,
  Mul,
  Neg,
  Reshape,
  Squeeze,
  Sub,
  Transpose,
  Unsqueeze,
  type ReshapeAttrs,
  type TransposeAttrs,
} from '../ir/ops/index.ts';
import type { OpDef } from '../ir/op.ts';
import { shapeEq } from '../ir/shape.ts';
import { sweepUnused } from './dce.ts';
import type { Pass } from './pass.ts';

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
  const bypassed = new Set<Node>();
  // Nodes a rewrite may have left unused: bypassed ones and the producers rewired around.
  const candidates: Node[] = [];
  let changed = false;
  // Producers come first in the walk, so one walk normally reaches the fixpoint; the extra
  // rounds are a guard for rules that look further than one producer back.
  for (let round = 0; round < 4; round++) {
    let any = false;
    for (const n of g.nodes) {
      if (bypassed.has(n)) continue;
      const r = rewrite(n);
      if (r === null) continue;
      any = true;
      if (r instanceof Value) {
        replaceOutput(g, n, r);
        bypassed.add(n);
        candidates.push(n);
      } else candidates.push(r.dropped);
    }
    if (!any) break;
    changed = true;
  }
  sweepUnused(g, candidates);
  return changed;
}

export function simplifyPass(): Pass {
  return { name: 'simplify', run: simplify };
}

function isOp<A>(n: Node | null, op: OpDef<A>): n is Node<A> {
  return n !== null && (n.op as unknown) === op;
}

/** Whether v is a constant whose every element equals `k` (for 0: either sign). */
function isConstantFilled(v: Value, k: number): boolean {
  const t = constantValue(v);
  return t !== null && t.data.every((x) => x === k);
}

/** x op c -> x is only valid when the result has exactly x's type (c does not broadcast x up). */
function keepsType(n: Node, x: Value): boolean {
  const o = n.outputs[0];
  return o.dtype === x.dtype && shapeEq(o.shape, x.shape);
}

/** What a rule did in place: n now reads around `dropped`, which may have become unused. */
interface Rewired {
  dropped: Node;
}

/**
 * Returns the value that replaces n's single output, or a Rewired when n itself was rewritten
 * to read an earlier value, or null when no rule applies.
 */
function rewrite(n: Node): Value | Rewired | null {
  const [a, b] = n.inputs;
  if (n.outputs.length !== 1) return null;
  if (isOp(n, Mul)) {
    if (isConstantFilled(b, 1) && keepsType(n, a)) return a;
    if (isConstantFilled(a, 1) && keepsType(n, b)) return b;
  } else if (isOp(n, Add)) {
    if (isConstantFilled(b, 0) && keepsType(n, a)) return a;
    if (isConstantFilled(a, 0) && keepsType(n, b)) return b;
  } else if (isOp(n, Sub)) {
    // Only +0: x - (-0) is x + 0, which turns a -0 into +0.
    if (isConstantFilled(b, 0) && constantValue(b)!.data.every((z) => Object.is(z, 0)) && keepsType(n, a)) return a;
  } else if (isOp(n, Div)) {
    if (isConstantFilled(b, 1) && keepsType(n, a)) return a;
  } else if (isOp(n, Identity)) {
    return a;
  } else if (isOp(n, Cast)) {
    if (n.attrs.to === a.dtype) return a;
  } else if (isOp(n, Expand)) {
    if (keepsType(n, a)) return a;
  } else if (isOp(n, Neg)) {
    if (isOp(a.producer, Neg)) return a.producer.inputs[0];
  } else if (isOp(n, Reshape)) {
    if (keepsType(n, a)) return a;
    const p = a.producer;
    if (isOp(p, Reshape) || isOp(p, Squeeze) || isOp(p, Unsqueeze)) {
      const x = p.inputs[0];
      if (keepsType(n, x)) return x;
      rewireInput(n, a, x, { shape: n.attrs.shape } satisfies ReshapeAttrs);
      return { dropped: p };
    }
  } else if (isOp(n, Transpose)) {
    const p = a.producer;
    if (isOp(p, Transpose)) {
      // out[i] = p.out[perm[i]] = x[p.perm[perm[i]]]
      const perm = n.attrs.perm.map((i) => p.attrs.perm[i]);
      const x = p.inputs[0];
      if (perm.every((v, i) => v === i)) return x;
      rewireInput(n, a, x, { perm } satisfies TransposeAttrs);
      return { dropped: p };
    }
  }
  return null;
}

/**
 * Makes n read `to` instead of `from`, with new attributes, keeping its output value (and so
 * its users) as it is. `to` is defined before `from`, so the topological order still holds.
 */
function rewireInput<A>(n: Node<A>, from: Value, to: Value, attrs: A): void {
  const before = n.outputs[0].type;
  const [after] = n.op.infer([to.type], attrs);
  if (after.dtype !== before.dtype || !shapeEq(after.shape, before.shape)) {
    throw new Error(`simplify: rewriting ${n.op.name} would change its type from ${formatType(before)} to ${formatType(after)}`);
  }
  for (let i = 0; i < n.inputs.length; i++) {
    if (n.inputs[i] !== from) continue;
    n.inputs[i] = to;
    from.uses.splice(from.uses.indexOf(n as Node), 1);
    to.uses.push(n as Node);
  }
  n.attrs = attrs;
}

function replaceOutput(g: Graph, n: Node, to: Value): void {
  const from = n.outputs[0];
  if (from.dtype !== to.dtype || !shapeEq(from.shape, to.shape)) {
    throw new Error(`simplify: replacing ${n.op.name} output ${formatType(from.type)} by ${formatType(to.type)} would change its type`);
  }
  g.replaceAllUsesWith(from, to);
}
