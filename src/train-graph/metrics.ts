/**
 * Metrics of a training step computed in the graph where they are cheap: the masked-LM and
 * sentence-order accuracies of pretraining and the accuracy of classifiers. Each head declares
 * its metrics from its losses' parts (src/model/heads/); this adds them to the graph.
 */
import type { Graph } from '../ir/graph.ts';
import { addModelMetrics } from '../model/albert.ts';

/** Adds the metrics the head supports; returns their output names. */
export function addMetrics(g: Graph): string[] {
  return addModelMetrics(g);
}
