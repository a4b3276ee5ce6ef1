import { castScalar } from '../ir/dtype.ts';
import type { Graph, Node } from '../ir/graph.ts';
import { Constant, constantValue, DimProduct, type DimProductAttrs } from '../ir/ops/index.ts';
import { canonDim, formatShape, type Dim } from '../ir/shape.ts';
import { sizeOf, type Tensor } from '../ir/tensor.ts';
import type { Pass } from './pass.ts';
import { is, rewrite, type RewriteRule } from './rewrite.ts';

export interface ConstFoldOptions {
  /** Results with more elements than this stay computed at run time (default 65536). */
  maxElements?: number;
  /**
   * A result larger than all its inputs together (a broadcast, an Expand) is folded only up to
   * this many elements (default 1024): storing the broadcast copy would bloat the model for
   * nothing, the run time makes it in no time.
   */
  maxExpandedElements?: number;
}

/** Thrown by the evaluation context when an op asks for a symbolic dim: that node is not folded. */
class SymbolicDim extends Error {}

/**
 * Constant folding: a node whose inputs are all Constants is evaluated with its op's reference
 * semantics and replaced by a Constant of the result, rounded to the output dtype. DimProduct
 * folds from static shape information alone. Effectful ops are never folded. Constants that
 * only fed folded nodes are removed.
 *
 * One walk in topological order reaches the fixpoint: a folded node's users see a Constant
 * input by the time they are visited (so the rewrite driver is asked for one walk only).
 */
export function foldConstants(g: Graph, opts: ConstFoldOptions = {}): boolean {
  return rewrite(g, [constFoldRule(opts)], { maxRounds: 1 });
}

export function constFoldPass(opts: ConstFoldOptions = {}): Pass {
  return { name: 'const-fold', run: (g) => foldConstants(g, opts) };
}

/** The rule of `foldConstants`: a node is replaced by Constants of what it evaluates to. */
export function constFoldRule(opts: ConstFoldOptions = {}): RewriteRule {
  const maxElements = opts.maxElements ?? 65536;
  const maxExpanded = opts.maxExpandedElements ?? 1024;
  return {
    name: 'const-fold',
    apply(n) {
      if (is(n, Constant) || n.op.effectful) return null;
      const results = is(n, DimProduct) ? foldDimProduct(n) : evaluateConstant(n, maxElements, maxExpanded);
      return results && results.map((t) => n.graph.addNode(Constant, [], { value: t })[0]);
    },
  };
}

function staticShape(shape: readonly Dim[]): number[] | null {
  const out: number[] = [];
  for (const d of shape) {
    const c = canonDim(d);
    if (typeof c !== 'number') return null;
    out.push(c);
  }
  return out;
}

function foldDimProduct(n: Node<DimProductAttrs>): Tensor[] | null {
  const shape = n.inputs[0].shape;
  let p = 1;
  for (const ax of n.attrs.axes) {
    const d = canonDim(shape[ax]);
    if (typeof d !== 'number') return null;
    p *= d;
  }
  const dtype = n.attrs.dtype;
  return [{ dtype, shape: [], data: Float64Array.of(castScalar(p, dtype)) }];
}

function evaluateConstant(n: Node, maxElements: number, maxExpanded: number): Tensor[] | null {
  const ins: Tensor[] = [];
  for (const v of n.inputs) {
    const t = constantValue(v);
    if (!t) return null;
    ins.push(t);
  }
  const shapes: number[][] = [];
  for (const o of n.outputs) {
    const s = staticShape(o.shape);
    if (!s) return null;
    shapes.push(s);
  }
  const outSize = shapes.reduce((acc, s) => acc + sizeOf(s), 0);
  const inSize = ins.reduce((acc, t) => acc + t.data.length, 0);
  if (outSize > maxElements || (outSize > inSize && outSize > maxExpanded)) return null;
  let results: Tensor[];
  try {
    results = n.op.evaluate(ins, n.attrs, {
      node: n,
      resolve: (dims) =>
        dims.map((d) => {
          const c = canonDim(d);
          if (typeof c !== 'number') throw new SymbolicDim();
          return c;
        }),
    });
  } catch (e) {
    if (e instanceof SymbolicDim) return null;
    throw e;
  }
  if (results.length !== n.outputs.length) throw new Error(`const-fold: ${n.op.name} evaluated to ${results.length} results, it has ${n.outputs.length} outputs`);
  return results.map((t, i) => {
    const dtype = n.outputs[i].dtype;
    if (t.shape.length !== shapes[i].length || t.shape.some((d, k) => d !== shapes[i][k])) {
      throw new Error(`const-fold: ${n.op.name} evaluated to shape ${formatShape(t.shape)}, its shape rule says ${formatShape(shapes[i])}`);
    }
    // The reference evaluation runs in float64; the folded constant holds what the dtype holds.
    return { dtype, shape: [...shapes[i]], data: Float64Array.from(t.data, (x) => castScalar(x, dtype)) };
  });
}
