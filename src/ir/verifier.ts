import { formatType, type Graph, type Value } from './graph.ts';
import { shapeEq } from './shape.ts';

/**
 * Checks the graph's invariants: nodes in topological order, use lists matching the inputs,
 * every type equal to what the op's shape rule infers now, outputs defined. Throws on the first
 * violation with a message naming the node.
 */
export function verifyGraph(g: Graph): void {
  const defined = new Set<Value>(g.inputs);
  const nodes = new Set(g.nodes);
  for (const n of g.nodes) {
    const where = `verify: node ${n.id} ${n.op.name}`;
    if (n.graph !== g) throw new Error(`${where} belongs to another graph`);
    for (const v of n.inputs) {
      if (!defined.has(v)) throw new Error(`${where} uses ${v} before it is defined (or it is not in the graph)`);
      const count = n.inputs.filter((x) => x === v).length;
      const recorded = v.uses.filter((u) => u === n).length;
      if (count !== recorded) throw new Error(`${where}: use list of ${v} records ${recorded} uses, node has ${count}`);
    }
    const types = n.op.infer(
      n.inputs.map((v) => v.type),
      n.attrs,
    );
    if (types.length !== n.outputs.length) throw new Error(`${where}: has ${n.outputs.length} outputs, shape rule gives ${types.length}`);
    n.outputs.forEach((o, i) => {
      if (o.producer !== n || o.index !== i) throw new Error(`${where}: output ${i} has a wrong producer link`);
      if (o.dtype !== types[i].dtype || !shapeEq(o.shape, types[i].shape)) {
        throw new Error(`${where}: output ${i} is ${formatType(o.type)} but the shape rule now gives ${formatType(types[i])}`);
      }
      defined.add(o);
    });
  }
  for (const v of defined) {
    for (const u of v.uses) if (!nodes.has(u)) throw new Error(`verify: ${v} lists a use by a node not in the graph (${u.op.name})`);
  }
  for (const o of g.outputs) if (!defined.has(o.value)) throw new Error(`verify: output "${o.name}" is not computed by the graph`);
}
