import { castScalar, isFloat, type DType } from '../dtype.ts';
import { ShapeError } from '../errors.ts';
import { formatType, type TensorType, type Value } from '../graph.ts';
import { apply1, defineOp, type OpDef } from '../op.ts';
import { canonDim, dimEq, formatShape, isStatic, mulDims, type Dim } from '../shape.ts';
import { sizeOf, stridesOf, tensor, type Tensor } from '../tensor.ts';
import { constant } from './constant.ts';
import { and, cast, equal, mul } from './elementwise.ts';
import { iota } from './iota.ts';
import { expand, reshape } from './shape-ops.ts';

// ---------------------------------------------------------------------------------------------
// Einsum: numpy's subscripts, parsed against the operand shapes into one label per axis.
// Letters label themselves; the dims an ellipsis covers get the labels ".0", ".1", ...
// right-aligned across operands (".0" is the outermost of the broadcast ellipsis), so an
// operand whose ellipsis covers fewer dims uses only the last labels.

export interface EinsumAttrs {
  equation: string;
}

/** An equation resolved against operand shapes. */
export interface EinsumSpec {
  /** The label of each axis of each operand (a letter may repeat within one: a diagonal). */
  inputs: string[][];
  /** The output's labels, each once. */
  output: string[];
  /** Each label's size: letters agree across occurrences; ellipsis dims broadcast. */
  sizes: Map<string, Dim>;
  /**
   * Per operand, per axis: true where a static 1 stands for a larger ellipsis dim (numpy
   * broadcasting). Such an axis takes part in nothing; dropping it gives the same result.
   */
  broadcast: boolean[][];
}

const LETTER = /^[A-Za-z]$/;
const ELLIPSIS = '...';

interface Term {
  letters: string[];
  /** Index in `letters` where "..." stood, or -1. */
  ellipsisAt: number;
}

function parseTerm(term: string, fail: (why: string) => never): Term {
  const dots = term.indexOf(ELLIPSIS);
  if (dots >= 0 && term.indexOf(ELLIPSIS, dots + 1) >= 0) fail(`term "${term}" has more than one "..."`);
  const bare = dots >= 0 ? term.slice(0, dots) + term.slice(dots + 3) : term;
  const letters = [...bare];
  for (const c of letters) if (!LETTER.test(c)) fail(`"${c}" in term "${term}" is not a letter`);
  return { letters, ellipsisAt: dots >= 0 ? dots : -1 };
}

/** Labels of one term's axes once the ellipsis is known to cover `covered` dims. */
function termLabels(t: Term, covered: number, total: number): string[] {
  if (t.ellipsisAt < 0) return [...t.letters];
  const dots = Array.from({ length: covered }, (_, k) => `.${total - covered + k}`);
  return [...t.letters.slice(0, t.ellipsisAt), ...dots, ...t.letters.slice(t.ellipsisAt)];
}

export function isEllipsisLabel(label: string): boolean {
  return label.startsWith('.');
}

/**
 * Resolves `equation` against the operands' shapes (numpy rules, implicit output included),
 * checking that each letter's dims agree. Throws ShapeError naming the equation and shapes.
 */
