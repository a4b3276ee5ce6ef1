/**
 * What the `albert predict` tasks share: finding out whether a directory is an `albert export`
 * (onnx/model.onnx, config.json, spiece.model) or a checkpoint, loading either (a checkpoint is
 * exported in memory), opening the onnxruntime session and building the tokenizer the export's
 * tokenizer files describe, and feeding token inputs to a model.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { OptionError, UserError } from '../util/errors.ts';
import { checkThreads } from '../backends/onnx/session.ts';
import { CPU, hostTensor, targetFor, type Device, type Executable, type HostTensor, type ValueMetadata } from '../backends/target.ts';
import { exportModel, spmModelNextTo, type ExportResult } from '../export/export.ts';
import type { ExportHead } from '../export/export-graph.ts';
import { CONFIG_FILE, MODEL_FILE, SPM_FILE, TOKENIZER_CONFIG_FILE } from '../export/hf-layout.ts';
import { findNonFinite, NonFiniteWeightsError } from '../model/weights/load.ts';
import { readOnnxInitializers } from '../model/weights/onnx-export.ts';
import { AlbertTokenizer } from '../text/albert-tokenizer.ts';
import { SentencePieceProcessor } from '../text/sentencepiece.ts';

export interface PredictModelOptions {
  /** An `albert export` directory (onnx/model.onnx), or a checkpoint (directory, .safetensors, TF prefix, .tar.gz). */
  model: string;
  /** The SentencePiece model (default: the export's spiece.model, or the one next to the checkpoint). */
  spmModelFile?: string;
  /** Checkpoints only: preset, config file or directory (default: the config next to it). */
  config?: string;
  /** Default: tokenizer_config.json's do_lower_case in an export, else true. */
  doLowerCase?: boolean;
  /** Default: tokenizer_config.json's keep_accents in an export, else false. */
  keepAccents?: boolean;
  threads?: number;
  /** Where the model runs (default: the CPU). */
  device?: Device;
  /** Checkpoints only: load weights holding NaN or Inf instead of refusing them (for debugging). */
  allowNonFinite?: boolean;
  log?: (line: string) => void;
}

/** A model ready to run: its session, tokenizer and where it came from. */
export interface PredictModel {
  source: string;
  kind: 'export' | 'checkpoint';
  tokenizer: AlbertTokenizer;
  session: Executable;
  /** Longest input the model takes (max_position_embeddings). */
  maxLength: number;
  /** Where a problem with the model is reported: onnx/model.onnx of an export, the checkpoint. */
  modelPath: string;
  /** An export's config.json, parsed, and its path (exports only). */
  configJson?: { path: string; json: Record<string, unknown> };
  /** A checkpoint's in-memory export (checkpoints only). */
  exported?: ExportResult;
}

export function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** A JSON object from a file; a missing, unreadable or malformed file is a one-line UserError naming it. */
export function readJsonFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UserError(`${path}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new UserError(`${path}: invalid JSON (${(e as Error).message})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new UserError(`${path}: expected a JSON object`);
  return value as Record<string, unknown>;
}

/** An export's tokenizer flags (tokenizer_config.json), when it has them. */
function readTokenizerConfig(dir: string): { doLowerCase?: boolean; keepAccents?: boolean } {
  const path = join(dir, TOKENIZER_CONFIG_FILE);
  if (!existsSync(path)) return {};
  const json = readJsonFile(path);
  const flag = (key: string): boolean | undefined => {
    const v = json[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'boolean') throw new UserError(`${path}: "${key}" must be true or false (got ${JSON.stringify(v)})`);
    return v;
  };
  return { doLowerCase: flag('do_lower_case'), keepAccents: flag('keep_accents') };
}

/** A directory that looks like a checkpoint rather than an export (loadCheckpoint's forms). */
function holdsCheckpoint(dir: string): boolean {
  return readdirSync(dir).some((n) => n === 'model.safetensors' || n === 'model.safetensors.index.json' || n === 'checkpoint' || n.endsWith('.index') || n === 'pytorch_model.bin');
}

export async function openSession(model: Uint8Array | string, source: string, threads?: number, device: Device = CPU): Promise<Executable> {
  try {
    return await targetFor(device).open(model, { threads });
  } catch (e) {
    const why = (e as Error).message.split('\n')[0];
    if (device.name !== 'cpu') throw new OptionError(`{device} ${device.name}: onnxruntime could not open ${source} there (${why}); \`albert doctor\` says what is missing`);
    throw new UserError(`${source}: onnxruntime cannot load the model (${why})`);
  }
}

