import type { Graph, Node, Value } from '../ir/graph.ts';
import type { Pass } from './pass.ts';

/**
 * Dead-code elimination: removes every node whose outputs reach no graph output. Graph inputs
 * stay, used or not: they are the caller's interface (feeds, parameter files). Effectful nodes
 * stay too, with what feeds them, since their point is not only their result.
 */
export function eliminateDeadCode(g: Graph): boolean {
  const live = g.liveNodes();
  // Effectful nodes are roots as well; keep them and their inputs' producers.
  const stack = g.nodes.filter((n) => n.op.effectful && !live.has(n));
  while (stack.length) {
    const n = stack.pop()!;
    if (live.has(n)) continue;
    live.add(n);
    for (const v of n.inputs) if (v.producer && !live.has(v.producer)) stack.push(v.producer);
  }
  const dead = new Set(g.nodes.filter((n) => !live.has(n)));
  removeNodes(g, dead);
  return dead.size > 0;
}

export function dcePass(): Pass {
  return { name: 'dce', run: eliminateDeadCode };
}

/**
 * Removes a set of nodes at once: drops them from their inputs' use lists and from the node
 * list in one sweep (Graph.removeNode scans the node list per call, which is quadratic for the
 * thousands of nodes a training graph can shed). The caller guarantees no surviving node or
 * graph output reads their outputs.
 */
export function removeNodes(g: Graph, dead: ReadonlySet<Node>): void {
  if (dead.size === 0) return;
  const touched = new Set<Value>();
  for (const n of dead) for (const v of n.inputs) touched.add(v);
  for (const v of touched) {
    let k = 0;
    for (const u of v.uses) if (!dead.has(u)) v.uses[k++] = u;
    v.uses.length = k;
  }
  g.nodes = g.nodes.filter((n) => !dead.has(n));
}

/**
 * Removes the candidates that a rewrite left unused, and then whatever only they used
 * (their producers, transitively), so that a pass does not leave its own debris (the `1` of a
 * removed `x*1`) for DCE. Dead nodes elsewhere are left to DCE. Returns how many nodes went.
 */
export function sweepUnused(g: Graph, candidates: Iterable<Node>): number {
  const outputs = new Set(g.outputs.map((o) => o.value));
  const dead = new Set<Node>();
  const work = [...candidates];
  while (work.length) {
    const n = work.pop()!;
    if (dead.has(n) || n.op.effectful) continue;
    if (n.outputs.some((o) => outputs.has(o) || o.uses.some((u) => !dead.has(u)))) continue;
    dead.add(n);
    for (const v of n.inputs) if (v.producer) work.push(v.producer);
  }
  removeNodes(g, dead);
  return dead.size;
}
