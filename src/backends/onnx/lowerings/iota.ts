import { Iota } from '../../../ir/ops/iota.ts';
import { normAxis } from '../../../ir/shape.ts';
import { registerLowering } from '../lowering.ts';

// Range over the axis's run-time size.
registerLowering(Iota, (e, n, ins, outs) => {
  const ax = normAxis(n.attrs.axis, n.inputs[0].rank, () => 'Iota');
  const [dim] = e.node('Shape', [ins[0]], 1, { start: { i: ax }, end: { i: ax + 1 } });
  const [count] = e.node('Squeeze', [dim, e.constant({ dtype: 'int64', shape: [1], data: Float64Array.of(0) })]);
  const zero = e.constant({ dtype: 'int64', shape: [], data: Float64Array.of(0) });
  const one = e.constant({ dtype: 'int64', shape: [], data: Float64Array.of(1) });
  if (n.attrs.dtype === 'int64') e.node('Range', [zero, count, one], outs);
  else {
    const [r] = e.node('Range', [zero, count, one]);
    e.node('Cast', [r], outs, { to: { i: e.onnxType(n.attrs.dtype) } });
  }
});
