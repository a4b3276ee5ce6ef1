/**
 * Training checkpoints: one directory per saved step,
 *
 *   <output_dir>/checkpoint-<step>/
 *     model.safetensors, config.json   the weights under HF names (saveHfModel): loadable by
 *                                      --init-checkpoint, loadCheckpoint and HuggingFace
 *     optimizer.safetensors            the optimizer slots under the original's TF-style names
 *                                      (<var>/adam_m, <var>/adam_v), TF layout
 *     training_state.json              step, the RNG key, the data cursor, settings, history
 *
 * Written atomically: everything goes to a hidden temporary directory, each file and the
 * directory are fsync'ed, then one rename puts it in place (and the output directory is
 * fsync'ed). A process killed at any moment leaves either no checkpoint-<step> or a complete
 * one, plus perhaps a temporary directory that the next run removes. training_state.json is
 * written last, so a checkpoint directory without it was not made by this code.
 */
import { closeSync, copyFileSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LossScaleState } from './loss-scale.ts';
import { UserError } from '../ir/errors.ts';
import type { AlbertConfig } from '../model/config.ts';
import type { ParamSpec } from '../model/params.ts';
import { loadCheckpoint } from '../model/weights/load.ts';
import { readSafetensors, readSafetensorsHeader, writeSafetensors } from '../model/weights/safetensors.ts';
import { saveHfModel, type SaveHfOptions } from '../model/weights/save-hf.ts';
import type { WeightTensor } from '../model/weights/types.ts';
import type { EvalReport } from './task.ts';
import { killPoint } from './kill-points.ts';
import { makeDir } from '../util/make-dir.ts';

export const STATE_FILE = 'training_state.json';
export const SLOTS_FILE = 'optimizer.safetensors';
export const MODEL_FILE = 'model.safetensors';
export const BEST_DIR = 'best';
const STATE_FORMAT = 'albert-compiler/training-state@1';
const CHECKPOINT_DIR = /^checkpoint-(\d+)$/;
/** Leftovers of a run that was killed while writing: removed by cleanStaleFiles. */
const STALE = /^\.(checkpoint-\d+|best)\.(tmp|old)-\d+$/;

/**
 * The settings a run must keep when it is resumed (they decide what the next step computes):
 * the model config and the loop's and the task's settings under their snake_case names
 * (train_batch_size, learning_rate, max_predictions_per_seq, task_name, ...).
 */
export interface RunSettings {
  config: AlbertConfig;
  [setting: string]: unknown;
}

/** One logged training step (the loop keeps them every few steps for reports): step, loss, learning_rate and the task's metrics. */
export interface TrainPoint {
  step: number;
  loss: number;
  learning_rate: number;
  [metric: string]: number;
}

export interface TrainingState {
  format: typeof STATE_FORMAT;
  /** Updates done: the next step to take (the original's global_step). */
  global_step: number;
  num_train_steps: number;
  settings: RunSettings;
  /** Dropout masks are a function of (seed, step): the whole RNG state is this key. */
  rng: { dropout_seed: number; next_dropout_step: number };
  /** Where the task's training data continues (its own JSON). */
  data_cursor: unknown;
  /** Steps whose loss was not finite and that were skipped (--skip-nonfinite-steps). */
  skipped_steps: number[];
  /** Mixed precision: the dynamic loss scale to go on with (absent in float32 runs). */
  loss_scale?: LossScaleState;
  /** Data-parallel workers of the run that wrote it (settings.grad_accum counts all their micro-batches). */
  workers?: number;
  /** Training time before this checkpoint, all runs together. */
  elapsed_seconds: number;
  evals: EvalReport[];
  /** The best evaluation so far: its step and the task's main metric under its name. */
  best: { step: number; [metric: string]: number } | null;
  history: TrainPoint[];
}

export interface CheckpointInfo {
  step: number;
  dir: string;
}

function fsyncPath(path: string, dir = false): void {
  // A directory is opened read-only to fsync its entries (rename durability).
  const fd = openSync(path, dir ? 'r' : 'r+');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function syncDirContents(dir: string): void {
  for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isFile()) fsyncPath(join(dir, e.name));
  fsyncPath(dir, true);
}