/**
 * Loads `opts.model`: an export directory as it is, or a checkpoint with `head` exported in
 * memory (head undefined: the head the checkpoint holds). The caller checks that the model is
 * the kind its task needs.
 */
export async function loadPredictModel(opts: PredictModelOptions, head: ExportHead | undefined): Promise<PredictModel> {
  checkThreads(opts.threads);
  const dir = opts.model;
  if (isDir(dir) && existsSync(join(dir, MODEL_FILE))) return loadExportDir(dir, opts);
  if (isDir(dir) && !holdsCheckpoint(dir)) {
    throw new UserError(`${dir}: not a model directory: no ${MODEL_FILE} (an \`albert export\` directory) and no checkpoint (model.safetensors or a TF model.ckpt-*)`);
  }
  return loadCheckpointInMemory(dir, opts, head);
}

async function loadExportDir(dir: string, opts: PredictModelOptions): Promise<PredictModel> {
  const configPath = join(dir, CONFIG_FILE);
  if (!existsSync(configPath)) throw new UserError(`${dir}: missing ${CONFIG_FILE} (an \`albert export\` directory has config.json, ${MODEL_FILE} and the tokenizer files)`);
  const json = readJsonFile(configPath);
  const maxLength = json.max_position_embeddings;
  if (typeof maxLength !== 'number' || !Number.isInteger(maxLength) || maxLength < 2) {
    throw new UserError(`${configPath}: "max_position_embeddings" must be an integer >= 2 (got ${JSON.stringify(maxLength)})`);
  }
  const spmPath = opts.spmModelFile ?? join(dir, SPM_FILE);
  if (!existsSync(spmPath)) throw new OptionError(`${dir}: missing ${SPM_FILE} (export with {spmModelFile}, or pass {spmModelFile} here)`);
  const tc = readTokenizerConfig(dir);
  const tokenizer = AlbertTokenizer.fromSpmFile(spmPath, { doLowerCase: opts.doLowerCase ?? tc.doLowerCase ?? true, keepAccents: opts.keepAccents ?? tc.keepAccents ?? false });
  const modelPath = join(dir, MODEL_FILE);
  if (!opts.allowNonFinite) checkExportWeights(modelPath);
  const session = await openSession(modelPath, modelPath, opts.threads, opts.device);
  return { source: dir, kind: 'export', tokenizer, session, maxLength, modelPath, configJson: { path: configPath, json } };
}

/** An export's weights are checked for NaN and Inf as a checkpoint's are when it is loaded. */
function checkExportWeights(modelPath: string): void {
  const init = readOnnxInitializers(modelPath);
  const tensors = init.read(new Set(init.names));
  const bad: { name: string; shape: number[]; bad: NonNullable<ReturnType<typeof findNonFinite>> }[] = [];
  for (const [name, t] of tensors) {
    if (!(t.data instanceof Float32Array)) continue;
    const b = findNonFinite(t.data);
    if (b) bad.push({ name, shape: t.shape, bad: b });
  }
  if (bad.length > 0) throw new NonFiniteWeightsError(modelPath, bad);
}

/** Whether a path that is not a directory names a checkpoint in one of the forms loadCheckpoint reads. */
function namesCheckpointFile(spec: string): boolean {
  if (existsSync(`${spec}.index`)) return true;
  if (!existsSync(spec)) return false;
  const tfFile = /\.(index|meta|data-\d+-of-\d+)$/;
  return (tfFile.test(spec) && existsSync(`${spec.replace(tfFile, '')}.index`)) || /\.(safetensors|safetensors\.index\.json|tar\.gz|tgz)$/i.test(spec);
}

