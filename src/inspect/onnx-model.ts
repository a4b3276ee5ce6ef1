/**
 * Reads a model.onnx (ours or anyone's) and reports on it: op histogram, parameters (initializers
 * plus graph inputs a manifest.json beside it names as parameters), inputs and outputs, MatMul and
 * Gemm FLOPs where the file carries the shapes, and a listing of the nodes.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { UserError } from '../ir/errors.ts';
import { onnx, type ModelProto } from '../backends/onnx/proto.ts';
import type onnxProto from 'onnx-proto';
import { DimBinding, type FigureOptions } from './dims.ts';
import type { GraphModel } from './graph-model.ts';
import type { InspectReport, IoRow, OpRow, ParamRow, ShownDim } from './report.ts';

type Int64 = number | { toNumber(): number };
// Decoded messages are typed by their I* interfaces (every field optional).
type ValueInfo = onnxProto.onnx.IValueInfoProto;
type NodeProto = onnxProto.onnx.INodeProto;
type AttributeProto = onnxProto.onnx.IAttributeProto;

/** One entry of manifest.json's `parameters` array (written by `albert compile`). */
export interface ManifestParam {
  input: string;
  hfName?: string;
  shape: number[];
  transposed?: boolean;
}

export interface OnnxFile {
  path: string;
  model: ModelProto;
  /** The parameters listed by a manifest.json next to the model, if there is one. */
  manifestParams?: ManifestParam[];
  /** The whole manifest.json (`albert compile` writes it), when it is ours. */
  manifest?: Record<string, unknown>;
  /** An export directory's config.json (HF layout, `albert export` writes it), parsed as JSON. */
  exportConfig?: { path: string; json: unknown };
}

/** Where the model file of an export directory or a compile output directory is. */
const MODEL_IN_DIR = ['model.onnx', join('onnx', 'model.onnx')];

const ELEM: Record<number, [string, number]> = {
  1: ['float32', 4], 2: ['uint8', 1], 3: ['int8', 1], 4: ['uint16', 2], 5: ['int16', 2], 6: ['int32', 4],
  7: ['int64', 8], 8: ['string', 0], 9: ['bool', 1], 10: ['float16', 2], 11: ['float64', 8], 12: ['uint32', 4],
  13: ['uint64', 8], 16: ['bfloat16', 2],
};

export function elemName(t: number | null | undefined): string {
  return ELEM[t ?? 0]?.[0] ?? `elem_type_${t ?? 0}`;
}

export function elemBytes(t: number | null | undefined): number {
  return ELEM[t ?? 0]?.[1] ?? 0;
}

export function toNum(x: Int64 | null | undefined): number {
  if (x === null || x === undefined) return 0;
  return typeof x === 'number' ? x : x.toNumber();
}

/**
 * Reads and decodes model.onnx, and the manifest.json beside it when present. A directory is taken
 * as `albert compile`'s output (model.onnx) or `albert export`'s (onnx/model.onnx, config.json).
 */
export function readOnnxFile(given: string): OnnxFile {
  let path = given;
  let isDir = false;
  try {
    isDir = statSync(given).isDirectory();
  } catch {
    // reported below, when reading
  }
  if (isDir) {
    const found = MODEL_IN_DIR.map((m) => join(given, m)).find((p) => existsSync(p));
    if (!found) throw new UserError(`${given}: a directory without ${MODEL_IN_DIR.join(' or ')}`);
    path = found;
  }
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new UserError(`${path}: cannot read model file (${(e as Error).message})`);
  }
  let model: ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new UserError(`${path}: not an ONNX model (${(e as Error).message})`);
  }
  if (!model.graph) throw new UserError(`${path}: the ONNX model has no graph`);
  const manifestPath = join(dirname(path), 'manifest.json');
  const file: OnnxFile = { path, model };
  if (existsSync(manifestPath)) {
    file.manifestParams = readManifestParams(manifestPath);
    const json = readJson(manifestPath);
    if (json && typeof json === 'object' && (json as { format?: unknown }).format === 'albert-compiler/manifest@1') file.manifest = json as Record<string, unknown>;
  }
  // An export directory: onnx/model.onnx with config.json one level up.
  const exportDir = basename(dirname(path)) === 'onnx' ? dirname(dirname(path)) : dirname(path);
  const configPath = join(exportDir, 'config.json');
  if (!file.manifest && existsSync(configPath)) {
    const json = readJson(configPath);
    if (json !== undefined) file.exportConfig = { path: configPath, json };
  }
  return file;
}

/** JSON from a file beside the model; undefined when it is not readable JSON (it only adds detail). */
function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
}

