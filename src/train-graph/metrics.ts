/**
 * Metrics of a training step computed in the graph where they are cheap: the masked-LM and
 * sentence-order accuracies of pretraining and the accuracy of classifiers, from the
 * log-probabilities the losses already compute.
 */
import type { Graph, Value } from '../ir/graph.ts';
import { cast, div, equal, greater, mul, Mul, OneHot, reduceMax, reduceMean, reduceSum, where } from '../ir/ops/index.ts';

/**
 * The log-probabilities a softmax cross-entropy compares `labels` with: the loss multiplies
 * OneHot(labels) by them. Returns that product and the log-probabilities.
 */
function crossEntropyOf(labels: Value): { picked: Value; logProbs: Value } {
  const found: { picked: Value; logProbs: Value }[] = [];
  for (const hot of labels.uses) {
    if ((hot.op as unknown) !== OneHot) continue;
    for (const m of hot.outputs[0].uses) {
      if ((m.op as unknown) !== Mul) continue;
      const other = m.inputs[0] === hot.outputs[0] ? m.inputs[1] : m.inputs[0];
      found.push({ picked: m.outputs[0], logProbs: other });
    }
  }
  if (found.length !== 1) throw new Error(`train graph: expected one cross-entropy reading ${labels}, found ${found.length} (did softmaxCrossEntropy change?)`);
  return found[0];
}

/**
 * 1 where the label's log-probability is the largest of its row, else 0: argmax == label,
 * except that a tie for the maximum counts as correct when the label is among the tied classes
 * (the original's tf.argmax takes the first of them).
 */
function correctness(labels: Value): Value {
  const { picked, logProbs } = crossEntropyOf(labels);
  return cast(equal(reduceSum(picked, [-1]), reduceMax(logProbs, [-1])), logProbs.dtype);
}

/** Adds the metrics the head supports; returns their output names. */
export function addMetrics(g: Graph): string[] {
  const input = (n: string): Value | undefined => g.inputByName(n);
  const added: string[] = [];
  const out = (name: string, v: Value): void => {
    g.output(name, v);
    added.push(name);
  };
  g.scope('metrics', () => {
    const ids = input('masked_lm_ids');
    const w = input('masked_lm_weights');
    if (ids && w) {
      // tf.metrics.accuracy with weights: sum(w * correct) / sum(w), 0 when no weight.
      const correct = correctness(ids);
      const weights = cast(w, correct.dtype);
      const total = reduceSum(weights);
      out('masked_lm_accuracy', where(greater(total, 0), div(reduceSum(mul(correct, weights)), total), 0));
    }
    const sop = input('next_sentence_labels');
    if (sop) out('sentence_order_accuracy', reduceMean(correctness(sop)));
    const labels = input('label_ids');
    // Integer labels: classification (a float label_ids is regression, with no accuracy).
    if (labels && labels.dtype === 'int32') out('accuracy', reduceMean(correctness(labels)));
  });
  return added;
}
