/**
 * Which nodes of a compiled ONNX model onnxruntime's CUDA provider has no kernel for. Such a
 * node does not fail: onnxruntime silently places it on the CPU provider and copies its inputs
 * and outputs across, inside every step. The kernel list is data (kernels.json, generated from
 * onnxruntime's docs/OperatorKernels.md, CUDAExecutionProvider section): an op/opset
 * registration is looked up per node, then the node's element types are checked against the
 * registration's type constraints, matched to inputs and outputs by the Parameters column.
 */
import { readFileSync } from 'node:fs';
import type onnxProto from 'onnx-proto';
import { onnx } from '../onnx/proto.ts';

/** One kernel registration: opsets [from, to] (to null: open-ended), element types per constraint. */
export interface KernelRegistration {
  from: number;
  to: number | null;
  types: Record<string, string[]>;
}

/**
 * One alternative signature of the Parameters column, as "name:constraint" or
 * "name:tensor(int64)" for a fixed type. The table lists every signature the op had over its
 * versions without saying which version has which, so the checker picks per registration.
 */
export interface KernelSignature {
  inputs: string[];
  outputs: string[];
}

export interface KernelOp {
  params: KernelSignature[];
  kernels: KernelRegistration[];
}

export interface KernelTable {
  source: { repo: string; path: string; commit: string; section: string; note: string };
  /** By domain ("" is ai.onnx), then op name. */
  domains: Record<string, Record<string, KernelOp>>;
}

export interface KernelGap {
  node: string;
  domain: string;
  op: string;
  /** 'no kernel', or `no ${T}=${type} kernel for input ${i}` (likewise for an output). */
  reason: string;
}

let table: KernelTable | undefined;

/** The CUDA provider's kernel table (kernels.json), parsed once. */
export function cudaKernelTable(): KernelTable {
  table ??= JSON.parse(readFileSync(new URL('./kernels.json', import.meta.url), 'utf8')) as KernelTable;
  return table;
}

// TensorProto.DataType numbers to the names the table uses.
const ELEM_TYPES: Record<number, string> = {
  1: 'float', 2: 'uint8', 3: 'int8', 4: 'uint16', 5: 'int16', 6: 'int32', 7: 'int64', 8: 'string', 9: 'bool',
  10: 'float16', 11: 'double', 12: 'uint32', 13: 'uint64', 14: 'complex64', 15: 'complex128', 16: 'bfloat16',
  17: 'float8e4m3fn', 18: 'float8e4m3fnuz', 19: 'float8e5m2', 20: 'float8e5m2fnuz', 21: 'uint4', 22: 'int4', 23: 'float4e2m1',
};

type NodeProto = onnxProto.onnx.INodeProto;
type AttributeProto = onnxProto.onnx.IAttributeProto;

/** protobufjs gives int64 fields as numbers or Long objects. */
function toNumber(x: number | { toNumber(): number } | null | undefined): number | undefined {
  if (x === null || x === undefined) return undefined;
  return typeof x === 'number' ? x : x.toNumber();
}

function attr(n: NodeProto, name: string): AttributeProto | undefined {
  return (n.attribute ?? []).find((a) => a.name === name);
}

/** One parameter of a signature: its constraint name, or its fixed element type. */
function parseParam(p: string): { constraint?: string; fixed?: string } {
  const spec = p.slice(p.lastIndexOf(':') + 1);
  const m = /^tensor\((\w+)\)$/.exec(spec);
  return m ? { fixed: m[1] } : { constraint: spec };
}

/**
 * The signature a registration uses: the one whose constraints the registration lists (an
 * alternative naming a constraint the registration lacks is another version's), preferring the
 * one that names the most of them (Pow's X:T, Y:T1 over X:T, Y:T once T1 exists).
 */
function signatureFor(op: KernelOp, reg: KernelRegistration): KernelSignature {
  let best = op.params[0];
  let bestScore = -Infinity;
  for (const sig of op.params) {
    const used = new Set([...sig.inputs, ...sig.outputs].map(parseParam).flatMap((p) => (p.constraint ? [p.constraint] : [])));
    let score = 0;
    for (const c of used) score += c in reg.types ? 1 : -100;
    if (score > bestScore) [best, bestScore] = [sig, score];
  }
  return best;
}

/** The parameter a node's i-th input or output maps to: positional, the last one repeating (variadic). */
function paramAt(params: string[], i: number): string | undefined {
  return params.length === 0 ? undefined : params[Math.min(i, params.length - 1)];
}

function registrationAt(op: KernelOp, opset: number): KernelRegistration | undefined {
  return op.kernels.find((k) => k.from <= opset && (k.to === null || opset <= k.to));
}

/**
 * The gaps of `model` against the CUDA kernel table: nodes whose op has no CUDA registration at
 * the model's opset for its domain, and nodes whose input or output element types the
 * registration does not cover. `opset` is the ai.onnx version used when the model does not
 * import one. Values whose type cannot be known or inferred are not checked.
 */
