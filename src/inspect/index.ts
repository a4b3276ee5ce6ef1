/** `albert inspect` as a library: analyses of IR graphs and ONNX files, and their renderers. */
import type { GraphModel } from './graph-model.ts';
import type { InspectReport } from './report.ts';
import { renderDot } from './render-dot.ts';
import { renderHtml } from './render-html.ts';
import { renderJson } from './render-json.ts';
import { renderText } from './render-text.ts';

export { analyzeGraph, liveness, type AnalyzeOptions, type Liveness } from './analyze.ts';
export { analyzeOnnx, onnxListing, readOnnxFile, type ManifestParam, type OnnxFile } from './onnx-model.ts';
export { DimBinding, DEFAULT_BATCH, DEFAULT_SEQ, type FigureOptions } from './dims.ts';
export { buildGraphModel, summarizePaths, type GraphModel, type ModelFold, type ModelMemory, type ModelNode, type ModelParam, type ModelScope, type ModelValue, type RawGraph } from './graph-model.ts';
export { irGraphModel } from './ir-graph.ts';
export { onnxGraphModel } from './onnx-graph.ts';
export { recoverScopes, type ScopeRecovery } from './onnx-scopes.ts';
export type { Figures, InspectReport, IoRow, OpRow, ParamRow, ShownDim } from './report.ts';
export { renderDot, renderHtml, renderJson, renderText };

export const FORMATS = ['text', 'json', 'dot', 'html'] as const;
export type InspectFormat = (typeof FORMATS)[number];

/** Renders in one of the formats; text needs only the report, dot only the graph model. */
export function render(format: InspectFormat, report: InspectReport, model: () => GraphModel): string {
  switch (format) {
    case 'text':
      return renderText(report);
    case 'json':
      return renderJson(report, model());
    case 'dot':
      return renderDot(model());
    case 'html':
      return renderHtml(report, model());
  }
}
