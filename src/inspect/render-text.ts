import { bytes, grouped, shapeText, si, table } from './format.ts';
import type { InspectReport } from './report.ts';

/** A plain-text report: summary, op histogram, parameters, inputs and outputs, then the graph. */
export function renderText(r: InspectReport): string {
  const out: string[] = [];
  const f = r.figures;
  out.push(`${r.kind === 'onnx' ? 'ONNX model' : 'IR graph'} ${r.name}: ${r.source}`);
  const summary: string[][] = [];
  if (r.producer) summary.push(['producer', r.producer]);
  if (r.opset !== undefined) summary.push(['opset', String(r.opset)]);
  summary.push(['nodes', grouped(r.nodes)]);
  summary.push(['parameters', `${grouped(r.parameters.count)} (${si(r.parameters.count)}, ${bytes(r.parameters.bytes)})`]);
  summary.push(['figures for', `batch ${f.batchSize}, seq ${f.seqLength}`]);
  summary.push(['FLOPs', r.flops.total === null ? r.flops.note : `${si(r.flops.total, 'FLOP')} (${r.flops.note})`]);
  if (r.memory) {
    summary.push(['activations', `${bytes(r.memory.activationBytes)} in all node outputs`]);
    summary.push(['peak live', `${bytes(r.memory.peakLiveBytes)}${r.memory.peakAt ? ` at ${r.memory.peakAt}` : ''}`]);
  }
  out.push(table(['', ''], summary).split('\n').slice(2).join('\n'));
  if (f.assumptions.length) out.push('', 'Assumed sizes:', ...f.assumptions.map((a) => `  ${a}`));
  if (r.memory) out.push('', `Memory: ${r.memory.note}.`);
  for (const n of r.notes) out.push(`Note: ${n}.`);

  out.push('', 'Ops:');
  out.push(
    table(
      ['op', 'count', 'FLOPs', 'share'],
      r.ops.map((o) => [
        o.op,
        String(o.count),
        o.flops === null ? '-' : si(o.flops),
        o.flops === null || !r.flops.total ? '' : `${((100 * o.flops) / r.flops.total).toFixed(1)}%`,
      ]),
      ['l', 'r', 'r', 'r'],
    ),
  );

  out.push('', 'Parameters:');
  out.push(
    table(
      ['name', 'shape', 'dtype', 'size', 'HF name'],
      r.parameters.rows.map((p) => [p.name, shapeText(p.shape), p.dtype, grouped(p.size), `${p.hfName ?? ''}${p.transposed ? ' (transposed)' : ''}`]),
      ['l', 'l', 'l', 'r', 'l'],
    ),
  );

  out.push('', 'Inputs:');
  out.push(table(['name', 'role', 'type'], r.inputs.map((i) => [i.name, i.role ?? '', `${i.dtype}${shapeText(i.shape)}`])));
  out.push('', 'Outputs:');
  out.push(table(['name', 'type'], r.outputs.map((o) => [o.name, `${o.dtype}${shapeText(o.shape)}`])));
  out.push('', r.kind === 'onnx' ? 'Nodes:' : 'IR:', r.listing, '');
  return out.join('\n');
}
