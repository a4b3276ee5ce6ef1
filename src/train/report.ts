/**
 * The HTML training report: loss and accuracy curves (inline SVG, no external resources), the
 * evaluation tables and the run's settings, in one page a person can open in a browser.
 */

export interface CurvePoint {
  step: number;
  value: number;
}

export interface Curve {
  label: string;
  points: CurvePoint[];
  colour: string;
}

export interface ReportChart {
  title: string;
  yLabel: string;
  curves: Curve[];
  /**
   * Bounds the y axis never goes past (0 and 1 for an accuracy, 0 for a loss). The axis itself
   * is fitted to the data and the reference line, with a small margin, within these bounds: the
   * curves fill the chart rather than a strip of it.
   */
  yMin?: number;
  yMax?: number;
  /** A horizontal line (a baseline), drawn dashed and named in the legend. */
  reference?: { label: string; value: number };
  /** What the chart says instead when no curve has a point (default "(no data)"). */
  noData?: string;
}

export interface ReportSection {
  title: string;
  /** A paragraph above the table. */
  text?: string;
  /** Column headings (the first names the label column); without them the table is label: value rows. */
  header?: string[];
  /** Rows of [label, value, ...]: the first cell is the row's label. */
  rows: string[][];
  /** A chart below the table. */
  chart?: ReportChart;
}

export interface TrainingReport {
  title: string;
  summary: string;
  charts: ReportChart[];
  sections: ReportSection[];
}

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const W = 640;
/** The plot area's height; the legend above it adds to the chart's. */
const PLOT_H = 230;
const PAD = { left: 60, right: 16, bottom: 36 };
const LEGEND_ROW = 16;
/** Points per curve that carry a hover title (a long curve gets every n-th one, and its last). */
const MAX_HOVER_POINTS = 200;

/** Tick values: multiples of 1, 2 or 5 times a power of ten, about n of them over [lo, hi]. */
export function niceStep(lo: number, hi: number, n = 5): number {
  const span = hi - lo || Math.abs(hi) || 1;
  const raw = span / n;
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  return [1, 2, 5, 10].map((m) => m * mag).find((st) => span / st <= n) ?? 10 * mag;
}

function niceTicks(lo: number, hi: number, n = 5, minStep = 0): number[] {
  const step = Math.max(minStep, niceStep(lo, hi, n));
  const out: number[] = [];
  for (let k = Math.ceil(lo / step - 1e-9); k * step <= hi + step * 1e-9; k++) out.push(+(k * step).toPrecision(12));
  return out;
}

/**
 * The y range of a chart: the data's (and the reference's) extent with a margin of 6% on each
 * side, widened to round numbers, kept within [min, max] where given. A flat curve gets a
 * range around its value.
 */
export function fitYRange(values: number[], bounds: { min?: number; max?: number } = {}): { lo: number; hi: number; ticks: number[] } {
  const finite = values.filter(Number.isFinite);
  let lo = finite.length ? Math.min(...finite) : (bounds.min ?? 0);
  let hi = finite.length ? Math.max(...finite) : (bounds.max ?? 1);
  if (hi - lo < 1e-12 * Math.max(1, Math.abs(hi))) {
    const half = Math.abs(hi) > 0 ? Math.abs(hi) * 0.05 : 0.5;
    lo -= half;
    hi += half;
  }
  const margin = 0.06 * (hi - lo);
  lo -= margin;
  hi += margin;
  // Ends on a finer step than the ticks': clean numbers without adding much empty space.
  const step = niceStep(lo, hi, 10);
  lo = Math.floor(lo / step + 1e-9) * step;
  hi = Math.ceil(hi / step - 1e-9) * step;
  if (bounds.min !== undefined) lo = Math.max(lo, bounds.min);
  if (bounds.max !== undefined) hi = Math.min(hi, bounds.max);
  if (!(hi > lo)) hi = lo + step;
  lo = +lo.toPrecision(12);
  hi = +hi.toPrecision(12);
  return { lo, hi, ticks: niceTicks(lo, hi) };
}

/** A value for a hover title or a tick: 4 significant digits, small ones (learning rates) as 1.00e-4. */
export function formatValue(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (v !== 0 && Math.abs(v) < 1e-3) return v.toExponential(2);
  return String(+v.toPrecision(4));
}

