import { TopK } from '../../../ir/ops/top-k.ts';
import { registerLowering } from '../lowering.ts';

// ONNX TopK (largest=1, sorted=1) and a Cast of its int64 indices to our int32.
registerLowering(TopK, (e, n, ins, outs) => {
  const k = e.constant({ dtype: 'int64', shape: [1], data: Float64Array.of(n.attrs.k) });
  const [, idx64] = e.node('TopK', [ins[0], k], [outs[0], e.fresh('topk_indices')], { axis: { i: n.attrs.axis }, largest: { i: 1 }, sorted: { i: 1 } });
  e.node('Cast', [idx64], [outs[1]], { to: { i: e.onnxType('int32') } });
});
