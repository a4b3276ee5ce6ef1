import type { OpDef } from '../../../ir/op.ts';
import {
  Add, And, Cast, Div, Equal, Erf, Exp, Greater, GreaterOrEqual, Identity, IsInf, IsNaN, Less, LessOrEqual, Log, Max, Min, Mod, Mul, Neg, Not, Or, Pow,
  Reciprocal, Relu, ShiftRight, Sqrt, StopGradient, Sub, Tanh, Where,
} from '../../../ir/ops/elementwise.ts';
import { registerLowering } from '../lowering.ts';

/** Elementwise ops that are one ONNX node of the same inputs, and that node's op type. */
const ONE_TO_ONE: readonly (readonly [OpDef<object>, string])[] = [
  [Add, 'Add'],
  [Sub, 'Sub'],
  [Mul, 'Mul'],
  [Div, 'Div'],
  [Pow, 'Pow'],
  [Max, 'Max'],
  [Min, 'Min'],
  [Mod, 'Mod'],
  [Equal, 'Equal'],
  [Less, 'Less'],
  [LessOrEqual, 'LessOrEqual'],
  [Greater, 'Greater'],
  [GreaterOrEqual, 'GreaterOrEqual'],
  [And, 'And'],
  [Or, 'Or'],
  [Neg, 'Neg'],
  [Sqrt, 'Sqrt'],
  [Reciprocal, 'Reciprocal'],
  [Exp, 'Exp'],
  [Log, 'Log'],
  [Tanh, 'Tanh'],
  [Erf, 'Erf'],
  [Relu, 'Relu'],
  [Not, 'Not'],
  [IsNaN, 'IsNaN'],
  [IsInf, 'IsInf'],
  [Where, 'Where'],
  [Identity, 'Identity'],
  // Identity in the forward pass; only autodiff treats it differently.
  [StopGradient, 'Identity'],
];

for (const [op, opType] of ONE_TO_ONE) {
  registerLowering(op, (e, _n, ins, outs) => {
    e.node(opType, ins, outs);
  });
}

// Logical shift right for uint32: ONNX BitShift direction RIGHT.
registerLowering(ShiftRight, (e, _n, ins, outs) => {
  e.node('BitShift', ins, outs, { direction: { s: 'RIGHT' } });
});

registerLowering(Cast, (e, n, ins, outs) => {
  e.node('Cast', ins, outs, { to: { i: e.onnxType(n.attrs.to) } });
});
