/**
 * The inference graph as it is shipped: the same forward graph `albert compile --mode infer`
 * builds, with the interface HuggingFace exports have, so that transformers.js, optimum-style
 * pipelines and onnxruntime users feed it without knowing it came from here:
 *   - inputs `input_ids`, `attention_mask`, `token_type_ids`, int64 (what HF's ONNX exports take
 *     and what transformers.js feeds), cast to the int32 our graph computes with;
 *   - outputs named like HF's model outputs (`logits`, `start_logits`, `last_hidden_state`, ...);
 *   - parameters that no output reads dropped (the pooler of an MLM model: HF's
 *     AlbertForMaskedLM has none, so its checkpoints lack it and it must not be reported missing).
 * The graph is built here rather than through compile.ts so that the compile driver keeps one
 * interface (our feature names, int32) for training and for `albert run`.
 */
import type { Graph, Value } from '../ir/graph.ts';
import { OptionError } from '../util/errors.ts';
import { cast } from '../ir/ops/index.ts';
import type { AlbertConfig } from '../model/config.ts';
import { buildAlbertGraph } from '../model/albert.ts';
import { modelParams, type HeadName, type ParamSpec } from '../model/params.ts';
import { EXPORTABLE_HEAD_NAMES, headDefinition, resolveNumLabels, type ExportableHeadName } from '../model/heads/registry.ts';
import { lowerEinsumPass } from '../passes/lower-einsum.ts';
import { legalizeForOnnx, type FusionLevel } from '../backends/onnx/fusion.ts';
import { cleanupPasses, runPipeline } from '../passes/pipeline.ts';
import type { Pass } from '../passes/pass.ts';

/** The heads an export offers (pretraining is a training form: its MLM part is the mlm head). */
export const EXPORT_HEADS: readonly ExportHead[] = EXPORTABLE_HEAD_NAMES;
export type ExportHead = ExportableHeadName;

export function isExportHead(name: string): name is ExportHead {
  return (EXPORT_HEADS as readonly string[]).includes(name);
}

/** Our feature names -> the names HF tokenizers produce and HF ONNX exports take. */
export const HF_INPUT_NAMES: readonly (readonly [ours: string, hf: string])[] = [
  ['input_ids', 'input_ids'],
  ['input_mask', 'attention_mask'],
  ['segment_ids', 'token_type_ids'],
];

/** The outputs each head's export has, in order (HF's names; squad2 and its cls_logits are ours). */
export const EXPORT_OUTPUTS: Record<ExportHead, readonly string[]> = {
  encoder: ['last_hidden_state', 'pooler_output'],
  mlm: ['logits'],
  classifier: ['logits'],
  squad: ['start_logits', 'end_logits'],
  squad2: ['start_top_log_probs', 'start_top_index', 'end_top_log_probs', 'end_top_index', 'cls_logits', 'start_logits'],
  'multiple-choice': ['logits'],
};

export interface ExportGraphOptions {
  head: ExportHead;
  numLabels?: number;
  /** Answer choices of a multiple-choice model (a fixed dim of its inputs; default 4). */
  numChoices?: number;
  keepEinsum?: boolean;
  /** Fused kernels in the export (default 'standard': plain opset 17, for every ONNX consumer). */
  fusion?: FusionLevel;
}

export interface ExportGraph {
  graph: Graph;
  /** The parameters the graph reads (initializers), in graph order. */
  params: ParamSpec[];
}

/**
 * Replaces our int32 feature input `ours` by an int64 input named `hf` followed by a Cast, at
 * the same position in the input list (transformers.js matches inputs by name; people reading
 * the model expect HF's order).
 */
function int64Input(g: Graph, ours: string, hf: string): void {
  const old = g.inputByName(ours);
  if (!old) throw new Error(`export graph: no input "${ours}"`);
  const at = g.inputs.indexOf(old);
  old.input = { ...old.input!, name: `${ours}:int32` };
  const fresh = g.input(hf, 'int64', old.shape);
  g.inputs.pop();
  const narrowed: Value = cast(fresh, 'int32');
  g.replaceAllUsesWith(old, narrowed);
  g.inputs[at] = fresh;
}

/** Builds the export graph and runs the same passes as `albert compile --mode infer`. */
export function buildExportGraph(cfg: AlbertConfig, opts: ExportGraphOptions): ExportGraph {
  if (!isExportHead(opts.head)) throw new OptionError(`{head} ${String(opts.head)} cannot be exported (expected one of ${EXPORT_HEADS.join(', ')})`);
  const head: HeadName = opts.head;
  const g = buildAlbertGraph(cfg, { head, train: false, numLabels: opts.numLabels, numChoices: opts.numChoices });
  g.name = `albert_${head}_export`;
  for (const [ours, hf] of HF_INPUT_NAMES) int64Input(g, ours, hf);
  g.toposort();
  const names = g.outputs.map((o) => o.name);
  const want = EXPORT_OUTPUTS[opts.head];
  if (names.join(',') !== want.join(',')) throw new Error(`export graph: ${head} outputs are ${names.join(', ')}, expected ${want.join(', ')}`);

  const passes: Pass[] = [legalizeForOnnx(opts.fusion ?? 'standard'), ...cleanupPasses()];
  if (!opts.keepEinsum) passes.push(lowerEinsumPass(), ...cleanupPasses());
  runPipeline(g, passes, { verify: true });

  const unused = new Set(g.params().filter((v) => v.uses.length === 0));
  g.inputs = g.inputs.filter((v) => !unused.has(v));
  const declared = new Map(modelParams(cfg, head, { numLabels: resolveNumLabels(headDefinition(head), opts.numLabels) }).map((p) => [p.name, p]));
  const params = g.params().map((v) => {
    const spec = declared.get(v.input!.name);
    if (!spec) throw new Error(`export graph: parameter ${v.input!.name} is not in the parameter table`);
    return spec;
  });
  return { graph: g, params };
}
