/**
 * The graph as the viewer, the dot renderer and the json format see it, whatever it came from (an
 * IR graph or a model.onnx): values and nodes with their scopes, symbolic shapes, bytes and FLOPs;
 * the scope tree (collapsible boxes); the parameters with the scopes that read them; the blocks
 * that several scopes share (ALBERT's layers); and activation memory over the schedule.
 *
 * The two sources are first brought to a RawGraph (ir-graph.ts / onnx-graph.ts), and everything
 * else is computed here once, the same way for both.
 */
import type { ParamRow, ShownDim } from './report.ts';

export type ValueRole = 'param' | 'state' | 'data';

/** A value as a source describes it: a graph input (role set) or a node output. */
export interface RawValue {
  name: string;
  dtype: string;
  /** null when the source does not say. */
  shape: ShownDim[] | null;
  /** Bytes at the bound sizes; null when the shape or the element size is unknown. */
  bytes: number | null;
  /** Elements at the bound sizes; null when the shape is unknown. */
  numel: number | null;
  role?: ValueRole;
  hfName?: string;
  transposed?: boolean;
}

export interface RawNode {
  op: string;
  name: string;
  /** Slash-separated scope path ("encoder/layer_0/inner_0/attention"); '' for none. */
  scope: string;
  attrs: [string, string][];
  inputs: number[];
  outputs: number[];
  /** FLOPs at the bound sizes; null when there is no count for the op. */
  flops: number | null;
  /** Bookkeeping a lowering added around the real op (an ONNX node whose outputs the file does not type). */
  aux?: true;
}

export interface RawGraph {
  kind: 'ir' | 'onnx';
  name: string;
  values: RawValue[];
  nodes: RawNode[];
  /** Graph inputs (parameters and initializers included), in declaration order. */
  inputs: number[];
  outputs: { name: string; value: number }[];
  /** Where the scopes came from, when that needs saying (ONNX files). */
  scopeNote?: string;
}

export interface ModelValue {
  name: string;
  dtype: string;
  shape: ShownDim[] | null;
  bytes: number | null;
  /** Index of the producing node; -1 for graph inputs. */
  producer: number;
  role?: ValueRole;
}

export interface ModelNode {
  name: string;
  op: string;
  /** Index into scopes (0 is the root). */
  scope: number;
  attrs: [string, string][];
  inputs: number[];
  outputs: number[];
  flops: number | null;
  /** Parameters read, directly or through ops on parameters alone (a reshaped kernel): indices into params. */
  params: number[];
  /** Computes from parameters and constants only (no batch data): done once, whatever uses it. */
  paramOnly?: true;
  /** Bookkeeping around the real op (see RawNode.aux). */
  aux?: true;
}

export interface ModelScope {
  /** The full path; synthetic groups end in "(other ops)" / start with "(unscoped)". */
  path: string;
  /** What the box shows: the last path segments (several when a chain of single children was merged). */
  label: string;
  parent: number;
  children: number[];
  /** Nodes directly in this scope (not in a child). */
  nodes: number[];
  /** Nodes in the whole subtree. */
  nodeCount: number;
  /** FLOPs of the subtree (nodes without a count add 0). */
  flops: number;
  /** Parameters the subtree reads: indices into params. */
  params: number[];
  /** A group made here, not named by the source (the ops directly in a scope that also has children). */
  synthetic?: true;
}

/** A parameter as the report lists it (names, dtype, shape, size), and where the graph uses it. */
export interface ModelParam extends Omit<ParamRow, 'source'> {
  /** Index into values. */
  value: number;
  /** Read by some node (or a graph output); unused parameters are listed but not counted. */
  used: boolean;
  /** Scopes of the nodes that read it (indices into scopes). */
  readers: number[];
  /** The readers in words, numbered scopes folded into ranges: "encoder/layer_{0-11}/inner_0/attention". */
  sharedBy: string;
}

/**
 * Sibling scopes that are the same block: numbered alike (layer_0 ... layer_11), reading the same
 * parameters, running the same ops in the same order. ALBERT shares one transformer block across
 * its layers, so its 12 layers are one fold; the viewer draws the block once.
 */