export function parseEinsum(equation: string, shapes: readonly (readonly Dim[])[]): EinsumSpec {
  const shown = shapes.map((s) => formatShape(s)).join(', ');
  const fail = (why: string): never => {
    throw new ShapeError(`Einsum "${equation}": ${why} (shapes ${shown})`);
  };
  const eq = equation.replace(/\s+/g, '');
  const arrow = eq.indexOf('->');
  if (arrow >= 0 && eq.indexOf('->', arrow + 1) >= 0) fail('more than one "->"');
  const lhs = arrow >= 0 ? eq.slice(0, arrow) : eq;
  const terms = lhs.split(',').map((t) => parseTerm(t, fail));
  if (terms.length !== shapes.length) fail(`${terms.length} operand terms for ${shapes.length} operands`);
  if (shapes.length === 0) fail('needs at least one operand');

  let ellipsisRank = 0;
  const covered = terms.map((t, i) => {
    const rank = shapes[i].length;
    if (t.ellipsisAt < 0) {
      if (rank !== t.letters.length) fail(`operand ${i} has rank ${rank} but term ${i} names ${t.letters.length} axes`);
      return 0;
    }
    if (rank < t.letters.length) fail(`operand ${i} has rank ${rank}, fewer than the ${t.letters.length} letters of term ${i}`);
    ellipsisRank = Math.max(ellipsisRank, rank - t.letters.length);
    return rank - t.letters.length;
  });
  const inputs = terms.map((t, i) => termLabels(t, covered[i], ellipsisRank));

  // Sizes: letters must agree exactly; ellipsis dims broadcast (a static 1 stretches).
  const sizes = new Map<string, Dim>();
  const firstSeen = new Map<string, number>();
  inputs.forEach((labels, i) =>
    labels.forEach((l, a) => {
      const d = canonDim(shapes[i][a]);
      const prev = sizes.get(l);
      if (prev === undefined) {
        sizes.set(l, d);
        firstSeen.set(l, i);
      } else if (!dimEq(prev, d)) {
        if (isEllipsisLabel(l)) {
          if (d === 1) return;
          if (prev === 1) {
            sizes.set(l, d);
            return;
          }
          fail(`dims covered by "..." do not broadcast (${prev} and ${d})`);
        }
        const j = firstSeen.get(l)!;
        fail(j === i ? `letter ${l} is both ${prev} and ${d} in operand ${i}` : `letter ${l} is ${prev} in operand ${j} and ${d} in operand ${i}`);
      }
    }),
  );
  const broadcast = inputs.map((labels, i) => labels.map((l, a) => canonDim(shapes[i][a]) === 1 && sizes.get(l) !== 1));

  let output: string[];
  if (arrow >= 0) {
    const out = parseTerm(eq.slice(arrow + 2), fail);
    if (out.ellipsisAt < 0 && ellipsisRank > 0) fail('the output has no "..." but the operands\' "..." cover dims');
    output = termLabels(out, ellipsisRank, ellipsisRank);
    const seen = new Set<string>();
    for (const l of out.letters) {
      if (seen.has(l)) fail(`letter ${l} appears twice in the output`);
      seen.add(l);
      if (!sizes.has(l)) fail(`output letter ${l} is in no operand`);
    }
  } else {
    // Implicit output (numpy): the ellipsis dims, then the letters used once, in ASCII order.
    const count = new Map<string, number>();
    for (const labels of inputs) for (const l of labels) if (!isEllipsisLabel(l)) count.set(l, (count.get(l) ?? 0) + 1);
    const once = [...count].filter(([, c]) => c === 1).map(([l]) => l);
    once.sort();
    output = [...Array.from({ length: ellipsisRank }, (_, k) => `.${k}`), ...once];
  }
  return { inputs, output, sizes, broadcast };
}

/**
 * Writes labelled operands and an output as an explicit equation of letters: letters stay,
 * ellipsis labels get letters the equation does not use. For derived einsums (VJPs, ONNX).
 */
export function labelsToEquation(inputs: readonly (readonly string[])[], output: readonly string[], lowercase = false): string {
  const all = [...new Set([...inputs.flat(), ...output])];
  const letters = new Map<string, string>();
  const pool = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
  if (lowercase) {
    // ONNX consumers are safest with lowercase letters; rename everything in order of appearance.
    all.forEach((l, k) => letters.set(l, pool[k]));
  } else {
    const used = new Set(all.filter((l) => !isEllipsisLabel(l)));
    const free = [...pool].filter((c) => !used.has(c));
    for (const l of all) letters.set(l, isEllipsisLabel(l) ? free.shift()! : l);
  }
  if (all.length > pool.length || [...letters.values()].some((c) => c === undefined)) {
    throw new ShapeError(`Einsum: ${all.length} distinct labels do not fit in 52 letters`);
  }
  const word = (ls: readonly string[]): string => ls.map((l) => letters.get(l)!).join('');
  return `${inputs.map(word).join(',')}->${word(output)}`;
}

