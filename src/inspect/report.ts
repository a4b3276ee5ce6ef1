/**
 * What `albert inspect` reports about a graph, whatever it came from (an IR graph built from a
 * config, or a model.onnx file). Renderers only read these plain objects.
 */
export type ShownDim = number | string;

export interface OpRow {
  op: string;
  count: number;
  /** FLOPs of all nodes of this op at the bound sizes; null when the op has no FLOP count. */
  flops: number | null;
}

export interface ParamRow {
  name: string;
  hfName?: string;
  transposed?: boolean;
  dtype: string;
  shape: ShownDim[];
  size: number;
  bytes: number;
  /** For ONNX files: an initializer, or a graph input the manifest names as a parameter. */
  source?: 'initializer' | 'input';
}

export interface IoRow {
  name: string;
  /** For IR inputs: param, state or data. */
  role?: string;
  dtype: string;
  /** '?' stands for a dim the file leaves unknown. */
  shape: ShownDim[];
}

export interface Figures {
  batchSize: number;
  seqLength: number;
  /** Every symbol met and the value it was given. */
  bindings: Record<string, number>;
  /** One sentence per binding that was not given on the command line. */
  assumptions: string[];
}

export interface InspectReport {
  kind: 'ir' | 'onnx';
  name: string;
  /** Where the graph came from: a file path or "config tiny, head classifier, mode infer". */
  source: string;
  producer?: string;
  opset?: number;
  figures: Figures;
  nodes: number;
  /** Sorted by count, most frequent first. */
  ops: OpRow[];
  parameters: { count: number; bytes: number; rows: ParamRow[] };
  inputs: IoRow[];
  outputs: IoRow[];
  flops: { total: number | null; note: string };
  /** Activation memory (IR graphs only; null for ONNX files). */
  memory: { activationBytes: number; peakLiveBytes: number; peakAt: string | null; note: string } | null;
  /** The graph as text: the IR printout or a listing of the ONNX nodes. */
  listing: string;
  notes: string[];
}
