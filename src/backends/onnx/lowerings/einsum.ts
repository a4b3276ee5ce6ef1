import { Einsum, labelsToEquation, parseEinsum } from '../../../ir/ops/einsum.ts';
import { registerLowering } from '../lowering.ts';

registerLowering(Einsum, (e, node, ins, outs) => {
  const spec = parseEinsum(
    node.attrs.equation,
    node.inputs.map((v) => v.shape),
  );
  // Squeeze broadcast axes first so onnxruntime sees plain letters with agreeing dims.
  const names = ins.map((name, i) => {
    const axes = spec.broadcast[i].flatMap((b, a) => (b ? [a] : []));
    if (axes.length === 0) return name;
    return e.node('Squeeze', [name, e.constant({ dtype: 'int64', shape: [axes.length], data: Float64Array.from(axes) })])[0];
  });
  const labels = spec.inputs.map((ls, i) => ls.filter((_, a) => !spec.broadcast[i][a]));
  e.node('Einsum', names, outs, { equation: { s: labelsToEquation(labels, spec.output, true) } });
});
