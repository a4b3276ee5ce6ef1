import type { Graph, Node } from '../ir/graph.ts';
import type { Tensor } from '../ir/tensor.ts';
import { removeNodes } from './dce.ts';
import type { Pass } from './pass.ts';

/**
 * Common-subexpression elimination: a node with the same op, the same input values (in order)
 * and equal attributes as an earlier node is replaced by it. Constants with equal tensors merge
 * the same way (their tensor is an attribute).
 *
 * One walk in topological order reaches the fixpoint: when a node is merged, its users (which
 * come later) are rewired to the survivor before they are looked at, so users that have become
 * equal are found in the same walk.
 */
export function eliminateCommonSubexpressions(g: Graph): boolean {
  const seen = new Map<string, Node[]>();
  const merged = new Set<Node>();
  for (const n of g.nodes) {
    if (n.op.effectful) continue;
    const key = `${n.op.name}(${n.inputs.map((v) => v.id).join(',')})${attrKey(n.attrs)}`;
    const bucket = seen.get(key);
    const twin = bucket?.find((m) => m.op === n.op && m.inputs.every((v, i) => v === n.inputs[i]) && attrsEqual(m.attrs, n.attrs));
    if (!twin) {
      if (bucket) bucket.push(n);
      else seen.set(key, [n]);
      continue;
    }
    n.outputs.forEach((o, i) => g.replaceAllUsesWith(o, twin.outputs[i]));
    merged.add(n);
  }
  removeNodes(g, merged);
  return merged.size > 0;
}

export function csePass(): Pass {
  return { name: 'cse', run: eliminateCommonSubexpressions };
}

function isTensor(x: object): x is Tensor {
  return 'data' in x && x.data instanceof Float64Array && 'shape' in x && 'dtype' in x;
}

/**
 * A string that equal attributes share (unequal ones rarely do; attrsEqual decides). Tensors
 * contribute their dtype, shape and a hash of their data, so large constants are not spelled out.
 */
export function attrKey(x: unknown): string {
  if (x === undefined) return '';
  if (x === null || typeof x !== 'object') return typeof x === 'string' ? JSON.stringify(x) : String(x);
  if (Array.isArray(x)) return `[${x.map(attrKey).join(',')}]`;
  if (isTensor(x)) return `T<${x.dtype}[${x.shape.join(',')}]#${hashData(x.data)}>`;
  const entries = Object.entries(x)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${k}:${attrKey(v)}`).join(',')}}`;
}

/**
 * Deep equality of attribute values. Numbers compare with Object.is so that 0 and -0 stay apart
 * (1/x tells them apart) while NaN equals NaN (the same constant either way).
 */
export function attrsEqual(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'number') return Object.is(a, b);
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return a === b;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => attrsEqual(x, b[i]));
  }
  if (isTensor(a) || isTensor(b)) {
    if (!isTensor(a) || !isTensor(b)) return false;
    if (a.dtype !== b.dtype || a.data.length !== b.data.length || !attrsEqual(a.shape, b.shape)) return false;
    for (let i = 0; i < a.data.length; i++) if (!Object.is(a.data[i], b.data[i])) return false;
    return true;
  }
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => attrsEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** FNV-1a over the float64 bits; every NaN hashes alike so that NaN constants can merge. */
function hashData(data: Float64Array): string {
  const bits = new Uint32Array(2);
  const view = new Float64Array(bits.buffer);
  let h = 0x811c9dc5;
  for (let i = 0; i < data.length; i++) {
    view[0] = Number.isNaN(data[i]) ? NaN : data[i];
    h = Math.imul(h ^ bits[0], 0x01000193);
    h = Math.imul(h ^ bits[1], 0x01000193);
  }
  return (h >>> 0).toString(16);
}