/** The width a label takes at font-size 11 (a rough average glyph width; no font metrics here). */
const textWidth = (s: string): number => 6.2 * s.length;

interface LegendEntry {
  label: string;
  colour: string;
  dashed: boolean;
}

/** Legend entries in rows across the chart's width, above the plot: x, row and the entry. */
function layoutLegend(entries: LegendEntry[]): { x: number; row: number; e: LegendEntry }[] {
  const out: { x: number; row: number; e: LegendEntry }[] = [];
  let x = PAD.left;
  let row = 0;
  for (const e of entries) {
    const w = 22 + textWidth(e.label) + 14;
    if (x > PAD.left && x + w > W - PAD.right) {
      x = PAD.left;
      row += 1;
    }
    out.push({ x, row, e });
    x += w;
  }
  return out;
}

/**
 * A line chart as an SVG element: the legend (curves and the reference line) in rows above the
 * plot area, so that it never covers a curve; the y axis fitted to the data (fitYRange); each
 * point with a hover title giving the curve, the step and the value.
 */
export function lineChart(chart: ReportChart): string {
  const all = chart.curves.flatMap((c) => c.points.filter((p) => Number.isFinite(p.value)));
  if (all.length === 0) return `<p>${escapeHtml(chart.noData ?? '(no data)')}</p>`;
  const xs = all.map((p) => p.step);
  const ys = all.map((p) => p.value);
  if (chart.reference && Number.isFinite(chart.reference.value)) ys.push(chart.reference.value);
  const x0 = Math.min(...xs);
  const x1 = Math.max(...xs, x0 + 1);
  const { lo: y0, hi: y1, ticks } = fitYRange(ys, { min: chart.yMin, max: chart.yMax });
  const entries: LegendEntry[] = chart.curves.filter((c) => c.points.some((p) => Number.isFinite(p.value))).map((c) => ({ label: c.label, colour: c.colour, dashed: false }));
  if (chart.reference) entries.push({ label: chart.reference.label, colour: '#c33', dashed: true });
  const legend = layoutLegend(entries);
  const rows = legend.length ? legend[legend.length - 1].row + 1 : 0;
  const top = 10 + rows * LEGEND_ROW + 6;
  const H = top + PLOT_H + PAD.bottom;
  const plot = { x: PAD.left, y: top, w: W - PAD.left - PAD.right, h: PLOT_H };
  const sx = (x: number): number => plot.x + ((x - x0) / (x1 - x0)) * plot.w;
  const sy = (y: number): number => plot.y + plot.h - ((y - y0) / (y1 - y0)) * plot.h;
  const parts: string[] = [];
  parts.push(`<svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${escapeHtml(chart.title)}" xmlns="http://www.w3.org/2000/svg">`);
  parts.push(`<rect x="0" y="0" width="${W}" height="${H}" fill="#fff"/>`);
  parts.push(`<rect class="plot" x="${plot.x}" y="${plot.y}" width="${plot.w}" height="${plot.h}" fill="none"/>`);
  for (const t of ticks) {
    const y = sy(t).toFixed(1);
    parts.push(`<line x1="${plot.x}" x2="${plot.x + plot.w}" y1="${y}" y2="${y}" stroke="#eee"/>`);
    parts.push(`<text x="${plot.x - 6}" y="${y}" text-anchor="end" dominant-baseline="middle" font-size="11">${formatValue(t)}</text>`);
  }
  // Steps are whole numbers: no tick between two of them.
  for (const t of niceTicks(x0, x1, 6, 1)) {
    const x = sx(t).toFixed(1);
    parts.push(`<text x="${x}" y="${plot.y + plot.h + 16}" text-anchor="middle" font-size="11">${t}</text>`);
  }
  parts.push(`<text x="${plot.x + plot.w / 2}" y="${H - 4}" text-anchor="middle" font-size="12">step</text>`);
  const mid = (plot.y + plot.h / 2).toFixed(1);
  parts.push(`<text x="12" y="${mid}" text-anchor="middle" font-size="12" transform="rotate(-90 12 ${mid})">${escapeHtml(chart.yLabel)}</text>`);
  parts.push(`<line x1="${plot.x}" x2="${plot.x}" y1="${plot.y}" y2="${plot.y + plot.h}" stroke="#999"/>`);
  parts.push(`<line x1="${plot.x}" x2="${plot.x + plot.w}" y1="${plot.y + plot.h}" y2="${plot.y + plot.h}" stroke="#999"/>`);
  if (chart.reference && Number.isFinite(chart.reference.value)) {
    const y = sy(chart.reference.value).toFixed(1);
    parts.push(`<line class="reference" x1="${plot.x}" x2="${plot.x + plot.w}" y1="${y}" y2="${y}" stroke="#c33" stroke-dasharray="5,4"><title>${escapeHtml(chart.reference.label)}</title></line>`);
  }
  for (const c of chart.curves) {
    const pts = c.points.filter((p) => Number.isFinite(p.value));
    if (pts.length === 0) continue;
    const d = pts.map((p, k) => `${k ? 'L' : 'M'}${sx(p.step).toFixed(1)},${sy(p.value).toFixed(1)}`).join('');
    parts.push(`<path class="curve" d="${d}" fill="none" stroke="${c.colour}" stroke-width="1.8"/>`);
    // Points: drawn where there are few; every one (or every n-th of a long curve) answers a hover with its value.
    const every = Math.ceil(pts.length / MAX_HOVER_POINTS);
    const shown = pts.length <= 40;
    const hover = pts.filter((_, k) => shown || k % every === 0 || k === pts.length - 1);
    parts.push(`<g class="points" fill="${c.colour}"${shown ? '' : ' fill-opacity="0"'}>`);
    for (const p of hover) {
      parts.push(`<circle cx="${sx(p.step).toFixed(1)}" cy="${sy(p.value).toFixed(1)}" r="${shown ? 2.5 : 3}"><title>${escapeHtml(c.label)}, step ${p.step}: ${formatValue(p.value)}</title></circle>`);
    }
    parts.push('</g>');
  }
  parts.push('<g class="legend">');
  for (const { x, row, e } of legend) {
    const y = 10 + row * LEGEND_ROW;
    if (e.dashed) parts.push(`<line x1="${x}" x2="${x + 16}" y1="${y + 5}" y2="${y + 5}" stroke="${e.colour}" stroke-width="1.8" stroke-dasharray="5,3"/>`);
    else parts.push(`<rect x="${x + 3}" y="${y}" width="10" height="10" fill="${e.colour}"/>`);
    parts.push(`<text x="${x + 22}" y="${y + 9}" font-size="11">${escapeHtml(e.label)}</text>`);
  }
  parts.push('</g>');
  parts.push('</svg>');
  return parts.join('');
}