function inferEinsum(ins: TensorType[], at: EinsumAttrs): TensorType[] {
  if (ins.length === 0) throw new ShapeError(`Einsum "${at.equation}": needs at least one operand`);
  const dtype = ins[0].dtype;
  for (const t of ins) {
    if (t.dtype !== dtype) throw new ShapeError(`Einsum "${at.equation}"(${ins.map(formatType).join(', ')}): operand dtypes differ`);
  }
  // MatMul, which einsums lower to, is defined for floats only.
  if (!isFloat(dtype)) throw new ShapeError(`Einsum "${at.equation}"(${ins.map(formatType).join(', ')}): dtype ${dtype} is not supported`);
  const spec = parseEinsum(
    at.equation,
    ins.map((t) => t.shape),
  );
  return [{ dtype, shape: spec.output.map((l) => spec.sizes.get(l)!) }];
}

/** The float64 reference: one loop over every combination of label values. */
function evalEinsum(ins: Tensor[], at: EinsumAttrs): Tensor {
  const spec = parseEinsum(
    at.equation,
    ins.map((t) => t.shape),
  );
  const summed = [...spec.sizes.keys()].filter((l) => !spec.output.includes(l));
  const labels = [...spec.output, ...summed];
  const size = labels.map((l) => spec.sizes.get(l) as number);
  // Per operand, the stride each label moves it by (repeated letters add up: a diagonal walk;
  // broadcast axes have size 1 and so stride 0).
  const strides = ins.map((t, i) => {
    const s = stridesOf(t.shape);
    return labels.map((l) => spec.inputs[i].reduce((acc, x, a) => (x === l && !spec.broadcast[i][a] ? acc + s[a] : acc), 0));
  });
  const outShape = size.slice(0, spec.output.length);
  const outN = sizeOf(outShape);
  const inner = sizeOf(size.slice(spec.output.length));
  const out = new Float64Array(outN);
  const idx = new Array<number>(labels.length).fill(0);
  for (let o = 0; o < outN; o++) {
    let acc = 0;
    for (let s = 0; s < inner; s++) {
      // Decompose (o, s) into one index per label, row-major over `labels`.
      let rem = o * inner + s;
      for (let k = labels.length - 1; k >= 0; k--) {
        idx[k] = rem % size[k];
        rem = Math.floor(rem / size[k]);
      }
      let p = 1;
      for (let i = 0; i < ins.length; i++) {
        let off = 0;
        for (let k = 0; k < labels.length; k++) off += idx[k] * strides[i][k];
        p *= ins[i].data[off];
      }
      acc += p;
    }
    out[o] = castScalar(acc, ins[0].dtype);
  }
  return { dtype: ins[0].dtype, shape: outShape, data: out };
}

/** A labelled operand: a value and the label of each of its axes. */
export interface Labelled {
  value: Value;
  labels: string[];
}

/** Drops an operand's broadcast size-1 axes (they take part in nothing). */
export function dropBroadcastAxes(value: Value, labels: readonly string[], broadcast: readonly boolean[]): Labelled {
  if (!broadcast.some((b) => b)) return { value, labels: [...labels] };
  return {
    value: reshape(
      value,
      value.shape.filter((_, a) => !broadcast[a]),
    ),
    labels: labels.filter((_, a) => !broadcast[a]),
  };
}

/**
 * A 0/1 mask of `like`'s shape along the axes of `groups` (1 elsewhere): 1 where, in every
 * group, the indices along the group's axes are equal. Multiplying by it keeps a diagonal.
 * Static dims give a constant; symbolic ones build it from Iota at run time.
 */
export function diagonalMask(like: Value, groups: readonly (readonly number[])[], dtype: DType): Value {
  const axes = new Set(groups.flat());
  const shape = like.shape.map((d, a) => (axes.has(a) ? d : 1));
  if (shape.every(isStatic)) {
    const dims = shape as number[];
    const strides = stridesOf(dims);
    const data = new Float64Array(sizeOf(dims));
    for (let flat = 0; flat < data.length; flat++) {
      const at = dims.map((d, a) => Math.floor(flat / strides[a]) % d);
      data[flat] = groups.every((g) => g.every((a) => at[a] === at[g[0]])) ? 1 : 0;
    }
    return constant(like.graph, tensor(dtype, dims, data));
  }
  const along = (a: number): Value =>
    reshape(
      iota(like, a, 'int32'),
      shape.map((d, k) => (k === a ? d : 1)),
    );
  let keep: Value | null = null;
  for (const g of groups) {
    for (const a of g.slice(1)) {
      const eq = equal(along(g[0]), along(a));
      keep = keep ? and(keep, eq) : eq;
    }
  }
  if (!keep) throw new Error('diagonalMask: no repeated axes');
  return expand(cast(keep, dtype), shape);
}

