import type { GraphModel } from './graph-model.ts';
import type { InspectReport } from './report.ts';

/**
 * The report and, under "graph", the graph model (nodes with scopes, shapes and FLOPs; the scope
 * tree; parameters with their readers; shared blocks; live bytes over the schedule) as one JSON
 * document.
 */
export function renderJson(r: InspectReport, m?: GraphModel): string {
  return `${JSON.stringify(m ? { ...r, graph: m } : r, null, 2)}\n`;
}
