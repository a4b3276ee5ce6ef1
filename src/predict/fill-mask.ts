/**
 * Fill-mask prediction (`albert predict fill-mask`): the masked-LM head's guesses for each
 * [MASK] in a text, with softmax probabilities, from an `albert export` directory or, when the
 * directory holds a checkpoint instead, from the mlm head exported in memory.
 *
 * The text is encoded as transformers.js encodes it from the export's tokenizer.json: "[MASK]"
 * is a special token wherever it stands (the text is split around it and each part goes through
 * ALBERT's tokenizer on its own), then [CLS] ... [SEP].
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { UserError } from '../ir/errors.ts';
import { createSession } from '../backends/onnx/session.ts';
import { exportModel, spmModelNextTo } from '../export/export.ts';
import { CONFIG_FILE, MODEL_FILE, SPM_FILE, TOKENIZER_CONFIG_FILE } from '../export/hf-layout.ts';
import { AlbertTokenizer } from '../text/albert-tokenizer.ts';
import { SentencePieceProcessor } from '../text/sentencepiece.ts';

export const MASK_TOKEN = '[MASK]';

export interface FillMaskOptions {
  /** An `albert export` directory (onnx/model.onnx), or a checkpoint with an MLM head. */
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
  log?: (line: string) => void;
}

export interface FillMaskCandidate {
  id: number;
  piece: string;
  /** The piece as text (its word-start mark dropped). */
  token: string;
  /** Softmax probability over the vocabulary. */
  score: number;
}

export interface MaskFill {
  /** Position of the [MASK] in the model input ([CLS] is 0). */
  position: number;
  candidates: FillMaskCandidate[];
}

export interface FillMaskResult {
  text: string;
  /** The model input: [CLS] ... [SEP]. */
  ids: number[];
  pieces: string[];
  masks: MaskFill[];
  /** The text with each [MASK] replaced by its best candidate. */
  filled: string;
  runSeconds: number;
}