function readManifestParams(path: string): ManifestParam[] {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new UserError(`${path}: cannot read manifest (${(e as Error).message})`);
  }
  const list = (json as { parameters?: unknown } | null)?.parameters;
  if (list === undefined) return [];
  if (!Array.isArray(list)) throw new UserError(`${path}: "parameters" must be an array`);
  return list.map((p: unknown, i) => {
    const e = p as Partial<ManifestParam> | null;
    if (!e || typeof e.input !== 'string' || !Array.isArray(e.shape) || !e.shape.every((d) => Number.isInteger(d) && d >= 0)) {
      throw new UserError(`${path}: parameters[${i}] needs a string "input" and a "shape" of non-negative integers`);
    }
    return { input: e.input, shape: e.shape, ...(typeof e.hfName === 'string' ? { hfName: e.hfName } : {}), ...(typeof e.transposed === 'boolean' ? { transposed: e.transposed } : {}) };
  });
}

export function shapeOf(v: ValueInfo): ShownDim[] | null {
  const shape = v.type?.tensorType?.shape;
  if (!shape) return null;
  return (shape.dim ?? []).map((d) => (d.dimParam ? d.dimParam : d.dimValue !== null && d.dimValue !== undefined ? toNum(d.dimValue) : '?'));
}

function ioRow(v: ValueInfo, role?: string): IoRow {
  return { name: v.name ?? '', ...(role ? { role } : {}), dtype: elemName(v.type?.tensorType?.elemType), shape: shapeOf(v) ?? ['?'] };
}

function formatShown(shape: ShownDim[]): string {
  return `[${shape.join(', ')}]`;
}

/** MatMul and Gemm FLOPs (2 per multiply-add) where the shapes of their operands are known. */
export function matmulFlops(n: NodeProto, shapes: Map<string, ShownDim[]>, dims: DimBinding): number | null {
  const ins = (n.input ?? []).map((x) => shapes.get(x));
  const known = (s: ShownDim[] | undefined): s is ShownDim[] => s !== undefined && !s.includes('?');
  const ev = (d: ShownDim): number => dims.eval(d);
  if (n.opType === 'MatMul') {
    const [a, b] = ins;
    if (!known(a) || !known(b) || a.length === 0 || b.length === 0) return null;
    // 1-D operands are promoted (and the added axis dropped) as in numpy.matmul.
    const A = a.length === 1 ? [1, ...a] : a;
    const B = b.length === 1 ? [...b, 1] : b;
    const k = ev(A[A.length - 1]);
    const m = ev(A[A.length - 2]);
    const nn = ev(B[B.length - 1]);
    const batchA = A.slice(0, -2).map(ev);
    const batchB = B.slice(0, -2).map(ev);
    const rank = Math.max(batchA.length, batchB.length);
    let batch = 1;
    for (let i = 0; i < rank; i++) {
      const x = batchA[i - (rank - batchA.length)] ?? 1;
      const y = batchB[i - (rank - batchB.length)] ?? 1;
      batch *= Math.max(x, y);
    }
    return 2 * batch * m * k * nn;
  }
  if (n.opType === 'Gemm') {
    const [a, b] = ins;
    if (!known(a) || !known(b) || a.length !== 2 || b.length !== 2) return null;
    const attr = (name: string): number => toNum((n.attribute ?? []).find((x) => x.name === name)?.i);
    const [m, k] = attr('transA') ? [ev(a[1]), ev(a[0])] : [ev(a[0]), ev(a[1])];
    const nn = attr('transB') ? ev(b[0]) : ev(b[1]);
    return 2 * m * k * nn;
  }
  return null;
}

/**
 * Everything `albert inspect` says about an ONNX file. Parameters are counted when some node reads
 * them (what the graph uses: an inference file from `albert compile` keeps initializers no output
 * needs, an export drops them), so the counts of a config, its compiled file and its export agree.
 * `model` (the graph model of the same file) supplies activation memory and HF names it recovered.
 */
