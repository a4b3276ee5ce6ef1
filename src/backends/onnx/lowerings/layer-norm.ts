import { LayerNorm } from '../../../ir/ops/layer-norm.ts';
import { registerLowering } from '../lowering.ts';

// ONNX LayerNormalization (opset 17) has the op's three outputs: y, mean and 1/sqrt(var + eps).
registerLowering(LayerNorm, (e, n, ins, outs) => {
  if (e.opset < 17) throw new Error(`LayerNorm: ONNX LayerNormalization needs opset 17 (this model is opset ${e.opset}); decompose it first`);
  e.node('LayerNormalization', ins, outs, { axis: { i: -1 }, epsilon: { f: n.attrs.epsilon }, stash_type: { i: 1 } });
});
