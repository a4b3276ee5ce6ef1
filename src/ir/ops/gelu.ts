/**
 * GELU as one composite op, in both forms ALBERT configs name: the tanh approximation (the
 * original "gelu", HuggingFace's "gelu_new") and the exact erf form (HuggingFace's "gelu").
 * ONNX Runtime has fused kernels for both (com.microsoft FastGelu and Gelu); the VJP is one
 * expression instead of the chain autodiff would build from the primitives.
 */
import { castScalar, isFloat } from '../dtype.ts';
import { ShapeError } from '../errors.ts';
import { formatType, type Value } from '../graph.ts';
import { apply1, defineOp, type OpDef } from '../op.ts';
import { mulDims, numel } from '../shape.ts';
import { add, erf, erfScalar, exp, mul, sub, tanh } from './elementwise.ts';

export interface GeluAttrs {
  /** 'tanh': 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))); 'none': 0.5 x (1 + erf(x / sqrt 2)). */
  approximate: 'tanh' | 'none';
}

const C = Math.sqrt(2 / Math.PI);
const K = 0.044715;

function geluScalar(x: number, approximate: GeluAttrs['approximate']): number {
  return approximate === 'tanh' ? 0.5 * x * (1 + Math.tanh(C * (x + K * x * x * x))) : 0.5 * x * (1 + erfScalar(x * Math.SQRT1_2));
}

export const Gelu: OpDef<GeluAttrs> = defineOp<GeluAttrs>({
  name: 'Gelu',
  infer: (ins, at) => {
    if (ins.length !== 1) throw new ShapeError(`Gelu takes 1 input, got ${ins.length}`);
    const [x] = ins;
    if (!isFloat(x.dtype)) throw new ShapeError(`Gelu{approximate=${at.approximate}}(${formatType(x)}): input must be a float tensor`);
    return [{ dtype: x.dtype, shape: [...x.shape] }];
  },
  evaluate: ([x], at) => [{ dtype: x.dtype, shape: [...x.shape], data: Float64Array.from(x.data, (v) => castScalar(geluScalar(v, at.approximate), x.dtype)) }],
  vjp: (n, [ct]) => {
    if (!ct) return [null];
    const x = n.inputs[0];
    const x2 = mul(x, x);
    if (n.attrs.approximate === 'tanh') {
      // d/dx = 0.5 (1 + t) (1 + x (1 - t) (C + 3 C K x^2)), t = tanh(x (C + C K x^2)).
      const t = tanh(mul(x, add(mul(x2, C * K), C)));
      const slope = add(mul(x2, 3 * C * K), C);
      const inner = add(mul(mul(x, sub(1, t)), slope), 1);
      return [mul(mul(ct, 0.5), mul(add(t, 1), inner))];
    }
    // d/dx = 0.5 (1 + erf(x / sqrt 2)) + x exp(-x^2 / 2) / sqrt(2 pi).
    const cdf = mul(add(erf(mul(x, Math.SQRT1_2)), 1), 0.5);
    const pdf = mul(exp(mul(x2, -0.5)), 1 / Math.sqrt(2 * Math.PI));
    return [mul(ct, add(cdf, mul(x, pdf)))];
  },
  decompose: (n) => {
    // The primitive forms, op for op as they were written before this op existed.
    const x = n.inputs[0];
    if (n.attrs.approximate === 'tanh') {
      const cube = mul(mul(x, x), x);
      const inner = mul(add(x, mul(cube, K)), C);
      return [mul(mul(x, 0.5), add(tanh(inner), 1))];
    }
    return [mul(mul(x, 0.5), add(erf(mul(x, Math.SQRT1_2)), 1))];
  },
  flops: (n) => mulDims(8, numel(n.inputs[0].shape)),
});

export function geluOp(x: Value, approximate: GeluAttrs['approximate']): Value {
  if (!isFloat(x.dtype)) throw new ShapeError(`gelu(${formatType(x.type)}): input must be a float tensor`);
  return apply1(Gelu, [x], { approximate });
}
