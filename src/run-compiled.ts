/**
 * Runs a compiled model directory (model.onnx + manifest.json) on a synthetic batch: the smoke
 * test and timing behind `albert run`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as ort from 'onnxruntime-node';
import { OptionError, UserError } from './util/errors.ts';
import type { Manifest } from './compile.ts';
import { createSession, type SessionOptions } from './backends/onnx/session.ts';
import { syntheticFeeds } from './backends/onnx/synthetic-feeds.ts';

export interface RunOptions extends SessionOptions {
  batchSize: number;
  seqLength: number;
  runs: number;
  seed?: number;
}

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
  try {
    const m = JSON.parse(text) as Manifest;
    if (m.format !== 'albert-compiler/manifest@1') throw new UserError(`${path}: field "format" is ${JSON.stringify(m.format)}, expected "albert-compiler/manifest@1"`);
    return m;
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError(`${path}: not valid JSON (${(e as Error).message})`);
  }
}

export async function runCompiled(dir: string, opts: RunOptions): Promise<RunReport> {
  const manifest = readManifest(dir);
  if (opts.seqLength > manifest.maxSeqLength) throw new OptionError(`{seqLength} ${opts.seqLength} exceeds the model's max_seq_length ${manifest.maxSeqLength} (manifest.json)`);
  const modelPath = join(dir, 'model.onnx');
  const t0 = performance.now();
  let session: ort.InferenceSession;
  try {
    session = await createSession(modelPath, opts);
  } catch (e) {
    throw new UserError(`${modelPath}: onnxruntime cannot load it (${(e as Error).message.split('\n')[0]})`);
  }
  const sessionSeconds = (performance.now() - t0) / 1000;
  const feeds = syntheticFeeds(manifest, { batchSize: opts.batchSize, seqLength: opts.seqLength, seed: opts.seed });
  const runSeconds: number[] = [];
  let result: ort.InferenceSession.OnnxValueMapType = {};
  for (let i = 0; i < opts.runs; i++) {
    const t = performance.now();
    result = await session.run(feeds);
    runSeconds.push((performance.now() - t) / 1000);
  }
  const outputs = Object.entries(result).map(([name, t]) => summarise(name, t as ort.Tensor));
  return { model: modelPath, batchSize: opts.batchSize, seqLength: opts.seqLength, sessionSeconds, runSeconds, outputs };
}

function summarise(name: string, t: ort.Tensor): OutputSummary {
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
