import type { DType } from './dtype.ts';
import { ShapeError } from './errors.ts';
import type { OpDef } from './op.ts';
import { canonDim, formatShape, type Dim, type Shape } from './shape.ts';

export interface TensorType {
  dtype: DType;
  shape: Dim[];
}

export function formatType(t: TensorType): string {
  return `${t.dtype}${formatShape(t.shape)}`;
}

/** What a graph input is: a trainable parameter, optimizer/RNG state, or a batch feature. */
export type InputRole = 'param' | 'state' | 'data';

export interface InputInfo {
  name: string;
  role: InputRole;
  /** For parameters: the HuggingFace tensor name and whether we store it transposed relative to it. */
  hfName?: string;
  transposed?: boolean;
  /** For parameters: how a fresh model initialises it. */
  init?: ParamInit;
}

export type ParamInit = { kind: 'truncated_normal'; stddev: number } | { kind: 'zeros' } | { kind: 'ones' };

export class Value {
  readonly uses: Node[] = [];
  input?: InputInfo;
  constructor(
    readonly id: number,
    readonly graph: Graph,
    public type: TensorType,
    public producer: Node | null,
    public index: number,
  ) {}
  get dtype(): DType {
    return this.type.dtype;
  }
  get shape(): Dim[] {
    return this.type.shape;
  }
  get rank(): number {
    return this.type.shape.length;
  }
  toString(): string {
    return this.input ? `%${this.input.name}` : `%${this.id}`;
  }
}

export class Node<A = unknown> {
  constructor(
    readonly id: number,
    readonly graph: Graph,
    readonly op: OpDef<A>,
    public attrs: A,
    public inputs: Value[],
    public outputs: Value[],
    public scope: string,
  ) {}
}

export interface GraphOutput {
  name: string;
  value: Value;
}

/**
 * A graph of ops over typed values with use-def links. Nodes are kept in a topological order:
 * builders append, and passes that insert call `toposort()` when done.
 */
export class Graph {
  nodes: Node[] = [];
  inputs: Value[] = [];
  outputs: GraphOutput[] = [];
  private nextId = 0;
  private scopes: string[] = [];

  constructor(public name = 'graph') {}

  /** Declares a graph input. */
  input(name: string, dtype: DType, shape: Shape, info: Omit<InputInfo, 'name'> = { role: 'data' }): Value {
    if (this.inputs.some((v) => v.input!.name === name)) throw new ShapeError(`graph input "${name}" is declared twice`);
    const v = new Value(this.nextId++, this, { dtype, shape: shape.map(canonDim) }, null, 0);
    v.input = { name, ...info };
    this.inputs.push(v);
    return v;
  }

  inputByName(name: string): Value | undefined {
    return this.inputs.find((v) => v.input!.name === name);
  }

  params(): Value[] {
    return this.inputs.filter((v) => v.input!.role === 'param');
  }

  output(name: string, value: Value): void {
    if (value.graph !== this) throw new Error(`output ${name}: value belongs to another graph`);
    if (this.outputs.some((o) => o.name === name)) throw new ShapeError(`graph output "${name}" is declared twice`);
    this.outputs.push({ name, value });
  }

  outputByName(name: string): Value | undefined {
    return this.outputs.find((o) => o.name === name)?.value;
  }

  /** Runs `fn` with a name scope (e.g. "encoder/layer_0/attention") recorded on the nodes it makes. */
  scope<T>(name: string, fn: () => T): T {
    this.scopes.push(name);
    try {
      return fn();
    } finally {
      this.scopes.pop();
    }
  }

  currentScope(): string {
    return this.scopes.join('/');
  }

  /** Creates a node; its output types come from the op's shape rule. */
  addNode<A>(op: OpDef<A>, inputs: Value[], attrs: A): Value[] {
    for (const v of inputs) {
      if (v.graph !== this) throw new Error(`${op.name}: input ${v} belongs to another graph`);
    }
    const types = op.infer(
      inputs.map((v) => v.type),
      attrs,
    );
    const node = new Node<A>(this.nextId++, this, op, attrs, [...inputs], [], this.currentScope());
    node.outputs = types.map((t, i) => new Value(this.nextId++, this, { dtype: t.dtype, shape: t.shape.map(canonDim) }, node as Node, i));
    for (const v of inputs) v.uses.push(node as Node);
    this.nodes.push(node as Node);
    return node.outputs;
  }

  /** Points every use of `from` (nodes and graph outputs) at `to`. */
  replaceAllUsesWith(from: Value, to: Value): void {
    if (from === to) return;
    for (const n of from.uses) {
      n.inputs = n.inputs.map((v) => (v === from ? to : v));
      to.uses.push(n);
    }
    from.uses.length = 0;
    for (const o of this.outputs) if (o.value === from) o.value = to;
  }

  /** Removes a node whose outputs are unused. */
  removeNode(node: Node): void {
    for (const o of node.outputs) {
      if (o.uses.length > 0 || this.outputs.some((g) => g.value === o)) {
        throw new Error(`removeNode: output of ${node.op.name} is still used`);
      }
    }
    for (const v of node.inputs) {
      const i = v.uses.indexOf(node);
      if (i >= 0) v.uses.splice(i, 1);
    }
    const k = this.nodes.indexOf(node);
    if (k >= 0) this.nodes.splice(k, 1);
  }

  /** Re-orders nodes topologically, keeping the existing order where it is already valid. */
  toposort(): void {
    // Iterative depth-first search: graphs of tens of thousands of nodes must not overflow the stack.
    const placed = new Set<Node>();
    const onStack = new Set<Node>();
    const out: Node[] = [];
    for (const root of this.nodes) {
      if (placed.has(root)) continue;
      const stack: { node: Node; next: number }[] = [{ node: root, next: 0 }];
      onStack.add(root);
      while (stack.length) {
        const top = stack[stack.length - 1];
        const inputs = top.node.inputs;
        let pushed = false;
        while (top.next < inputs.length) {
          const p = inputs[top.next++].producer;
          if (!p || placed.has(p)) continue;
          if (onStack.has(p)) throw new Error(`graph has a cycle through ${p.op.name}`);
          onStack.add(p);
          stack.push({ node: p, next: 0 });
          pushed = true;
          break;
        }
        if (pushed) continue;
        stack.pop();
        onStack.delete(top.node);
        placed.add(top.node);
        out.push(top.node);
      }
    }
    this.nodes = out;
  }

  /** Nodes that feed the graph outputs (others are dead). */
  liveNodes(): Set<Node> {
    const live = new Set<Node>();
    const stack = this.outputs.map((o) => o.value.producer).filter((n): n is Node => n !== null);
    while (stack.length) {
      const n = stack.pop()!;
      if (live.has(n)) continue;
      live.add(n);
      for (const v of n.inputs) if (v.producer && !live.has(v.producer)) stack.push(v.producer);
    }
    return live;
  }
}