export function analyzeOnnx(file: OnnxFile, opts: FigureOptions = {}, model?: GraphModel): InspectReport {
  const g = file.model.graph!;
  const dims = new DimBinding(opts);
  const notes: string[] = [];
  const inits = g.initializer ?? [];
  const initNames = new Set(inits.map((t) => t.name ?? ''));

  let rows: ParamRow[] = inits.map((t) => {
    const shape = (t.dims ?? []).map(toNum);
    const size = shape.reduce((a, b) => a * b, 1);
    return { name: t.name ?? '', dtype: elemName(t.dataType), shape, size, bytes: size * elemBytes(t.dataType), source: 'initializer' };
  });
  const inputs = (g.input ?? []).filter((v) => !initNames.has(v.name ?? ''));
  const paramInputs = new Set<string>();
  if (file.manifestParams) {
    const byName = new Map(inputs.map((v) => [v.name ?? '', v]));
    for (const p of file.manifestParams) {
      const v = byName.get(p.input);
      if (!v) continue; // already an initializer, or not in this graph
      paramInputs.add(p.input);
      const size = p.shape.reduce((a, b) => a * b, 1);
      const et = v.type?.tensorType?.elemType;
      rows.push({
        name: p.input,
        ...(p.hfName !== undefined ? { hfName: p.hfName } : {}),
        ...(p.transposed !== undefined ? { transposed: p.transposed } : {}),
        dtype: elemName(et),
        shape: p.shape,
        size,
        bytes: size * elemBytes(et),
        source: 'input',
      });
    }
    notes.push(`parameters include ${paramInputs.size} graph inputs listed in manifest.json`);
  }
  // Our emitter names initializers after parameters, so the manifest can add HF names to them too;
  // else the graph model may know them (from the rebuilt graph of an export directory).
  const hf = new Map((file.manifestParams ?? []).map((p) => [p.input, p]));
  const known = new Map((model?.params ?? []).map((p) => [p.name, p]));
  for (const r of rows) {
    const p = hf.get(r.name);
    if (r.source === 'initializer' && p?.hfName) r.hfName = p.hfName;
    const q = known.get(r.name);
    if (r.hfName === undefined && q?.hfName !== undefined) {
      r.hfName = q.hfName;
      if (q.transposed !== undefined) r.transposed = q.transposed;
    }
  }
  // What the graph uses.
  const read = new Set<string>();
  for (const n of g.node ?? []) for (const x of n.input ?? []) read.add(x);
  for (const o of g.output ?? []) read.add(o.name ?? '');
  const unused = rows.filter((r) => !read.has(r.name));
  if (unused.length) {
    rows = rows.filter((r) => read.has(r.name));
    notes.push(`${unused.length} parameters no node reads are not counted: ${unused.map((r) => r.name).join(', ')}`);
  }

  const counts = new Map<string, OpRow>();
  for (const n of g.node ?? []) {
    const op = n.domain && n.domain !== 'ai.onnx' ? `${n.domain}.${n.opType}` : n.opType ?? '';
    const row = counts.get(op) ?? { op, count: 0, flops: null };
    row.count++;
    counts.set(op, row);
  }

  // Shapes the file states: graph inputs and outputs, value_info, initializers.
  const shapes = knownShapes(file);
  const flops = onnxFlops(g.node ?? [], shapes, dims, counts);

  let memory: InspectReport['memory'] = null;
  const m = model?.memory;
  const outputs = model ? model.nodes.reduce((s, n) => s + n.outputs.length, 0) : 0;
  if (model && m && m.unknown < outputs) {
    const peak = model.nodes[m.peakStep];
    memory = {
      activationBytes: model.nodes.reduce((s, n) => s + n.outputs.reduce((t, o) => t + (model.values[o].bytes ?? 0), 0), 0),
      peakLiveBytes: m.peakBytes,
      peakAt: `${peak.op} ${peak.name}${model.scopes[peak.scope].path ? ` @${model.scopes[peak.scope].path}` : ''}`,
      note: `node outputs only (initializers, parameters and the batch are not counted); live from producer to last use, in node order; sizes from the shapes the file states${m.unknown ? ` (${m.unknown} of ${outputs} node outputs have none and are not counted)` : ''}`,
    };
  } else if (model && m) {
    notes.push('activation memory unavailable: the file states the shape of no node output (no value_info)');
  }

  const opset = (file.model.opsetImport ?? []).find((o) => !o.domain || o.domain === 'ai.onnx');
  return {
    kind: 'onnx',
    name: g.name ?? '',
    source: file.path,
    ...(file.model.producerName ? { producer: `${file.model.producerName} ${file.model.producerVersion ?? ''}`.trim() } : {}),
    ...(opset ? { opset: toNum(opset.version) } : {}),
    figures: dims.figures(),
    nodes: (g.node ?? []).length,
    ops: [...counts.values()].sort((a, b) => b.count - a.count || a.op.localeCompare(b.op)),
    parameters: { count: rows.reduce((s, r) => s + r.size, 0), bytes: rows.reduce((s, r) => s + r.bytes, 0), rows },
    inputs: inputs.map((v) => ioRow(v, paramInputs.has(v.name ?? '') ? 'param' : 'input')),
    outputs: (g.output ?? []).map((v) => ioRow(v)),
    flops,
    memory,
    listing: onnxListing(file.model),
    notes,
  };
}

