/**
 * The one way weights come in: every command that takes --init-checkpoint calls loadCheckpoint.
 * It accepts the forms people have ALBERT weights in:
 *   - a TF checkpoint prefix (model.ckpt-1000, with model.ckpt-1000.index next to it), or one of
 *     its files (.index, .data-00000-of-00001, .meta);
 *   - a .safetensors file (HuggingFace names), or a sharded model.safetensors.index.json;
 *   - a directory: config.json + model.safetensors (HF), or albert_config.json + model.ckpt-*
 *     (the original release; which prefix is findCheckpointPrefix's choice: the one a
 *     `checkpoint` file names, else model.ckpt-best, else the only one);
 *   - an `albert export` directory (config.json + onnx/model.onnx): the weights are the model's
 *     initializers (onnx-export.ts), as the original read a TF-Hub module (--albert_hub_module_handle);
 *   - a .tar.gz/.tgz of such a directory (the released archives).
 * Tensors are matched to the model's parameter table (params.ts) by TF name or HF name, HF
 * kernels are transposed to our [in, out] layout, shapes are checked, parameters the checkpoint
 * lacks are freshly initialised (seeded) and reported.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { t as listTar } from 'tar';
import { OptionError, UserError } from '../../util/errors.ts';
import { loadAlbertConfig, parseAlbertConfig, type AlbertConfig } from '../config.ts';
import { InitRng, initialValues } from '../init.ts';
import type { HeadName, ParamSpec } from '../params.ts';
import { recogniseHead } from '../heads/registry.ts';
import { readSafetensors, readSafetensorsHeader } from './safetensors.ts';
import { transpose2d } from './transpose.ts';
import type { WeightTensor } from './types.ts';

export type CheckpointFormat = 'tf-checkpoint' | 'safetensors' | 'hf-dir' | 'tf-dir' | 'onnx-export' | 'tar.gz';

export interface ShapeMismatch {
  /** The tensor's name in the checkpoint. */
  name: string;
  /** Both in the checkpoint's layout (HF kernels [out, in]). */
  expected: number[];
  got: number[];
}

export interface LoadReport {
  /** The spec as given. */
  source: string;
  format: CheckpointFormat;
  /** Parameters (TF names) taken from the checkpoint. */
  loaded: string[];
  /** Parameters not in the checkpoint: initialised per ParamSpec.init (seeded). */
  missing: string[];
  /** Checkpoint tensors the model does not use (optimizer slots and global_step are not listed). */
  unexpected: string[];
  /** Always empty in a returned report: a mismatch throws CheckpointMismatchError. */
  mismatched: ShapeMismatch[];
  /** Anything else the user should know (e.g. a projection derived for an E == H checkpoint). */
  notes: string[];
}

/** Tensors whose shapes do not fit the config: the checkpoint is for another model. */
/** A checkpoint whose tensors do not fit the config; an OptionError because the remedy is the {config} option. */
export class CheckpointMismatchError extends OptionError {
  constructor(
    readonly source: string,
    readonly mismatched: ShapeMismatch[],
  ) {
    const shown = mismatched
      .slice(0, 3)
      .map((m) => `"${m.name}" is [${m.got.join(', ')}], expected [${m.expected.join(', ')}]`)
      .join('; ');
    const more = mismatched.length > 3 ? `; and ${mismatched.length - 3} more` : '';
    super(`${source}: ${mismatched.length} tensor${mismatched.length === 1 ? '' : 's'} do not fit the model config: ${shown}${more} (a checkpoint for another config? pass the matching {config})`);
    this.name = 'CheckpointMismatchError';
  }
}

/**
 * Original optimizer state and bookkeeping that is never a model parameter: skipped without a
 * word. adam_m/adam_v (AdamWeightDecayOptimizer), lamb_m/lamb_v (LAMB), Adam/Adam_1 and the
 * beta powers (tf.train.AdamOptimizer), and TF2's object graph.
 */
const TF_SKIP = /(^|\/)(global_step|beta1_power|beta2_power|_CHECKPOINTABLE_OBJECT_GRAPH)$|\/(adam_m|adam_v|lamb_m|lamb_v|Adam|Adam_1)$/;
/**
 * HF tensors that are not parameters of their own: the MLM decoder weight is tied to the word
 * embeddings (older saves include it), position_ids/token_type_ids are buffers.
 */
const HF_SKIP = /^(albert\.)?embeddings\.(position_ids|token_type_ids)$|^predictions\.decoder\.weight$/;

