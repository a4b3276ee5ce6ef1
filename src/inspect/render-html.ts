/**
 * `albert inspect --format html`: one self-contained page (nothing fetched: the layout library,
 * the script, the styles and the graph are all inside it).
 *
 * The graph is drawn by the page's script (viewer/client.ts) from the graph model, embedded as
 * JSON. Beside it are tables rendered here, so they read without the script too: parameters (TF
 * and HF names, shape, size, which scopes share them), FLOPs per scope, and activation memory (live
 * bytes over the schedule as a plot, the peak marked, the values alive at the peak listed).
 */
import { bytes, grouped, shapeText, si, summaryRows } from './format.ts';
import type { GraphModel } from './graph-model.ts';
import type { InspectReport } from './report.ts';
import { VIEWER_JS } from './viewer/client.ts';
import { dagreScript } from './viewer/dagre.ts';
import { VIEWER_CSS } from './viewer/style.ts';

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

type Cell = string | { num: string } | { html: string };

function cellHtml(tag: 'td' | 'th', c: Cell): string {
  if (typeof c === 'string') return `<${tag}>${escapeHtml(c)}</${tag}>`;
  if ('num' in c) return `<${tag} class="num">${escapeHtml(c.num)}</${tag}>`;
  return `<${tag}>${c.html}</${tag}>`;
}

/** A table; without headers (null) it is a key/value list. `attrs` adds attributes to each row. */
function tableHtml(headers: Cell[] | null, rows: Cell[][], attrs: string[] = [], id = ''): string {
  const head = headers ? `<thead><tr>${headers.map((h) => cellHtml('th', h)).join('')}</tr></thead>\n` : '';
  return `<table${id ? ` id="${id}"` : ''}>\n${head}<tbody>\n${rows
    .map((r, i) => `<tr${attrs[i] ? ` ${attrs[i]}` : ''}>${r.map((c) => cellHtml('td', c)).join('')}</tr>`)
    .join('\n')}\n</tbody>\n</table>`;
}

function bar(share: number, width = 120): { html: string } {
  const w = Math.max(0, Math.min(1, share)) * width;
  return { html: `<span class="bar" style="width:${w.toFixed(1)}px"></span>` };
}

/** The op histogram as bars (widths relative to the most frequent op). */
function histogram(r: InspectReport): string {
  const max = Math.max(1, ...r.ops.map((o) => o.count));
  return tableHtml(
    ['op', { num: 'count' }, '', { num: 'FLOPs' }, { num: 'share' }],
    r.ops.map((o) => [o.op, { num: String(o.count) }, bar(o.count / max), { num: o.flops === null ? '-' : si(o.flops) }, { num: o.flops === null || !r.flops.total ? '' : `${((100 * o.flops) / r.flops.total).toFixed(1)}%` }]),
  );
}

function parametersSection(r: InspectReport, m: GraphModel): string {
  const used = m.params.map((p, i) => [p, i] as const).filter(([p]) => p.used);
  const unused = m.params.filter((p) => !p.used);
  const rows: Cell[][] = used.map(([p]) => [
    { html: `<div class="mono">${escapeHtml(p.name)}</div>${p.hfName ? `<div class="mono muted">${escapeHtml(p.hfName)}${p.transposed ? ' (transposed)' : ''}</div>` : ''}` },
    { html: `<span class="nowrap">${escapeHtml(shapeText(p.shape))}</span>` },
    { num: grouped(p.size) },
    p.sharedBy,
  ]);
  const shared = used.filter(([p]) => p.readers.length > 1);
  const sharedSize = shared.reduce((s, [p]) => s + p.size, 0);
  return `<h2>Parameters (${used.length} tensors, ${grouped(r.parameters.count)} values, ${bytes(r.parameters.bytes)})</h2>
<p class="note">Counted: the parameters some op reads. ${shared.length ? `${shared.length} tensors (${si(sharedSize)} values) are read by more than one scope; "shared by" says which, numbered scopes folded into ranges.` : ''} Click a row to outline its readers in the graph.</p>
<p class="note" id="param-note"></p>
${tableHtml(['name (TF / HF)', 'shape', { num: 'size' }, 'shared by'], rows, used.map(([, i]) => `data-param="${i}"`), 'param-table')}
${unused.length ? `<p class="note">Declared but read by no op (not counted): ${escapeHtml(unused.map((p) => p.name).join(', '))}</p>` : ''}`;
}