export interface ModelFold {
  /** The parent scope. */
  scope: number;
  /** Member scopes in order; the first is the one drawn when the fold is expanded. */
  members: number[];
  /** "layer_{0-11}" (the numbered part of the members' labels, as ranges). */
  label: string;
  /** The parameters' common name prefix, shortened: "group_0/inner_group_0"; "" when they share none. */
  block: string;
  /** Indices into params. */
  params: number[];
  /** For each member but the first, its node -> the first member's node that does the same work. */
  alias: [number, number][];
}

export interface ModelMemory {
  /** Live bytes while each node runs (its inputs and its outputs alive together), in node order. */
  live: number[];
  peakStep: number;
  peakBytes: number;
  /** Values alive at the peak, largest first (indices into values). */
  alive: number[];
  /** Node outputs whose size is unknown (not counted). */
  unknown: number;
}

export interface GraphModel {
  format: 'albert-inspect/graph@1';
  kind: 'ir' | 'onnx';
  name: string;
  values: ModelValue[];
  nodes: ModelNode[];
  scopes: ModelScope[];
  params: ModelParam[];
  inputs: number[];
  outputs: { name: string; value: number }[];
  folds: ModelFold[];
  memory: ModelMemory | null;
  flops: { total: number; counted: number; note: string };
  scopeNote?: string;
}

/** Ops directly in a scope that also has child scopes go into a group of their own beyond this many. */
const OTHER_OPS_GROUP = 6;
/** A scope with more ops of its own than this is split into independent chains (components). */
const SPLIT_OPS = 120;
/** A value read by more ops than this inside the scope (a learning rate, a global norm) joins nothing. */
const HUB_READERS = 4;

/**
 * The chains of ops in one scope that share no values but widely read ones: in an optimizer, the
 * update of each parameter. Each chain of three or more ops is named after the graph input its
 * ops read most (the parameter, or its optimizer slot), shortened to the fewest trailing name
 * segments that tell the chains apart.
 */
function components(list: number[], nodes: ModelNode[], values: ModelValue[], params: ModelParam[]): { label: string; nodes: number[] }[] {
  const inScope = new Set(list);
  const parent = new Map<number, number>(list.map((n) => [n, n]));
  const find = (x: number): number => {
    let r = x;
    while (parent.get(r) !== r) r = parent.get(r)!;
    for (let y = x; y !== r; ) {
      const next = parent.get(y)!;
      parent.set(y, r);
      y = next;
    }
    return r;
  };
  const readersOf = new Map<number, number[]>();
  for (const n of list) {
    for (const x of nodes[n].inputs) {
      const l = readersOf.get(x);
      if (l) l.push(n);
      else readersOf.set(x, [n]);
    }
  }
  for (const [x, readers] of readersOf) {
    if (readers.length > HUB_READERS) continue;
    const p = values[x].producer;
    if (p < 0 || !inScope.has(p)) continue;
    for (const m of readers) parent.set(find(m), find(p));
  }
  const groups = new Map<number, number[]>();
  for (const n of list) {
    const r = find(n);
    const g = groups.get(r) ?? [];
    g.push(n);
    groups.set(r, g);
  }
  const parts = [...groups.values()].filter((g) => g.length >= 3);
  if (parts.length < 2) return [];
  // Names: the input the chain reads most (a parameter wins over its slots); else the parameter
  // of the ops outside that read its result (a sum of a shared parameter's gradients); else its ops.
  const consumers = new Map<number, number[]>();
  const readers = new Map<number, number[]>();
  const add = (m: Map<number, number[]>, k: number, v: number): void => {
    const l = m.get(k);
    if (l) l.push(v);
    else m.set(k, [v]);
  };
  for (let i = 0; i < nodes.length; i++) {
    for (const x of nodes[i].inputs) {
      add(readers, x, i);
      const p = values[x].producer;
      if (p >= 0 && inScope.has(p) && !inScope.has(i)) add(consumers, p, i);
    }
  }
  // An optimizer slot ("<parameter>/adam_m") stands for its parameter.
  const ofParam = (name: string): string => params.find((p) => name.startsWith(`${p.name}/`))?.name ?? name;
  const most = (count: Map<string, number>): string | undefined => [...count].sort((a, b) => b[1] - a[1])[0]?.[0];
  const bump = (count: Map<string, number>, k: string, by: number): void => void count.set(k, (count.get(k) ?? 0) + by);
  const full = parts.map((g) => {
    const count = new Map<string, number>();
    for (const n of g) {
      for (const p of nodes[n].params) bump(count, params[p].name, 2);
      for (const x of nodes[n].inputs) if (values[x].producer < 0 && values[x].role !== 'param') bump(count, values[x].name, 1);
    }
    const own = most(count);
    if (own) return { name: own, prefix: '' };
    // Forward from the chain's results, a few ops at most, to the first that name something.
    const theirs = new Map<string, number>();
    let front = [...new Set(g.flatMap((n) => consumers.get(n) ?? []))];
    const seen = new Set(front);
    for (let hop = 0; hop < 6 && front.length && theirs.size === 0; hop++) {
      const next: number[] = [];
      for (const c of front) {
        for (const p of nodes[c].params) bump(theirs, params[p].name, 2);
        for (const x of nodes[c].inputs) if (values[x].producer < 0 && values[x].role !== 'param') bump(theirs, ofParam(values[x].name), 1);
        for (const o of nodes[c].outputs) for (const r of readers.get(o) ?? []) if (!seen.has(r)) (seen.add(r), next.push(r));
      }
      front = next;
    }
    const used = most(theirs);
    if (used) return { name: used, prefix: 'for ' };
    const ops = new Map<string, number>();
    for (const n of g) bump(ops, nodes[n].op, 1);
    return { name: `${[...ops].sort((a, b) => b[1] - a[1]).slice(0, 2).map(([o]) => o).join(', ')}, ... (${g.length} ops)`, prefix: '' };
  });
  const split = full.map((f) => f.name.split('/'));
  const labels = split.map((segs, i) => {
    for (let k = 1; k <= segs.length; k++) {
      const tail = segs.slice(-k).join('/');
      if (split.every((o, j) => j === i || o.slice(-k).join('/') !== tail)) return full[i].prefix + tail;
    }
    return full[i].prefix + full[i].name;
  });
  return parts.map((g, i) => ({ label: labels[i], nodes: g }));
}