/** Shapes the file states: graph inputs and outputs, value_info, initializers. */
export function knownShapes(file: OnnxFile): Map<string, ShownDim[]> {
  const g = file.model.graph!;
  const shapes = new Map<string, ShownDim[]>();
  for (const v of [...(g.input ?? []), ...(g.output ?? []), ...(g.valueInfo ?? [])]) {
    const s = shapeOf(v);
    if (s) shapes.set(v.name ?? '', s);
  }
  for (const t of g.initializer ?? []) shapes.set(t.name ?? '', (t.dims ?? []).map(toNum));
  return shapes;
}

function onnxFlops(nodes: NodeProto[], shapes: Map<string, ShownDim[]>, dims: DimBinding, counts: Map<string, OpRow>): InspectReport['flops'] {
  const einsum = nodes.filter((n) => n.opType === 'Einsum').length;
  if (einsum) return { total: null, note: `unavailable: the graph has ${einsum} Einsum nodes` };
  const mm = nodes.filter((n) => n.opType === 'MatMul' || n.opType === 'Gemm');
  if (mm.length === 0) return { total: 0, note: 'the graph has no MatMul or Gemm nodes; other ops are not counted' };
  let total = 0;
  const perOp = new Map<string, number>();
  for (const n of mm) {
    const f = matmulFlops(n, shapes, dims);
    if (f === null) {
      return { total: null, note: `unavailable: the file does not give the operand shapes of ${n.opType} ${n.name || n.output?.[0] || ''} (no value_info)` };
    }
    total += f;
    perOp.set(n.opType!, (perOp.get(n.opType!) ?? 0) + f);
  }
  for (const [op, f] of perOp) counts.get(op)!.flops = f;
  return { total, note: 'MatMul and Gemm only (2 per multiply-add); other ops are not counted' };
}

export function formatAttribute(a: AttributeProto): string {
  const T = onnx.AttributeProto.AttributeType;
  const list = <X>(xs: X[] | null | undefined, f: (x: X) => string): string => {
    const v = xs ?? [];
    return `[${v.slice(0, 8).map(f).join(', ')}${v.length > 8 ? `, ... (${v.length})` : ''}]`;
  };
  switch (a.type) {
    case T.INT: return String(toNum(a.i));
    case T.FLOAT: return String(+(a.f ?? 0).toPrecision(6));
    case T.STRING: return JSON.stringify(new TextDecoder().decode(a.s ?? new Uint8Array()));
    case T.INTS: return list(a.ints, (x) => String(toNum(x)));
    case T.FLOATS: return list(a.floats, (x) => String(+x.toPrecision(6)));
    case T.TENSOR: return `${elemName(a.t?.dataType)}${formatShown((a.t?.dims ?? []).map(toNum))}`;
    case T.GRAPH: return `<graph ${a.g?.name ?? ''}>`;
    default: return `<${T[a.type ?? 0] ?? 'attribute'}>`;
  }
}

/** A listing in the spirit of the IR printer: one line per node. */
export function onnxListing(model: ModelProto): string {
  const g = model.graph!;
  const inits = new Set((g.initializer ?? []).map((t) => t.name ?? ''));
  const lines = [`graph ${g.name ?? ''}(`];
  for (const v of g.input ?? []) if (!inits.has(v.name ?? '')) lines.push(`  %${v.name} : ${elemName(v.type?.tensorType?.elemType)}${formatShown(shapeOf(v) ?? ['?'])} input`);
  for (const t of g.initializer ?? []) lines.push(`  %${t.name} : ${elemName(t.dataType)}${formatShown((t.dims ?? []).map(toNum))} initializer`);
  lines.push(') {');
  for (const n of g.node ?? []) {
    const attrs = (n.attribute ?? []).map((a) => `${a.name}=${formatAttribute(a)}`);
    const op = n.domain && n.domain !== 'ai.onnx' ? `${n.domain}.${n.opType}` : n.opType;
    const outs = (n.output ?? []).map((o) => `%${o}`).join(', ');
    const ins = (n.input ?? []).map((i) => (i ? `%${i}` : '_')).join(', ');
    lines.push(`  ${outs} = ${op}${attrs.length ? `{${attrs.join(', ')}}` : ''}(${ins})${n.name ? `  # ${n.name}` : ''}`);
  }
  lines.push(`  return ${(g.output ?? []).map((o) => `%${o.name}`).join(', ')}`);
  lines.push('}');
  return lines.join('\n');
}
