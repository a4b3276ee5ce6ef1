import type { Node } from '../../../ir/graph.ts';
import { DimProduct, ReduceMax, ReduceMean, ReduceSum, type ReduceAttrs } from '../../../ir/ops/reduce.ts';
import { registerLowering, type OnnxEmitter } from '../lowering.ts';

/** ONNX reduces over every axis when axes are empty; ours reduces over none (an identity). */
function noAxes(e: OnnxEmitter, n: Node<ReduceAttrs>, ins: string[], outs: string[]): boolean {
  if (n.attrs.axes.length > 0) return false;
  e.node('Identity', ins, outs);
  return true;
}

registerLowering(ReduceSum, (e, n, ins, outs) => {
  if (noAxes(e, n, ins, outs)) return;
  const axes = e.constant({ dtype: 'int64', shape: [n.attrs.axes.length], data: Float64Array.from(n.attrs.axes) });
  e.node('ReduceSum', [ins[0], axes], outs, { keepdims: { i: n.attrs.keepdims ? 1 : 0 } });
});

registerLowering(ReduceMean, (e, n, ins, outs) => {
  // opset 17 ReduceMean still takes axes as an attribute (it moved to an input in 18).
  if (noAxes(e, n, ins, outs)) return;
  e.node('ReduceMean', ins, outs, { axes: { ints: n.attrs.axes }, keepdims: { i: n.attrs.keepdims ? 1 : 0 } });
});

registerLowering(ReduceMax, (e, n, ins, outs) => {
  if (noAxes(e, n, ins, outs)) return;
  e.node('ReduceMax', ins, outs, { axes: { ints: n.attrs.axes }, keepdims: { i: n.attrs.keepdims ? 1 : 0 } });
});

// The product of the dims, read from the run-time shape. The product is taken in double: exact
// up to 2^53 (int32 could overflow at large batches), and a ReduceProd kernel every provider has
// (the CUDA provider has none for int64).
registerLowering(DimProduct, (e, n, ins, outs) => {
  const [shape] = e.node('Shape', [ins[0]]);
  const idx = e.constant({ dtype: 'int64', shape: [n.attrs.axes.length], data: Float64Array.from(n.attrs.axes) });
  const [dims] = e.node('Gather', [shape, idx], 1, { axis: { i: 0 } });
  const [dimsF] = e.node('Cast', [dims], 1, { to: { i: e.onnxType('float64') } });
  const [prod] = e.node('ReduceProd', [dimsF], 1, { keepdims: { i: 0 } });
  e.node('Cast', [prod], outs, { to: { i: e.onnxType(n.attrs.dtype) } });
});
