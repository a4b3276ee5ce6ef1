/**
 * Scaled dot-product attention over heads as one composite op: scores = scale * q.k + bias,
 * probs = softmax over keys, context = probs.v, with q [B, F, N, D], k and v [B, T, N, D] (the
 * layout ALBERT's einsum projections give) and an additive bias that broadcasts to [B, N, F, T]
 * (the attention mask's (1 - mask) * -10000). Dropout on the probabilities is not part of it:
 * a model with attention dropout writes the primitives itself.
 *
 * onnxruntime has a fused kernel (com.microsoft MultiHeadAttention) that never materialises the
 * probabilities; the VJP therefore recomputes them from q and k (when the forward pass was
 * decomposed, CSE merges the recomputation with the forward's own).
 */
import { castScalar, isFloat } from '../dtype.ts';
import { ShapeError } from '../errors.ts';
import { formatType, type TensorType, type Value } from '../graph.ts';
import { apply1, defineOp, type OpDef } from '../op.ts';
import { broadcastShapes, mulDims, shapeEq } from '../shape.ts';
import { broadcastIndexer, type Tensor } from '../tensor.ts';
import { einsum } from './einsum.ts';
import { add, cast, mul, sub } from './elementwise.ts';
import { reduceSum } from './reduce.ts';
import { softmaxOp } from './softmax.ts';

export interface AttentionAttrs {
  /** Multiplies q.k before the bias is added (1 / sqrt(D) in ALBERT). */
  scale: number;
}

function inferAttention(ins: TensorType[], at: AttentionAttrs): TensorType[] {
  const what = (): string => `Attention{scale=${at.scale}}(${ins.map(formatType).join(', ')})`;
  if (ins.length !== 4) throw new ShapeError(`${what()}: takes q, k, v and the bias`);
  const [q, k, v, bias] = ins;
  if (!isFloat(q.dtype) || [k, v, bias].some((t) => t.dtype !== q.dtype)) throw new ShapeError(`${what()}: q, k, v and the bias must share one float dtype`);
  if (q.shape.length !== 4 || k.shape.length !== 4 || v.shape.length !== 4) throw new ShapeError(`${what()}: q, k and v must be [batch, seq, heads, head_size]`);
  const [B, F, N, D] = q.shape;
  const T = k.shape[1];
  if (!shapeEq(k.shape, [B, T, N, D]) || !shapeEq(v.shape, [B, T, N, D])) throw new ShapeError(`${what()}: k and v must be [${B}, keys, ${N}, ${D}] alike`);
  const scores = [B, N, F, T];
  if (bias.shape.length !== 4 || !shapeEq(broadcastShapes([bias.shape, scores], what), scores)) {
    throw new ShapeError(`${what()}: the bias must broadcast to the scores [batch, heads, queries, keys]`);
  }
  return [{ dtype: q.dtype, shape: [...q.shape] }];
}

function evalAttention([q, k, v, bias]: Tensor[], at: AttentionAttrs): Tensor[] {
  const [B, F, N, D] = q.shape;
  const T = k.shape[1];
  const biasAt = broadcastIndexer([B, N, F, T], bias.shape);
  const out = new Float64Array(q.data.length);
  const row = new Float64Array(T);
  const qi = (b: number, f: number, n: number, d: number): number => ((b * F + f) * N + n) * D + d;
  const ki = (b: number, t: number, n: number, d: number): number => ((b * T + t) * N + n) * D + d;
  for (let b = 0; b < B; b++) {
    for (let n = 0; n < N; n++) {
      for (let f = 0; f < F; f++) {
        let max = -Infinity;
        for (let t = 0; t < T; t++) {
          let s = 0;
          for (let d = 0; d < D; d++) s += q.data[qi(b, f, n, d)] * k.data[ki(b, t, n, d)];
          row[t] = s * at.scale + bias.data[biasAt(((b * N + n) * F + f) * T + t)];
          max = Math.max(max, row[t]);
        }
        let sum = 0;
        for (let t = 0; t < T; t++) sum += row[t] = Math.exp(row[t] - max);
        for (let d = 0; d < D; d++) {
          let c = 0;
          for (let t = 0; t < T; t++) c += (row[t] / sum) * v.data[ki(b, t, n, d)];
          out[qi(b, f, n, d)] = castScalar(c, q.dtype);
        }
      }
    }
  }
  return [{ dtype: q.dtype, shape: [...q.shape], data: out }];
}

/**
 * The probabilities [B, N, F, T], written as the model wrote them before this op existed. In
 * float16 (mixed precision) the scores are upcast for the softmax, whose sum loses most in half
 * precision, as the fused kernels do internally.
 */
function probabilities(q: Value, k: Value, bias: Value, scale: number): Value {
  const scores = add(mul(einsum('BTNH,BFNH->BNFT', k, q), scale), bias);
  return q.dtype === 'float16' ? cast(softmaxOp(cast(scores, 'float32')), 'float16') : softmaxOp(scores);
}

export const Attention: OpDef<AttentionAttrs> = defineOp<AttentionAttrs>({
  name: 'Attention',
  infer: inferAttention,
  evaluate: evalAttention,
  vjp: (n, [ct], needed) => {
    if (!ct) return [null, null, null, null];
    const [q, k, v, bias] = n.inputs;
    const probs = probabilities(q, k, bias, n.attrs.scale);
    const gProbs = einsum('BFNH,BTNH->BNFT', ct, v);
    const gScores = mul(probs, sub(gProbs, reduceSum(mul(gProbs, probs), [3], true)));
    const scaled = needed[0] || needed[1] ? mul(gScores, n.attrs.scale) : null;
    return [
      needed[0] ? einsum('BNFT,BTNH->BFNH', scaled!, k) : null,
      needed[1] ? einsum('BNFT,BFNH->BTNH', scaled!, q) : null,
      needed[2] ? einsum('BNFT,BFNH->BTNH', probs, ct) : null,
      needed[3] ? gScores : null,
    ];
  },
  decompose: (n) => {
    const [q, k, v, bias] = n.inputs;
    return [einsum('BNFT,BTNH->BFNH', probabilities(q, k, bias, n.attrs.scale), v)];
  },
  // Two GEMMs of B*N*F*T*D multiply-adds, and the softmax.
  flops: (n) => {
    const [B, F, N, D] = n.inputs[0].shape;
    const T = n.inputs[1].shape[1];
    return mulDims(4, B, N, F, T, D);
  },
});

/** Attention of q [B, F, N, D] over k, v [B, T, N, D] with an additive bias broadcasting to [B, N, F, T]. */
export function attentionOp(q: Value, k: Value, v: Value, bias: Value, scale: number): Value {
  if (typeof q.shape[2] !== 'number') throw new ShapeError(`attention(${formatType(q.type)}): the number of heads must be static`);
  return apply1(Attention, [q, k, v, bias], { scale });
}
