import { grouped, shapeText, si, summaryRows, table } from './format.ts';
import type { InspectReport } from './report.ts';

/** A plain-text report: summary, op histogram, parameters, inputs and outputs, then the graph. */
export function renderText(r: InspectReport): string {
  const out: string[] = [];
  const f = r.figures;
  out.push(`${r.kind === 'onnx' ? 'ONNX model' : 'IR graph'} ${r.name}: ${r.source}`);
  const summary: string[][] = summaryRows(r);
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