export function renderTrainingReport(r: TrainingReport): string {
  const charts = r.charts.map((c) => `<section><h2>${escapeHtml(c.title)}</h2>${lineChart(c)}</section>`).join('\n');
  const sections = r.sections
    .map((s) => {
      const text = s.text ? `<p>${escapeHtml(s.text)}</p>` : '';
      const header = s.header ? `<tr>${s.header.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr>` : '';
      const rows = s.rows.map(([k, ...vs]) => `<tr><th>${escapeHtml(k)}</th>${vs.map((v) => `<td>${escapeHtml(v)}</td>`).join('')}</tr>`).join('');
      const chart = s.chart ? `<h3>${escapeHtml(s.chart.title)}</h3>${lineChart(s.chart)}` : '';
      return `<section><h2>${escapeHtml(s.title)}</h2>${text}<table>${header}${rows}</table>${chart}</section>`;
    })
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(r.title)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2em auto;max-width:720px;color:#222}
h1{font-size:1.5em}h2{font-size:1.1em;margin-top:1.6em}h3{font-size:1em;font-weight:600}
table{border-collapse:collapse}th,td{padding:3px 10px;border-bottom:1px solid #eee;text-align:left;font-variant-numeric:tabular-nums}
th{font-weight:600;color:#444}svg{max-width:100%;height:auto}.summary{background:#f5f7fa;padding:10px 14px;border-radius:6px}
</style></head><body>
<h1>${escapeHtml(r.title)}</h1>
<p class="summary">${escapeHtml(r.summary)}</p>
${sections}
${charts}
</body></html>
`;
}
