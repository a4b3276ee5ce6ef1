/**
 * The graph as Graphviz dot: one cluster per scope (nested as the scopes are), op nodes inside,
 * graph inputs and outputs around them.
 *
 * Made to lay out in seconds: what takes dot minutes is long edges (each becomes a chain of
 * virtual nodes through every rank it spans, and they push the clusters apart). So
 *  - each parameter is drawn inside the scope that reads it, once per reading scope (a parameter
 *    ALBERT's 12 layers share appears in each layer's cluster, dashed, saying it is shared),
 *    instead of one node with edges into every layer;
 *  - a value read in three or more other scopes (the attention mask, a kernel reshaped once for
 *    all layers), or made in the forward and read by the backward, gets a dashed stand-in in each
 *    reading scope, saying where it comes from;
 *  - so does a graph input read in three or more scopes (input_ids, whose shape an ONNX lowering
 *    takes in every layer); other inputs sit in the innermost cluster that holds all their readers.
 * The edges left are the local data flow.
 *
 * A node without in-edges is ranked just above its reader. When the reader is the first op of
 * its cluster, that rank is the previous cluster's last: the two clusters then share a rank and
 * must sit side by side, and ALBERT's layers go down a staircase instead of a column. Such a
 * parameter or stand-in gets an invisible edge from a producer of its reader's other inputs, which
 * keeps it inside its cluster (a rank=same would make flat edges, which dot's spline router
 * sometimes fails on).
 */
import type { GraphModel } from './graph-model.ts';
import { shapeText } from './format.ts';

/** A quoted dot ID; `\n` in labels is added by the caller after escaping. */
function q(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\r?\n/g, ' ')}"`;
}

function label(...lines: string[]): string {
  return `"${lines
    .filter((l) => l !== '')
    .map((l) => q(l).slice(1, -1))
    .join('\\n')}"`;
}

/** The last two segments of a parameter's name: "query/kernel". */
function shortName(name: string): string {
  return name.split('/').slice(-2).join('/');
}

