/** `albert inspect` as a library: analyses of IR graphs and ONNX files, and their renderers. */
import type { GraphView, InspectReport } from './report.ts';
import { renderDot } from './render-dot.ts';
import { renderHtml } from './render-html.ts';
import { renderJson } from './render-json.ts';
import { renderText } from './render-text.ts';

export { analyzeGraph, irGraphView, liveness, type AnalyzeOptions, type Liveness } from './analyze.ts';
export { analyzeOnnx, onnxGraphView, onnxListing, readOnnxFile, type ManifestParam, type OnnxFile } from './onnx-model.ts';
export { DimBinding, DEFAULT_BATCH, DEFAULT_SEQ, type FigureOptions } from './dims.ts';
export type { Figures, GraphView, InspectReport, IoRow, OpRow, ParamRow, ShownDim } from './report.ts';
export { renderDot, renderHtml, renderJson, renderText };

export const FORMATS = ['text', 'json', 'dot', 'html'] as const;
export type InspectFormat = (typeof FORMATS)[number];

/** Renders in one of the formats; dot draws the graph's wiring, the others the report. */
export function render(format: InspectFormat, report: InspectReport, view: () => GraphView): string {
  switch (format) {
    case 'text':
      return renderText(report);
    case 'json':
      return renderJson(report);
    case 'dot':
      return renderDot(view());
    case 'html':
      return renderHtml(report);
  }
}
