import { castScalar, isFloat } from '../dtype.ts';
import { ShapeError } from '../errors.ts';
import { formatType, type TensorType, type Value } from '../graph.ts';
import { apply1, defineOp, type OpDef } from '../op.ts';
import { broadcastShapes, canonDim, dimEq, mulDims, type Dim } from '../shape.ts';
import { broadcastIndexer, sizeOf, type Tensor } from '../tensor.ts';
import { reshape, transposeLast2 } from './shape-ops.ts';

// ---------------------------------------------------------------------------------------------
// MatMul with numpy semantics for rank >= 2: the last two axes multiply as matrices, the
// leading (batch) axes broadcast. A rank-2 right operand against a rank-3 left one is the
// dense-layer case [batch, seq, H] @ [H, F].

function inferMatMul(ins: TensorType[]): TensorType[] {
  if (ins.length !== 2) throw new ShapeError(`MatMul takes 2 inputs, got ${ins.length}`);
  const [a, b] = ins;
  const what = (): string => `MatMul(${formatType(a)}, ${formatType(b)})`;
  if (a.dtype !== b.dtype) throw new ShapeError(`${what()}: input dtypes differ`);
  // Integer MatMul would need wrapping semantics nobody here wants; keep it to floats.
  if (!isFloat(a.dtype)) throw new ShapeError(`${what()}: dtype ${a.dtype} is not supported`);
  if (a.shape.length < 2 || b.shape.length < 2) throw new ShapeError(`${what()}: both operands need rank >= 2`);
  const k1 = a.shape[a.shape.length - 1];
  const k2 = b.shape[b.shape.length - 2];
  if (!dimEq(k1, k2)) throw new ShapeError(`${what()}: inner dims ${canonDim(k1)} and ${canonDim(k2)} differ`);
  const batch = broadcastShapes([a.shape.slice(0, -2), b.shape.slice(0, -2)], () => `${what()}: batch dims`);
  return [{ dtype: a.dtype, shape: [...batch, a.shape[a.shape.length - 2], b.shape[b.shape.length - 1]] }];
}

function evalMatMul(a: Tensor, b: Tensor): Tensor {
  const ra = a.shape.length;
  const rb = b.shape.length;
  const [m, k] = a.shape.slice(ra - 2);
  const n = b.shape[rb - 1];
  const batch = broadcastShapes([a.shape.slice(0, -2), b.shape.slice(0, -2)], () => 'MatMul') as number[];
  const nb = sizeOf(batch);
  // Batch index -> which matrix of a (or b) it reads, honouring broadcast.
  const ia = broadcastIndexer(batch, a.shape.slice(0, -2));
  const ib = broadcastIndexer(batch, b.shape.slice(0, -2));
  const out = new Float64Array(nb * m * n);
  for (let p = 0; p < nb; p++) {
    const ao = ia(p) * m * k;
    const bo = ib(p) * k * n;
    const oo = p * m * n;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let q = 0; q < k; q++) s += a.data[ao + i * k + q] * b.data[bo + q * n + j];
        out[oo + i * n + j] = castScalar(s, a.dtype);
      }
    }
  }
  return { dtype: a.dtype, shape: [...batch, m, n], data: out };
}

export const MatMul: OpDef<object> = defineOp<object>({
  name: 'MatMul',
  infer: inferMatMul,
  evaluate: ([a, b]) => [evalMatMul(a, b)],
  vjp: (n, [ct], need) => {
    if (!ct) return [null, null];
    const [a, b] = n.inputs;
    // dA = ct @ B^T and dB = A^T @ ct; where a batch dim was broadcast, autodiff sums it away.
    const da = need[0] ? matmul(ct, transposeLast2(b)) : null;
    let db: Value | null = null;
    if (need[1]) {
      if (b.rank === 2 && a.rank > 2) {
        // Dense layer: fold a's batch dims into rows so dB is one [K, M'] @ [M', N] product
        // instead of a batched product followed by a reduction.
        const rows = mulDims(...a.shape.slice(0, -1));
        const a2 = reshape(a, [rows, a.shape[a.rank - 1]]);
        const ct2 = reshape(ct, [rows, ct.shape[ct.rank - 1]]);
        db = matmul(transposeLast2(a2), ct2);
      } else {
        db = matmul(transposeLast2(a), ct);
      }
    }
    return [da, db];
  },
  // 2*M*N*K per output matrix, times the broadcast batch: 2 * numel(out) * K.
  flops: (n): Dim => {
    const a = n.inputs[0];
    return mulDims(2, ...n.outputs[0].shape, a.shape[a.rank - 1]);
  },
});

/** Matrix product with numpy semantics for rank >= 2 operands (batch dims broadcast). */
export function matmul(a: Value, b: Value): Value {
  return apply1(MatMul, [a, b], {});
}
