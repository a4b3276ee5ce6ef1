/** Number formatting, aligned text tables and the summary rows shared by the renderers. */
import type { InspectReport, ShownDim } from './report.ts';

export function grouped(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** 1234567 -> "1.23 M"; below 1000 the plain number. */
export function si(n: number, unit = ''): string {
  const prefixes = ['', 'k', 'M', 'G', 'T', 'P', 'E'];
  let i = 0;
  let x = n;
  while (Math.abs(x) >= 1000 && i < prefixes.length - 1) {
    x /= 1000;
    i++;
  }
  const num = i === 0 ? String(Math.round(x)) : x.toPrecision(3);
  return `${num} ${prefixes[i]}${unit}`.trim();
}

export function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let x = n;
  while (x >= 1024 && i < units.length - 1) {
    x /= 1024;
    i++;
  }
  return i === 0 ? `${x} B` : `${x.toPrecision(3)} ${units[i]}`;
}

export function shapeText(shape: readonly ShownDim[]): string {
  return `[${shape.join(', ')}]`;
}

/** Columns padded to their widest cell; 'r' columns are right-aligned (numbers). */
export function table(headers: string[], rows: string[][], align: ('l' | 'r')[] = []): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (align[i] === 'r' ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** The summary rows every format shows first: what was inspected and its headline figures. */
export function summaryRows(r: InspectReport): [string, string][] {
  const f = r.figures;
  const rows: [string, string][] = [];
  if (r.producer) rows.push(['producer', r.producer]);
  if (r.opset !== undefined) rows.push(['opset', String(r.opset)]);
  rows.push(['nodes', grouped(r.nodes)]);
  rows.push(['parameters', `${grouped(r.parameters.count)} (${si(r.parameters.count)}, ${bytes(r.parameters.bytes)})`]);
  rows.push(['figures for', `batch ${f.batchSize}, seq ${f.seqLength}`]);
  rows.push(['FLOPs', r.flops.total === null ? r.flops.note : `${si(r.flops.total, 'FLOP')} (${r.flops.note})`]);
  if (r.memory) {
    rows.push(['activations', `${bytes(r.memory.activationBytes)} in all node outputs`]);
    rows.push(['peak live', `${bytes(r.memory.peakLiveBytes)}${r.memory.peakAt ? ` at ${r.memory.peakAt}` : ''}`]);
  }
  return rows;
}
