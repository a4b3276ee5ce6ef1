import type { GraphView } from './report.ts';

/** A double-quoted dot ID or label; `\n` in labels is added by the caller after escaping. */
function q(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\r?\n/g, ' ')}"`;
}

function label(...lines: string[]): string {
  return `"${lines
    .filter((l) => l !== '')
    .map((l) => q(l).slice(1, -1))
    .join('\\n')}"`;
}

/**
 * A Graphviz digraph: one ellipse per op node (op name and output types), parameters as boxes,
 * other graph inputs as inverted houses, graph outputs as houses. Edges follow values from
 * producer to consumer. Every ID is quoted, so any graph size or value name gives valid dot.
 */
export function renderDot(v: GraphView): string {
  const out: string[] = [];
  out.push(`digraph ${q(v.name || 'graph')} {`);
  out.push('  rankdir=TB;');
  out.push('  node [fontname="Helvetica", fontsize=10];');
  out.push('  edge [color="#666666"];');
  const producer = new Map<string, string>();
  for (const s of v.sources) {
    const id = `in:${s.name}`;
    producer.set(s.name, id);
    const style = s.kind === 'param' ? 'shape=box, style=filled, fillcolor="#fff3c4"' : s.kind === 'state' ? 'shape=box, style="filled,dashed", fillcolor="#e8e8e8"' : 'shape=invhouse, style=filled, fillcolor="#d7ecff"';
    out.push(`  ${q(id)} [label=${label(s.name, s.type)}, ${style}];`);
  }
  v.nodes.forEach((n, i) => {
    const id = `n${i}`;
    out.push(`  ${q(id)} [label=${label(n.op, n.type)}, shape=ellipse${n.scope ? `, tooltip=${q(n.scope)}` : ''}];`);
    for (const x of n.inputs) {
      const from = producer.get(x);
      if (from) out.push(`  ${q(from)} -> ${q(id)};`);
    }
    for (const o of n.outputs) producer.set(o, id);
  });
  for (const o of v.outputs) {
    const id = `out:${o.name}`;
    out.push(`  ${q(id)} [label=${label(o.name, o.type)}, shape=house, style=filled, fillcolor="#d9f2d9"];`);
    const from = producer.get(o.value);
    if (from) out.push(`  ${q(from)} -> ${q(id)};`);
  }
  out.push('}');
  return `${out.join('\n')}\n`;
}