/** A checkpoint found and opened: its tensor names known, its data read on demand. */
export interface OpenedCheckpoint {
  source: string;
  format: CheckpointFormat;
  /** Whose names the tensors carry: the original TF ones or HF's. */
  naming: 'tf' | 'hf';
  /** The directory holding the checkpoint (for a .tar.gz, the extracted one: gone after close()). */
  dir: string;
  /** Tensor names, without skipped ones (TF: leading "module/" stripped). */
  names: string[];
  shapeOf(name: string): number[];
  /** HF config.json "architectures", when the directory has one. */
  architectures: string[];
  read(names: ReadonlySet<string>): Map<string, WeightTensor>;
  close(): void;
}

// ---- finding the checkpoint -------------------------------------------------------------------

const TF_FILE = /\.(index|meta|data-\d+-of-\d+)$/;
const HF_FILES = ['model.safetensors', 'model.safetensors.index.json'];
/** The model of an `albert export` directory (export/hf-layout.ts MODEL_FILE). */
const EXPORT_MODEL_FILE = 'onnx/model.onnx';

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/** The TF checkpoint prefix in a directory, or null (the TF reader's rules). */
async function tfPrefixIn(dir: string): Promise<string | null> {
  const { findCheckpointPrefix } = await import('./tf-checkpoint.ts');
  return findCheckpointPrefix(dir);
}

async function hasCheckpoint(dir: string): Promise<boolean> {
  return HF_FILES.some((f) => isFile(join(dir, f))) || (await tfPrefixIn(dir)) !== null || isFile(join(dir, EXPORT_MODEL_FILE));
}

/** The checkpoint directory inside an extracted archive: the shallowest one holding weights. */
async function checkpointDirUnder(root: string, archive: string): Promise<string> {
  let level = [root];
  for (let depth = 0; depth < 5 && level.length > 0; depth++) {
    const found: string[] = [];
    for (const d of level) if (await hasCheckpoint(d)) found.push(d);
    if (found.length === 1) return found[0];
    if (found.length > 1) {
      throw new UserError(`${archive}: holds several checkpoints (${found.map((d) => d.slice(root.length + 1) || '.').join(', ')}): extract it and pass one`);
    }
    level = level.flatMap((d) => readdirSync(d, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => join(d, e.name)));
  }
  throw new UserError(`${archive}: no checkpoint inside (no model.safetensors and no TF checkpoint .index file)`);
}

function readArchitectures(dir: string): string[] {
  const f = join(dir, 'config.json');
  if (!isFile(f)) return [];
  try {
    const json = JSON.parse(readFileSync(f, 'utf8')) as { architectures?: unknown };
    return Array.isArray(json.architectures) ? json.architectures.filter((a): a is string => typeof a === 'string') : [];
  } catch {
    return []; // the config loader reports a broken config.json
  }
}

async function openTf(source: string, format: CheckpointFormat, prefix: string): Promise<OpenedCheckpoint> {
  const { listTfCheckpoint, readTfCheckpoint } = await import('./tf-checkpoint.ts');
  /** Our name (leading "module/" of TF-Hub exports stripped) -> the stored name, and its shape. */
  const stored = new Map<string, { name: string; shape: number[] }>();
  for (const e of listTfCheckpoint(prefix)) {
    const name = e.name.startsWith('module/') ? e.name.slice('module/'.length) : e.name;
    if (TF_SKIP.test(name)) continue;
    if (stored.has(name)) throw new UserError(`${prefix}: holds both "${name}" and "module/${name}"`);
    stored.set(name, { name: e.name, shape: e.shape });
  }
  return {
    source,
    format,
    naming: 'tf',
    dir: dirname(prefix),
    names: [...stored.keys()],
    shapeOf: (n) => stored.get(n)!.shape,
    architectures: [],
    read: (names) => {
      // Only the wanted tensors' bytes are read: optimizer slots triple a training checkpoint.
      const want = new Map([...names].map((n) => [stored.get(n)!.name, n]));
      const got = readTfCheckpoint(prefix, { names: (n) => want.has(n) });
      return new Map([...got].map(([n, t]) => [want.get(n)!, t]));
    },
    close: () => {},
  };
}

