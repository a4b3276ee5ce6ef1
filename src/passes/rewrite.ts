/**
 * A small rewrite engine: typed matchers over nodes, a rule type, and a driver that applies
 * rule sets to a fixpoint. Passes such as simplify, const-fold and lower-einsum are rule sets
 * run by this driver; rule sets compose by concatenation:
 *
 *   rewrite(g, [...simplifyRules, constFoldRule()]);
 *
 * A rule looks at one node (the root) and either returns replacement values for its outputs,
 * rewires a node in place through the context, or returns null. Example, `x*1 -> x`:
 *
 *   rule('mul-by-one', op(Mul, any(), constFilled(1)).commutative(), ({ operands: [x] }) => x)
 *
 * Nothing here knows about a model: the matchers only speak of ops, values and constants.
 */
import { formatType, Value, type Graph, type Node, type TensorType } from '../ir/graph.ts';
import type { OpDef } from '../ir/op.ts';
import { constantValue } from '../ir/ops/index.ts';
import { shapeEq } from '../ir/shape.ts';
import type { Tensor } from '../ir/tensor.ts';
import { sweepUnused } from './dce.ts';
import type { Pass } from './pass.ts';

// ---- matchers ---------------------------------------------------------------------------------

/** Whether `node` is a node of `op` (and so has `op`'s attributes). */
export function is<A>(node: Node | null | undefined, op: OpDef<A>): node is Node<A> {
  return node != null && (node.op as unknown) === op;
}

/** A pattern over a value: what it captured when the value matches, else null. */
export type Pattern<T> = (v: Value) => T | null;

/** What a pattern captures. */
export type Captured<P> = P extends Pattern<infer T> ? T : never;

/** What a tuple of operand patterns captures, operand by operand. */
export type Captures<P extends readonly Pattern<unknown>[]> = { -readonly [K in keyof P]: Captured<P[K]> };

/** Any value (optionally one satisfying `pred`); captures the value. */
export function any(pred?: (v: Value) => boolean): Pattern<Value> {
  return (v) => (!pred || pred(v) ? v : null);
}

/** A value produced by a Constant (optionally one whose tensor satisfies `pred`); captures the tensor. */
export function constant(pred?: (t: Tensor) => boolean): Pattern<Tensor> {
  return (v) => {
    const t = constantValue(v);
    return t && (!pred || pred(t)) ? t : null;
  };
}

/** A constant whose every element equals `k` (of any shape; for 0, either sign matches). */
export function constFilled(k: number): Pattern<Tensor> {
  return constant((t) => t.data.every((x) => x === k));
}

/** The first of `patterns` that matches. */
export function oneOf<P extends readonly Pattern<unknown>[]>(...patterns: P): Pattern<Captured<P[number]>> {
  return (v) => {
    for (const p of patterns) {
      const m = p(v);
      if (m !== null) return m as Captured<P[number]>;
    }
    return null;
  };
}

/** Whether the value has exactly one user and is not a graph output (so a rule may absorb it). */
export function singleUse(v: Value): boolean {
  return v.uses.length === 1 && !v.graph.outputs.some((o) => o.value === v);
}

/** A matched node and what its operand patterns captured, in pattern order. */
export interface OpMatch<A, C> {
  node: Node<A>;
  operands: C;
}

/**
 * A pattern over a node of one op. As a Pattern it matches a value through its producer, so op
 * patterns nest: op(Neg, op(Neg, any())).
 */
export interface OpPattern<A, C> extends Pattern<OpMatch<A, C>> {
  readonly op: OpDef<A>;
  /** Matches a node itself (a rule's root). */
  match(node: Node | null): OpMatch<A, C> | null;
  /** Also tries the two operands swapped; captures stay in pattern order. */
  commutative(): OpPattern<A, C>;
  /** Adds a condition on the whole match (tried for each operand order). */
  where(pred: (m: OpMatch<A, C>) => boolean): OpPattern<A, C>;
}

/**
 * A node of `Op` whose inputs match `operands`, one pattern per input. With no operand
 * patterns the inputs are not looked at (any number of them).
 */
export function op<A, P extends readonly Pattern<unknown>[]>(Op: OpDef<A>, ...operands: P): OpPattern<A, Captures<P>> {
  return opPattern<A, Captures<P>>(Op, operands, false, []);
}