/** Groups of axes that share a label, for labels that occur more than once. */
export function repeatedAxes(labels: readonly string[]): number[][] {
  const groups = new Map<string, number[]>();
  labels.forEach((l, a) => groups.set(l, [...(groups.get(l) ?? []), a]));
  return [...groups.values()].filter((g) => g.length > 1);
}

/** einsum over labelled operands (labels as in EinsumSpec); the output labels must be unique. */
export function einsumLabelled(operands: readonly Labelled[], output: readonly string[]): Value {
  return einsum(
    labelsToEquation(
      operands.map((o) => o.labels),
      output,
    ),
    ...operands.map((o) => o.value),
  );
}

/**
 * The cotangent of operand k: the einsum of the output cotangent with the other operands onto
 * operand k's labels. Labels of operand k found nowhere else come back broadcast (Expand);
 * repeated labels put the cotangent on the diagonal (mask); broadcast axes stay size 1.
 */
function operandCotangent(spec: EinsumSpec, k: number, ct: Value, squeezed: Labelled[], x: Value): Value {
  const labels = spec.inputs[k];
  const bc = spec.broadcast[k];
  const sources: Labelled[] = [{ value: ct, labels: spec.output }, ...squeezed.filter((_, i) => i !== k)];
  const elsewhere = new Set(sources.flatMap((s) => s.labels));
  const first = (a: number): boolean => labels.indexOf(labels[a]) === a;
  const present = labels.filter((l, a) => first(a) && !bc[a] && elsewhere.has(l));
  let c = einsumLabelled(sources, present);
  c = reshape(
    c,
    labels.map((l, a) => (first(a) && present.includes(l) ? spec.sizes.get(l)! : 1)),
  );
  const groups = repeatedAxes(labels);
  if (groups.length) c = mul(c, diagonalMask(x, groups, ct.dtype));
  return expand(
    c,
    labels.map((l, a) => (bc[a] ? 1 : spec.sizes.get(l)!)),
  );
}

export const Einsum: OpDef<EinsumAttrs> = defineOp<EinsumAttrs>({
  name: 'Einsum',
  infer: inferEinsum,
  evaluate: (ins, at) => [evalEinsum(ins, at)],
  vjp: (node, [ct], needed) => {
    if (!ct) return node.inputs.map(() => null);
    const spec = parseEinsum(
      node.attrs.equation,
      node.inputs.map((v) => v.shape),
    );
    // Without the broadcast axes the swapped einsums need no broadcasting of their own.
    const squeezed = node.inputs.map((v, i) => dropBroadcastAxes(v, spec.inputs[i], spec.broadcast[i]));
    return node.inputs.map((x, k) => (needed[k] ? operandCotangent(spec, k, ct, squeezed, x) : null));
  },
  // One multiply per operand and one add per point of the label space: 2 * prod(sizes) for
  // the usual two-operand contraction (2*M*N*K for a matrix product).
  flops: (node): Dim => {
    const spec = parseEinsum(
      node.attrs.equation,
      node.inputs.map((v) => v.shape),
    );
    return mulDims(node.inputs.length, ...spec.sizes.values());
  },
});

/**
 * numpy.einsum: `einsum("BFH,HND->BFND", x, w)`. Explicit ("->") and implicit outputs,
 * repeated letters (diagonals), letters summed away and "..." broadcasting. An equation that
 * leaves its single operand as it is returns the operand.
 */
export function einsum(equation: string, ...operands: Value[]): Value {
  if (operands.length === 0) throw new ShapeError(`Einsum "${equation}": needs at least one operand`);
  if (operands.length === 1) {
    const spec = parseEinsum(equation, [operands[0].shape]);
    const [labels] = spec.inputs;
    if (labels.length === spec.output.length && labels.every((l, a) => l === spec.output[a])) {
      inferEinsum([operands[0].type], { equation });
      return operands[0];
    }
  }
  return apply1(Einsum, operands, { equation });
}
