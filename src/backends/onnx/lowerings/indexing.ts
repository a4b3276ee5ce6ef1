import type { TensorType } from '../../../ir/graph.ts';
import {
  Concat, Gather, GatherElements, GatherElementsGrad, GatherGrad, Slice, SliceGrad, sliceGradWindow, Split, type SliceGradAttrs,
} from '../../../ir/ops/indexing.ts';
import { canonDim, dimEq, isStatic, mulDims, type Dim } from '../../../ir/shape.ts';
import type { Tensor } from '../../../ir/tensor.ts';
import { registerLowering, type OnnxEmitter } from '../lowering.ts';

const int64 = (xs: readonly number[]): Tensor => ({ dtype: 'int64', shape: [xs.length], data: Float64Array.from(xs) });

/** ONNX ConstantOfShape zeros of `dtype` with a (possibly symbolic) shape: a zeros tensor made at run time. */
function onnxZeros(e: OnnxEmitter, dtype: TensorType['dtype'], shape: readonly Dim[]): string {
  return e.node('ConstantOfShape', [e.shapeTensor(shape)], 1, { value: { t: { dtype, shape: [1], data: Float64Array.of(0) } } })[0];
}

registerLowering(Slice, (e, n, ins, outs) => {
  const at = n.attrs;
  e.node('Slice', [ins[0], e.constant(int64(at.starts)), e.constant(int64(at.ends)), e.constant(int64(at.axes)), e.constant(int64(at.steps))], outs);
});

// Pad (constant 0); strided windows first interleave zeros.
registerLowering(SliceGrad, (e, n, ins, outs) => lowerSliceGrad(e, n.attrs, n.inputs[0].shape, ins[0], outs[0]));

function lowerSliceGrad(e: OnnxEmitter, at: SliceGradAttrs, ctShape: readonly Dim[], input: string, output: string): void {
  const rank = at.shape.length;
  const ranges = sliceGradWindow(at);
  const cur: Dim[] = ctShape.map(canonDim);
  let x = input;
  const begin = new Array<number>(rank).fill(0);
  const endDims: Dim[] = new Array<Dim>(rank).fill(0);
  const endOffsets = new Array<number>(rank).fill(0);
  at.axes.forEach((ax, i) => {
    const d = canonDim(at.shape[ax]);
    const step = at.steps[i];
    const { start, len } = ranges[i];
    if (step > 1) {
      // Spread the taken elements `step` apart: [.., L, ..] -> [.., L, 1, ..] -> pad to
      // [.., L, step, ..] -> [.., L*step, ..], then crop what runs past the axis's end.
      const [u] = e.node('Unsqueeze', [x, e.constant(int64([ax + 1]))]);
      const pads = new Array<number>(2 * (rank + 1)).fill(0);
      pads[rank + 1 + ax + 1] = step - 1;
      const [p] = e.node('Pad', [u, e.constant(int64(pads))]);
      const spread = mulDims(len, step);
      cur[ax] = spread;
      [x] = e.node('Reshape', [p, e.shapeTensor(cur)]);
      if (isStatic(d) && (spread as number) > d - start) {
        [x] = e.node('Slice', [x, e.constant(int64([0])), e.constant(int64([d - start])), e.constant(int64([ax]))]);
        cur[ax] = d - start;
      }
    }
    begin[ax] = start;
    const taken = cur[ax];
    if (isStatic(d)) endDims[ax] = d - start - (taken as number);
    else if (dimEq(taken, d)) endDims[ax] = 0;
    else {
      // A static window on a symbolic axis: the end padding is known only at run time.
      endDims[ax] = d;
      endOffsets[ax] = start + (taken as number);
    }
  });
  if (begin.every((b) => b === 0) && endDims.every((d) => d === 0)) {
    e.node('Identity', [x], [output]);
    return;
  }
  let pads: string;
  if (endDims.every(isStatic)) pads = e.constant(int64([...begin, ...(endDims as number[])]));
  else {
    const [ends] = e.node('Sub', [e.shapeTensor(endDims), e.constant(int64(endOffsets))]);
    pads = e.node('Concat', [e.constant(int64(begin)), ends], 1, { axis: { i: 0 } })[0];
  }
  e.node('Pad', [x, pads], [output]);
}

registerLowering(Concat, (e, n, ins, outs) => {
  e.node('Concat', ins, outs, { axis: { i: n.attrs.axis } });
});

registerLowering(Split, (e, n, ins, outs) => {
  e.node('Split', [ins[0], e.shapeTensor(n.attrs.sizes)], outs, { axis: { i: n.attrs.axis } });
});

registerLowering(Gather, (e, n, ins, outs) => {
  e.node('Gather', ins, outs, { axis: { i: n.attrs.axis } });
});

// ScatterND with reduction "add" (opset 16+) on int64 indices of shape [..., 1].
registerLowering(GatherGrad, (e, n, ins, outs) => {
  const [ct, idx] = ins;
  const idx64 = n.inputs[1].dtype === 'int64' ? idx : e.node('Cast', [idx], 1, { to: { i: e.onnxType('int64') } })[0];
  const [idxN1] = e.node('Unsqueeze', [idx64, e.constant(int64([n.inputs[1].rank]))]);
  const zeros = onnxZeros(e, n.outputs[0].dtype, n.attrs.shape);
  e.node('ScatterND', [zeros, idxN1, ct], outs, { reduction: { s: 'add' } });
});

registerLowering(GatherElements, (e, n, ins, outs) => {
  e.node('GatherElements', ins, outs, { axis: { i: n.attrs.axis } });
});

// ScatterElements with reduction "add" into zeros.
registerLowering(GatherElementsGrad, (e, n, ins, outs) => {
  const zeros = onnxZeros(e, n.outputs[0].dtype, n.attrs.shape);
  e.node('ScatterElements', [zeros, ins[1], ins[0]], outs, { axis: { i: n.attrs.axis }, reduction: { s: 'add' } });
});