function flopsSection(m: GraphModel): string {
  const total = m.flops.total || 1;
  const rows: Cell[][] = [];
  const attrs: string[] = [];
  const foldOf = new Map<number, number>();
  m.folds.forEach((f, i) => f.members.forEach((s) => foldOf.set(s, i)));
  const indent = (d: number): string => '&nbsp;'.repeat(3 * d);
  const walk = (s: number, depth: number): void => {
    for (const c of m.scopes[s].children) {
      const f = foldOf.get(c);
      if (f !== undefined) {
        const fold = m.folds[f];
        if (fold.members[0] !== c) continue;
        const flops = fold.members.reduce((a, x) => a + m.scopes[x].flops, 0);
        const ops = fold.members.reduce((a, x) => a + m.scopes[x].nodeCount, 0);
        rows.push([{ html: `${indent(depth)}${escapeHtml(fold.label)} <span class="badge">×${fold.members.length} shared</span>` }, { num: grouped(ops) }, { num: si(flops) }, bar(flops / total), { num: `${((100 * flops) / total).toFixed(1)}%` }]);
        attrs.push(`data-fold="${f}"`);
        continue;
      }
      const sc = m.scopes[c];
      rows.push([{ html: `${indent(depth)}${escapeHtml(sc.label)}` }, { num: grouped(sc.nodeCount) }, { num: si(sc.flops) }, bar(sc.flops / total), { num: `${((100 * sc.flops) / total).toFixed(1)}%` }]);
      attrs.push(`data-scope="${c}"`);
      if (depth < 2) walk(c, depth + 1);
    }
  };
  walk(0, 0);
  const direct = m.scopes[0].nodes.reduce((a, n) => a + (m.nodes[n].flops ?? 0), 0);
  if (m.scopes[0].nodes.length) rows.push(['(top level)', { num: grouped(m.scopes[0].nodes.length) }, { num: si(direct) }, bar(direct / total), { num: `${((100 * direct) / total).toFixed(1)}%` }]);
  return `<h2>FLOPs by scope (${si(m.flops.total, 'FLOP')} in all)</h2>
<p class="note">${escapeHtml(m.flops.note)}. A shared block's row adds up all its uses. Click a row to find it in the graph.</p>
${tableHtml(['scope', { num: 'ops' }, { num: 'FLOPs' }, '', { num: 'share' }], rows, attrs)}`;
}