export function renderDot(m: GraphModel): string {
  const typeText = (v: number): string => {
    const x = m.values[v];
    return `${x.dtype}${x.shape ? shapeText(x.shape) : ''}`;
  };
  const scopeName = (s: number): string => m.scopes[s].path || 'top level';
  const readers = new Map<number, number[]>();
  m.nodes.forEach((n, i) => {
    for (const x of n.inputs) {
      const list = readers.get(x) ?? [];
      if (list[list.length - 1] !== i) list.push(i);
      readers.set(x, list);
    }
  });
  const backward = (s: number): boolean => /^(grad|optimizer)(\/|$)/.test(m.scopes[s].path);
  /** Is node output x, read by node `to`, drawn through a stand-in in the reader's scope? */
  const far = (x: number, to: number): boolean => {
    const from = m.nodes[m.values[x].producer].scope;
    const at = m.nodes[to].scope;
    if (from === at) return false;
    if (backward(from) !== backward(at)) return true;
    return new Set((readers.get(x) ?? []).map((u) => m.nodes[u].scope).filter((s) => s !== from)).size >= 3;
  };

  const held: string[][] = m.scopes.map(() => []);
  const edges: string[] = [];
  /** Keeps a node without in-edges inside its reader's cluster (see the comment at the top). */
  const anchor = (id: string, reader: number | undefined): void => {
    if (reader === undefined) return;
    const s = m.nodes[reader].scope;
    let outside: number | undefined;
    for (const x of m.nodes[reader].inputs) {
      const p = m.values[x].producer;
      if (p < 0 || far(x, reader)) continue;
      if (m.nodes[p].scope === s) return; // fed from inside: not on the cluster's first rank
      outside ??= p;
    }
    if (outside !== undefined) edges.push(`${q(`n${outside}`)} -> ${q(id)} [style=invis];`);
  };

  m.nodes.forEach((n, i) => {
    const type = n.outputs.map(typeText).join(', ');
    held[n.scope].push(`${q(`n${i}`)} [label=${label(n.op, type)}, shape=box, style="rounded,filled", fillcolor="${n.paramOnly ? '#fbf3dc' : '#ffffff'}", tooltip=${q(n.name)}];`);
  });

  // The lowest common ancestor of scopes (every scope's parent has a smaller index; the root is 0).
  const ancestors = (s: number): number[] => {
    const a: number[] = [];
    for (let x = s; x >= 0; x = m.scopes[x].parent) a.push(x);
    return a;
  };
  const lca = (ss: number[]): number => {
    let common = ancestors(ss[0]);
    for (const s of ss.slice(1)) {
      const set = new Set(ancestors(s));
      common = common.filter((x) => set.has(x));
    }
    return common[0] ?? 0;
  };

  const paramOf = new Map(m.params.map((p, i) => [p.value, i]));
  for (const vi of m.inputs) {
    const v = m.values[vi];
    const users = readers.get(vi) ?? [];
    const p = paramOf.get(vi);
    if (p !== undefined) {
      const scopes = [...new Set(users.map((u) => m.nodes[u].scope))];
      const shared = scopes.length > 1;
      for (const s of scopes) {
        const id = `p${p}@${s}`;
        held[s].push(`${q(id)} [label=${label(shortName(v.name), typeText(vi), shared ? `shared by ${scopes.length} scopes` : '')}, shape=box, style="filled${shared ? ',dashed' : ''}", fillcolor="#fff3c4", fontsize=9, tooltip=${q(v.name)}];`);
        const mine = users.filter((u) => m.nodes[u].scope === s);
        for (const u of mine) edges.push(`${q(id)} -> ${q(`n${u}`)};`);
        anchor(id, mine[0]);
      }
      continue;
    }
    const style = v.role === 'state' ? 'shape=box, style="filled,dashed", fillcolor="#e8e8e8"' : 'shape=invhouse, style=filled, fillcolor="#d7ecff"';
    const scopes = [...new Set(users.map((u) => m.nodes[u].scope))];
    if (scopes.length >= 3) {
      // Read all over (input_ids, whose shape an ONNX lowering takes in every layer): a copy in each
      // reading scope, like a parameter.
      for (const s of scopes) {
        const id = `in:${v.name}@${s}`;
        held[s].push(`${q(id)} [label=${label(v.name, typeText(vi), `read in ${scopes.length} scopes`)}, ${style.replace('style=filled', 'style="filled,dashed"')}, fontsize=9];`);
        const mine = users.filter((u) => m.nodes[u].scope === s);
        for (const u of mine) edges.push(`${q(id)} -> ${q(`n${u}`)};`);
        anchor(id, mine[0]);
      }
      continue;
    }
    const id = `in:${v.name}`;
    held[users.length ? lca(scopes) : 0].push(`${q(id)} [label=${label(v.name, typeText(vi))}, ${style}];`);
    for (const u of users) edges.push(`${q(id)} -> ${q(`n${u}`)};`);
  }

  const standIns = new Set<string>();
  m.nodes.forEach((n, i) => {
    const seen = new Set<number>();
    for (const x of n.inputs) {
      const p = m.values[x].producer;
      if (p < 0 || seen.has(x)) continue;
      seen.add(x);
      if (!far(x, i)) {
        edges.push(`${q(`n${p}`)} -> ${q(`n${i}`)};`);
        continue;
      }
      const id = `v${x}@${n.scope}`;
      if (!standIns.has(id)) {
        standIns.add(id);
        const made = m.nodes[p];
        const what = made.paramOnly && made.params.length ? `${made.op} of ${made.params.map((k) => shortName(m.params[k].name)).join(', ')}` : `${made.op} ${m.values[x].name}`;
        held[n.scope].push(`${q(id)} [label=${label(what, typeText(x), `from ${scopeName(made.scope)}`)}, shape=box, style="rounded,dashed,filled", fillcolor="${made.paramOnly ? '#fbf3dc' : '#f2f2f2'}", fontsize=9, tooltip=${q(`made by ${made.name} in ${scopeName(made.scope)}`)}];`);
        anchor(id, i);
      }
      edges.push(`${q(id)} -> ${q(`n${i}`)};`);
    }
  });

  const out: string[] = [];
  out.push(`digraph ${q(m.name || 'graph')} {`);
  // Past a thousand ops (a gradient or training graph) dot's x positioning dominates: backward
  // scopes span the whole schedule (weight gradients come last), and every rank they cross gets
  // virtual nodes. Bounding its network simplex keeps ALBERT-base's 2,700-op training step at
  // seconds, with a looser layout.
  out.push(`  rankdir=TB; newrank=true;${m.nodes.length > 1000 ? ' nslimit=0.1;' : ''}`);
  out.push('  graph [fontname="Helvetica", fontsize=11, style="rounded", color="#9aa7b8"];');
  out.push('  node [fontname="Helvetica", fontsize=10];');
  out.push('  edge [color="#666666", arrowsize=0.6];');
  const emit = (s: number, indent: string): void => {
    for (const line of held[s]) out.push(`${indent}${line}`);
    for (const c of m.scopes[s].children) {
      const sc = m.scopes[c];
      out.push(`${indent}subgraph ${q(`cluster_${c}`)} {`);
      out.push(`${indent}  label=${label(sc.label)}; tooltip=${q(sc.path)};${sc.synthetic ? ' style="rounded,dashed";' : ''}`);
      emit(c, `${indent}  `);
      out.push(`${indent}}`);
    }
  };
  emit(0, '  ');
  for (const o of m.outputs) {
    const id = `out:${o.name}`;
    out.push(`  ${q(id)} [label=${label(o.name, typeText(o.value))}, shape=house, style=filled, fillcolor="#d9f2d9"];`);
    const p = m.values[o.value].producer;
    edges.push(`${q(p >= 0 ? `n${p}` : `in:${m.values[o.value].name}`)} -> ${q(id)};`);
  }
  for (const e of edges) out.push(`  ${e}`);
  out.push('}');
  return `${out.join('\n')}\n`;
}
