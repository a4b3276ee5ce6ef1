/**
 * Runs a compiled model directory (model.onnx + manifest.json) on a synthetic batch: the smoke
 * test and timing behind `albert run`.
 */
import { readFileSync } from 'node:fs';
import { totalmem } from 'node:os';
import { join } from 'node:path';
import { OptionError, UserError } from './util/errors.ts';
import { buildModelGraph, type Manifest } from './compile.ts';
import { checkThreads, type SessionOptions } from './backends/onnx/session.ts';
import { CPU, targetFor, type Device, type Executable, type HostTensor } from './backends/target.ts';
import { analyzeGraph } from './inspect/analyze.ts';
import { syntheticFeeds } from './backends/onnx/synthetic-feeds.ts';

export interface RunOptions extends SessionOptions {
  batchSize: number;
  /** Default: min(128, the model's max_seq_length). */
  seqLength?: number;
  runs: number;
  seed?: number;
  /** Run even when the memory estimate exceeds this machine's memory. */
  noMemoryCheck?: boolean;
  /** Where to run (default: the CPU). */
  device?: Device;
}

/** `albert run`'s sequence length when none is given: 128, or less for a model that takes less. */
export const DEFAULT_RUN_SEQ_LENGTH = 128;

export interface OutputSummary {
  name: string;
  dtype: string;
  shape: number[];
  /** The value for scalars; mean and max |x| otherwise. */
  value?: number;
  mean?: number;
  maxAbs?: number;
  finite: boolean;
}

export interface RunReport {
  model: string;
  batchSize: number;
  seqLength: number;
  sessionSeconds: number;
  runSeconds: number[];
  outputs: OutputSummary[];
}

export function readManifest(dir: string): Manifest {
  const path = join(dir, 'manifest.json');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new UserError(`${path}: cannot read the manifest (compile the model into ${dir} first)`);
  }
  const notManifest = `not a manifest written by \`albert compile\` (compile the model into ${dir} again)`;
  if (text.trim() === '') throw new UserError(`${path}: the file is empty: ${notManifest}`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new UserError(`${path}: not valid JSON (${(e as Error).message})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new UserError(`${path}: holds ${Array.isArray(json) ? 'an array' : JSON.stringify(json)}, not an object: ${notManifest}`);
  const m = json as Manifest;
  if (m.format === undefined) throw new UserError(`${path}: no "format" field: ${notManifest}`);
  if (m.format !== 'albert-compiler/manifest@1') throw new UserError(`${path}: field "format" is ${JSON.stringify(m.format)}, expected "albert-compiler/manifest@1"`);
  return m;
}

/**
 * Bytes a run of the model at this batch size and sequence length needs, as `albert inspect`
 * counts them: the peak of activations alive at once (the IR graph rebuilt from the manifest;
 * a training step is counted as its gradient graph) plus the parameters.
 */
export function estimateRunBytes(manifest: Manifest, batchSize: number, seqLength: number): { activationBytes: number; parameterBytes: number } {
  const dims = (name: string): (number | string)[] | undefined => manifest.inputs.find((i) => i.name === name)?.shape;
  const ids = dims('input_ids');
  const positions = dims('masked_lm_positions');
  const graph = buildModelGraph({
    config: manifest.config,
    head: manifest.head,
    mode: manifest.mode === 'infer' ? 'infer' : 'grad',
    maxSeqLength: manifest.maxSeqLength,
    ...(ids && ids.length === 3 && typeof ids[1] === 'number' ? { numChoices: ids[1] } : {}),
    ...(positions && typeof positions[1] === 'number' ? { maxPredictions: positions[1] } : {}),
  });
  const report = analyzeGraph(graph, { batchSize, seqLength });
  return { activationBytes: report.memory?.peakLiveBytes ?? 0, parameterBytes: report.parameters.count * 4 };
}

function checkMemory(manifest: Manifest, batchSize: number, seqLength: number): void {
  const { activationBytes, parameterBytes } = estimateRunBytes(manifest, batchSize, seqLength);
  const need = activationBytes + parameterBytes;
  const have = totalmem();
  if (need > have) {
    const gb = (x: number): string => `${(x / 2 ** 30).toFixed(1)} GiB`;
    throw new OptionError(
      `{batchSize} ${batchSize} x {seqLength} ${seqLength} needs about ${gb(need)} (${gb(activationBytes)} of activations at their peak, as \`albert inspect\` estimates, and ${gb(parameterBytes)} of parameters), more than this machine's ${gb(have)} of memory: make them smaller, or pass {noMemoryCheck} to try anyway`,
    );
  }
}

export async function runCompiled(dir: string, opts: RunOptions): Promise<RunReport> {
  checkThreads(opts.threads);
  const manifest = readManifest(dir);
  const seqLength = opts.seqLength ?? Math.min(DEFAULT_RUN_SEQ_LENGTH, manifest.maxSeqLength);
  if (seqLength > manifest.maxSeqLength) throw new OptionError(`{seqLength} ${seqLength} exceeds the model's max_seq_length ${manifest.maxSeqLength} (manifest.json)`);
  if (!opts.noMemoryCheck) checkMemory(manifest, opts.batchSize, seqLength);
  const modelPath = join(dir, 'model.onnx');
  const t0 = performance.now();
  let session: Executable;
  const device = opts.device ?? CPU;
  try {
    session = await targetFor(device).open(modelPath, opts);
  } catch (e) {
    // A missing onnxruntime-node says so itself, in one line.
    if (e instanceof UserError) throw e;
    const why = (e as Error).message.split('\n')[0];
    if (device.name !== 'cpu') throw new OptionError(`{device} ${device.name}: onnxruntime could not open ${modelPath} there (${why}); \`albert doctor\` says what is missing`);
    throw new UserError(`${modelPath}: onnxruntime cannot load it (${why})`);
  }
  const sessionSeconds = (performance.now() - t0) / 1000;
  const feeds = syntheticFeeds(manifest, { batchSize: opts.batchSize, seqLength, seed: opts.seed });
  const runSeconds: number[] = [];
  let result: Readonly<Record<string, HostTensor>> = {};
  for (let i = 0; i < opts.runs; i++) {
    const t = performance.now();
    result = await session.run(feeds);
    runSeconds.push((performance.now() - t) / 1000);
  }
  const outputs = Object.entries(result).map(([name, t]) => summarise(name, t));
  return { model: modelPath, batchSize: opts.batchSize, seqLength, sessionSeconds, runSeconds, outputs };
}

function summarise(name: string, t: HostTensor): OutputSummary {
  const data = t.data as ArrayLike<number>;
  let sum = 0;
  let maxAbs = 0;
  let finite = true;
  for (let i = 0; i < data.length; i++) {
    const x = Number(data[i]);
    if (!Number.isFinite(x)) finite = false;
    sum += x;
    maxAbs = Math.max(maxAbs, Math.abs(x));
  }
  const base = { name, dtype: t.type, shape: [...t.dims], finite };
  return data.length === 1 ? { ...base, value: Number(data[0]) } : { ...base, mean: sum / data.length, maxAbs };
}
