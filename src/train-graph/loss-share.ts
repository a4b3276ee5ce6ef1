/**
 * Loss shares for exact gradient accumulation. The losses are means with data-dependent
 * denominators (the masked-LM loss is sum(w * nll) / (sum(w) + 1e-5), the others average over
 * examples), and the denominator of a K-times larger batch is not the sum of the micro-batches'
 * denominators. So each micro-step differentiates its share of the big batch's loss: the same
 * loss with its denominators replaced by the totals over all K micro-batches, which the training
 * loop feeds. The shares' gradients sum exactly to the big batch's gradient, with one backward
 * pass and one accumulator per parameter. (Accumulating numerators and denominators in the
 * graph instead would need one accumulator and one backward pass per distinct denominator: two
 * for pretraining.)
 */
import type { DType } from '../ir/dtype.ts';
import type { Graph, Node, Value } from '../ir/graph.ts';
import { cast, div, mul, ReduceMean, ReduceSum, reduceSum, type ReduceAttrs } from '../ir/ops/index.ts';
import { canonDim, divDims, numel, type Dim } from '../ir/shape.ts';
import { BATCH } from '../model/albert.ts';

/** Names of the inputs that carry the accumulated batch's loss denominators. */
export const ACCUM_INPUTS = { examples: 'accum_examples', maskedLmWeight: 'accum_masked_lm_weight' } as const;

export const LOSS_SHARE = 'loss_share';

/** An input the loop computes over all K micro-batches of one update and feeds to each of them. */
export interface AccumulationTotal {
  name: string;
  dtype: DType;
  meaning: string;
}

function allAxes(n: Node<ReduceAttrs>): boolean {
  return !n.attrs.keepdims && n.attrs.axes.length === n.inputs[0].rank;
}

/**
 * Adds the output `loss_share`: the loss with every data-dependent denominator replaced by the
 * total over the accumulated batch, namely
 *   ReduceSum(masked_lm_weights)           -> accum_masked_lm_weight,
 *   ReduceMean over all axes of [batch,..] -> ReduceSum / (accum_examples * the other dims),
 * with the nodes between those and the loss rebuilt on the new values (the forward pass up to
 * them is shared). Returns the total inputs it declared.
 */
export function addLossShare(g: Graph): AccumulationTotal[] {
  const loss = g.outputByName('loss');
  if (!loss) throw new Error('train graph: no loss output');
  const f = loss.dtype;
  const cone = new Set<Node>();
  const stack = [loss];
  while (stack.length) {
    const p = stack.pop()!.producer;
    if (!p || cone.has(p)) continue;
    cone.add(p);
    stack.push(...p.inputs);
  }
  const totals: AccumulationTotal[] = [];
  const totalInput = (name: string, dtype: DType, meaning: string): Value => {
    const have = g.inputByName(name);
    if (have) return have;
    totals.push({ name, dtype, meaning });
    return g.input(name, dtype, [], { role: 'data' });
  };
  const weights = g.inputByName('masked_lm_weights');
  const map = new Map<Value, Value>();
  g.scope('loss_share', () => {
    for (const n of g.nodes) {
      if (!cone.has(n)) continue;
      if ((n.op as unknown) === ReduceSum && weights && n.inputs[0] === weights && allAxes(n as Node<ReduceAttrs>)) {
        map.set(n.outputs[0], cast(totalInput(ACCUM_INPUTS.maskedLmWeight, weights.dtype, 'sum of masked_lm_weights over the K micro-batches of this update'), f));
      } else if ((n.op as unknown) === ReduceMean && allAxes(n as Node<ReduceAttrs>) && n.inputs[0].rank >= 1 && canonDim(n.inputs[0].shape[0]) === BATCH) {
        const x = n.inputs[0];
        const rest: Dim | null = divDims(numel(x.shape), BATCH);
        if (rest === null || typeof canonDim(rest) !== 'number') throw new Error(`train graph: cannot rescale the mean over ${x}`);
        const examples = cast(totalInput(ACCUM_INPUTS.examples, 'int32', 'number of examples in the K micro-batches of this update together'), f);
        const count = rest === 1 ? examples : mul(examples, Number(canonDim(rest)));
        map.set(n.outputs[0], div(reduceSum(x), count));
      }
    }
    if (map.size === 0) throw new Error('train graph: the loss has no denominator to rescale for accumulation');
    // Rebuild what lies between the replaced denominators and the loss (a handful of nodes).
    for (const n of [...g.nodes]) {
      if (!cone.has(n) || n.outputs.some((o) => map.has(o)) || !n.inputs.some((v) => map.has(v))) continue;
      const outs = g.addNode(n.op, n.inputs.map((v) => map.get(v) ?? v), n.attrs);
      n.outputs.forEach((o, i) => map.set(o, outs[i]));
    }
  });
  const share = map.get(loss);
  if (!share) throw new Error('train graph: the loss share was not rebuilt');
  g.output(LOSS_SHARE, share);
  return totals;
}
