import type { Node, TensorType, Value } from './graph.ts';
import type { Dim } from './shape.ts';
import type { Tensor } from './tensor.ts';

/** What the reference interpreter offers an op's evaluation besides its inputs. */
export interface EvalContext<A = unknown> {
  node: Node<A>;
  /** Concrete sizes for (possibly symbolic) dims, using the symbols bound by the feeds. */
  resolve(dims: readonly Dim[]): number[];
}

export interface OpDef<A = unknown> {
  readonly name: string;
  /** Shape and dtype rule: throws ShapeError naming the op and its inputs when they do not fit. */
  infer(inputs: TensorType[], attrs: A): TensorType[];
  /** Float64 reference semantics. */
  evaluate(inputs: Tensor[], attrs: A, ctx: EvalContext<A>): Tensor[];
  /**
   * Reverse-mode rule: given cotangents of the outputs (null where none flows), returns a
   * cotangent per input (null where none), built from other ops. A returned cotangent may have
   * the broadcast (output) shape: autodiff reduces it to the input's shape.
   * `needed[i]` says whether input i's cotangent is wanted (skip building it when false).
   * Ops without a vjp are not differentiable (autodiff refuses to differentiate through them
   * unless all float inputs are constants).
   */
  vjp?(node: Node<A>, cotangents: (Value | null)[], needed: boolean[]): (Value | null)[];
  /**
   * A composite op's expansion into primitive ops (one value per output), built in the graph
   * where the node is. A backend without a kernel for the composite asks for it
   * (passes/decompose.ts); the composite keeps its own VJP and reference evaluation.
   */
  decompose?(node: Node<A>): Value[];
  /** Floating point operations, as a (possibly symbolic) count, for `albert inspect`. */
  flops?(node: Node<A>): Dim;
  /** True for ops with no float result worth differentiating (comparisons, integer ops). */
  readonly nonDifferentiable?: boolean;
  /** True for ops whose results must not be folded or merged (none yet; RNG ops are pure in seed/step). */
  readonly effectful?: boolean;
}

const registry = new Map<string, OpDef<never>>();

export function defineOp<A>(def: OpDef<A>): OpDef<A> {
  if (registry.has(def.name)) throw new Error(`op ${def.name} is defined twice`);
  registry.set(def.name, def as OpDef<never>);
  return def;
}

export function lookupOp(name: string): OpDef<unknown> | undefined {
  return registry.get(name) as OpDef<unknown> | undefined;
}

export function allOps(): OpDef<unknown>[] {
  return [...registry.values()] as OpDef<unknown>[];
}

/** Applies an op and returns its single output. */
export function apply1<A>(op: OpDef<A>, inputs: Value[], attrs: A): Value {
  const g = inputs[0]?.graph;
  if (!g) throw new Error(`${op.name}: needs at least one input`);
  const outs = g.addNode(op, inputs, attrs);
  return outs[0];
}
