import type { Graph, Node, Value } from '../ir/graph.ts';
import {
  diagonalMask,
  dropBroadcastAxes,
  Einsum,
  matmul,
  mul,
  parseEinsum,
  reduceSum,
  repeatedAxes,
  reshape,
  transpose,
  transposeLast2,
  type EinsumAttrs,
  type Labelled,
} from '../ir/ops/index.ts';
import { dimEq, mulDims, type Dim } from '../ir/shape.ts';
import type { Pass } from './pass.ts';
import { op, rewrite, rule, type RewriteRule } from './rewrite.ts';

/**
 * Rewrites every Einsum (forward and backward alike) into Transpose/Reshape/MatMul/ReduceSum,
 * with Mul for diagonals and for products that contract nothing. Operands are contracted
 * pairwise, left to right. Each pair becomes one MatMul of
 *   [batch..., free of left..., contracted...] x [batch..., contracted..., free of right...]
 * where "batch" letters are in both operands and kept, "contracted" ones in both and dropped,
 * "free" ones in one operand and kept; letters in one operand only that nothing needs are
 * summed away beforehand. Of the ways to lay that out (which operand goes left, the order
 * within each group), the pass picks the one needing the fewest transposes, so that MatMul
 * reads the big operands as they are:
 *   "BFH,HO->BFO"   MatMul(x, W) (rank-3 x rank-2 broadcast, nothing else);
 *   "BFO,BFH->HO"   MatMul(Transpose(Reshape(x, [B*F, H])), Reshape(dy, [B*F, O])), whose
 *                   last-two-axes transpose onnxruntime folds into the MatMul.
 */
export function lowerEinsums(g: Graph): boolean {
  // Lowering makes no Einsum, so one walk lowers them all.
  return rewrite(g, [lowerEinsumRule], { maxRounds: 1 });
}

export function lowerEinsumPass(): Pass {
  return { name: 'lower-einsum', run: lowerEinsums };
}

/** The rule of `lowerEinsums`: an Einsum is replaced by its lowered value. */
export const lowerEinsumRule: RewriteRule = rule('lower-einsum', op(Einsum), ({ node }) => lowerOne(node));

type Sizes = ReadonlyMap<string, Dim>;

function lowerOne(node: Node<EinsumAttrs>): Value {
  const spec = parseEinsum(
    node.attrs.equation,
    node.inputs.map((v) => v.shape),
  );
  const ops = node.inputs.map((v, i) => dropBroadcastAxes(v, spec.inputs[i], spec.broadcast[i]));
  const reduced = ops.map((o, i) => reduceAlone(o, new Set([...spec.output, ...ops.flatMap((p, j) => (j === i ? [] : p.labels))])));
  let acc = reduced[0];
  for (let k = 1; k < reduced.length; k++) {
    const final = k === reduced.length - 1;
    const keep = new Set([...spec.output, ...reduced.slice(k + 1).flatMap((o) => o.labels)]);
    acc = contract(acc, reduced[k], keep, final ? spec.output : null, spec.sizes);
  }
  return arrange(acc, spec.output).value;
}

/** Takes an operand's diagonals and sums away the labels no one else needs. */
function reduceAlone(o: Labelled, needed: ReadonlySet<string>): Labelled {
  let v = o.value;
  const groups = repeatedAxes(o.labels);
  if (groups.length) v = mul(v, diagonalMask(v, groups, v.dtype));
  const drop = o.labels.flatMap((l, a) => (o.labels.indexOf(l) !== a || !needed.has(l) ? [a] : []));
  if (drop.length === 0) return o;
  return { value: reduceSum(v, drop, false), labels: o.labels.filter((_, a) => !drop.includes(a)) };
}

/** Transposes a labelled value into the given label order. */
function arrange(o: Labelled, order: readonly string[]): Labelled {
  return { value: transpose(o.value, order.map((l) => o.labels.indexOf(l))), labels: [...order] };
}

const same = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((l, i) => l === b[i]);
const shapeDiffers = (a: readonly Dim[], b: readonly Dim[]): boolean => a.length !== b.length || a.some((d, i) => !dimEq(d, b[i]));

function contract(a: Labelled, b: Labelled, keep: ReadonlySet<string>, finalOrder: readonly string[] | null, sizes: Sizes): Labelled {
  a = reduceAlone(a, new Set([...keep, ...b.labels]));
  b = reduceAlone(b, new Set([...keep, ...a.labels]));
  const contracted = a.labels.filter((l) => b.labels.includes(l) && !keep.has(l));
  if (contracted.length === 0) return product(a, b, finalOrder, sizes);
  const plan = bestPlan(a, b, contracted, keep, finalOrder, sizes);
  return plan.build();
}

/** A product that contracts nothing: both sides laid out in the result's order, then Mul. */
function product(a: Labelled, b: Labelled, finalOrder: readonly string[] | null, sizes: Sizes): Labelled {
  const order = finalOrder ?? [...a.labels, ...b.labels.filter((l) => !a.labels.includes(l))];
  const spread = (o: Labelled): Value => {
    const mine = order.filter((l) => o.labels.includes(l));
    const v = arrange(o, mine).value;
    const shape = order.map((l) => (o.labels.includes(l) ? sizes.get(l)! : 1));
    // Leading 1s are implied by broadcasting.
    while (shape.length > v.rank && shape[0] === 1) shape.shift();
    return reshape(v, shape);
  };
  return { value: mul(spread(a), spread(b)), labels: [...order] };
}

