/** A model.onnx as a RawGraph, for the graph model (graph-model.ts). */
import { DimBinding, type FigureOptions } from './dims.ts';
import { buildGraphModel, type GraphModel, type RawGraph, type RawValue } from './graph-model.ts';
import { elemBytes, elemName, formatAttribute, knownShapes, matmulFlops, toNum, type OnnxFile } from './onnx-model.ts';
import { recoverScopes, type ScopeRecovery } from './onnx-scopes.ts';

function opName(n: { domain?: string | null; opType?: string | null }): string {
  return n.domain && n.domain !== 'ai.onnx' ? `${n.domain}.${n.opType}` : n.opType ?? '';
}

export function onnxRawGraph(file: OnnxFile, dims: DimBinding, recovery: ScopeRecovery): RawGraph {
  const g = file.model.graph!;
  const shapes = knownShapes(file);
  const elem = new Map<string, number>();
  for (const v of [...(g.input ?? []), ...(g.output ?? []), ...(g.valueInfo ?? [])]) {
    const t = v.type?.tensorType?.elemType;
    if (t) elem.set(v.name ?? '', t);
  }
  for (const t of g.initializer ?? []) elem.set(t.name ?? '', t.dataType ?? 0);
  // Constants state their own shapes (the emitter writes no value_info for them).
  for (const n of g.node ?? []) {
    const t = n.opType === 'Constant' && !n.domain ? (n.attribute ?? []).find((a) => a.name === 'value')?.t : undefined;
    const out = n.output?.[0];
    if (!t || !out || shapes.has(out)) continue;
    shapes.set(out, (t.dims ?? []).map(toNum));
    elem.set(out, t.dataType ?? 0);
  }
  const manifest = new Map((file.manifestParams ?? []).map((p) => [p.input, p]));
  const numelOf = (name: string): number | null => {
    const s = shapes.get(name);
    return !s || s.includes('?') ? null : dims.numel(s);
  };
  const bytesOf = (name: string): number | null => {
    const n = numelOf(name);
    const t = elem.get(name);
    return n === null || t === undefined ? null : n * elemBytes(t);
  };

  const values: RawValue[] = [];
  const index = new Map<string, number>();
  const add = (name: string, extra: Partial<RawValue> = {}): number => {
    const i = values.length;
    index.set(name, i);
    const t = elem.get(name);
    values.push({ name, dtype: t === undefined ? '?' : elemName(t), shape: shapes.get(name) ?? null, bytes: bytesOf(name), numel: numelOf(name), ...extra });
    return i;
  };
  const inits = new Set((g.initializer ?? []).map((t) => t.name ?? ''));
  const inputs: number[] = [];
  const param = (name: string): Partial<RawValue> => {
    const m = manifest.get(name);
    const r = recovery.inputs?.get(name);
    const hfName = m?.hfName ?? r?.hfName;
    const transposed = m?.transposed ?? r?.transposed;
    return { role: 'param', ...(hfName !== undefined ? { hfName } : {}), ...(transposed !== undefined ? { transposed } : {}) };
  };
  for (const v of g.input ?? []) {
    const name = v.name ?? '';
    if (inits.has(name) || index.has(name)) continue;
    const role = manifest.has(name) ? 'param' : recovery.inputs?.get(name)?.role ?? 'data';
    inputs.push(add(name, role === 'param' ? param(name) : { role }));
  }
  for (const t of g.initializer ?? []) {
    const name = t.name ?? '';
    if (!index.has(name)) inputs.push(add(name, param(name)));
  }
  const ref = (name: string): number => index.get(name) ?? add(name, { role: 'data' });
  // Nodes writing no value the file types are a lowering's bookkeeping, when the file types any.
  const typed = new Set([...(g.valueInfo ?? []), ...(g.output ?? [])].map((v) => v.name ?? ''));
  const anyTyped = (g.valueInfo ?? []).length > 0;
  const nodes = (g.node ?? []).map((n, i) => {
    const ins = (n.input ?? []).filter((x) => x !== '').map(ref);
    const outs = (n.output ?? []).filter((x) => x !== '').map((o) => add(o));
    const f = n.opType === 'MatMul' || n.opType === 'Gemm' ? matmulFlops(n, shapes, dims) : null;
    return {
      op: opName(n),
      name: n.name || n.output?.[0] || `node_${i}`,
      scope: recovery.scopes[i] ?? '',
      attrs: (n.attribute ?? []).map((a): [string, string] => [a.name ?? '', formatAttribute(a)]),
      inputs: ins,
      outputs: outs,
      flops: f,
      ...(anyTyped && !(n.output ?? []).some((o) => typed.has(o)) ? { aux: true as const } : {}),
    };
  });
  return {
    kind: 'onnx',
    name: g.name ?? '',
    values,
    nodes,
    inputs,
    outputs: (g.output ?? []).map((o) => ({ name: o.name ?? '', value: ref(o.name ?? '') })),
    scopeNote: recovery.note,
  };
}

/** The graph model of an ONNX file; recover: false leaves the nodes unscoped (cheaper). */
export function onnxGraphModel(file: OnnxFile, opts: FigureOptions = {}, recover = true): GraphModel {
  const recovery: ScopeRecovery = recover ? recoverScopes(file) : { scopes: [], note: '' };
  const raw = onnxRawGraph(file, new DimBinding(opts), recovery);
  return buildGraphModel(raw, 'MatMul and Gemm only (2 per multiply-add); other ops are not counted');
}
