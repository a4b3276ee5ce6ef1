import { Constant } from '../../../ir/ops/constant.ts';
import { registerLowering } from '../lowering.ts';

registerLowering(Constant, (e, n, _ins, outs) => {
  e.node('Constant', [], outs, { value: { t: n.attrs.value } });
});
