import { formatType, type Graph, type Node, type Value } from './graph.ts';
import type { Tensor } from './tensor.ts';

/** A readable text form: one line per node, `%7 = MatMul(%3, %w) : float32[batch, seq, 768]`. */
export function printGraph(g: Graph): string {
  const lines: string[] = [];
  lines.push(`graph ${g.name}(`);
  for (const v of g.inputs) {
    const i = v.input!;
    const extra = i.role === 'param' && i.hfName ? `  # ${i.hfName}${i.transposed ? ' (transposed)' : ''}` : '';
    lines.push(`  ${v} : ${formatType(v.type)} ${i.role}${extra}`);
  }
  lines.push(') {');
  for (const n of g.nodes) lines.push(`  ${printNode(n)}`);
  lines.push(`  return ${g.outputs.map((o) => `${o.name}=${o.value}`).join(', ')}`);
  lines.push('}');
  return lines.join('\n');
}

export function printNode(n: Node): string {
  const outs = n.outputs.map((o) => o.toString()).join(', ');
  const attrs = formatAttrs(n.attrs);
  const types = n.outputs.map((o) => formatType(o.type)).join(', ');
  const scope = n.scope ? `  @${n.scope}` : '';
  return `${outs} = ${n.op.name}${attrs}(${n.inputs.map((v: Value) => v.toString()).join(', ')}) : ${types}${scope}`;
}

function formatAttrs(attrs: unknown): string {
  if (!attrs || typeof attrs !== 'object') return '';
  const parts = Object.entries(attrs as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${formatAttr(v)}`);
  return parts.length ? `{${parts.join(', ')}}` : '';
}

function formatAttr(v: unknown): string {
  if (isTensor(v)) {
    const n = v.data.length;
    const head = Array.from(v.data.slice(0, 4)).map((x) => +x.toPrecision(6));
    return `${v.dtype}[${v.shape.join(', ')}]${n <= 4 ? `(${head.join(', ')})` : `(${head.join(', ')}, ...)`}`;
  }
  if (Array.isArray(v)) return `[${v.map(formatAttr).join(', ')}]`;
  if (typeof v === 'string') return JSON.stringify(v);
  return String(v);
}

function isTensor(v: unknown): v is Tensor {
  return typeof v === 'object' && v !== null && 'data' in v && 'shape' in v && 'dtype' in v;
}
