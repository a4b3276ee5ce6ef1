import { Expand, Reshape, Squeeze, Transpose, Unsqueeze } from '../../../ir/ops/shape-ops.ts';
import { canonDim } from '../../../ir/shape.ts';
import { registerLowering } from '../lowering.ts';

registerLowering(Reshape, (e, n, ins, outs) => {
  // ONNX Reshape copies the input's dim where the target says 0 unless allowzero is set.
  const zero = n.attrs.shape.some((d) => canonDim(d) === 0);
  e.node('Reshape', [ins[0], e.shapeTensor(n.attrs.shape)], outs, zero ? { allowzero: { i: 1 } } : {});
});

registerLowering(Transpose, (e, n, ins, outs) => {
  e.node('Transpose', ins, outs, { perm: { ints: n.attrs.perm } });
});

registerLowering(Expand, (e, n, ins, outs) => {
  e.node('Expand', [ins[0], e.shapeTensor(n.attrs.shape)], outs);
});

// ONNX Squeeze and Unsqueeze take their axes as an input from opset 13.
registerLowering(Unsqueeze, (e, n, ins, outs) => {
  e.node('Unsqueeze', [ins[0], e.constant({ dtype: 'int64', shape: [n.attrs.axes.length], data: Float64Array.from(n.attrs.axes) })], outs);
});

registerLowering(Squeeze, (e, n, ins, outs) => {
  // ONNX Squeeze with empty axes removes every size-1 axis; ours removes none.
  if (n.attrs.axes.length === 0) e.node('Identity', ins, outs);
  else e.node('Squeeze', [ins[0], e.constant({ dtype: 'int64', shape: [n.attrs.axes.length], data: Float64Array.from(n.attrs.axes) })], outs);
});