function opPattern<A, C>(Op: OpDef<A>, operands: readonly Pattern<unknown>[], commute: boolean, preds: readonly ((m: OpMatch<A, C>) => boolean)[]): OpPattern<A, C> {
  const tryOrder = (node: Node<A>, inputs: readonly Value[]): OpMatch<A, C> | null => {
    const caps: unknown[] = [];
    for (let i = 0; i < operands.length; i++) {
      const c = operands[i](inputs[i]);
      if (c === null) return null;
      caps.push(c);
    }
    const m: OpMatch<A, C> = { node, operands: caps as C };
    return preds.every((p) => p(m)) ? m : null;
  };
  const match = (node: Node | null): OpMatch<A, C> | null => {
    if (!is(node, Op)) return null;
    if (operands.length === 0) return tryOrder(node, []);
    if (node.inputs.length !== operands.length) return null;
    const [a, b] = node.inputs;
    return tryOrder(node, node.inputs) ?? (commute ? tryOrder(node, [b, a]) : null);
  };
  return Object.assign((v: Value) => match(v.producer), {
    op: Op,
    match,
    commutative: () => {
      if (operands.length !== 2) throw new Error(`op(${Op.name}).commutative(): needs exactly two operand patterns`);
      return opPattern(Op, operands, true, preds);
    },
    where: (pred: (m: OpMatch<A, C>) => boolean) => opPattern(Op, operands, commute, [...preds, pred]),
  });
}

// ---- rules ------------------------------------------------------------------------------------

/** A node rewritten in place (by RewriteContext.rewire); its output values, and so its users, stay. */
export class Rewired {
  /** @param dropped producers of the inputs it no longer reads, which may now be unused. */
  constructor(
    readonly node: Node,
    readonly dropped: readonly Node[],
  ) {}
}

/** Replacements for the root's outputs (one per output; a Value for a single output), a rewiring, or null. */
export type RewriteResult = Value | readonly Value[] | Rewired | null;

export interface RewriteContext {
  readonly graph: Graph;
  /**
   * Makes `node` read `inputs` with `attrs`, keeping its output values: the op's shape rule must
   * give exactly the types it had (else throws, naming the rule). New inputs must be defined
   * before the node or built by the rule; the driver re-sorts after a rewiring anyway.
   */
  rewire<A>(node: Node<A>, inputs: readonly Value[], attrs: A): Rewired;
}

export interface RewriteRule {
  /** Named in errors (a replacement of the wrong type). */
  readonly name: string;
  /** When given, the rule is tried on nodes of these ops only (a cheap dispatch, nothing more). */
  readonly ops?: readonly OpDef<never>[];
  /**
   * Runs inside the root's scope, so the nodes it builds with the ordinary builders keep it.
   * A rule that declines (null) should build nothing; what it did build is removed.
   */
  apply(node: Node, ctx: RewriteContext): RewriteResult;
}

/** A rule from an op pattern: `build` runs on each match of its root. */
export function rule<A, C>(name: string, pattern: OpPattern<A, C>, build: (m: OpMatch<A, C>, ctx: RewriteContext) => RewriteResult): RewriteRule {
  return {
    name,
    ops: [pattern.op],
    apply: (node, ctx) => {
      const m = pattern.match(node);
      return m && build(m, ctx);
    },
  };
}

// ---- driver -----------------------------------------------------------------------------------

export interface RewriteOptions {
  /**
   * Walks over the graph at most (default 8). A walk visits producers before users, so one
   * normally suffices; nodes a rule builds are appended and first visited in the next walk.
   */
  maxRounds?: number;
}

/**
 * Applies `rules` to every node, in topological order, the first rule that matches winning,
 * and walks again while anything changed (at most maxRounds walks). A node whose outputs were
 * replaced is not visited again. At the end, the replaced nodes, the producers that rewirings
 * read around, and then whatever only they used are removed (dce.ts sweepUnused); nodes that
 * were dead before are left to DCE. The graph is re-sorted once, if nodes were added or
 * rewired. Returns whether anything changed.
 */
