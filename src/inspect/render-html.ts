import { grouped, shapeText, si, summaryRows } from './format.ts';
import type { InspectReport } from './report.ts';

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

const CSS = `
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; max-width: 1200px; }
h1 { font-size: 1.4em; } h2 { font-size: 1.15em; margin-top: 1.6em; }
table { border-collapse: collapse; margin: 0.5em 0; }
th, td { border-bottom: 1px solid #ddd; padding: 3px 10px; text-align: left; vertical-align: top; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.bar { background: #4a7bd0; height: 12px; display: inline-block; }
.barcell { width: 420px; }
pre { background: #f6f6f6; padding: 1em; overflow-x: auto; font-size: 12px; line-height: 1.35; }
.note { color: #555; }
code { font-size: 0.95em; }
`;

type Cell = string | { num: string };

/** A table; without headers (null) it is a key/value list. */
function tableHtml(headers: Cell[] | null, rows: Cell[][]): string {
  const cell = (tag: 'td' | 'th', c: Cell): string => (typeof c === 'string' ? `<${tag}>${escapeHtml(c)}</${tag}>` : `<${tag} class="num">${escapeHtml(c.num)}</${tag}>`);
  const head = headers ? `<thead><tr>${headers.map((h) => cell('th', h)).join('')}</tr></thead>\n` : '';
  return `<table>\n${head}<tbody>\n${rows
    .map((r) => `<tr>${r.map((c) => cell('td', c)).join('')}</tr>`)
    .join('\n')}\n</tbody>\n</table>`;
}

/** The op histogram as CSS bars (widths relative to the most frequent op). */
function histogram(r: InspectReport): string {
  const max = Math.max(1, ...r.ops.map((o) => o.count));
  const rows = r.ops.map((o) => {
    const w = ((400 * o.count) / max).toFixed(1);
    const share = o.flops === null || !r.flops.total ? '' : `${((100 * o.flops) / r.flops.total).toFixed(1)}%`;
    return `<tr><td>${escapeHtml(o.op)}</td><td class="num">${o.count}</td><td class="barcell"><span class="bar" style="width:${w}px"></span></td><td class="num">${escapeHtml(o.flops === null ? '-' : si(o.flops))}</td><td class="num">${share}</td></tr>`;
  });
  return `<table>\n<thead><tr><th>op</th><th class="num">count</th><th></th><th class="num">FLOPs</th><th class="num">FLOP share</th></tr></thead>\n<tbody>\n${rows.join('\n')}\n</tbody>\n</table>`;
}

/** A single self-contained page: no scripts, fonts or links to anything outside it. */
export function renderHtml(r: InspectReport): string {
  const f = r.figures;
  const summary: Cell[][] = [['source', r.source], ...summaryRows(r)];
  const notes = [
    ...f.assumptions.map((a) => `assumed ${a}`),
    ...(r.memory ? [`memory: ${r.memory.note}`] : []),
    ...r.notes,
  ];
  const title = `${r.kind === 'onnx' ? 'ONNX model' : 'IR graph'} ${r.name}`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(title)} - albert inspect</title>
<style>${CSS}</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
${tableHtml(null, summary)}
${notes.length ? `<ul class="note">\n${notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('\n')}\n</ul>` : ''}
<h2>Ops (${r.ops.length} kinds, ${grouped(r.nodes)} nodes)</h2>
${histogram(r)}
<h2>Parameters (${r.parameters.rows.length} tensors)</h2>
${tableHtml(['name', 'shape', 'dtype', { num: 'size' }, 'HF name'], r.parameters.rows.map((p) => [p.name, shapeText(p.shape), p.dtype, { num: grouped(p.size) }, `${p.hfName ?? ''}${p.transposed ? ' (transposed)' : ''}`]))}
<h2>Inputs</h2>
${tableHtml(['name', 'role', 'type'], r.inputs.map((i) => [i.name, i.role ?? '', `${i.dtype}${shapeText(i.shape)}`]))}
<h2>Outputs</h2>
${tableHtml(['name', 'type'], r.outputs.map((o) => [o.name, `${o.dtype}${shapeText(o.shape)}`]))}
<h2>${r.kind === 'onnx' ? 'Nodes' : 'IR'}</h2>
<pre>${escapeHtml(r.listing)}</pre>
</body>
</html>
`;
}