interface Plan {
  /** Transposes weighted by cost: 1 for a last-two-axes swap (folded into MatMul), 2 otherwise. */
  transposes: number;
  reshapes: number;
  build(): Labelled;
}

interface OperandPlan {
  transposes: number;
  reshapes: number;
  /** The dims the operand's middle group takes in the MatMul operand. */
  midDims: Dim[];
  build(): Value;
}

/**
 * Lays out one MatMul operand as [batch..., mid, last] (left: mid = free, last = contracted;
 * right: mid = contracted, last = free), each group merged into one dim unless `keepMid`
 * (a left operand without batch letters keeps its free dims: MatMul broadcasts them).
 */
function planOperand(x: Labelled, batch: string[], mid: string[], last: string[], keepMid: boolean, sizes: Sizes): OperandPlan {
  const dims = (ls: readonly string[]): Dim[] => ls.map((l) => sizes.get(l)!);
  const merged = (ls: readonly string[]): Dim => mulDims(1, ...dims(ls));
  const desired = [...batch, ...mid, ...last];
  const midDims = keepMid && mid.length > 0 ? dims(mid) : [merged(mid)];
  const target = [...dims(batch), ...midDims, merged(last)];
  if (same(x.labels, desired)) {
    return { transposes: 0, reshapes: shapeDiffers(x.value.shape, target) ? 1 : 0, midDims, build: () => reshape(x.value, target) };
  }
  if (same(x.labels, [...batch, ...last, ...mid])) {
    // Already [batch, last, mid]: merge the groups and swap the last two axes.
    const swapped = [...dims(batch), merged(last), merged(mid)];
    return {
      transposes: 1,
      reshapes: shapeDiffers(x.value.shape, swapped) ? 1 : 0,
      midDims: [merged(mid)],
      build: () => transposeLast2(reshape(x.value, swapped)),
    };
  }
  return {
    transposes: 2,
    reshapes: shapeDiffers(dims(desired), target) ? 1 : 0,
    midDims,
    build: () => reshape(arrange(x, desired).value, target),
  };
}

function orderIn(ls: readonly string[], within: readonly string[]): string[] {
  return within.filter((l) => ls.includes(l));
}

function uniqueOrders(orders: string[][]): string[][] {
  const out: string[][] = [];
  for (const o of orders) if (!out.some((p) => same(p, o))) out.push(o);
  return out;
}

function bestPlan(a: Labelled, b: Labelled, contracted: string[], keep: ReadonlySet<string>, finalOrder: readonly string[] | null, sizes: Sizes): Plan {
  const batchSet = a.labels.filter((l) => b.labels.includes(l) && keep.has(l));
  const fin = finalOrder ?? [];
  let best: Plan | null = null;
  for (const [left, right] of [
    [a, b],
    [b, a],
  ]) {
    const freeL = left.labels.filter((l) => !right.labels.includes(l));
    const freeR = right.labels.filter((l) => !left.labels.includes(l));
    for (const batch of uniqueOrders([orderIn(batchSet, a.labels), orderIn(batchSet, b.labels), orderIn(batchSet, fin)].filter((o) => o.length === batchSet.length))) {
      for (const contr of uniqueOrders([orderIn(contracted, a.labels), orderIn(contracted, b.labels)])) {
        for (const fl of uniqueOrders([freeL, orderIn(freeL, fin)].filter((o) => o.length === freeL.length))) {
          for (const fr of uniqueOrders([freeR, orderIn(freeR, fin)].filter((o) => o.length === freeR.length))) {
            const p = planPair(left, right, batch, contr, fl, fr, finalOrder, sizes);
            if (!best || p.transposes < best.transposes || (p.transposes === best.transposes && p.reshapes < best.reshapes)) best = p;
          }
        }
      }
    }
  }
  return best!;
}

function planPair(
  left: Labelled,
  right: Labelled,
  batch: string[],
  contr: string[],
  freeL: string[],
  freeR: string[],
  finalOrder: readonly string[] | null,
  sizes: Sizes,
): Plan {
  const l = planOperand(left, batch, freeL, contr, batch.length === 0, sizes);
  const r = planOperand(right, batch, contr, freeR, false, sizes);
  const labels = [...batch, ...freeL, ...freeR];
  const dims = labels.map((x) => sizes.get(x)!);
  const productDims = [...batch.map((x) => sizes.get(x)!), ...l.midDims, mulDims(1, ...freeR.map((x) => sizes.get(x)!))];
  const reorder = finalOrder !== null && !same(labels, finalOrder);
  return {
    transposes: l.transposes + r.transposes + (reorder ? 2 : 0),
    reshapes: l.reshapes + r.reshapes + (shapeDiffers(productDims, dims) ? 1 : 0),
    build: () => {
      const out: Labelled = { value: reshape(matmul(l.build(), r.build()), dims), labels };
      return finalOrder ? arrange(out, finalOrder) : out;
    },
  };
}
