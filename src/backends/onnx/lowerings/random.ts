import type { Value } from '../../../ir/graph.ts';
import { castScalar } from '../../../ir/dtype.ts';
import { DROPOUT_HASH, DropoutMask } from '../../../ir/ops/random.ts';
import { registerLowering } from '../lowering.ts';

// The counter-based dropout hash in uint32 ONNX ops that opset 17 runs on every provider (Add,
// Mul and Div; no Xor/And/Or before opset 18), bit-identical to dropoutKeepMask. A logical
// right shift by k is written as a uint32 division by 2^k (the same bits): the CUDA provider has
// no BitShift kernel (src/backends/cuda/kernels.json), and a node without one runs on the CPU.

registerLowering(DropoutMask, (e, n, ins, outs) => {
  const u32 = (v: number): string => e.constant({ dtype: 'uint32', shape: [], data: Float64Array.of(v >>> 0) });
  const toU32 = (name: string, v: Value): string => (v.dtype === 'uint32' ? name : e.node('Cast', [name], 1, { to: { i: e.onnxType('uint32') } })[0]);
  const add = (a: string, b: string): string => e.node('Add', [a, b])[0];
  const mulU = (a: string, b: string): string => e.node('Mul', [a, b])[0];
  const shr = (a: string, k: number): string => e.node('Div', [a, u32(2 ** k)])[0];
  const mixOnnx = (x: string): string => emitMix(x, { add, mul: mulU, shr, u32 });

  // Keys: scalar work, mirrors streamKeys (the site's key is a constant).
  const seed = toU32(ins[1], n.inputs[1]);
  const step = toU32(ins[2], n.inputs[2]);
  const s1 = mixOnnx(add(seed, u32(DROPOUT_HASH.siteKey(n.attrs.site))));
  const s2 = mixOnnx(add(s1, mulU(step, u32(DROPOUT_HASH.stepMul))));
  const mulKey = add(mulU(s2, u32(2)), u32(1));
  const addKey = mixOnnx(add(s2, u32(DROPOUT_HASH.addKeyOffset)));

  // Element indices 0..n-1 over the flattened tensor, read from the run-time shape.
  const [size] = e.node('Size', [ins[0]]);
  const zero = e.constant({ dtype: 'int64', shape: [], data: Float64Array.of(0) });
  const one = e.constant({ dtype: 'int64', shape: [], data: Float64Array.of(1) });
  const [range] = e.node('Range', [zero, size, one]);
  const index = e.node('Cast', [range], 1, { to: { i: e.onnxType('uint32') } })[0];
  const hash = mixOnnx(add(mulU(index, mulKey), addKey));
  // keep = (u + 2^24 - t) >>> 24 is 1 exactly when u >= t (u, t < 2^24): a compare without
  // relying on uint32 comparison kernels.
  const u = shr(hash, 8);
  const keep = shr(add(u, u32(2 ** 24 - DROPOUT_HASH.keepThreshold(n.attrs.rate))), 24);
  const [keepF] = e.node('Cast', [keep], 1, { to: { i: e.onnxType(n.attrs.dtype) } });
  const scale = e.constant({ dtype: n.attrs.dtype, shape: [], data: Float64Array.of(castScalar(1 / (1 - n.attrs.rate), n.attrs.dtype)) });
  const [flat] = e.node('Mul', [keepF, scale]);
  const [shape] = e.node('Shape', [ins[0]]);
  e.node('Reshape', [flat, shape], outs);
});

interface MixOps {
  add(a: string, b: string): string;
  mul(a: string, b: string): string;
  shr(a: string, k: number): string;
  u32(v: number): string;
}

/** The mixer (DROPOUT_HASH.mixSteps) as ONNX nodes. */
function emitMix(x: string, o: MixOps): string {
  for (const s of DROPOUT_HASH.mixSteps) {
    if (s.kind === 'mul') x = o.mul(x, o.u32(s.c));
    else if (s.kind === 'addShr') x = o.add(x, o.shr(x, s.k));
    else x = o.mul(x, o.add(o.add(x, x), o.u32(1)));
  }
  return x;
}