/** Live bytes over the schedule, as an SVG area with the peak marked and the top-level scopes below. */
function memoryPlot(m: GraphModel): string {
  const mem = m.memory!;
  const W = 440;
  const H = 190;
  const x0 = 52;
  const x1 = W - 10;
  const yTop = 14;
  const yBase = H - 40;
  const n = mem.live.length;
  const max = Math.max(1, mem.peakBytes) * 1.08;
  const X = (i: number): number => x0 + ((x1 - x0) * i) / Math.max(1, n - 1);
  const Y = (b: number): number => yBase - ((yBase - yTop) * b) / max;
  // At most one point per half pixel column (the largest value in it), so the peak survives.
  const buckets = Math.min(n, 2 * (x1 - x0));
  const pts: string[] = [`${x0.toFixed(1)},${yBase}`];
  for (let b = 0; b < buckets; b++) {
    const lo = Math.floor((b * n) / buckets);
    const hi = Math.max(lo + 1, Math.floor(((b + 1) * n) / buckets));
    let best = lo;
    for (let i = lo; i < hi; i++) if (mem.live[i] > mem.live[best]) best = i;
    pts.push(`${X(best).toFixed(1)},${Y(mem.live[best]).toFixed(1)}`);
  }
  pts.push(`${X(n - 1).toFixed(1)},${yBase}`);
  const grid: string[] = [];
  for (let k = 1; k <= 4; k++) {
    const b = (max * k) / 4;
    grid.push(`<line class="grid" x1="${x0}" x2="${x1}" y1="${Y(b).toFixed(1)}" y2="${Y(b).toFixed(1)}"/><text x="${x0 - 4}" y="${(Y(b) + 3).toFixed(1)}" text-anchor="end">${escapeHtml(bytes(b))}</text>`);
  }
  // The top-level scope of each step, as runs under the axis.
  const top = (s: number): number => {
    let x = s;
    while (x > 0 && m.scopes[x].parent > 0) x = m.scopes[x].parent;
    return x;
  };
  const bands: string[] = [];
  const colours = ['#c5d5f2', '#f2dcc5', '#cfe8cf', '#e6d2f0', '#f0e6b8', '#d6dde6'];
  let start = 0;
  let run = 0;
  for (let i = 1; i <= n; i++) {
    if (i < n && top(m.nodes[i].scope) === top(m.nodes[start].scope)) continue;
    const s = top(m.nodes[start].scope);
    const xa = X(start);
    const xb = i === n ? x1 : X(i);
    const name = s === 0 ? '(top level)' : m.scopes[s].label;
    bands.push(`<rect x="${xa.toFixed(1)}" y="${yBase + 4}" width="${Math.max(0.5, xb - xa).toFixed(1)}" height="10" fill="${colours[run % colours.length]}"><title>${escapeHtml(`${name}: steps ${start}-${i - 1}`)}</title></rect>`);
    if (xb - xa > 6 * name.length) bands.push(`<text x="${((xa + xb) / 2).toFixed(1)}" y="${yBase + 26}" text-anchor="middle">${escapeHtml(name)}</text>`);
    run++;
    start = i;
  }
  const px = X(mem.peakStep);
  const py = Y(mem.peakBytes);
  const anchor = px > (x0 + x1) / 2 ? 'end' : 'start';
  return `<svg id="memplot" viewBox="0 0 ${W} ${H}" data-x0="${x0}" data-x1="${x1}" role="img" aria-label="live activation bytes over the schedule">
${grid.join('\n')}
<line class="grid" x1="${x0}" x2="${x1}" y1="${yBase}" y2="${yBase}"/><text x="${x0 - 4}" y="${yBase + 3}" text-anchor="end">0</text>
<polygon class="area" points="${pts.join(' ')}"/>
<line class="cursor" x1="${x0}" x2="${x0}" y1="${yTop}" y2="${yBase}" style="display:none"/>
<circle class="peak" cx="${px.toFixed(1)}" cy="${py.toFixed(1)}" r="3.5"/>
<text x="${(px + (anchor === 'end' ? -6 : 6)).toFixed(1)}" y="${(py + 4).toFixed(1)}" text-anchor="${anchor}" fill="#c92a2a">peak ${escapeHtml(bytes(mem.peakBytes))} at step ${mem.peakStep}</text>
${bands.join('\n')}
<text x="${x1}" y="${H - 2}" text-anchor="end">node order (schedule) →</text>
</svg>`;
}

function memorySection(r: InspectReport, m: GraphModel): string {
  if (!m.memory) return '<h2>Activation memory</h2><p class="note">No nodes.</p>';
  const mem = m.memory;
  if (m.kind === 'onnx' && !r.memory) return `<h2>Activation memory</h2><p class="note">Unavailable: ${escapeHtml(r.notes.find((n) => n.startsWith('activation memory')) ?? 'the file states no shapes')}.</p>`;
  const peak = m.nodes[mem.peakStep];
  const LIMIT = 60;
  const rows: Cell[][] = mem.alive.slice(0, LIMIT).map((v) => {
    const x = m.values[v];
    const p = m.nodes[x.producer];
    return [{ html: `<span class="mono">${escapeHtml(x.name)}</span>` }, { html: `<span class="mono">${escapeHtml(`${x.dtype}${x.shape ? shapeText(x.shape) : ''}`)}</span>` }, { num: x.bytes === null ? '?' : bytes(x.bytes) }, `${p.op} @${m.scopes[p.scope].path || '(top level)'}`];
  });
  const attrs = mem.alive.slice(0, LIMIT).map((v) => `data-node="${m.values[v].producer}"`);
  const rest = mem.alive.length - LIMIT;
  return `<h2>Activation memory</h2>
<p>Peak <b>${escapeHtml(bytes(mem.peakBytes))}</b> at step ${mem.peakStep} of ${mem.live.length}: <span class="mono">${escapeHtml(`${peak.op} ${peak.name}`)}</span> in ${escapeHtml(m.scopes[peak.scope].path || '(top level)')}. <button id="btn-peak">Show it</button></p>
${memoryPlot(m)}
<div id="memtip">Point at the plot for the op at each step; click to find it in the graph.</div>
<p class="note">${escapeHtml(r.memory?.note ?? '')}${mem.unknown ? ` ${mem.unknown} node outputs of unknown size are not counted.` : ''}</p>
<h3>Alive at the peak (${mem.alive.length} values, largest first)</h3>
${tableHtml(['value', 'type', { num: 'bytes' }, 'made by'], rows, attrs)}
${rest > 0 ? `<p class="note">… and ${rest} smaller values.</p>` : ''}`;
}