/** One safetensors file, or the shards a model.safetensors.index.json lists. */
function openSafetensors(source: string, format: CheckpointFormat, file: string): OpenedCheckpoint {
  let files = [file];
  if (file.endsWith('.index.json')) {
    let weightMap: unknown;
    try {
      weightMap = (JSON.parse(readFileSync(file, 'utf8')) as { weight_map?: unknown }).weight_map;
    } catch (e) {
      throw new UserError(`${file}: cannot read the shard index (${(e as Error).message})`);
    }
    if (typeof weightMap !== 'object' || weightMap === null || !Object.values(weightMap).every((v) => typeof v === 'string')) {
      throw new UserError(`${file}: "weight_map" must map tensor names to shard file names`);
    }
    const shards = [...new Set(Object.values(weightMap as Record<string, string>))];
    const outside = shards.find((f) => basename(f) !== f || f === '..');
    if (outside !== undefined) throw new UserError(`${file}: shard "${outside}" is not a file name in the index's directory`);
    files = shards.map((f) => join(dirname(file), f));
  }
  const where = new Map<string, { file: string; shape: number[] }>();
  for (const f of files) {
    for (const e of readSafetensorsHeader(f).entries) {
      if (where.has(e.name)) throw new UserError(`${f}: tensor "${e.name}" is also in ${where.get(e.name)!.file}`);
      where.set(e.name, { file: f, shape: e.shape });
    }
  }
  const names = [...where.keys()].filter((n) => !HF_SKIP.test(n));
  return {
    source,
    format,
    naming: 'hf',
    dir: dirname(file),
    names,
    shapeOf: (n) => where.get(n)!.shape,
    architectures: readArchitectures(dirname(file)),
    read: (wanted) => {
      const out = new Map<string, WeightTensor>();
      for (const f of files) {
        for (const [n, t] of readSafetensors(f, { names: (n) => wanted.has(n) }).tensors) out.set(n, t);
      }
      return out;
    },
    close: () => {},
  };
}

/**
 * An `albert export` directory: its initializers carry our TF names in our layout, so the model
 * loads as a 'tf'-named checkpoint (onnx-export.ts says why nothing needs undoing).
 */
async function openOnnxExport(source: string, format: CheckpointFormat, dir: string): Promise<OpenedCheckpoint> {
  const { readOnnxInitializers } = await import('./onnx-export.ts');
  const init = readOnnxInitializers(join(dir, EXPORT_MODEL_FILE));
  return {
    source,
    format,
    naming: 'tf',
    dir,
    names: init.names,
    shapeOf: init.shapeOf,
    architectures: readArchitectures(dir),
    read: init.read,
    close: () => {},
  };
}

async function openDir(source: string, format: CheckpointFormat, dir: string): Promise<OpenedCheckpoint> {
  for (const f of HF_FILES) {
    if (isFile(join(dir, f))) return openSafetensors(source, format === 'tar.gz' ? format : 'hf-dir', join(dir, f));
  }
  const prefix = await tfPrefixIn(dir);
  if (prefix) return openTf(source, format === 'tar.gz' ? format : 'tf-dir', prefix);
  if (isFile(join(dir, EXPORT_MODEL_FILE))) return openOnnxExport(source, format === 'tar.gz' ? format : 'onnx-export', dir);
  if (isFile(join(dir, 'pytorch_model.bin'))) {
    throw new UserError(`${dir}: has only pytorch_model.bin (a Python pickle, which is not read here): save the model as safetensors (save_pretrained(..., safe_serialization=True))`);
  }
  throw new UserError(`${dir}: no checkpoint in this directory (expected model.safetensors, a TF checkpoint: model.ckpt-*.index or a "checkpoint" file, or an \`albert export\`'s onnx/model.onnx)`);
}

function isTarGz(p: string): boolean {
  return /\.(tar\.gz|tgz)$/i.test(p);
}

