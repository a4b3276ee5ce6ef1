import { OneHot } from '../../../ir/ops/one-hot.ts';
import { registerLowering } from '../lowering.ts';

registerLowering(OneHot, (e, n, ins, outs) => {
  // onnxruntime registers OneHot for only a few (indices, output, depth) type triples; the
  // one that every provider has is (int64, float, int64), so other dtypes cast around it.
  // ONNX OneHot also wants indices of rank >= 1: a scalar goes through [1] and back.
  const scalar = n.inputs[0].rank === 0;
  const axis0 = scalar ? e.constant({ dtype: 'int64', shape: [1], data: Float64Array.of(0) }) : '';
  let idx = n.inputs[0].dtype === 'int64' ? ins[0] : e.node('Cast', [ins[0]], 1, { to: { i: e.onnxType('int64') } })[0];
  if (scalar) idx = e.node('Unsqueeze', [idx, axis0])[0];
  // A static depth is a scalar constant; a symbolic one a [1] tensor read from input shapes.
  const depth =
    typeof n.attrs.depth === 'number' ? e.constant({ dtype: 'int64', shape: [], data: Float64Array.of(n.attrs.depth) }) : e.shapeTensor([n.attrs.depth]);
  const values = e.constant({ dtype: 'float32', shape: [2], data: Float64Array.of(0, 1) });
  const cast = n.attrs.dtype !== 'float32';
  const [hot] = e.node('OneHot', [idx, depth, values], cast || scalar ? 1 : outs, { axis: { i: -1 } });
  const [squeezed] = scalar ? e.node('Squeeze', [hot, axis0], cast ? 1 : outs) : [hot];
  if (cast) e.node('Cast', [squeezed], outs, { to: { i: e.onnxType(n.attrs.dtype) } });
});