function summarySection(r: InspectReport, m: GraphModel): string {
  const f = r.figures;
  const notes = [...(m.scopeNote ? [m.scopeNote] : []), ...f.assumptions.map((a) => `assumed ${a}`), ...r.notes];
  return `<h2>Summary</h2>
${tableHtml(null, [['source', r.source], ...summaryRows(r)])}
${notes.length ? `<ul class="note">\n${notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('\n')}\n</ul>` : ''}
<h3>Ops (${r.ops.length} kinds, ${grouped(r.nodes)} nodes)</h3>
${histogram(r)}
<h3>Inputs</h3>
${tableHtml(['name', 'role', 'type'], r.inputs.map((i) => [i.name, i.role ?? '', `${i.dtype}${shapeText(i.shape)}`]))}
<h3>Outputs</h3>
${tableHtml(['name', 'type'], r.outputs.map((o) => [o.name, `${o.dtype}${shapeText(o.shape)}`]))}
<details><summary>${r.kind === 'onnx' ? 'Node listing' : 'IR listing'} (${grouped(r.listing.split('\n').length)} lines)</summary>
<pre>${escapeHtml(r.listing)}</pre>
</details>`;
}

/** The graph model as the page embeds it: JSON that cannot end the script element. */
export function embedJson(x: unknown): string {
  return JSON.stringify(x).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** One self-contained page: the graph viewer beside parameters, FLOPs and memory. */
export function renderHtml(r: InspectReport, m: GraphModel): string {
  const title = `${r.kind === 'onnx' ? 'ONNX model' : 'IR graph'} ${r.name}`;
  const headline = [
    `${si(r.parameters.count)} parameters`,
    r.flops.total === null ? 'FLOPs unavailable' : `${si(r.flops.total, 'FLOP')}`,
    ...(r.memory ? [`peak ${bytes(r.memory.peakLiveBytes)} live`] : []),
    `batch ${r.figures.batchSize} × seq ${r.figures.seqLength}`,
  ].join(' · ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} - albert inspect</title>
<style>${VIEWER_CSS}</style>
</head>
<body>
<header id="top">
<div><h1>${escapeHtml(title)}</h1><div class="source">${escapeHtml(r.source)}</div></div>
<div class="headline">${escapeHtml(headline)}</div>
<div class="tools">
<input id="search" type="search" placeholder="Search ops by name, op, scope or parameter (/)" autocomplete="off" spellcheck="false">
<div id="results"></div>
<button id="btn-fit" title="Fit the picture to the window">Fit</button>
<button id="btn-expand" title="Open every box shown">Open all shown</button>
<button id="btn-collapse" title="Close every box">Close all</button>
<label class="toggle" title="Draw a block that several scopes share (ALBERT's layers) once"><input type="checkbox" id="fold-toggle" checked> shared blocks once</label>
<label class="toggle" title="Show Constant nodes and the shape bookkeeping of an ONNX lowering"><input type="checkbox" id="aux-toggle"> helpers</label>
</div>
</header>
<main>
<section id="graph"><svg id="canvas"></svg><div id="nojs">The graph needs JavaScript; the tables beside it do not.</div><div id="status"></div></section>
<aside id="side">
<nav class="tabs"><button data-tab="details" class="on">Details</button><button data-tab="params">Parameters</button><button data-tab="flops">FLOPs</button><button data-tab="memory">Memory</button><button data-tab="summary">Summary</button></nav>
<section class="tab on" id="tab-details"><h2>Details</h2><div id="details-body"></div></section>
<section class="tab" id="tab-params">${parametersSection(r, m)}</section>
<section class="tab" id="tab-flops">${flopsSection(m)}</section>
<section class="tab" id="tab-memory">${memorySection(r, m)}</section>
<section class="tab" id="tab-summary">${summarySection(r, m)}</section>
</aside>
</main>
<script type="application/json" id="albert-data">${embedJson(m)}</script>
<script>${dagreScript()}</script>
<script>${VIEWER_JS}</script>
</body>
</html>
`;
}