/** Finds what `spec` names and opens it; close() frees it (and removes an extracted archive). */
export async function openCheckpoint(spec: string, opts: { log?: (line: string) => void } = {}): Promise<OpenedCheckpoint> {
  if (isFile(`${spec}.index`)) return openTf(spec, 'tf-checkpoint', spec);
  if (isDir(spec)) return openDir(spec, 'hf-dir', spec);
  if (!isFile(spec)) {
    throw new UserError(`checkpoint ${spec} not found: expected a TF checkpoint prefix (with ${basename(spec)}.index next to it), a .safetensors file, a directory or a .tar.gz`);
  }
  if (TF_FILE.test(spec)) {
    const prefix = spec.replace(TF_FILE, '');
    if (isFile(`${prefix}.index`)) return openTf(spec, 'tf-checkpoint', prefix);
  }
  if (spec.endsWith('.safetensors') || spec.endsWith('.safetensors.index.json')) return openSafetensors(spec, 'safetensors', spec);
  if (isTarGz(spec)) {
    const { extractTarGz } = await import('./tf-checkpoint.ts');
    const tmp = mkdtempSync(join(tmpdir(), 'albert-checkpoint-'));
    try {
      opts.log?.(`extracting ${spec} to ${tmp}`);
      await extractTarGz(spec, tmp);
      const opened = await openDir(spec, 'tar.gz', await checkpointDirUnder(tmp, spec));
      const close = opened.close;
      return { ...opened, close: () => (close(), rmSync(tmp, { recursive: true, force: true })) };
    } catch (e) {
      rmSync(tmp, { recursive: true, force: true });
      throw e;
    }
  }
  if (spec.endsWith('.onnx')) {
    throw new UserError(`${spec}: pass the \`albert export\` directory (the one holding config.json and onnx/), not its model file`);
  }
  throw new UserError(`${spec}: not a checkpoint this tool reads (expected a TF checkpoint prefix, a .safetensors file, a directory or a .tar.gz)`);
}

// ---- matching and loading ---------------------------------------------------------------------

/** HF names a parameter may be stored under: its own and aliases, each with or without "albert.". */
function hfCandidates(spec: ParamSpec): string[] {
  const names = [spec.hfName, ...(spec.hfAliases ?? [])];
  // AlbertModel checkpoints store the encoder without the "albert." its task models put in front.
  return [...names, ...names.filter((n) => n.startsWith('albert.')).map((n) => n.slice('albert.'.length))];
}

function sameShape(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function toFloat32(source: string, name: string, t: WeightTensor): Float32Array {
  if (t.data instanceof Float32Array) return t.data;
  if (t.data instanceof Float64Array) return Float32Array.from(t.data);
  throw new UserError(`${source}: tensor "${name}" has dtype ${t.dtype}; a model parameter must be a float tensor`);
}

export interface LoadOptions {
  /** Seed for the parameters the checkpoint lacks (default 12345). */
  seed?: number;
  log?: (line: string) => void;
  /**
   * Load tensors holding NaN or Inf as they are, for debugging a diverged run. By default a
   * non-finite value in any loaded tensor refuses the checkpoint (NonFiniteWeightsError).
   */
  allowNonFinite?: boolean;
}

/** Where a tensor holds NaN or ±Inf: how many values, and the first one (flat index). */
export interface NonFiniteValues {
  count: number;
  first: number;
  value: number;
}

/** The non-finite values of `data`, or null when every value is finite. */
export function findNonFinite(data: Float32Array): NonFiniteValues | null {
  let count = 0;
  let first = -1;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    // v - v is 0 for every finite v, NaN for NaN and ±Inf.
    if (v - v !== 0) {
      if (count === 0) first = i;
      count++;
    }
  }
  return count === 0 ? null : { count, first, value: data[first] };
}

/** A flat index as the tensor's coordinates: 70 in [4, 32] -> [2, 6]. */
function coordinates(flat: number, shape: readonly number[]): number[] {
  const at = new Array<number>(shape.length).fill(0);
  for (let d = shape.length - 1, rest = flat; d >= 0; d--) {
    at[d] = shape[d] > 0 ? rest % shape[d] : 0;
    rest = shape[d] > 0 ? Math.floor(rest / shape[d]) : rest;
  }
  return at;
}

/** Loaded tensors holding NaN or Inf: a damaged checkpoint (or a diverged run's), refused by default. */
export class NonFiniteWeightsError extends OptionError {
  constructor(
    readonly source: string,
    readonly tensors: { name: string; shape: number[]; bad: NonFiniteValues }[],
  ) {
    const { name, shape, bad } = tensors[0];
    const at = shape.length > 1 ? `[${coordinates(bad.first, shape).join(', ')}]` : `${bad.first}`;
    const more = tensors.length > 1 ? ` (and ${tensors.length - 1} more tensor${tensors.length === 2 ? '' : 's'})` : '';
    super(
      `${source}: tensor "${name}" holds ${bad.count} non-finite value${bad.count === 1 ? '' : 's'} (NaN or Inf), the first at index ${at} (${bad.value})${more}: ` +
        `the weights are damaged or from a diverged run; {allowNonFinite} loads them anyway, for debugging`,
    );
    this.name = 'NonFiniteWeightsError';
  }
}

