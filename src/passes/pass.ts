import type { Graph } from '../ir/graph.ts';

/** A graph transformation. It mutates the graph in place and says whether it changed it. */
export interface Pass {
  readonly name: string;
  run(graph: Graph): boolean;
}
