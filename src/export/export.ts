/**
 * `albert export`: a checkpoint (any form loadCheckpoint reads) -> an inference ONNX model with
 * its weights as initializers, in a HuggingFace/optimum directory with config.json and the
 * tokenizer files, ready for transformers.js, onnxruntime or HF's own tools.
 */
import type { FusionLevel } from '../backends/onnx/fusion.ts';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tryAcquireDirLock } from '../util/dir-lock.ts';
import { OptionError, UserError } from '../util/errors.ts';
import { canonDim } from '../ir/shape.ts';
import { DEFAULT_OPSET, emitModel, encodeModel } from '../backends/onnx/emit.ts';
import { loadAlbertConfig, type AlbertConfig } from '../model/config.ts';
import { guessHead, loadConfigForCheckpoint, loadFromOpened, openCheckpoint, type LoadReport } from '../model/weights/load.ts';
import { classifierLabelFields, readClassifierLabels, type ClassifierLabelInfo, type ClassifierLabels } from '../model/weights/save-hf.ts';
import { decodeModelProto, type ModelProto } from '../text/model-proto.ts';
import { buildExportGraph, EXPORT_HEADS, isExportHead, type ExportHead } from './export-graph.ts';
import {
  CONFIG_FILE,
  MODEL_FILE,
  SPECIAL_TOKENS_FILE,
  SPM_FILE,
  TOKENIZER_CONFIG_FILE,
  TOKENIZER_FILE,
  hfConfigJson,
  writeExportFiles,
  type ExportFile,
} from './hf-layout.ts';
import { specialPieces, specialTokensMapJson, tokenizerConfigJson, tokenizerJson } from './tokenizer-json.ts';

/** The ONNX opsets an export can target (the IR lowers to opset 17 only, for now). */
export const EXPORT_OPSETS: readonly number[] = [DEFAULT_OPSET];

export interface ExportOptions {
  /** A TF checkpoint prefix, .safetensors file, checkpoint directory or .tar.gz. */
  initCheckpoint: string;
  /** Default: the head whose weights the checkpoint holds (a pretraining checkpoint gives mlm). */
  head?: string;
  /** Preset, config file or directory, or a config; default: the config stored with the checkpoint. */
  config?: string | AlbertConfig;
  numLabels?: number;
  /**
   * A classifier's label names and problem type for config.json. Default: those in the
   * checkpoint's config.json when the checkpoint holds this classifier, else LABEL_i.
   */
  labels?: ClassifierLabels;
  numChoices?: number;
  opset?: number;
  keepEinsum?: boolean;
  /** Fused kernels in the exported graph (default 'standard': plain opset 17). */
  fusion?: FusionLevel;
  /** Default: spiece.model, 30k-clean.model or the only *.model next to the checkpoint. */
  spmModelFile?: string;
  /** Tokenizer flags written to tokenizer.json/tokenizer_config.json (defaults: true, false). */
  doLowerCase?: boolean;
  keepAccents?: boolean;
  /** Seed for parameters the checkpoint lacks (default 12345). */
  seed?: number;
  /** Load weights holding NaN or Inf instead of refusing them (for debugging; loadCheckpoint's allowNonFinite). */
  allowNonFinite?: boolean;
  log?: (line: string) => void;
}

export interface ExportedTensor {
  name: string;
  dtype: string;
  shape: (number | string)[];
}

export interface ExportResult {
  config: AlbertConfig;
  head: ExportHead;
  numLabels?: number;
  /** A classifier's labels as config.json has them (LABEL_i unless the checkpoint or options named them). */
  labels?: ClassifierLabelInfo;
  numChoices?: number;
  opset: number;
  /** onnx/model.onnx's bytes. */
  model: Uint8Array;
  /** Every file of the directory (the model included), paths relative to it. */
  files: ExportFile[];
  report: LoadReport;
  /** The SentencePiece model the tokenizer files come from, when there is one. */
  spmModelFile?: string;
  inputs: ExportedTensor[];
  outputs: ExportedTensor[];
  stats: { nodes: number; ops: Record<string, number>; parameters: number; seconds: number };
}