/**
 * Loads a checkpoint into the parameters `params` describes. Returns the values keyed by
 * ParamSpec.name in our (TF) layout, and a report of what was loaded, missing and unused.
 * Every loaded tensor is checked for NaN and Inf (see LoadOptions.allowNonFinite).
 */
export async function loadCheckpoint(
  spec: string,
  params: ParamSpec[],
  opts: LoadOptions = {},
): Promise<{ values: Map<string, Float32Array>; report: LoadReport }> {
  const ckpt = await openCheckpoint(spec, opts);
  try {
    return loadFromOpened(ckpt, params, opts);
  } finally {
    ckpt.close();
  }
}

/** loadCheckpoint on an already opened checkpoint (which stays open). */
export function loadFromOpened(
  ckpt: OpenedCheckpoint,
  params: ParamSpec[],
  opts: LoadOptions = {},
): { values: Map<string, Float32Array>; report: LoadReport } {
  const { source } = ckpt;
  const present = new Set(ckpt.names);
  const used = new Set<string>();
  /** Parameter name -> the checkpoint tensor holding it. */
  const sourceOf = new Map<string, string>();
  const mismatched: ShapeMismatch[] = [];
  for (const p of params) {
    const candidates = ckpt.naming === 'tf' ? [p.name] : hfCandidates(p);
    const found = candidates.filter((n) => present.has(n));
    if (found.length === 0) continue;
    // Aliases of a tied tensor hold the same values: read the first, consume them all.
    for (const n of found) used.add(n);
    const name = found[0];
    const expected = ckpt.naming === 'hf' && p.transposed ? [...p.shape].reverse() : p.shape;
    const got = ckpt.shapeOf(name);
    if (!sameShape(expected, got)) mismatched.push({ name, expected, got: [...got] });
    else sourceOf.set(p.name, name);
  }
  if (mismatched.length > 0) throw new CheckpointMismatchError(source, mismatched);
  if (sourceOf.size === 0 && params.length > 0) {
    const some = ckpt.names.slice(0, 3).map((n) => `"${n}"`).join(', ');
    throw new UserError(`${source}: none of the model's parameters is in this checkpoint (it holds ${ckpt.names.length} tensors${some ? `, e.g. ${some}` : ''}): not an ALBERT checkpoint?`);
  }

  const tensors = ckpt.read(new Set(sourceOf.values()));
  const values = new Map<string, Float32Array>();
  const loaded: string[] = [];
  const missing: string[] = [];
  const notes: string[] = [];
  const nonFinite: NonFiniteWeightsError['tensors'] = [];
  for (const p of params) {
    const name = sourceOf.get(p.name);
    if (name === undefined) continue;
    const t = tensors.get(name)!;
    const data = toFloat32(source, name, t);
    const bad = opts.allowNonFinite ? null : findNonFinite(data);
    if (bad) nonFinite.push({ name, shape: [...t.shape], bad });
    values.set(p.name, ckpt.naming === 'hf' && p.transposed ? transpose2d(data, p.shape[1], p.shape[0]) : data);
    loaded.push(p.name);
  }
  if (nonFinite.length > 0) throw new NonFiniteWeightsError(source, nonFinite);
  deriveIdentityProjection(ckpt, params, values, notes);
  const rng = new InitRng(opts.seed ?? 12345);
  for (const p of params) {
    if (values.has(p.name)) continue;
    values.set(p.name, initialValues(p.init, p.shape.reduce((a, d) => a * d, 1), rng));
    missing.push(p.name);
  }
  if (missing.length > 0) {
    opts.log?.(`${missing.length} parameter${missing.length === 1 ? '' : 's'} not in ${source}: initialised (seed ${opts.seed ?? 12345})`);
  }
  const unexpected = ckpt.names.filter((n) => !used.has(n));
  return { values, report: { source, format: ckpt.format, loaded, missing, unexpected, mismatched: [], notes } };
}

/**
 * The original has no embedding_hidden_mapping_in when embedding_size == hidden_size (the
 * embeddings feed the transformer directly); our model always has it, so an identity kernel and
 * a zero bias reproduce the original exactly.
 */
