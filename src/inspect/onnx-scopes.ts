/**
 * Scopes for the nodes of an ONNX file, so that a model.onnx is drawn in the same boxes as the IR
 * graph it came from.
 *
 * 1. Node names that are paths ("/albert/encoder/.../MatMul", as torch.onnx and tf2onnx write
 *    them) give the scope directly.
 * 2. Our emitter names nodes "MatMul_12" (no scope), but it writes one value_info per IR value, in
 *    IR order, each named after the IR op that made it ("matmul_57"). The graph `albert compile`
 *    (manifest.json) or `albert export` (config.json) built is rebuilt from what those files
 *    record, and when its values match the file's value_info one for one (op, dtype, shape) the
 *    IR scopes carry over: each ONNX node takes the scope of the IR node whose value it writes,
 *    and the helper nodes a lowering emits before it (Shape, Constant, Concat) take the same.
 * 3. Otherwise the nodes stay unscoped, and the note says why.
 */
import type { FusionLevel, RecomputeMode } from '../backends/onnx/fusion.ts';
import { buildModelGraph, type CompileOptions } from '../compile.ts';
import { buildExportGraph, EXPORT_OUTPUTS, isExportHead } from '../export/export-graph.ts';
import type { Graph, Value } from '../ir/graph.ts';
import { canonDim } from '../ir/shape.ts';
import { parseAlbertConfig, type AlbertConfig } from '../model/config.ts';
import { headDefinition } from '../model/heads/registry.ts';
import type { ValueRole } from './graph-model.ts';
import { elemName, shapeOf, type OnnxFile } from './onnx-model.ts';
import type { ShownDim } from './report.ts';

export interface ScopeRecovery {
  /** One per ONNX node ('' for none). */
  scopes: string[];
  /** How the scopes were found, or why there are none. */
  note: string;
  /** What the rebuilt graph says about the file's graph inputs (roles, HF names). */
  inputs?: Map<string, { role: ValueRole; hfName?: string; transposed?: boolean }>;
}

interface Candidate {
  what: string;
  build: () => Graph;
}

export function recoverScopes(file: OnnxFile): ScopeRecovery {
  const nodes = file.model.graph?.node ?? [];
  if (nodes.length === 0) return { scopes: [], note: '' };
  const pathy = nodes.filter((n) => (n.name ?? '').includes('/')).length;
  if (pathy * 2 >= nodes.length) {
    return {
      scopes: nodes.map((n) => {
        const name = (n.name ?? '').replace(/^\/+/, '');
        const k = name.lastIndexOf('/');
        return k > 0 ? name.slice(0, k) : '';
      }),
      note: 'scopes from the node names',
    };
  }
  const candidates = file.manifest ? manifestCandidates(file) : file.exportConfig ? exportCandidates(file) : [];
  const source = file.manifest ? 'manifest.json' : 'config.json';
  for (const c of candidates) {
    let g: Graph;
    try {
      g = c.build();
    } catch {
      continue; // options this build does not take: try the next
    }
    const scopes = alignScopes(file, g);
    if (scopes) {
      const inputs = new Map(g.inputs.map((v) => [v.input!.name, { role: v.input!.role, ...(v.input!.hfName !== undefined ? { hfName: v.input!.hfName } : {}), ...(v.input!.transposed !== undefined ? { transposed: v.input!.transposed } : {}) }]));
      return { scopes, note: `scopes from the graph rebuilt from ${source} (${c.what}), which matches the file value for value`, inputs };
    }
  }
  const why = candidates.length
    ? `no graph rebuilt from ${source} matches the file (compiled with other options?)`
    : 'there is no manifest.json (albert compile) or config.json (albert export) beside it to rebuild the graph from';
  return { scopes: nodes.map(() => ''), note: `the file's nodes name no scopes and ${why}: nodes are shown ungrouped` };
}

/** Dims as the IR canonicalises them, for comparing with the file's. */
function sameShape(a: ShownDim[] | null, b: readonly (number | string)[]): boolean {
  if (!a || a.length !== b.length) return false;
  return a.every((d, i) => String(typeof d === 'string' ? canonDim(d) : d) === String(b[i]));
}

/**
 * Matches the IR graph's values with the file's value_info (in order: op, dtype and shape) and
 * returns the scope of each ONNX node, or null when they do not match.
 */
export function alignScopes(file: OnnxFile, g: Graph): string[] | null {
  const gp = file.model.graph!;
  // The emitter's names: graph outputs claim their own names where they can.
  const used = new Set(g.inputs.map((v) => v.input!.name));
  const claimed = new Set<Value>();
  const byName = new Map<string, string>();
  for (const o of g.outputs) {
    if (!o.value.input && !claimed.has(o.value) && !used.has(o.name)) {
      claimed.add(o.value);
      used.add(o.name);
    }
    if (o.value.producer) byName.set(o.name, o.value.producer.scope);
  }
  const visible: [Value, string][] = [];
  for (const n of g.nodes) for (const v of n.outputs) if (!claimed.has(v)) visible.push([v, n.scope]);
  const infos = gp.valueInfo ?? [];
  if (infos.length !== visible.length) return null;
  for (let k = 0; k < infos.length; k++) {
    const [v, scope] = visible[k];
    const info = infos[k];
    const name = info.name ?? '';
    if (!name.startsWith(`${v.producer!.op.name.toLowerCase()}_`)) return null;
    if (elemName(info.type?.tensorType?.elemType) !== v.dtype || !sameShape(shapeOf(info), v.shape)) return null;
    byName.set(name, scope);
  }
  const scopes: string[] = [];
  let pending: number[] = [];
  (gp.node ?? []).forEach((n, j) => {
    const hit = (n.output ?? []).find((o) => byName.has(o));
    if (hit === undefined) {
      pending.push(j);
      scopes.push('');
      return;
    }
    const scope = byName.get(hit)!;
    scopes.push(scope);
    for (const p of pending) scopes[p] = scope;
    pending = [];
  });
  return scopes;
}