export function rewrite(g: Graph, rules: readonly RewriteRule[], opts: RewriteOptions = {}): boolean {
  const maxRounds = opts.maxRounds ?? 8;
  const rulesFor = dispatch(rules);
  const contexts = new Map(rules.map((r) => [r, context(g, r)]));
  const replaced = new Set<Node>();
  // Nodes a rewrite may have left unused: replaced roots, producers rewired around, debris.
  const candidates: Node[] = [];
  let resort = false;
  let changed = false;
  for (let round = 0; round < maxRounds; round++) {
    let any = false;
    for (const n of [...g.nodes]) {
      if (replaced.has(n)) continue;
      for (const r of rulesFor(n)) {
        const before = g.nodes.length;
        const result = g.scope(n.scope, () => r.apply(n, contexts.get(r)!));
        const built = g.nodes.length > before;
        let done = false;
        if (result instanceof Rewired) {
          candidates.push(...result.dropped);
          resort = done = true;
        } else if (result !== null && replaceOutputs(g, n, result instanceof Value ? [result] : result, r.name)) {
          replaced.add(n);
          candidates.push(n);
          done = true;
        }
        // A rule that declined leaves no debris; one that applied may have built values nothing
        // reads (a decomposed op's statistics output that had no users).
        if (built) candidates.push(...g.nodes.slice(before));
        if (!done) continue;
        resort ||= built;
        any = true;
        break;
      }
    }
    if (!any) break;
    changed = true;
  }
  sweepUnused(g, candidates);
  // Built nodes were appended after their users; a rewiring may read a later value.
  if (resort) g.toposort();
  return changed;
}

/** A Pass that runs `rewrite` with these rules. */
export function rewritePass(name: string, rules: readonly RewriteRule[], opts: RewriteOptions = {}): Pass {
  return { name, run: (g) => rewrite(g, rules, opts) };
}

/** The rules to try on a node, in their given order, looked up once per op. */
function dispatch(rules: readonly RewriteRule[]): (n: Node) => readonly RewriteRule[] {
  const byOp = new Map<OpDef<unknown>, RewriteRule[]>();
  return (n) => {
    let rs = byOp.get(n.op);
    if (!rs) {
      rs = rules.filter((r) => !r.ops || r.ops.some((o) => (o as unknown) === n.op));
      byOp.set(n.op, rs);
    }
    return rs;
  };
}

const sameType = (a: TensorType, b: TensorType): boolean => a.dtype === b.dtype && shapeEq(a.shape, b.shape);

/** Points the users of n's outputs at `values`; false when they are n's own outputs (nothing to do). */
function replaceOutputs(g: Graph, n: Node, values: readonly Value[], ruleName: string): boolean {
  if (values.length !== n.outputs.length) {
    throw new Error(`rewrite rule ${ruleName}: ${n.op.name} has ${n.outputs.length} outputs, the rule gave ${values.length} replacements`);
  }
  // Check every replacement before touching the graph, so a failing rule leaves it as it was.
  n.outputs.forEach((o, i) => {
    if (values[i].graph !== g) throw new Error(`rewrite rule ${ruleName}: a replacement for ${n.op.name} belongs to another graph`);
    if (!sameType(o.type, values[i].type)) {
      throw new Error(`rewrite rule ${ruleName}: replacing ${n.op.name} output ${formatType(o.type)} by ${formatType(values[i].type)} would change its type`);
    }
  });
  if (values.every((v, i) => v === n.outputs[i])) return false;
  n.outputs.forEach((o, i) => g.replaceAllUsesWith(o, values[i]));
  return true;
}

function context(g: Graph, r: RewriteRule): RewriteContext {
  return {
    graph: g,
    rewire<A>(node: Node<A>, inputs: readonly Value[], attrs: A): Rewired {
      const types = node.op.infer(
        inputs.map((v) => v.type),
        attrs,
      );
      node.outputs.forEach((o, i) => {
        if (!types[i] || !sameType(o.type, types[i])) {
          const after = types[i] ? formatType(types[i]) : 'nothing';
          throw new Error(`rewrite rule ${r.name}: rewiring ${node.op.name} would change its type from ${formatType(o.type)} to ${after}`);
        }
      });
      const self = node as Node;
      const dropped: Node[] = [];
      for (let i = 0; i < Math.max(inputs.length, node.inputs.length); i++) {
        const from = node.inputs[i];
        const to = inputs[i];
        if (from === to) continue;
        if (to && to.graph !== g) throw new Error(`rewrite rule ${r.name}: rewiring ${node.op.name} to a value of another graph`);
        if (from) {
          const k = from.uses.indexOf(self);
          if (k >= 0) from.uses.splice(k, 1);
          if (from.producer) dropped.push(from.producer);
        }
        if (to) to.uses.push(self);
      }
      node.inputs = [...inputs];
      node.attrs = attrs;
      return new Rewired(self, dropped);
    },
  };
}