async function loadCheckpointInMemory(spec: string, opts: PredictModelOptions, head: ExportHead | undefined): Promise<PredictModel> {
  if (!isDir(spec) && !namesCheckpointFile(spec)) {
    const kinds = 'an `albert export` directory or a checkpoint (a TF checkpoint prefix, a .safetensors file, a checkpoint directory or a .tar.gz)';
    throw new UserError(existsSync(spec) ? `${spec}: not a model: expected ${kinds}` : `${spec} not found: expected ${kinds}`);
  }
  // A released archive holds its SentencePiece model inside: the export finds it there.
  const archive = /\.(tar\.gz|tgz)$/i.test(spec);
  const noSpm = (): OptionError => new OptionError(`${spec}: no SentencePiece model next to the checkpoint (spiece.model, 30k-clean.model or a single *.model): pass {spmModelFile}`);
  if (opts.spmModelFile === undefined && !archive && spmModelNextTo(isDir(spec) ? spec : dirname(spec)) === undefined) throw noSpm();
  // (Said only of something that exists: a path that does not fails in exportModel, in one line.)
  if (existsSync(spec) || existsSync(`${spec}.index`)) opts.log?.(`no ${MODEL_FILE} in ${spec}: exporting the checkpoint${head ? `'s ${head} head` : ''} in memory`);
  const result = await exportModel({ initCheckpoint: spec, head, config: opts.config, spmModelFile: opts.spmModelFile, allowNonFinite: opts.allowNonFinite, log: opts.log });
  const spm = result.files.find((f) => f.path === SPM_FILE);
  if (!spm || typeof spm.data === 'string') throw noSpm();
  const tokenizer = new AlbertTokenizer(SentencePieceProcessor.fromBytes(spm.data, result.spmModelFile), {
    doLowerCase: opts.doLowerCase ?? true,
    keepAccents: opts.keepAccents ?? false,
  });
  const session = await openSession(result.model, spec, opts.threads, opts.device);
  return { source: spec, kind: 'checkpoint', tokenizer, session, maxLength: result.config.maxPositionEmbeddings, modelPath: spec, exported: result };
}

/** The model's inputs must be HF's token inputs (other exporters may leave some out). */
export function checkTokenInputs(session: Executable, path: string, what: string): void {
  const known = ['input_ids', 'attention_mask', 'token_type_ids'];
  const unknown = session.inputNames.filter((n) => !known.includes(n));
  if (!session.inputNames.includes('input_ids') || unknown.length > 0) {
    throw new UserError(`${path}: takes inputs ${session.inputNames.join(', ')}; ${what} takes input_ids, attention_mask and token_type_ids`);
  }
}

/** The shape onnxruntime reports for a tensor input or output, or undefined. */
export function declaredShape(metadata: readonly ValueMetadata[], name: string): readonly (number | string)[] | undefined {
  const meta = metadata.find((m) => m.name === name);
  return meta && meta.isTensor ? meta.shape : undefined;
}

/** One sequence as [1, n] int64 feeds, limited to the inputs the model declares. */
export function tokenFeeds(session: Executable, ids: readonly number[], tokenTypeIds?: readonly number[]): Record<string, HostTensor> {
  const n = ids.length;
  const all: Record<string, HostTensor> = {
    input_ids: hostTensor('int64', BigInt64Array.from(ids, (x) => BigInt(x)), [1, n]),
    attention_mask: hostTensor('int64', new BigInt64Array(n).fill(1n), [1, n]),
    token_type_ids: hostTensor('int64', tokenTypeIds ? BigInt64Array.from(tokenTypeIds, (x) => BigInt(x)) : new BigInt64Array(n), [1, n]),
  };
  return Object.fromEntries(Object.entries(all).filter(([name]) => session.inputNames.includes(name)));
}

/** The k largest entries of scores[0..n) (ties: lower index first), descending. */
export function topK(scores: ArrayLike<number>, n: number, k: number): number[] {
  const best: number[] = [];
  for (let i = 0; i < n; i++) {
    if (best.length === k && scores[i] <= scores[best[k - 1]]) continue;
    let j = best.length < k ? best.length : k - 1;
    best[j] = i;
    while (j > 0 && scores[best[j - 1]] < scores[i]) {
      best[j] = best[j - 1];
      best[--j] = i;
    }
  }
  return best;
}

/** Softmax in float64 (max subtracted first). */
export function softmax(logits: ArrayLike<number>): Float64Array {
  const n = logits.length;
  let max = -Infinity;
  for (let i = 0; i < n; i++) max = Math.max(max, logits[i]);
  const probs = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += probs[i] = Math.exp(logits[i] - max);
  for (let i = 0; i < n; i++) probs[i] /= sum;
  return probs;
}