interface ExportTokenizerConfig {
  doLowerCase?: boolean;
  keepAccents?: boolean;
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function readJsonFile(path: string): Record<string, unknown> {
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

function readTokenizerConfig(dir: string): ExportTokenizerConfig {
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

/** The checks on a request that need no model (commands run them before loading one). */
export function checkFillMaskInput(text: string, k: number): void {
  if (!Number.isInteger(k) || k < 1) throw new UserError(`--top-k must be a positive integer (got ${k})`);
  if (!text.includes(MASK_TOKEN)) throw new UserError(`the text has no ${MASK_TOKEN} to fill: ${JSON.stringify(text.length > 60 ? `${text.slice(0, 57)}...` : text)}`);
}

/** Splits text around [MASK] and encodes each part: [CLS] part [MASK] part ... [SEP]. */
export function encodeWithMasks(tokenizer: AlbertTokenizer, text: string): { ids: number[]; maskPositions: number[] } {
  if (tokenizer.maskId < 0 || tokenizer.clsId < 0 || tokenizer.sepId < 0) {
    throw new UserError(`${tokenizer.spm.source}: the SentencePiece model lacks [CLS], [SEP] or [MASK]`);
  }
  const parts = text.split(MASK_TOKEN);
  const ids = [tokenizer.clsId];
  const maskPositions: number[] = [];
  parts.forEach((part, i) => {
    ids.push(...tokenizer.encode(part));
    if (i < parts.length - 1) {
      maskPositions.push(ids.length);
      ids.push(tokenizer.maskId);
    }
  });
  ids.push(tokenizer.sepId);
  return { ids, maskPositions };
}

/** The k largest entries of probs[0..n) (ties: lower id first), descending. */
function topK(probs: Float64Array, n: number, k: number): number[] {
  const best: number[] = [];
  for (let i = 0; i < n; i++) {
    if (best.length === k && probs[i] <= probs[best[k - 1]]) continue;
    let j = best.length < k ? best.length : k - 1;
    best[j] = i;
    while (j > 0 && probs[best[j - 1]] < probs[i]) {
      best[j] = best[j - 1];
      best[--j] = i;
    }
  }
  return best;
}

export class FillMask {
  private constructor(
    readonly source: string,
    readonly kind: 'export' | 'checkpoint',
    readonly tokenizer: AlbertTokenizer,
    private readonly session: ort.InferenceSession,
    /** Longest input the model takes (max_position_embeddings). */
    readonly maxLength: number,
    readonly vocabSize: number,
  ) {}

  /** Loads an export directory, or exports a checkpoint's mlm head in memory. */
  static async load(opts: FillMaskOptions): Promise<FillMask> {
    const dir = opts.model;
    const exported = isDir(dir) && existsSync(join(dir, MODEL_FILE));
    if (exported) return FillMask.loadExport(dir, opts);
    if (isDir(dir) && !holdsCheckpoint(dir)) {
      throw new UserError(`${dir}: not a model directory: no ${MODEL_FILE} (an \`albert export\` directory) and no checkpoint (model.safetensors or a TF model.ckpt-*)`);
    }
    return FillMask.loadCheckpoint(dir, opts);
  }

  private static async loadExport(dir: string, opts: FillMaskOptions): Promise<FillMask> {
    const configPath = join(dir, CONFIG_FILE);
    if (!existsSync(configPath)) throw new UserError(`${dir}: missing ${CONFIG_FILE} (an \`albert export\` directory has config.json, ${MODEL_FILE} and the tokenizer files)`);
    const config = readJsonFile(configPath);
    const maxLength = config.max_position_embeddings;
    if (typeof maxLength !== 'number' || !Number.isInteger(maxLength) || maxLength < 2) {
      throw new UserError(`${configPath}: "max_position_embeddings" must be an integer >= 2 (got ${JSON.stringify(maxLength)})`);
    }
    const spmPath = opts.spmModelFile ?? join(dir, SPM_FILE);
    if (!existsSync(spmPath)) throw new UserError(`${dir}: missing ${SPM_FILE} (export with --spm-model-file, or pass --spm-model-file here)`);
    const tc = readTokenizerConfig(dir);
    const tokenizer = AlbertTokenizer.fromSpmFile(spmPath, { doLowerCase: opts.doLowerCase ?? tc.doLowerCase ?? true, keepAccents: opts.keepAccents ?? tc.keepAccents ?? false });
    const modelPath = join(dir, MODEL_FILE);
    const session = await openSession(modelPath, modelPath, opts.threads);
    return new FillMask(dir, 'export', tokenizer, session, maxLength, logitsWidth(session, modelPath));
  }

  private static async loadCheckpoint(spec: string, opts: FillMaskOptions): Promise<FillMask> {
    // A released archive holds its SentencePiece model inside: the export finds it there.
    const archive = /\.(tar\.gz|tgz)$/i.test(spec);
    const noSpm = (): UserError => new UserError(`${spec}: no SentencePiece model next to the checkpoint (spiece.model, 30k-clean.model or a single *.model): pass --spm-model-file`);
    if (opts.spmModelFile === undefined && !archive && spmModelNextTo(isDir(spec) ? spec : dirname(spec)) === undefined) throw noSpm();
    opts.log?.(`no ${MODEL_FILE} in ${spec}: exporting the checkpoint's mlm head in memory`);
    const result = await exportModel({ initCheckpoint: spec, head: 'mlm', config: opts.config, spmModelFile: opts.spmModelFile, log: opts.log });
    if (result.report.missing.length > 0) {
      const shown = result.report.missing.slice(0, 3).join(', ');
      throw new UserError(`${spec}: ${result.report.missing.length} parameters of the masked-LM model are not in the checkpoint (${shown}${result.report.missing.length > 3 ? ', ...' : ''}): fill-mask needs a trained mlm or pretraining checkpoint`);
    }
    const spm = result.files.find((f) => f.path === SPM_FILE);
    if (!spm || typeof spm.data === 'string') throw noSpm();
    const tokenizer = new AlbertTokenizer(SentencePieceProcessor.fromBytes(spm.data, result.spmModelFile), {
      doLowerCase: opts.doLowerCase ?? true,
      keepAccents: opts.keepAccents ?? false,
    });
    const session = await openSession(result.model, spec, opts.threads);
    return new FillMask(spec, 'checkpoint', tokenizer, session, result.config.maxPositionEmbeddings, result.config.vocabSize);
  }

  async predict(text: string, k = 5): Promise<FillMaskResult> {
    checkFillMaskInput(text, k);
    const { ids, maskPositions } = encodeWithMasks(this.tokenizer, text);
    if (ids.length > this.maxLength) {
      throw new UserError(`the text is ${ids.length} pieces long with [CLS] and [SEP]; the model takes at most ${this.maxLength} (max_position_embeddings)`);
    }
    const n = ids.length;
    const all: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor('int64', BigInt64Array.from(ids, (x) => BigInt(x)), [1, n]),
      attention_mask: new ort.Tensor('int64', new BigInt64Array(n).fill(1n), [1, n]),
      token_type_ids: new ort.Tensor('int64', new BigInt64Array(n), [1, n]),
    };
    // Other exporters may leave token_type_ids (or the mask) out: feed what the model declares.
    const feeds = Object.fromEntries(Object.entries(all).filter(([name]) => this.session.inputNames.includes(name)));
    const t0 = performance.now();
    const out = await this.session.run(feeds);
    const runSeconds = (performance.now() - t0) / 1000;
    const logits = out.logits.data as Float32Array;
    const V = this.vocabSize;
    // Only ids the tokenizer can spell are candidates; the probabilities stay normalised over
    // the model's whole vocabulary.
    const spellable = Math.min(V, this.tokenizer.vocabSize);
    const pieces = this.tokenizer.convertIdsToTokens(ids);
    const masks = maskPositions.map((position) => {
      const row = logits.subarray(position * V, (position + 1) * V);
      let max = -Infinity;
      for (let i = 0; i < V; i++) max = Math.max(max, row[i]);
      const probs = new Float64Array(V);
      let sum = 0;
      for (let i = 0; i < V; i++) sum += probs[i] = Math.exp(row[i] - max);
      for (let i = 0; i < V; i++) probs[i] /= sum;
      const candidates = topK(probs, spellable, Math.min(k, spellable)).map((id) => {
        const piece = this.tokenizer.spm.idToPiece(id);
        const token = this.tokenizer.decode([id]);
        return { id, piece, token: token === '' ? piece : token, score: probs[id] };
      });
      return { position, candidates };
    });
    const parts = text.split(MASK_TOKEN);
    const filled = parts.reduce((acc, part, i) => acc + (i > 0 ? masks[i - 1].candidates[0].token : '') + part, '');
    return { text, ids, pieces, masks, filled, runSeconds };
  }
}

async function openSession(model: Uint8Array | string, source: string, threads?: number): Promise<ort.InferenceSession> {
  try {
    return await createSession(model, { threads });
  } catch (e) {
    throw new UserError(`${source}: onnxruntime cannot load the model (${(e as Error).message.split('\n')[0]})`);
  }
}

/** The vocabulary size from the model's "logits" output; a model without one is not an MLM. */
function logitsWidth(session: ort.InferenceSession, path: string): number {
  const known = ['input_ids', 'attention_mask', 'token_type_ids'];
  const unknown = session.inputNames.filter((n) => !known.includes(n));
  if (!session.inputNames.includes('input_ids') || unknown.length > 0) {
    throw new UserError(`${path}: takes inputs ${session.inputNames.join(', ')}; a masked-LM export takes input_ids, attention_mask and token_type_ids`);
  }
  if (!session.outputNames.includes('logits')) {
    throw new UserError(`${path}: has no "logits" output (outputs: ${session.outputNames.join(', ')}): fill-mask needs a masked-LM export (albert export --head mlm)`);
  }
  const meta = session.outputMetadata.find((m) => m.name === 'logits');
  const shape = meta && meta.isTensor ? meta.shape : [];
  const width = shape.length === 3 ? shape[2] : undefined;
  if (typeof width !== 'number') throw new UserError(`${path}: output "logits" is not [batch, seq, vocab]: fill-mask needs a masked-LM export (albert export --head mlm)`);
  return width;
}