export function buildGraphModel(raw: RawGraph, flopsNote: string): GraphModel {
  const values: ModelValue[] = raw.values.map((v) => ({
    name: v.name,
    dtype: v.dtype,
    shape: v.shape,
    bytes: v.bytes,
    producer: -1,
    ...(v.role ? { role: v.role } : {}),
  }));
  raw.nodes.forEach((n, i) => {
    for (const o of n.outputs) values[o].producer = i;
  });

  // Parameters, and which values are computed from parameters (and constants) alone.
  const paramIndex = new Map<number, number>();
  const params: ModelParam[] = [];
  for (const vi of raw.inputs) {
    const v = raw.values[vi];
    if (v.role !== 'param') continue;
    paramIndex.set(vi, params.length);
    const size = v.numel ?? 0;
    params.push({
      name: v.name,
      ...(v.hfName !== undefined ? { hfName: v.hfName } : {}),
      ...(v.transposed !== undefined ? { transposed: v.transposed } : {}),
      dtype: v.dtype,
      shape: v.shape ?? [],
      size,
      bytes: v.bytes ?? 0,
      value: vi,
      used: false,
      readers: [],
      sharedBy: '',
    });
  }
  // For each value: the parameters it is a function of, when it depends on nothing else.
  const paramDeps = new Map<number, number[]>();
  for (const [vi, p] of paramIndex) paramDeps.set(vi, [p]);
  const nodes: ModelNode[] = raw.nodes.map((n) => {
    const read = new Set<number>();
    let onlyParams = true;
    for (const x of n.inputs) {
      const deps = paramDeps.get(x);
      if (deps) for (const p of deps) read.add(p);
      else onlyParams = false;
    }
    const list = [...read].sort((a, b) => a - b);
    if (onlyParams) for (const o of n.outputs) paramDeps.set(o, list);
    return {
      name: n.name,
      op: n.op,
      scope: 0,
      attrs: n.attrs,
      inputs: n.inputs,
      outputs: n.outputs,
      flops: n.flops,
      params: list,
      ...(onlyParams ? { paramOnly: true as const } : {}),
      ...(n.aux ? { aux: true as const } : {}),
    };
  });
  for (const n of raw.nodes) for (const x of n.inputs) if (paramIndex.has(x)) params[paramIndex.get(x)!].used = true;
  for (const o of raw.outputs) if (paramIndex.has(o.value)) params[paramIndex.get(o.value)!].used = true;

  const scopes = scopeTree(raw.nodes.map((n) => n.scope), (list) => components(list, nodes, values, params));
  scopes.forEach((s, si) => s.nodes.forEach((ni) => (nodes[ni].scope = si)));
  // Subtree figures, children before parents (children always have larger indices).
  const subParams: Set<number>[] = scopes.map(() => new Set());
  for (let si = scopes.length - 1; si >= 0; si--) {
    const s = scopes[si];
    let count = s.nodes.length;
    let flops = 0;
    for (const ni of s.nodes) {
      flops += nodes[ni].flops ?? 0;
      for (const p of nodes[ni].params) subParams[si].add(p);
    }
    for (const c of s.children) {
      count += scopes[c].nodeCount;
      flops += scopes[c].flops;
      for (const p of subParams[c]) subParams[si].add(p);
    }
    s.nodeCount = count;
    s.flops = flops;
    s.params = [...subParams[si]].sort((a, b) => a - b);
  }

  // Readers of each parameter: the scopes of the nodes reading it.
  const readerSets = params.map(() => new Set<number>());
  for (const n of nodes) for (const p of n.params) readerSets[p].add(n.scope);
  params.forEach((p, i) => {
    p.readers = [...readerSets[i]].sort((a, b) => a - b);
    p.sharedBy = summarizePaths(p.readers.map((s) => scopes[s].path || '(top level)'));
  });

  const folds = findFolds(scopes, nodes, params);
  const memory = memoryOf(values, nodes, raw.outputs.map((o) => o.value));
  const counted = nodes.filter((n) => n.flops !== null).length;
  return {
    format: 'albert-inspect/graph@1',
    kind: raw.kind,
    name: raw.name,
    values,
    nodes,
    scopes,
    params,
    inputs: raw.inputs,
    outputs: raw.outputs,
    folds,
    memory,
    flops: { total: scopes[0].flops, counted, note: flopsNote },
    ...(raw.scopeNote ? { scopeNote: raw.scopeNote } : {}),
  };
}