export function cudaKernelGaps(model: Uint8Array, opset = 17): KernelGap[] {
  const m = onnx.ModelProto.decode(model);
  const g = m.graph;
  if (!g) return [];
  const versions = new Map<string, number>([['', opset]]);
  for (const o of m.opsetImport ?? []) versions.set(o.domain ?? '', toNumber(o.version) ?? 1);

  const types = new Map<string, string>();
  const note = (name: string | null | undefined, elem: number | null | undefined): void => {
    const t = elem ? ELEM_TYPES[elem] : undefined;
    if (name && t) types.set(name, t);
  };
  const kernels = cudaKernelTable().domains;
  const gaps: KernelGap[] = [];
  // A graph and, inside it, the bodies of control-flow nodes (the Loop of several steps per run):
  // a body's nodes run on the provider as the outer graph's do, reading outer values by name.
  const visit = (graph: NonNullable<typeof g>): void => {
    for (const v of [...(graph.input ?? []), ...(graph.valueInfo ?? []), ...(graph.output ?? [])]) note(v.name, v.type?.tensorType?.elemType);
    for (const t of graph.initializer ?? []) note(t.name, t.dataType);
    // Nodes are in topological order (the emitter appends them so, and ONNX requires it), so an
    // input's type is known before it is read.
    for (const n of graph.node ?? []) {
      for (const a of n.attribute ?? []) if (a.g) visit(a.g as NonNullable<typeof g>);
      const domain = n.domain ?? '';
      const opType = n.opType ?? '';
      const name = n.name || (n.output ?? [])[0] || opType;
      inferOutputs(n, types, kernels[domain]?.[opType], versions.get(domain) ?? 1);
      // Constant is folded into an initializer by onnxruntime: it never runs on any provider.
      if (domain === '' && opType === 'Constant') continue;
      const op = kernels[domain]?.[opType];
      const reg = op && registrationAt(op, versions.get(domain) ?? 1);
      if (!op || !reg) {
        gaps.push({ node: name, domain, op: opType, reason: 'no kernel' });
        continue;
      }
      const sig = signatureFor(op, reg);
      const check = (names: string[], params: string[], what: 'input' | 'output'): void => {
        names.forEach((v, i) => {
          const t = v ? types.get(v) : undefined; // "" is an absent optional input
          const p = paramAt(params, i);
          if (!t || !p) return;
          const { constraint, fixed } = parseParam(p);
          // A constraint the registration does not list is not part of its kernel key.
          const allowed = fixed ? [fixed] : constraint && reg.types[constraint];
          if (allowed && !allowed.includes(t)) {
            gaps.push({ node: name, domain, op: opType, reason: `no ${constraint ?? 'fixed'}=${t} kernel for ${what} ${i}` });
          }
        });
      };
      check(n.input ?? [], sig.inputs, 'input');
      check(n.output ?? [], sig.outputs, 'output');
    }
  };
  visit(g);
  return gaps;
}

/**
 * Types for outputs the model does not describe (a lowering's internal values): Cast's `to`,
 * Constant's tensor, a fixed output type, or the type of an input under the same constraint.
 */
function inferOutputs(n: NodeProto, types: Map<string, string>, op: KernelOp | undefined, opset: number): void {
  const outs = n.output ?? [];
  const set = (i: number, t: string | undefined): void => {
    if (outs[i] && t && !types.has(outs[i])) types.set(outs[i], t);
  };
  const elem = (x: number | { toNumber(): number } | null | undefined): string | undefined => {
    const k = toNumber(x);
    return k === undefined ? undefined : ELEM_TYPES[k];
  };
  if (!n.domain && n.opType === 'Cast') return set(0, elem(attr(n, 'to')?.i));
  if (!n.domain && n.opType === 'Constant') return set(0, elem(attr(n, 'value')?.t?.dataType));
  if (!n.domain && n.opType === 'ConstantOfShape') return set(0, elem(attr(n, 'value')?.t?.dataType) ?? 'float');
  const reg = op && registrationAt(op, opset);
  if (!op || !reg) {
    // Unknown to CUDA: most ops keep their first input's type (it is a gap either way).
    const t = types.get((n.input ?? [])[0] ?? '');
    outs.forEach((_, i) => set(i, t));
    return;
  }
  const sig = signatureFor(op, reg);
  const bound = new Map<string, string>();
  (n.input ?? []).forEach((v, i) => {
    const p = paramAt(sig.inputs, i);
    const t = v ? types.get(v) : undefined;
    const c = p && parseParam(p).constraint;
    if (c && t && !bound.has(c)) bound.set(c, t);
  });
  outs.forEach((_, i) => {
    const p = paramAt(sig.outputs, i);
    if (!p) return;
    const { constraint, fixed } = parseParam(p);
    const only = constraint && reg.types[constraint]?.length === 1 ? reg.types[constraint][0] : undefined;
    set(i, fixed ?? (constraint && bound.get(constraint)) ?? only);
  });
}
