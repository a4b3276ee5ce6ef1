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
  yMin?: number;
  yMax?: number;
  reference?: { label: string; value: number };
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
const H = 280;
const PAD = { left: 56, right: 16, top: 16, bottom: 36 };

function niceTicks(lo: number, hi: number, n = 5): number[] {
  const span = hi - lo || 1;
  const raw = span / n;
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => span / s <= n) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-12; v += step) out.push(+v.toPrecision(12));
  return out;
}

/** A line chart as an SVG element. */
export function lineChart(chart: ReportChart): string {
  const all = chart.curves.flatMap((c) => c.points);
  if (all.length === 0) return '<p>(no data)</p>';
  const xs = all.map((p) => p.step);
  const ys = all.map((p) => p.value).filter(Number.isFinite);
  if (chart.reference) ys.push(chart.reference.value);
  const x0 = Math.min(...xs);
  const x1 = Math.max(...xs, x0 + 1);
  const y0 = chart.yMin ?? Math.min(...ys);
  const y1 = chart.yMax ?? Math.max(...ys, y0 + 1e-9);
  const sx = (x: number): number => PAD.left + ((x - x0) / (x1 - x0)) * (W - PAD.left - PAD.right);
  const sy = (y: number): number => H - PAD.bottom - ((y - y0) / (y1 - y0 || 1)) * (H - PAD.top - PAD.bottom);
  const parts: string[] = [];
  parts.push(`<svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${escapeHtml(chart.title)}">`);
  parts.push(`<rect x="0" y="0" width="${W}" height="${H}" fill="#fff"/>`);
  for (const t of niceTicks(y0, y1)) {
    const y = sy(t).toFixed(1);
    parts.push(`<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${y}" y2="${y}" stroke="#eee"/>`);
    parts.push(`<text x="${PAD.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle" font-size="11">${t}</text>`);
  }
  for (const t of niceTicks(x0, x1, 6)) {
    const x = sx(t).toFixed(1);
    parts.push(`<text x="${x}" y="${H - PAD.bottom + 16}" text-anchor="middle" font-size="11">${t}</text>`);
  }
  parts.push(`<text x="${(W + PAD.left) / 2}" y="${H - 4}" text-anchor="middle" font-size="12">step</text>`);
  parts.push(`<text x="12" y="${H / 2}" text-anchor="middle" font-size="12" transform="rotate(-90 12 ${H / 2})">${escapeHtml(chart.yLabel)}</text>`);
  parts.push(`<line x1="${PAD.left}" x2="${PAD.left}" y1="${PAD.top}" y2="${H - PAD.bottom}" stroke="#999"/>`);
  parts.push(`<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${H - PAD.bottom}" y2="${H - PAD.bottom}" stroke="#999"/>`);
  if (chart.reference) {
    const y = sy(chart.reference.value).toFixed(1);
    parts.push(`<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${y}" y2="${y}" stroke="#c33" stroke-dasharray="5,4"/>`);
    parts.push(`<text x="${W - PAD.right - 4}" y="${+y - 5}" text-anchor="end" font-size="11" fill="#c33">${escapeHtml(chart.reference.label)}</text>`);
  }
  chart.curves.forEach((c, i) => {
    const pts = c.points.filter((p) => Number.isFinite(p.value));
    if (pts.length === 0) return;
    const d = pts.map((p, k) => `${k ? 'L' : 'M'}${sx(p.step).toFixed(1)},${sy(p.value).toFixed(1)}`).join('');
    parts.push(`<path d="${d}" fill="none" stroke="${c.colour}" stroke-width="1.8"/>`);
    if (pts.length <= 40) for (const p of pts) parts.push(`<circle cx="${sx(p.step).toFixed(1)}" cy="${sy(p.value).toFixed(1)}" r="2.5" fill="${c.colour}"/>`);
    parts.push(`<rect x="${PAD.left + 10}" y="${PAD.top + 4 + i * 16}" width="10" height="10" fill="${c.colour}"/>`);
    parts.push(`<text x="${PAD.left + 26}" y="${PAD.top + 13 + i * 16}" font-size="11">${escapeHtml(c.label)}</text>`);
  });
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
th{font-weight:600;color:#444}.summary{background:#f5f7fa;padding:10px 14px;border-radius:6px}
</style></head><body>
<h1>${escapeHtml(r.title)}</h1>
<p class="summary">${escapeHtml(r.summary)}</p>
${sections}
${charts}
</body></html>
`;
}