function outShape(file: OnnxFile, name: string): ShownDim[] | null {
  const v = (file.model.graph?.output ?? []).find((o) => o.name === name);
  return v ? shapeOf(v) : null;
}

function inShape(file: OnnxFile, name: string): ShownDim[] | null {
  const v = (file.model.graph?.input ?? []).find((o) => o.name === name);
  return v ? shapeOf(v) : null;
}

const num = (d: ShownDim | undefined): number | undefined => (typeof d === 'number' ? d : undefined);

function hasEinsum(file: OnnxFile): boolean {
  return (file.model.graph?.node ?? []).some((n) => n.opType === 'Einsum');
}

/** Float16 values: compiled with mixed precision (--fp16). */
function hasFloat16(file: OnnxFile): boolean {
  return (file.model.graph?.valueInfo ?? []).some((v) => v.type?.tensorType?.elemType === 10);
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** What `albert compile` may have been run with, most likely first (its defaults). */
function manifestCandidates(file: OnnxFile): Candidate[] {
  const m = file.manifest as {
    head?: unknown;
    mode?: unknown;
    config?: unknown;
    maxSeqLength?: unknown;
    training?: { settings?: Record<string, unknown>; frozen?: unknown };
  };
  if (typeof m.head !== 'string' || typeof m.config !== 'object' || m.config === null) return [];
  const mode = m.mode === 'grad' || m.mode === 'train' ? m.mode : 'infer';
  let labels: number | undefined;
  try {
    if (headDefinition(m.head).numLabels.kind === 'option') labels = num(outShape(file, 'logits')?.at(-1));
  } catch {
    return [];
  }
  const ids = inShape(file, 'input_ids');
  const positions = inShape(file, 'masked_lm_positions');
  const startTop = num(outShape(file, 'start_top_index')?.[1]);
  const endAll = num(outShape(file, 'end_top_log_probs')?.[1]);
  const base: CompileOptions = {
    config: m.config as AlbertConfig,
    head: m.head,
    mode,
    keepEinsum: hasEinsum(file),
    ...(hasFloat16(file) ? { mixedPrecision: true } : {}),
    ...(typeof m.maxSeqLength === 'number' ? { maxSeqLength: m.maxSeqLength } : {}),
    ...(labels !== undefined ? { numLabels: labels } : {}),
    ...(ids && ids.length === 3 && num(ids[1]) !== undefined ? { numChoices: num(ids[1]) } : {}),
    ...(num(positions?.[1]) !== undefined ? { maxPredictions: num(positions![1]) } : {}),
    ...(startTop !== undefined && endAll !== undefined ? { startNTop: startTop, endNTop: endAll / startTop } : {}),
  };
  if (mode === 'train' && m.training?.settings) {
    const s = m.training.settings;
    const frozen = Array.isArray(m.training.frozen) ? (m.training.frozen as string[]) : [];
    base.train = {
      ...(s as object),
      ...(frozen.length ? { freeze: frozen.map((f) => `^${escapeRegex(f)}$`) } : {}),
    } as CompileOptions['train'];
  }
  const kernels: [FusionLevel, RecomputeMode | undefined][] =
    mode === 'infer' ? [['all', undefined], ['standard', undefined], ['none', undefined]] : [['all', 'attention'], ['all', 'none'], ['standard', 'none'], ['none', 'none']];
  return kernels.map(([fusion, recompute]) => ({
    what: `head ${m.head}, mode ${mode}, fusion ${fusion}${recompute ? `, recompute ${recompute}` : ''}`,
    build: () => buildModelGraph({ ...base, fusion, ...(recompute ? { recompute } : {}) }),
  }));
}

/** What `albert export` may have been run with: the head from the outputs, fusion standard first. */
function exportCandidates(file: OnnxFile): Candidate[] {
  let cfg: AlbertConfig;
  try {
    cfg = parseAlbertConfig(file.exportConfig!.json, file.exportConfig!.path);
  } catch {
    return [];
  }
  const outs = (file.model.graph?.output ?? []).map((o) => o.name ?? '').join(',');
  const ids = inShape(file, 'input_ids');
  const choices = ids && ids.length === 3 ? num(ids[1]) : undefined;
  let head = Object.entries(EXPORT_OUTPUTS).find(([, names]) => names.join(',') === outs)?.[0];
  let numLabels: number | undefined;
  if (outs === 'logits') {
    const logits = outShape(file, 'logits');
    if (choices !== undefined) head = 'multiple-choice';
    else if (logits && logits.length === 3) head = 'mlm';
    else {
      head = 'classifier';
      numLabels = num(logits?.at(-1));
    }
  }
  if (!head || !isExportHead(head)) return [];
  const h = head;
  return (['standard', 'all', 'none'] as FusionLevel[]).map((fusion) => ({
    what: `head ${h}, fusion ${fusion}`,
    build: () => buildExportGraph(cfg, { head: h, fusion, keepEinsum: hasEinsum(file), ...(numLabels !== undefined ? { numLabels } : {}), ...(choices !== undefined ? { numChoices: choices } : {}) }).graph,
  }));
}
