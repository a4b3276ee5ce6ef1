import { MatMul } from '../../../ir/ops/matmul.ts';
import { registerLowering } from '../lowering.ts';

registerLowering(MatMul, (e, _n, ins, outs) => {
  e.node('MatMul', ins, outs);
});