/**
 * The scope tree: one box per distinct scope prefix; ops directly in a scope that also has child
 * scopes go into a synthetic "(other ops)" child when there are many (else 195 loose loss and
 * gradient-sum nodes would sit beside the dozen boxes); a box with one child and no ops of its own
 * is merged with the child ("layer_0/inner_0": ALBERT has one inner group per layer).
 */
function scopeTree(paths: string[], split: (nodes: number[]) => { label: string; nodes: number[] }[]): ModelScope[] {
  interface T {
    seg: string;
    path: string;
    kids: Map<string, T>;
    nodes: number[];
    synthetic?: boolean;
  }
  const root: T = { seg: '', path: '', kids: new Map(), nodes: [] };
  paths.forEach((p, ni) => {
    let t = root;
    if (p !== '') {
      for (const raw of p.split('/')) {
        const seg = raw === '' ? '(unscoped)' : raw;
        let k = t.kids.get(seg);
        if (!k) {
          k = { seg, path: t.path ? `${t.path}/${seg}` : seg, kids: new Map(), nodes: [] };
          t.kids.set(seg, k);
        }
        t = k;
      }
    }
    t.nodes.push(ni);
  });
  // Many ops beside child scopes: group them. A scope of very many ops of its own (an optimizer
  // updating every parameter) is first split into the chains that do not share values.
  const splitOwn = (t: T): void => {
    if (t === root || t.nodes.length <= SPLIT_OPS) return;
    const parts = split(t.nodes);
    if (parts.length < 2) return;
    const taken = new Set<number>();
    for (const part of parts) {
      let seg = part.label;
      for (let k = 2; t.kids.has(seg); k++) seg = `${part.label} (${k})`;
      t.kids.set(seg, { seg, path: t.path ? `${t.path}/${seg}` : seg, kids: new Map(), nodes: part.nodes, synthetic: true });
      for (const n of part.nodes) taken.add(n);
    }
    t.nodes = t.nodes.filter((n) => !taken.has(n));
  };
  const group = (t: T): void => {
    for (const k of t.kids.values()) group(k);
    splitOwn(t);
    if (t.kids.size > 0 && t.nodes.length > OTHER_OPS_GROUP) {
      const seg = t === root ? '(unscoped)' : '(other ops)';
      const existing = t.kids.get(seg);
      const g: T = existing ?? { seg, path: t.path ? `${t.path}/${seg}` : seg, kids: new Map(), nodes: [], synthetic: true };
      g.nodes = [...t.nodes, ...g.nodes].sort((a, b) => a - b);
      t.nodes = [];
      t.kids.set(seg, g);
      splitOwn(g);
    }
  };
  group(root);

  const out: ModelScope[] = [];
  // Boxes are ordered by their first node, so the picture and the tables follow the schedule.
  const first = (t: T): number => Math.min(t.nodes.length ? t.nodes[0] : Infinity, ...[...t.kids.values()].map(first));
  const emit = (t: T, parent: number, label: string): number => {
    const idx = out.length;
    const s: ModelScope = { path: t.path, label, parent, children: [], nodes: t.nodes, nodeCount: 0, flops: 0, params: [], ...(t.synthetic ? { synthetic: true as const } : {}) };
    out.push(s);
    const kids = [...t.kids.values()].sort((a, b) => first(a) - first(b));
    for (let k of kids) {
      let lab = k.seg;
      // Merge chains of single children without ops of their own.
      while (k.nodes.length === 0 && k.kids.size === 1) {
        k = [...k.kids.values()][0];
        lab = `${lab}/${k.seg}`;
      }
      s.children.push(emit(k, idx, lab));
    }
    return idx;
  };
  emit(root, -1, '');
  return out;
}

