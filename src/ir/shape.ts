import { ShapeError } from './errors.ts';

/**
 * A dimension is either a static size or a symbolic one. Symbolic dims are products of named
 * symbols with an integer coefficient, written canonically: "batch", "seq", "batch*seq",
 * "12*batch". Keeping products symbolic lets reshapes such as [batch, seq, H] -> [batch*seq, H]
 * be checked at build time.
 */
export type Dim = number | string;
export type Shape = readonly Dim[];

interface Monomial {
  coef: number;
  syms: string[]; // sorted, with repetition
}

const SYMBOL = /^[A-Za-z_][A-Za-z0-9_]*$/;

function parse(d: Dim): Monomial {
  if (typeof d === 'number') return { coef: d, syms: [] };
  let coef = 1;
  const syms: string[] = [];
  for (const part of d.split('*')) {
    const p = part.trim();
    if (/^\d+$/.test(p)) coef *= Number(p);
    else if (SYMBOL.test(p)) syms.push(p);
    else throw new ShapeError(`invalid symbolic dimension "${d}"`);
  }
  syms.sort();
  return { coef, syms };
}

function format(m: Monomial): Dim {
  if (m.syms.length === 0) return m.coef;
  if (m.coef === 0) return 0;
  const s = m.syms.join('*');
  return m.coef === 1 ? s : `${m.coef}*${s}`;
}

/** Canonical form of a dim (so that "seq*batch" equals "batch*seq"). */
export function canonDim(d: Dim): Dim {
  if (typeof d === 'number') {
    if (!Number.isInteger(d) || d < 0) throw new ShapeError(`invalid dimension ${d}`);
    return d;
  }
  return format(parse(d));
}

export function dimEq(a: Dim, b: Dim): boolean {
  return canonDim(a) === canonDim(b);
}

export function shapeEq(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => dimEq(d, b[i]));
}

export function isStatic(d: Dim): d is number {
  return typeof d === 'number';
}

export function mulDims(...dims: Dim[]): Dim {
  const m: Monomial = { coef: 1, syms: [] };
  for (const d of dims) {
    const p = parse(d);
    m.coef *= p.coef;
    m.syms.push(...p.syms);
  }
  m.syms.sort();
  return format(m);
}

/** a / b if it is an exact monomial quotient, else null. */
export function divDims(a: Dim, b: Dim): Dim | null {
  const pa = parse(a);
  const pb = parse(b);
  if (pb.coef === 0 || pa.coef % pb.coef !== 0) return null;
  const rest = [...pa.syms];
  for (const s of pb.syms) {
    const i = rest.indexOf(s);
    if (i < 0) return null;
    rest.splice(i, 1);
  }
  return format({ coef: pa.coef / pb.coef, syms: rest });
}

export function numel(shape: Shape): Dim {
  return mulDims(1, ...shape);
}

/** Symbols appearing in a dim, e.g. "batch*seq" -> ["batch", "seq"]. */
export function dimSymbols(d: Dim): string[] {
  return parse(d).syms;
}

/** Evaluates a dim under a binding of symbols to sizes. */
export function evalDim(d: Dim, env: ReadonlyMap<string, number>): number {
  const m = parse(d);
  let v = m.coef;
  for (const s of m.syms) {
    const x = env.get(s);
    if (x === undefined) throw new ShapeError(`symbolic dimension "${s}" has no value`);
    v *= x;
  }
  return v;
}

export function formatShape(s: Shape): string {
  return `[${s.map((d) => String(canonDim(d))).join(', ')}]`;
}

/** Numpy broadcasting with symbolic dims: equal dims match, 1 stretches, anything else fails. */
export function broadcastShapes(shapes: Shape[], what: () => string): Dim[] {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    let d: Dim = 1;
    for (const s of shapes) {
      const k = i - (rank - s.length);
      if (k < 0) continue;
      const e = canonDim(s[k]);
      if (e === 1) continue;
      if (d === 1) d = e;
      else if (d !== e) throw new ShapeError(`${what()}: shapes ${shapes.map(formatShape).join(' and ')} do not broadcast`);
    }
    out.push(d);
  }
  return out;
}

/** Normalises a possibly negative axis for a tensor of the given rank. */
export function normAxis(axis: number, rank: number, what: () => string): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) throw new ShapeError(`${what()}: axis ${axis} is out of range for rank ${rank}`);
  return a;
}
