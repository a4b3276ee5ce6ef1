/**
 * Mixed precision: the autocast pass runs the matrix products (Einsum, MatMul), attention and
 * GELU in float16 and leaves everything else in float32 — the parameters themselves (the master
 * weights the optimizer updates), embeddings, layer norms, softmax, the losses and the optimizer.
 * That is the split of PyTorch's autocast and of NVIDIA's mixed-precision recipe: the GEMMs are
 * where half precision pays (tensor cores, half the bytes), and the reductions that lose
 * accuracy in half precision (variance, softmax's sum, log-likelihoods) stay in float32.
 *
 * Each such op on float32 operands becomes Cast(float16) -> op -> Cast(float32). An operand that
 * is itself the upcast of a float16 value is read at float16 directly, so chains of cast ops
 * (the FFN's dense -> GELU -> dense) stay in float16 between them. Run before autodiff: Cast's
 * VJP casts the cotangent back, so the backward GEMMs run in float16 as well and the gradients
 * of the float32 parameters arrive in float32. Gradients in float16 underflow without loss
 * scaling (see the optimizer's lossScale option).
 */
import { isFloat } from '../ir/dtype.ts';
import type { Node, Value } from '../ir/graph.ts';
import type { OpDef } from '../ir/op.ts';
import { Attention } from '../ir/ops/attention.ts';
import { Cast, cast } from '../ir/ops/elementwise.ts';
import { Einsum } from '../ir/ops/einsum.ts';
import { Gelu } from '../ir/ops/gelu.ts';
import { MatMul } from '../ir/ops/matmul.ts';
import { is, rewrite, type RewriteRule } from './rewrite.ts';

/** The ops that run in float16 under autocast. */
export const HALF_PRECISION_OPS: readonly OpDef<never>[] = [Einsum, MatMul, Attention, Gelu] as OpDef<never>[];

/** x at float16: the source of an upcast when x is one, else a Cast. */
function toHalf(x: Value): Value {
  const p = x.producer;
  if (p && is(p, Cast) && p.inputs[0].dtype === 'float16') return p.inputs[0];
  return cast(x, 'float16');
}

export const autocastRule: RewriteRule = {
  name: 'autocast',
  ops: HALF_PRECISION_OPS,
  apply: (n: Node) => {
    // Only float32 graphs: float64 ones are the reference, float16 ones already are.
    if (!n.inputs.some((x) => x.dtype === 'float32') || n.inputs.some((x) => isFloat(x.dtype) && x.dtype !== 'float32')) return null;
    const ins = n.inputs.map((x) => (x.dtype === 'float32' ? toHalf(x) : x));
    const outs = n.graph.addNode(n.op, ins, n.attrs);
    return outs.map((o, i) => (o.dtype === 'float16' ? cast(o, n.outputs[i].dtype) : o));
  },
};

/** Rewrites the graph for mixed precision (see the file comment); returns whether anything changed. */
export function autocast(g: Parameters<typeof rewrite>[0]): boolean {
  return rewrite(g, [autocastRule]);
}