/** Integers as ranges: [0,1,2,3,7,9,10] -> "0-3, 7, 9-10". */
export function ranges(xs: number[]): string {
  const s = [...new Set(xs)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < s.length; ) {
    let j = i;
    while (j + 1 < s.length && s[j + 1] === s[j] + 1) j++;
    parts.push(j === i ? String(s[i]) : `${s[i]}-${s[j]}`);
    i = j + 1;
  }
  return parts.join(', ');
}

/**
 * Scope paths in few words: paths that differ in one number are folded,
 * ["enc/layer_0/attn", "enc/layer_1/attn"] -> "enc/layer_{0-1}/attn".
 */
export function summarizePaths(paths: string[]): string {
  const groups = new Map<string, { parts: string[]; nums: number[][] }>();
  for (const p of paths) {
    const parts = p.split(/(\d+)/);
    const template = parts.map((x, i) => (i % 2 ? '#' : x)).join('');
    const g = groups.get(template) ?? { parts, nums: [] };
    g.nums.push(parts.filter((_, i) => i % 2 === 1).map(Number));
    groups.set(template, g);
  }
  const out: string[] = [];
  for (const g of groups.values()) {
    if (g.nums.length === 1) {
      out.push(g.parts.join(''));
      continue;
    }
    const width = g.nums[0].length;
    const varying = [...Array(width).keys()].filter((k) => g.nums.some((n) => n[k] !== g.nums[0][k]));
    if (varying.length === 1) {
      const k = varying[0];
      out.push(g.parts.map((x, i) => (i % 2 === 0 ? x : (i - 1) / 2 === k ? `{${ranges(g.nums.map((n) => n[k]))}}` : x)).join(''));
    } else {
      for (const n of g.nums) out.push(g.parts.map((x, i) => (i % 2 === 0 ? x : String(n[(i - 1) / 2]))).join(''));
    }
  }
  return out.join(', ');
}

/** Names' longest common prefix of whole path segments, shortened to its last two segments. */
function blockName(names: string[]): string {
  if (names.length === 0) return '';
  const split = names.map((n) => n.split('/'));
  const common: string[] = [];
  for (let i = 0; ; i++) {
    const seg = split[0][i];
    // The last segment of a name is the tensor itself, never the block.
    if (seg === undefined || split.some((s) => s[i] !== seg || i >= s.length - 1)) break;
    common.push(seg);
  }
  return common.slice(-2).join('/');
}

