/**
 * Layer normalisation over the last axis as one composite op with three outputs, as ONNX's
 * LayerNormalization (opset 17) has them: y, and the per-row mean and 1/sqrt(var + eps) that
 * the backward pass reads instead of recomputing the statistics. The variance is the biased one
 * (mean of squared deviations), as ALBERT's (and BERT's) LayerNorm.
 */
import { castScalar, isFloat } from '../dtype.ts';
import { ShapeError } from '../errors.ts';
import { formatType, type TensorType, type Value } from '../graph.ts';
import { defineOp, type OpDef } from '../op.ts';
import { canonDim, dimEq, mulDims, numel } from '../shape.ts';
import type { Tensor } from '../tensor.ts';
import { forEachLine } from './along-axis.ts';
import { add, div, mul, neg, reciprocal, sqrt, sub } from './elementwise.ts';
import { reduceMean } from './reduce.ts';
import { expand } from './shape-ops.ts';

export interface LayerNormAttrs {
  epsilon: number;
}

function inferLayerNorm(ins: TensorType[], at: LayerNormAttrs): TensorType[] {
  const what = (): string => `LayerNorm{epsilon=${at.epsilon}}(${ins.map(formatType).join(', ')})`;
  if (ins.length !== 3) throw new ShapeError(`${what()}: takes x, gamma and beta`);
  const [x, gamma, beta] = ins;
  if (!isFloat(x.dtype)) throw new ShapeError(`${what()}: input must be a float tensor`);
  if (x.shape.length < 1) throw new ShapeError(`${what()}: input must have at least one axis`);
  const h = x.shape[x.shape.length - 1];
  for (const p of [gamma, beta]) {
    if (p.dtype !== x.dtype || p.shape.length !== 1 || !dimEq(p.shape[0], h)) {
      throw new ShapeError(`${what()}: gamma and beta must be ${x.dtype}[${canonDim(h)}]`);
    }
  }
  const stats = { dtype: x.dtype, shape: [...x.shape.slice(0, -1), 1] };
  return [{ dtype: x.dtype, shape: [...x.shape] }, stats, { ...stats, shape: [...stats.shape] }];
}

function evalLayerNorm([x, gamma, beta]: Tensor[], at: LayerNormAttrs): Tensor[] {
  const axis = x.shape.length - 1;
  const y = new Float64Array(x.data.length);
  const rows = x.data.length / Math.max(1, x.shape[axis]);
  const mean = new Float64Array(rows);
  const inv = new Float64Array(rows);
  let row = 0;
  forEachLine(x, axis, (idx, len) => {
    let m = 0;
    for (let k = 0; k < len; k++) m += x.data[idx(k)];
    m /= len;
    let v = 0;
    for (let k = 0; k < len; k++) v += (x.data[idx(k)] - m) ** 2;
    const s = 1 / Math.sqrt(v / len + at.epsilon);
    for (let k = 0; k < len; k++) y[idx(k)] = castScalar((x.data[idx(k)] - m) * s * gamma.data[k] + beta.data[k], x.dtype);
    mean[row] = castScalar(m, x.dtype);
    inv[row] = castScalar(s, x.dtype);
    row++;
  });
  const statShape = [...x.shape.slice(0, -1), 1];
  return [
    { dtype: x.dtype, shape: [...x.shape], data: y },
    { dtype: x.dtype, shape: statShape, data: mean },
    { dtype: x.dtype, shape: [...statShape], data: inv },
  ];
}

export const LayerNorm: OpDef<LayerNormAttrs> = defineOp<LayerNormAttrs>({
  name: 'LayerNorm',
  infer: inferLayerNorm,
  evaluate: evalLayerNorm,
  vjp: (n, [gy, gMean, gInv], needed) => {
    const [x, gamma] = n.inputs;
    const [, mean, inv] = n.outputs;
    const last = x.rank - 1;
    const xhat = mul(sub(x, mean), inv);
    const parts: Value[] = [];
    if (gy && needed[0]) {
      // dx = inv * (gxhat - mean(gxhat) - xhat * mean(gxhat * xhat)), gxhat = gy * gamma.
      const gxhat = mul(gy, gamma);
      const centred = sub(gxhat, reduceMean(gxhat, [last], true));
      parts.push(mul(inv, sub(centred, mul(xhat, reduceMean(mul(gxhat, xhat), [last], true)))));
    }
    // The statistics' own cotangents (nothing in ALBERT reads them, but the rule is complete):
    // d mean / dx = 1/H, d inv / dx = -inv^2 * xhat / H.
    const h = x.shape[last];
    if (gMean && needed[0]) parts.push(expand(div(gMean, scalarOfDim(gMean, h)), x.shape));
    if (gInv && needed[0]) parts.push(div(mul(neg(mul(gInv, mul(inv, inv))), xhat), scalarOfDim(gInv, h)));
    const dx = parts.length ? parts.reduce((a, b) => add(a, b)) : null;
    return [dx, gy && needed[1] ? mul(gy, xhat) : null, gy && needed[2] ? gy : null];
  },
  decompose: (n) => {
    // The same ops, in the same order, as the form written with primitives before this op
    // existed, so that a decomposed graph computes bit for bit what it did.
    const [x, gamma, beta] = n.inputs;
    const mean = reduceMean(x, [-1], true);
    const centred = sub(x, mean);
    const variance = reduceMean(mul(centred, centred), [-1], true);
    const std = sqrt(add(variance, n.attrs.epsilon));
    const y = add(mul(div(centred, std), gamma), beta);
    return [y, mean, reciprocal(std)];
  },
  flops: (n) => mulDims(8, numel(n.inputs[0].shape)),
});

/** A dim (possibly symbolic) as a scalar of `like`'s dtype. */
function scalarOfDim(like: Value, d: ReturnType<typeof canonDim>): Value | number {
  if (typeof d === 'number') return d;
  throw new ShapeError(`LayerNorm: the normalised axis must be static, got ${d} (${formatType(like.type)})`);
}

/** Layer norm of x over its last axis: (x - mean) / sqrt(var + eps) * gamma + beta. */
export function layerNormOp(x: Value, gamma: Value, beta: Value, epsilon: number): { y: Value; mean: Value; invStdDev: Value } {
  const [y, mean, invStdDev] = x.graph.addNode(LayerNorm, [x, gamma, beta], { epsilon });
  return { y, mean, invStdDev };
}
