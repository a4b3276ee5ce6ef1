/** An IR graph as a RawGraph, for the graph model (graph-model.ts). */
import { byteSize } from '../ir/dtype.ts';
import type { Graph, Value } from '../ir/graph.ts';
import type { Tensor } from '../ir/tensor.ts';
import { DimBinding, type FigureOptions } from './dims.ts';
import { buildGraphModel, type GraphModel, type RawGraph, type RawValue } from './graph-model.ts';

function isTensor(v: unknown): v is Tensor {
  return typeof v === 'object' && v !== null && 'data' in v && 'shape' in v && 'dtype' in v;
}

/** One attribute as the IR printer writes it (tensors as dtype[shape](first values)). */
export function formatIrAttr(v: unknown): string {
  if (isTensor(v)) {
    const n = v.data.length;
    const head = Array.from(v.data.slice(0, 4)).map((x) => +Number(x).toPrecision(6));
    return `${v.dtype}[${v.shape.join(', ')}](${head.join(', ')}${n > 4 ? ', ...' : ''})`;
  }
  if (Array.isArray(v)) return `[${v.map(formatIrAttr).join(', ')}]`;
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'object' && v !== null) {
    return `{${Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .map(([k, x]) => `${k}: ${formatIrAttr(x)}`)
      .join(', ')}}`;
  }
  return String(v);
}

function irAttrs(attrs: unknown): [string, string][] {
  if (!attrs || typeof attrs !== 'object') return [];
  return Object.entries(attrs as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => [k, formatIrAttr(v)]);
}

export function irRawGraph(g: Graph, dims: DimBinding): RawGraph {
  const index = new Map<Value, number>();
  const values: RawValue[] = [];
  const add = (v: Value): number => {
    const i = values.length;
    index.set(v, i);
    const info = v.input;
    values.push({
      name: info ? info.name : v.toString(),
      dtype: v.dtype,
      shape: [...v.shape],
      bytes: dims.numel(v.shape) * byteSize(v.dtype),
      numel: dims.numel(v.shape),
      ...(info ? { role: info.role } : {}),
      ...(info?.hfName !== undefined ? { hfName: info.hfName } : {}),
      ...(info?.transposed !== undefined ? { transposed: info.transposed } : {}),
    });
    return i;
  };
  const inputs = g.inputs.map(add);
  const ref = (v: Value): number => index.get(v) ?? add(v);
  const nodes = g.nodes.map((n) => {
    const ins = n.inputs.map(ref);
    return {
      op: n.op.name,
      name: n.outputs.map((o) => o.toString()).join(', '),
      scope: n.scope,
      attrs: irAttrs(n.attrs),
      inputs: ins,
      outputs: n.outputs.map(ref),
      flops: n.op.flops ? dims.eval(n.op.flops(n)) : null,
    };
  });
  return { kind: 'ir', name: g.name, values, nodes, inputs, outputs: g.outputs.map((o) => ({ name: o.name, value: ref(o.value) })) };
}

/** The graph model of an IR graph at the sizes the options bind. */
export function irGraphModel(g: Graph, opts: FigureOptions = {}): GraphModel {
  return buildGraphModel(irRawGraph(g, new DimBinding(opts)), "each op's FLOP rule; a multiply-add counts 2");
}
