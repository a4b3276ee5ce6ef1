/**
 * The ONNX backend's lowering table: for each IR op, the function that emits its ONNX nodes.
 * Ops are defined in src/ir without knowing any backend; the lowerings register themselves here
 * (lowerings/*.ts, one file per op module), and emit.ts looks each node's op up.
 */
import type { DType } from '../../ir/dtype.ts';
import type { Node } from '../../ir/graph.ts';
import type { OpDef } from '../../ir/op.ts';
import type { Dim } from '../../ir/shape.ts';
import type { Tensor } from '../../ir/tensor.ts';

/** An ONNX attribute value, tagged so ints and floats are never confused. */
export type OnnxAttr =
  | { i: number }
  | { f: number }
  | { s: string }
  | { ints: number[] }
  | { floats: number[] }
  | { t: Tensor };

/** What an op's ONNX lowering may ask of the emitter. */
export interface OnnxEmitter {
  readonly opset: number;
  /** Appends an ONNX node; returns its output names (fresh unless given). */
  node(opType: string, inputs: string[], outputs?: number | string[], attrs?: Record<string, OnnxAttr>, domain?: string): string[];
  /** A constant tensor (deduplicated). */
  constant(t: Tensor): string;
  /** A 1-D int64 tensor holding `dims`, computed from graph input shapes where dims are symbolic. */
  shapeTensor(dims: readonly Dim[]): string;
  /** A fresh tensor name. */
  fresh(hint: string): string;
  /** The ONNX element type number for a dtype. */
  onnxType(d: DType): number;
}

/** Emits a node's ONNX nodes reading `inputs` and writing exactly `outputs`. */
export type Lowering<A> = (e: OnnxEmitter, node: Node<A>, inputs: string[], outputs: string[]) => void;

// Keyed by the op's definition: op names are unique (defineOp refuses a second one), so this is
// one entry per op, and a lowering cannot be attached to a look-alike op of the same name.
const table = new Map<OpDef<never>, Lowering<never>>();

/** Registers the ONNX lowering of `op`; an op has one lowering, so a second registration throws. */
export function registerLowering<A>(op: OpDef<A>, lower: Lowering<A>): void {
  const key = op as OpDef<never>;
  if (table.has(key)) throw new Error(`op ${op.name} has two ONNX lowerings`);
  table.set(key, lower as Lowering<never>);
}

export function hasLowering(op: OpDef<unknown>): boolean {
  return table.has(op as OpDef<never>);
}

/** The ops that have an ONNX lowering, in registration order. */
export function loweredOps(): OpDef<unknown>[] {
  return [...table.keys()] as OpDef<unknown>[];
}

/** Emits `node` through its op's lowering; an op without one is a bug in the backend, named. */
export function lowerNode<A>(e: OnnxEmitter, node: Node<A>, inputs: string[], outputs: string[]): void {
  const lower = table.get(node.op as OpDef<never>) as Lowering<A> | undefined;
  if (!lower) throw new Error(`op ${node.op.name} has no ONNX lowering (register one in src/backends/onnx/lowerings/)`);
  lower(e, node, inputs, outputs);
}