/** The SentencePiece model shipped with a checkpoint: HF's name, the release's name, or the only *.model. */
export function spmModelNextTo(dir: string): string | undefined {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return undefined;
  }
  for (const n of [SPM_FILE, '30k-clean.model']) if (names.includes(n)) return join(dir, n);
  const models = names.filter((n) => n.endsWith('.model'));
  return models.length === 1 ? join(dir, models[0]) : undefined;
}

function readSpm(path: string): { bytes: Uint8Array; proto: ModelProto } {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new OptionError(`{spmModelFile} ${path}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory, not a SentencePiece model' : (e as Error).message}`);
  }
  return { bytes, proto: decodeModelProto(bytes, path) };
}

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

export async function exportModel(opts: ExportOptions): Promise<ExportResult> {
  const t0 = performance.now();
  const opset = opts.opset ?? DEFAULT_OPSET;
  if (!EXPORT_OPSETS.includes(opset)) throw new OptionError(`{opset} ${opset} is not supported (supported: ${EXPORT_OPSETS.join(', ')})`);
  if (opts.head !== undefined && !isExportHead(opts.head)) {
    const hint = opts.head === 'pretraining' ? ': export its masked-LM part with {head} mlm' : '';
    throw new OptionError(`{head} ${opts.head} cannot be exported (expected one of ${EXPORT_HEADS.join(', ')})${hint}`);
  }
  const explicitConfig = opts.config === undefined ? undefined : typeof opts.config === 'string' ? loadAlbertConfig(opts.config) : opts.config;
  // The tokenizer is checked before the weights are read: a bad --spm-model-file fails fast.
  const spm = opts.spmModelFile !== undefined ? { path: opts.spmModelFile, ...readSpm(opts.spmModelFile) } : undefined;
  const ckpt = await openCheckpoint(opts.initCheckpoint, { log: opts.log });
  try {
    const config = explicitConfig ?? loadConfigForCheckpoint(ckpt.dir);
    if (!config) throw new OptionError(`${opts.initCheckpoint}: no albert_config.json or config.json next to the checkpoint: pass {config} <file|preset>`);
    const guessed = guessHead(ckpt);
    const head: ExportHead = (opts.head as ExportHead | undefined) ?? (guessed.head === 'pretraining' ? 'mlm' : guessed.head);
    const numLabels = head === 'classifier' ? (opts.numLabels ?? (guessed.head === 'classifier' ? guessed.numLabels : undefined)) : undefined;
    if (head === 'classifier' && numLabels === undefined) {
      throw new OptionError(`${opts.initCheckpoint}: the checkpoint has no classifier layer to take the number of labels from: pass {numLabels}`);
    }
    if (opts.numLabels !== undefined && head !== 'classifier') throw new OptionError(`{numLabels} applies to {head} classifier only (the head is ${head})`);
    if (opts.numChoices !== undefined && head !== 'multiple-choice') throw new OptionError(`{numChoices} applies to {head} multiple-choice only (the head is ${head})`);
    if (opts.labels !== undefined && head !== 'classifier') throw new OptionError(`{labels} apply to {head} classifier only (the head is ${head})`);
    const numChoices = head === 'multiple-choice' ? (opts.numChoices ?? 4) : undefined;

    const { graph, params } = buildExportGraph(config, { head, numLabels, numChoices, keepEinsum: opts.keepEinsum, fusion: opts.fusion });
    const { values, report } = loadFromOpened(ckpt, params, { seed: opts.seed, log: opts.log, allowNonFinite: opts.allowNonFinite });
    // A fine-tuned classifier's label names travel from its config.json into the export's.
    let labels = opts.labels;
    if (labels === undefined && head === 'classifier' && guessed.head === 'classifier') {
      const stored = readClassifierLabels(ckpt.dir);
      if (stored && stored.names.length === numLabels) labels = stored;
      else if (stored) opts.log?.(`note: ignoring the ${stored.names.length} labels of ${join(ckpt.dir, CONFIG_FILE)}: the classifier has ${numLabels} (writing LABEL_0..LABEL_${numLabels! - 1})`);
    }
    const labelFields = head === 'classifier' ? classifierLabelFields(numLabels!, labels) : undefined;
    const model = encodeModel(
      emitModel(graph, {
        paramsAs: 'initializers',
        weights: (name) => values.get(name)!,
        opset,
        docString: `ALBERT ${head} exported by albert-compiler`,
      }),
    );

    const spmPath = spm?.path ?? spmModelNextTo(ckpt.dir);
    const tokenizer = spm ?? (spmPath !== undefined ? { path: spmPath, ...readSpm(spmPath) } : undefined);
    const special = tokenizer ? specialPieces(tokenizer.proto, tokenizer.path) : null;
    if (tokenizer && tokenizer.proto.pieces.length > config.vocabSize) {
      throw new UserError(`${tokenizer.path}: the SentencePiece model has ${tokenizer.proto.pieces.length} pieces, more than the model's vocab_size ${config.vocabSize}`);
    }
    if (tokenizer && tokenizer.proto.pieces.length < config.vocabSize) {
      opts.log?.(`note: ${tokenizer.path} has ${tokenizer.proto.pieces.length} pieces, the model's vocab_size is ${config.vocabSize} (the extra rows are never used)`);
    }
    const files: ExportFile[] = [
      { path: CONFIG_FILE, data: json(hfConfigJson(config, { head, opset, numChoices }, { numLabels, labels, special })) },
      { path: MODEL_FILE, data: model },
    ];
    if (tokenizer) {
      const settings = { doLowerCase: opts.doLowerCase ?? true, keepAccents: opts.keepAccents ?? false, modelMaxLength: config.maxPositionEmbeddings };
      files.push(
        { path: TOKENIZER_FILE, data: json(tokenizerJson(tokenizer.proto, settings, tokenizer.path)) },
        { path: TOKENIZER_CONFIG_FILE, data: json(tokenizerConfigJson(tokenizer.proto, settings, tokenizer.path)) },
        { path: SPECIAL_TOKENS_FILE, data: json(specialTokensMapJson(tokenizer.proto, tokenizer.path)) },
        { path: SPM_FILE, data: tokenizer.bytes },
      );
    } else {
      opts.log?.(`no SentencePiece model next to ${opts.initCheckpoint}: exporting without tokenizer files (pass --spm-model-file)`);
    }

    const ops: Record<string, number> = {};
    for (const n of graph.nodes) ops[n.op.name] = (ops[n.op.name] ?? 0) + 1;
    const tensor = (name: string, t: { dtype: string; shape: (number | string)[] }): ExportedTensor => ({ name, dtype: t.dtype, shape: t.shape.map(canonDim) });
    return {
      config,
      head,
      numLabels,
      labels: labelFields && {
        names: Object.values(labelFields.id2label),
        problemType: labelFields.problem_type ?? 'single_label_classification',
        regression: labelFields.problem_type === 'regression',
      },
      numChoices,
      opset,
      model,
      files,
      report,
      spmModelFile: tokenizer?.path,
      inputs: graph.inputs.filter((v) => v.input!.role !== 'param').map((v) => tensor(v.input!.name, v.type)),
      outputs: graph.outputs.map((o) => tensor(o.name, o.value.type)),
      stats: {
        nodes: graph.nodes.length,
        ops,
        parameters: params.reduce((s, p) => s + p.shape.reduce((a, d) => a * d, 1), 0),
        seconds: (performance.now() - t0) / 1000,
      },
    };
  } finally {
    ckpt.close();
  }
}

/** Writes an export's files to `outDir` (all-or-nothing); returns their paths. */
export function writeExport(result: ExportResult, outDir: string): string[] {
  // One writer per output directory (src/util/dir-lock.ts); taken once the model is built.
  const lock = tryAcquireDirLock(outDir, 'export');
  try {
    return writeExportFiles(outDir, result.files);
  } finally {
    lock?.release();
  }
}