/** Moves a finished temporary directory to `final`, replacing what is there. */
function swapIntoPlace(tmp: string, final: string, parent: string): void {
  let old: string | null = null;
  try {
    statSync(final);
    old = join(parent, `.${final.slice(parent.length + 1)}.old-${process.pid}`);
    rmSync(old, { recursive: true, force: true });
    renameSync(final, old);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  renameSync(tmp, final);
  fsyncPath(parent, true);
  if (old) rmSync(old, { recursive: true, force: true });
}

function fail(what: string, e: unknown): never {
  if (e instanceof UserError) throw e;
  throw new UserError(`cannot write ${what}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
}

/** The parameter a slot belongs to: "<var>/adam_m" -> <var>. */
function specOfSlot(specs: ParamSpec[], slot: string): ParamSpec | undefined {
  const owner = slot.slice(0, slot.lastIndexOf('/'));
  return specs.find((s) => s.name === owner);
}

export interface CheckpointContents {
  config: AlbertConfig;
  /** What config.json carries besides the config (head, label names). */
  save?: Omit<SaveHfOptions, 'spmModelFile' | 'extraMetadata'>;
  specs: ParamSpec[];
  /** Parameters by TF name, TF layout. */
  values: Map<string, Float32Array>;
  /** Optimizer slots by graph input name (<var>/adam_m, ...), TF layout. */
  slots: Map<string, Float32Array>;
  state: TrainingState;
}

/** Writes checkpoint-<step> atomically; returns its directory. */
export function writeCheckpoint(outputDir: string, c: CheckpointContents): string {
  const step = c.state.global_step;
  const name = `checkpoint-${step}`;
  const final = join(outputDir, name);
  const tmp = join(outputDir, `.${name}.tmp-${process.pid}`);
  try {
    rmSync(tmp, { recursive: true, force: true });
    makeDir(tmp);
    saveHfModel(tmp, c.config, c.specs, c.values, { ...c.save, extraMetadata: { global_step: String(step) } });
    killPoint('mid-checkpoint', step);
    const slotTensors = [...c.slots].map(([n, data]): [string, WeightTensor] => {
      const spec = specOfSlot(c.specs, n);
      if (!spec) throw new Error(`optimizer slot ${n} belongs to no parameter`);
      return [n, { dtype: 'float32', shape: [...spec.shape], data }];
    });
    writeSafetensors(join(tmp, SLOTS_FILE), slotTensors, { format: 'albert-compiler/optimizer-slots', global_step: String(step) });
    writeFileSync(join(tmp, STATE_FILE), `${JSON.stringify(c.state, null, 1)}\n`);
    syncDirContents(tmp);
    swapIntoPlace(tmp, final, outputDir);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    fail(final, e);
  }
  return final;
}

/** The complete checkpoints in `outputDir`, oldest first. */
export function listCheckpoints(outputDir: string): CheckpointInfo[] {
  let names: string[];
  try {
    names = readdirSync(outputDir);
  } catch {
    return [];
  }
  const out: CheckpointInfo[] = [];
  for (const n of names) {
    const m = CHECKPOINT_DIR.exec(n);
    if (!m) continue;
    const dir = join(outputDir, n);
    try {
      if (!statSync(join(dir, STATE_FILE)).isFile()) continue;
    } catch {
      continue;
    }
    out.push({ step: Number(m[1]), dir });
  }
  return out.sort((a, b) => a.step - b.step);
}

export function latestCheckpoint(outputDir: string): CheckpointInfo | null {
  const all = listCheckpoints(outputDir);
  return all.length > 0 ? all[all.length - 1] : null;
}

/** Removes the temporary directories a killed run left behind (never a finished checkpoint). */
export function cleanStaleFiles(outputDir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(outputDir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const n of names) {
    const m = STALE.exec(n);
    if (!m) continue;
    // A finished directory (`best`, or a checkpoint being rewritten) moved aside just before its
    // replacement went in: if the replacement is missing, the old one is the good copy; restore it.
    if (m[2] === 'old' && !existsSync(join(outputDir, m[1]))) {
      renameSync(join(outputDir, n), join(outputDir, m[1]));
      continue;
    }
    rmSync(join(outputDir, n), { recursive: true, force: true });
    removed.push(n);
  }
  return removed;
}

/** Keeps the newest `keep` checkpoints (0: all); returns the directories removed. */
export function pruneCheckpoints(outputDir: string, keep: number): string[] {
  if (keep <= 0) return [];
  const all = listCheckpoints(outputDir);
  const drop = all.slice(0, Math.max(0, all.length - keep));
  for (const c of drop) rmSync(c.dir, { recursive: true, force: true });
  return drop.map((c) => c.dir);
}

/** Copies a checkpoint directory to <output_dir>/best (atomically, replacing the old one). */
export function saveBest(outputDir: string, checkpointDir: string, step: number): string {
  const final = join(outputDir, BEST_DIR);
  const tmp = join(outputDir, `.${BEST_DIR}.tmp-${process.pid}`);
  try {
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp);
    const files = readdirSync(checkpointDir);
    files.forEach((f, i) => {
      copyFileSync(join(checkpointDir, f), join(tmp, f));
      if (i === 0) killPoint('mid-best', step);
    });
    syncDirContents(tmp);
    swapIntoPlace(tmp, final, outputDir);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    fail(final, e);
  }
  return final;
}

/** The step of the checkpoint in <output_dir>/best, or null. */
export function bestStep(outputDir: string): number | null {
  try {
    return readTrainingState(join(outputDir, BEST_DIR, STATE_FILE)).global_step;
  } catch {
    return null;
  }
}

export function readTrainingState(path: string): TrainingState {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new UserError(`${path}: cannot read the training state (${(e as Error).message})`);
  }
  const s = json as Partial<TrainingState> | null;
  if (!s || typeof s !== 'object' || s.format !== STATE_FORMAT) {
    throw new UserError(`${path}: field "format" is ${JSON.stringify(s?.format)}, expected "${STATE_FORMAT}"`);
  }
  const int = (v: unknown): boolean => Number.isSafeInteger(v) && (v as number) >= 0;
  if (!int(s.global_step)) throw new UserError(`${path}: field "global_step" must be a non-negative integer`);
  if (!s.settings || typeof s.settings !== 'object') throw new UserError(`${path}: field "settings" is missing`);
  if (!s.data_cursor || typeof s.data_cursor !== 'object') throw new UserError(`${path}: field "data_cursor" is missing`);
  if (!s.rng || !Number.isSafeInteger(s.rng.dropout_seed)) throw new UserError(`${path}: field "rng" is missing its dropout_seed`);
  return {
    ...s,
    skipped_steps: Array.isArray(s.skipped_steps) ? s.skipped_steps : [],
    evals: Array.isArray(s.evals) ? s.evals : [],
    history: Array.isArray(s.history) ? s.history : [],
    best: s.best ?? null,
    elapsed_seconds: typeof s.elapsed_seconds === 'number' ? s.elapsed_seconds : 0,
  } as TrainingState;
}

/** Checks that a checkpoint's safetensors file is there and whole (its header and size; no tensor is read). */
function checkWeightsFile(dir: string, file: string, what: string): void {
  const path = join(dir, file);
  if (!existsSync(path)) throw new UserError(`${path}: the checkpoint's ${what} file is missing`);
  try {
    readSafetensorsHeader(path);
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    // The reader names the file; say what it is in the checkpoint.
    const m = e.message.startsWith(`${path}: `) ? e.message.slice(path.length + 2) : e.message;
    throw new UserError(`${path}: the checkpoint's ${what} file is corrupt (${m})`);
  }
}

/**
 * Checks that a checkpoint directory can be resumed from without reading its tensors: the
 * training state parses, model.safetensors and (unless `optimizer` is false)
 * optimizer.safetensors are there, with whole headers and sizes. Returns the training state;
 * a one-line UserError naming the file and the problem otherwise.
 */
export function verifyCheckpoint(dir: string, opts: { optimizer?: boolean } = {}): TrainingState {
  const state = readTrainingState(join(dir, STATE_FILE));
  checkWeightsFile(dir, MODEL_FILE, 'model');
  if (opts.optimizer !== false) checkWeightsFile(dir, SLOTS_FILE, 'optimizer');
  return state;
}

/** Reads a checkpoint back: every parameter and every slot must be there with its shape. */
export async function readCheckpoint(
  dir: string,
  specs: ParamSpec[],
  slotNames: string[],
): Promise<{ values: Map<string, Float32Array>; slots: Map<string, Float32Array>; state: TrainingState }> {
  // Checked here, so a missing file gets a checkpoint's message (not the loader's about TF checkpoint prefixes).
  const state = verifyCheckpoint(dir, { optimizer: slotNames.length > 0 });
  const { values, report } = await loadCheckpoint(join(dir, MODEL_FILE), specs);
  if (report.missing.length > 0) throw new UserError(`${join(dir, MODEL_FILE)}: parameter "${report.missing[0]}" is missing (${report.missing.length} in all)`);
  const slots = new Map<string, Float32Array>();
  // Evaluation asks for no slots: the optimizer file (twice the model's size) is not read at all.
  if (slotNames.length === 0) return { values, slots, state };
  const slotsPath = join(dir, SLOTS_FILE);
  const { tensors } = readSafetensors(slotsPath);
  for (const n of slotNames) {
    const t = tensors.get(n);
    if (!t) throw new UserError(`${slotsPath}: optimizer slot "${n}" is missing`);
    if (!(t.data instanceof Float32Array)) throw new UserError(`${slotsPath}: optimizer slot "${n}" is ${t.dtype}, expected float32`);
    const spec = specOfSlot(specs, n);
    const numel = spec ? spec.shape.reduce((a, d) => a * d, 1) : -1;
    if (t.data.length !== numel) throw new UserError(`${slotsPath}: optimizer slot "${n}" has shape [${t.shape.join(', ')}], expected [${spec?.shape.join(', ')}]`);
    slots.set(n, t.data);
  }
  return { values, slots, state };
}
