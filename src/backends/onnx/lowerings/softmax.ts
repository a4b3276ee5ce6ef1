import { LogSoftmax, Softmax } from '../../../ir/ops/softmax.ts';
import { registerLowering } from '../lowering.ts';

// ONNX's own Softmax/LogSoftmax kernels (opset 13+ normalise along one axis, as ours do).
registerLowering(Softmax, (e, n, ins, outs) => {
  e.node('Softmax', ins, outs, { axis: { i: n.attrs.axis } });
});

registerLowering(LogSoftmax, (e, n, ins, outs) => {
  e.node('LogSoftmax', ins, outs, { axis: { i: n.attrs.axis } });
});
