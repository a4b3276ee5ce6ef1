import { Attention } from '../../../ir/ops/attention.ts';
import { dimEq, mulDims } from '../../../ir/shape.ts';
import { registerLowering } from '../lowering.ts';

// onnxruntime's fused kernel (com.microsoft MultiHeadAttention), which never materialises the
// probabilities. It takes q, k and v as [B, seq, N*D].
registerLowering(Attention, (e, n, ins, outs) => {
  const [q, k, , bias] = n.inputs;
  const [B, F, N, D] = q.shape;
  const T = k.shape[1];
  const hidden = mulDims(N, D);
  const flat = (name: string, seq: typeof F): string => e.node('Reshape', [name, e.shapeTensor([B, seq, hidden])])[0];
  // The kernel takes the bias as [B or 1, N or 1, F, T]: broadcast the query axis out.
  const fullBias = dimEq(bias.shape[2], F) ? ins[3] : e.node('Expand', [ins[3], e.shapeTensor([bias.shape[0], bias.shape[1], F, T])])[0];
  const [context] = e.node('MultiHeadAttention', [flat(ins[0], F), flat(ins[1], T), flat(ins[2], T), '', '', fullBias], 1, { num_heads: { i: N as number }, scale: { f: n.attrs.scale } }, 'com.microsoft');
  e.node('Reshape', [context, e.shapeTensor([B, F, N, D])], outs);
});
