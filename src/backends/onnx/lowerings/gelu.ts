import { Gelu } from '../../../ir/ops/gelu.ts';
import { registerLowering } from '../lowering.ts';

// ONNX Runtime's fused kernels: com.microsoft FastGelu (tanh approximation) and Gelu (exact erf).
registerLowering(Gelu, (e, n, ins, outs) => {
  e.node(n.attrs.approximate === 'tanh' ? 'FastGelu' : 'Gelu', ins, outs, {}, 'com.microsoft');
});