function findFolds(scopes: ModelScope[], nodes: ModelNode[], params: ModelParam[]): ModelFold[] {
  const folds: ModelFold[] = [];
  // The nodes of a subtree in schedule order.
  const subtree = (si: number): number[] => {
    const acc: number[] = [];
    const walk = (s: number): void => {
      acc.push(...scopes[s].nodes);
      for (const c of scopes[s].children) walk(c);
    };
    walk(si);
    return acc.sort((a, b) => a - b);
  };
  // Where a node sits inside the member, for the signature.
  const relPath = (ni: number, member: number): string => {
    const parts: string[] = [];
    for (let s = nodes[ni].scope; s !== member && s >= 0; s = scopes[s].parent) parts.unshift(scopes[s].label);
    return parts.join('/');
  };
  // Bookkeeping (the Shape, Concat, Constant nodes of an ONNX lowering) is emitted once and reused,
  // so it sits in the first layer only: no part of the block's work.
  scopes.forEach((parent, pi) => {
    const byName = new Map<string, { member: number; n: number }[]>();
    for (const c of parent.children) {
      if (scopes[c].synthetic) continue;
      const m = /^([^/]*?)(\d+)([^/]*)(\/.*)?$/.exec(scopes[c].label);
      if (!m) continue;
      const key = `${m[1]}#${m[3]}${m[4] ?? ''}`;
      const list = byName.get(key) ?? [];
      list.push({ member: c, n: Number(m[2]) });
      byName.set(key, list);
    }
    for (const [key, list] of byName) {
      if (list.length < 2) continue;
      // Same parameters and the same work (ops on the batch, in order, at the same places).
      const classes = new Map<string, { members: { member: number; n: number }[]; work: number[][] }>();
      for (const entry of list) {
        const ps = scopes[entry.member].params;
        if (ps.length === 0) continue;
        const work = subtree(entry.member).filter((ni) => !nodes[ni].paramOnly && !nodes[ni].aux);
        const sig = `${ps.join(',')}|${work.map((ni) => `${nodes[ni].op}@${relPath(ni, entry.member)}`).join(';')}`;
        const cls = classes.get(sig) ?? { members: [], work: [] };
        cls.members.push(entry);
        cls.work.push(work);
        classes.set(sig, cls);
      }
      for (const cls of classes.values()) {
        if (cls.members.length < 2) continue;
        const rep = cls.work[0];
        const alias: [number, number][] = [];
        for (let k = 1; k < cls.work.length; k++) cls.work[k].forEach((ni, j) => alias.push([ni, rep[j]]));
        const [prefix, rest] = key.split('#');
        const ps = scopes[cls.members[0].member].params;
        folds.push({
          scope: pi,
          members: cls.members.map((e) => e.member),
          label: `${prefix}{${ranges(cls.members.map((e) => e.n))}}${rest}`,
          block: blockName(ps.map((p) => params[p].name)),
          params: ps,
          alias,
        });
      }
    }
  });
  return folds;
}

/**
 * Live bytes over the node order: a node output is live from its producer to its last use, graph
 * outputs to the end, an unused output only while its producer runs; at each node its inputs and
 * outputs are live together, which is when the measure is taken. Graph inputs are not counted.
 * The same rules as liveness() in analyze.ts, so the peaks agree.
 */
function memoryOf(values: ModelValue[], nodes: ModelNode[], outputs: number[]): ModelMemory | null {
  if (nodes.length === 0) return null;
  const end = nodes.length;
  const last = new Map<number, number>();
  nodes.forEach((n, i) => {
    for (const o of n.outputs) last.set(o, i);
  });
  nodes.forEach((n, i) => {
    for (const x of n.inputs) if (last.has(x)) last.set(x, Math.max(last.get(x)!, i));
  });
  for (const o of outputs) if (last.has(o)) last.set(o, end);
  const freeAt: number[][] = nodes.map(() => []);
  for (const [v, l] of last) if (l < end) freeAt[l].push(v);
  let unknown = 0;
  const size = (v: number): number => values[v].bytes ?? 0;
  for (const n of nodes) for (const o of n.outputs) if (values[o].bytes === null) unknown++;
  const live: number[] = [];
  let now = 0;
  let peak = 0;
  let peakStep = 0;
  nodes.forEach((n, i) => {
    for (const o of n.outputs) now += size(o);
    live.push(now);
    if (now > peak) {
      peak = now;
      peakStep = i;
    }
    for (const v of freeAt[i]) now -= size(v);
  });
  const alive: number[] = [];
  for (const [v, l] of last) {
    if (values[v].producer <= peakStep && l >= peakStep) alive.push(v);
  }
  alive.sort((a, b) => size(b) - size(a) || a - b);
  return { live, peakStep, peakBytes: peak, alive, unknown };
}