function deriveIdentityProjection(ckpt: OpenedCheckpoint, params: ParamSpec[], values: Map<string, Float32Array>, notes: string[]): void {
  if (ckpt.naming !== 'tf' || !ckpt.names.some((n) => n.startsWith('bert/encoder/transformer/'))) return;
  const kernel = params.find((p) => p.name === 'bert/encoder/embedding_hidden_mapping_in/kernel');
  const bias = params.find((p) => p.name === 'bert/encoder/embedding_hidden_mapping_in/bias');
  if (!kernel || !bias || values.has(kernel.name) || values.has(bias.name)) return;
  const [e, h] = kernel.shape;
  if (e !== h) return;
  const k = new Float32Array(e * h);
  for (let i = 0; i < e; i++) k[i * h + i] = 1;
  values.set(kernel.name, k);
  values.set(bias.name, new Float32Array(h));
  notes.push(`embedding_size == hidden_size and the checkpoint has no embedding_hidden_mapping_in (as in the original): using an identity projection`);
}

// ---- reporting --------------------------------------------------------------------------------

function listed(names: string[], max = 6): string {
  const shown = names.slice(0, max).join(', ');
  return names.length > max ? `${shown}, ... (${names.length - max} more)` : shown;
}

/** The report as a few lines for a command to print on stderr. */
export function formatLoadReport(report: LoadReport): string[] {
  const total = report.loaded.length + report.missing.length;
  const lines = [`loaded ${report.loaded.length} of ${total} parameters from ${report.source} (${report.format})`];
  if (report.missing.length > 0) lines.push(`  not in the checkpoint, initialised: ${listed(report.missing)}`);
  if (report.unexpected.length > 0) lines.push(`  in the checkpoint, not used: ${listed(report.unexpected)}`);
  for (const m of report.mismatched) lines.push(`  shape mismatch: ${m.name} is [${m.got.join(', ')}], expected [${m.expected.join(', ')}]`);
  for (const n of report.notes) lines.push(`  note: ${n}`);
  return lines;
}

// ---- config next to a checkpoint --------------------------------------------------------------

const CONFIG_NAMES = ['albert_config.json', 'config.json'];
const MAX_CONFIG_BYTES = 1 << 20;

/** The config inside an archive, read without extracting it: the shallowest, the original's name first. */
function configInArchive(archive: string): AlbertConfig | null {
  let best: { path: string; depth: number; rank: number; text: string } | null = null;
  try {
    listTar({
      file: archive,
      sync: true,
      onReadEntry: (entry) => {
        const path = entry.path.replace(/^\.\//, '');
        const rank = CONFIG_NAMES.indexOf(basename(path));
        const depth = path.split('/').length;
        const better = best === null || depth < best.depth || (depth === best.depth && rank < best.rank);
        if (rank < 0 || entry.type !== 'File' || (entry.size ?? 0) > MAX_CONFIG_BYTES || !better) {
          entry.resume();
          return;
        }
        const chunks: Buffer[] = [];
        entry.on('data', (c: Buffer) => chunks.push(c));
        entry.on('end', () => {
          best = { path, depth, rank, text: Buffer.concat(chunks).toString('utf8') };
        });
      },
    });
  } catch (e) {
    throw new UserError(`${archive}: cannot read the archive (${(e as Error).message})`);
  }
  const found = best as { path: string; text: string } | null;
  if (!found) return null;
  const source = `${archive}:${found.path}`;
  let json: unknown;
  try {
    json = JSON.parse(found.text);
  } catch (e) {
    throw new UserError(`${source}: invalid JSON (${(e as Error).message})`);
  }
  return parseAlbertConfig(json, source);
}

/**
 * The model config stored with a checkpoint (albert_config.json or config.json in its
 * directory or archive), or null when there is none.
 */
export function loadConfigForCheckpoint(spec: string): AlbertConfig | null {
  let dir: string;
  if (isFile(`${spec}.index`)) dir = dirname(spec);
  else if (isDir(spec)) dir = spec;
  else if (isFile(spec) && isTarGz(spec)) return configInArchive(spec);
  else if (isFile(spec)) dir = dirname(spec);
  else return null;
  if (!CONFIG_NAMES.some((n) => isFile(join(dir, n)))) return null;
  return loadAlbertConfig(dir);
}

// ---- which head a checkpoint carries ----------------------------------------------------------

/**
 * The head whose parameters a checkpoint holds: pretraining (MLM + SOP), mlm, squad, squad2,
 * classifier (labels from the output layer's shape; multiple-choice when an HF config says
 * AlbertForMultipleChoice) or just the encoder. Each head says how it is recognised
 * (heads/registry.ts).
 */
export function guessHead(ckpt: OpenedCheckpoint): { head: HeadName; numLabels?: number } {
  return recogniseHead({
    has: (...names) => names.find((n) => ckpt.names.includes(n)),
    shapeOf: (name) => ckpt.shapeOf(name),
    architectures: ckpt.architectures,
  });
}
