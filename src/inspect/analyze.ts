/** Figures about an IR graph: op histogram, parameters, FLOPs and activation memory. */
import { byteSize } from '../ir/dtype.ts';
import type { Graph, Node, Value } from '../ir/graph.ts';
import { printGraph } from '../ir/printer.ts';
import { DimBinding, type FigureOptions } from './dims.ts';
import type { InspectReport, OpRow, ParamRow } from './report.ts';

export interface AnalyzeOptions extends FigureOptions {
  /** Where the graph came from, for the report's heading. */
  source?: string;
}

export interface Liveness {
  /** Sum of the bytes of every node output. */
  totalBytes: number;
  /** Most bytes of node outputs alive at once while running the nodes in order. */
  peakBytes: number;
  /** The node running when the peak is reached (null for a graph without nodes). */
  peakNode: Node | null;
}

/**
 * A liveness scan over the node order. A node output is live from its producer to its last use;
 * graph outputs stay live to the end; an output nobody uses is live only while its producer runs.
 * At each node its inputs and its outputs are live together, which is when the peak is taken.
 * Graph inputs (parameters, state, the batch) are not counted: they are not activations.
 */
export function liveness(g: Graph, bytesOf: (v: Value) => number): Liveness {
  const order = new Map<Node, number>();
  g.nodes.forEach((n, i) => order.set(n, i));
  const end = g.nodes.length;
  const outputs = new Set(g.outputs.map((o) => o.value));
  // For each step, the values whose last use it is: they are freed once that node has run.
  const freeAt: Value[][] = g.nodes.map(() => []);
  let total = 0;
  g.nodes.forEach((n, i) => {
    for (const v of n.outputs) {
      total += bytesOf(v);
      let last = i;
      if (outputs.has(v)) last = end;
      else for (const u of v.uses) last = Math.max(last, order.get(u) ?? i);
      if (last < end) freeAt[last].push(v);
    }
  });
  let live = 0;
  let peak = 0;
  let peakNode: Node | null = null;
  g.nodes.forEach((n, i) => {
    for (const v of n.outputs) live += bytesOf(v);
    if (live > peak) {
      peak = live;
      peakNode = n;
    }
    for (const v of freeAt[i]) live -= bytesOf(v);
  });
  return { totalBytes: total, peakBytes: peak, peakNode };
}

/** Everything `albert inspect` says about an IR graph, at the sizes the options bind. */
export function analyzeGraph(g: Graph, opts: AnalyzeOptions = {}): InspectReport {
  const dims = new DimBinding(opts);
  const bytesOf = (v: Value): number => dims.numel(v.shape) * byteSize(v.dtype);
  const notes: string[] = [];

  const rows = new Map<string, OpRow>();
  const uncounted = new Set<string>();
  let total = 0;
  for (const n of g.nodes) {
    const row = rows.get(n.op.name) ?? { op: n.op.name, count: 0, flops: null };
    row.count++;
    if (n.op.flops) {
      const f = dims.eval(n.op.flops(n));
      row.flops = (row.flops ?? 0) + f;
      total += f;
    } else uncounted.add(n.op.name);
    rows.set(n.op.name, row);
  }
  const ops = [...rows.values()].sort((a, b) => b.count - a.count || a.op.localeCompare(b.op));
  if (uncounted.size) notes.push(`ops without a FLOP count, taken as 0: ${[...uncounted].sort().join(', ')}`);

  // What the graph uses: a parameter no op reads (the pooler of an MLM graph) is not counted, so
  // the count agrees with the compiled file and the export, which drop it.
  const outputs = new Set(g.outputs.map((o) => o.value));
  const unused = g.params().filter((v) => v.uses.length === 0 && !outputs.has(v));
  if (unused.length) notes.push(`${unused.length} parameters no op reads are not counted: ${unused.map((v) => v.input!.name).join(', ')}`);
  const params: ParamRow[] = g.params().filter((v) => !unused.includes(v)).map((v) => {
    const info = v.input!;
    const size = dims.numel(v.shape);
    return {
      name: info.name,
      ...(info.hfName !== undefined ? { hfName: info.hfName } : {}),
      ...(info.transposed !== undefined ? { transposed: info.transposed } : {}),
      dtype: v.dtype,
      shape: [...v.shape],
      size,
      bytes: size * byteSize(v.dtype),
    };
  });

  // Every dim is evaluated by now, so the bindings in figures() are complete.
  const live = liveness(g, bytesOf);
  const report: InspectReport = {
    kind: 'ir',
    name: g.name,
    source: opts.source ?? `IR graph ${g.name}`,
    figures: dims.figures(),
    nodes: g.nodes.length,
    ops,
    parameters: {
      count: params.reduce((s, p) => s + p.size, 0),
      bytes: params.reduce((s, p) => s + p.bytes, 0),
      rows: params,
    },
    inputs: g.inputs.map((v) => ({ name: v.input!.name, role: v.input!.role, dtype: v.dtype, shape: [...v.shape] })),
    outputs: g.outputs.map((o) => ({ name: o.name, dtype: o.value.dtype, shape: [...o.value.shape] })),
    flops: { total, note: 'each op\'s FLOP rule; a multiply-add counts 2' },
    memory: {
      activationBytes: live.totalBytes,
      peakLiveBytes: live.peakBytes,
      peakAt: live.peakNode ? `${live.peakNode.op.name} ${live.peakNode.outputs.join(', ')}${live.peakNode.scope ? ` @${live.peakNode.scope}` : ''}` : null,
      note: 'node outputs only (parameters, state and the batch are not counted); live from producer to last use, in node order',
    },
    listing: printGraph(g),
    notes,
  };
  return report;
}
