import { ShapeError } from '../ir/errors.ts';
import type { Graph, Node, TensorType, Value } from '../ir/graph.ts';
import { canonDim, shapeEq } from '../ir/shape.ts';
import type { Pass } from './pass.ts';

/**
 * Re-runs every op's shape rule in topological order and stores the result on its outputs.
 * Needed after a rewrite changes a value's type in place (a graph input made static, a
 * parameter re-shaped): the types downstream follow. An op that no longer accepts its inputs
 * throws its ShapeError, with the node and its scope added, and leaves every type as it was.
 * Returns whether any type changed.
 */
export function inferShapes(g: Graph): boolean {
  const old: [Value, TensorType][] = [];
  try {
    for (const n of g.nodes) inferNode(n, old);
  } catch (e) {
    for (const [v, t] of old.reverse()) v.type = t;
    throw e;
  }
  return old.length > 0;
}

/** Updates n's output types, recording the ones it replaces. */
function inferNode(n: Node, old: [Value, TensorType][]): void {
  let types: TensorType[];
  try {
    types = n.op.infer(
      n.inputs.map((v) => v.type),
      n.attrs,
    );
  } catch (e) {
    if (e instanceof ShapeError) throw new ShapeError(`${e.message} (node %${n.id}${n.scope ? ` @${n.scope}` : ''})`);
    throw e;
  }
  if (types.length !== n.outputs.length) throw new Error(`shape-infer: ${n.op.name} has ${n.outputs.length} outputs, its shape rule gives ${types.length}`);
  n.outputs.forEach((o, i) => {
    const t = types[i];
    if (o.dtype === t.dtype && shapeEq(o.shape, t.shape)) return;
    old.push([o, o.type]);
    o.type = { dtype: t.dtype, shape: t.shape.map(canonDim) };
  });
}

export function shapeInferPass(): Pass {
  return { name: 'shape-infer', run: inferShapes };
}
