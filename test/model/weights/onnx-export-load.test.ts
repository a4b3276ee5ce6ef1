// --init-checkpoint <an `albert export` directory>: the weights come back from onnx/model.onnx's
// initializers bit for bit, the config from config.json, the head from the names (and
// config.json's architectures), and `albert convert` turns the export back into the HF
// checkpoint it came from.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { UserError } from '../../../src/ir/errors.ts';
import type { AlbertConfig } from '../../../src/model/config.ts';
import { modelParams, type HeadName } from '../../../src/model/params.ts';
import { exportModel, writeExport, type ExportResult } from '../../../src/export/export.ts';
import type { ExportHead } from '../../../src/export/export-graph.ts';
import { guessHead, loadCheckpoint, loadConfigForCheckpoint, openCheckpoint } from '../../../src/model/weights/load.ts';
import { readSafetensors } from '../../../src/model/weights/safetensors.ts';
import { readClassifierLabels } from '../../../src/model/weights/save-hf.ts';
import { albert } from '../../helpers/cli.ts';
import { tempDir, tinyConfig, trainSpm, writeCheckpoint, type SpmModel } from '../../export/fixtures.ts';

const onnx = onnxProto.onnx;
const root = tempDir('onnx-load');
let spm: SpmModel;
let cfg: AlbertConfig;
const LABELS = { names: ['entailment', 'neutral', 'contradiction'] };

interface Exported {
  checkpoint: string;
  dir: string;
  values: Map<string, Float32Array>;
  result: ExportResult;
}
const exported = new Map<ExportHead, Exported>();

/** A tiny checkpoint of `head` with known random weights, exported to <root>/export-<head>. */
async function exportOf(head: ExportHead): Promise<Exported> {
  let e = exported.get(head);
  if (!e) {
    const numLabels = head === 'classifier' ? LABELS.names.length : undefined;
    const labels = head === 'classifier' ? LABELS : undefined;
    const ckpt = writeCheckpoint(join(root, `ckpt-${head}`), cfg, head, { numLabels, spm: spm.path, seed: 3 + exported.size, labels });
    const result = await exportModel({ initCheckpoint: ckpt.dir, head });
    const dir = join(root, `export-${head}`);
    writeExport(result, dir);
    e = { checkpoint: ckpt.dir, dir, values: ckpt.values, result };
    exported.set(head, e);
  }
  return e;
}

function bytesOf(a: Float32Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

function isOneLineUserError(pattern: RegExp): (e: unknown) => boolean {
  return (e: unknown) => {
    assert.ok(e instanceof UserError, `not a UserError: ${String(e)}`);
    assert.ok(!e.message.includes('\n'), e.message);
    assert.match(e.message, pattern);
    return true;
  };
}

/**
 * Loads the export of `head` as `--init-checkpoint` would, against the head's full parameter
 * table, and checks every parameter the export holds against the original bit for bit.
 */
async function checkRoundTrip(head: ExportHead, numLabels?: number): Promise<void> {
  const e = await exportOf(head);
  const params = modelParams(cfg, head, { numLabels });
  const { values, report } = await loadCheckpoint(e.dir, params);
  assert.equal(report.format, 'onnx-export');
  assert.equal(report.source, e.dir);
  assert.deepEqual(report.unexpected, []);
  assert.deepEqual(report.notes, []);
  // What the export carries is what it loaded from the checkpoint; only parameters its graph
  // does not read (the pooler of an mlm model) are absent, and come back initialised.
  assert.deepEqual(report.loaded, e.result.report.loaded);
  assert.deepEqual(e.result.report.missing, []);
  const exportedNames = new Set(e.result.report.loaded);
  assert.deepEqual(report.missing, params.map((p) => p.name).filter((n) => !exportedNames.has(n)));
  for (const name of report.loaded) {
    const got = values.get(name)!;
    const want = e.values.get(name)!;
    assert.ok(bytesOf(got).equals(bytesOf(want)), `${head}: ${name} differs from the original`);
  }
  assert.deepEqual(loadConfigForCheckpoint(e.dir), cfg);
  const opened = await openCheckpoint(e.dir);
  try {
    assert.deepEqual(guessHead(opened), { head, ...(numLabels !== undefined ? { numLabels } : {}) });
  } finally {
    opened.close();
  }
}

describe('loading an `albert export` directory as a checkpoint', () => {
  before(() => {
    spm = trainSpm(root);
    cfg = tinyConfig(spm.pieces);
  });

  it('a classifier: every parameter bit for bit, config, head, labels; re-exporting gives the same bytes', async () => {
    await checkRoundTrip('classifier', LABELS.names.length);
    const e = await exportOf('classifier');
    assert.deepEqual(readClassifierLabels(e.dir)?.names, LABELS.names);
    const again = await exportModel({ initCheckpoint: e.dir });
    assert.equal(again.head, 'classifier');
    assert.deepEqual(again.labels?.names, LABELS.names);
    assert.ok(Buffer.from(again.model).equals(Buffer.from(e.result.model)), 'the re-export differs from the export');
  });

  it('an mlm model: every parameter bit for bit, the pooler (not in the export) initialised', async () => {
    await checkRoundTrip('mlm');
    const { report } = await loadCheckpoint((await exportOf('mlm')).dir, modelParams(cfg, 'mlm'));
    assert.deepEqual(report.missing, ['bert/pooler/dense/kernel', 'bert/pooler/dense/bias']);
  });

  it('an encoder: every parameter bit for bit', async () => {
    await checkRoundTrip('encoder');
    const { report } = await loadCheckpoint((await exportOf('encoder')).dir, modelParams(cfg, 'encoder'));
    assert.deepEqual(report.missing, []);
  });

  it('a multiple-choice model is told from a classifier by config.json', async () => {
    await checkRoundTrip('multiple-choice');
  });

  it('loads an export as another head: the encoder part, the rest initialised and reported', async () => {
    const e = await exportOf('classifier');
    const head: HeadName = 'encoder';
    const { report } = await loadCheckpoint(e.dir, modelParams(cfg, head));
    assert.deepEqual(report.missing, []);
    assert.deepEqual(report.unexpected.sort(), ['output_bias', 'output_weights']);
  });

  it('refuses a corrupt model.onnx, a model without weights and the model file itself, in one line naming the file', async () => {
    const e = await exportOf('encoder');
    const model = readFileSync(join(e.dir, 'onnx', 'model.onnx'));
    const bad = join(root, 'bad');
    mkdirSync(join(bad, 'onnx'), { recursive: true });
    copyFileSync(join(e.dir, 'config.json'), join(bad, 'config.json'));
    const file = join(bad, 'onnx', 'model.onnx');
    const params = modelParams(cfg, 'encoder');
    const named = (what: string): RegExp => new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: ${what}`);

    writeFileSync(file, model.subarray(0, Math.floor(model.length / 2)));
    await assert.rejects(loadCheckpoint(bad, params), isOneLineUserError(named('not a valid ONNX model')));
    writeFileSync(file, Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]));
    await assert.rejects(loadCheckpoint(bad, params), isOneLineUserError(named('not a valid ONNX model')));
    writeFileSync(file, '');
    await assert.rejects(loadCheckpoint(bad, params), isOneLineUserError(named('not a valid ONNX model \\(it has no graph\\)')));
    writeFileSync(file, onnx.ModelProto.encode(onnx.ModelProto.create({ graph: onnx.GraphProto.create({ name: 'empty' }) })).finish());
    await assert.rejects(loadCheckpoint(bad, params), isOneLineUserError(named('the ONNX model has no float initializers')));
    await assert.rejects(loadCheckpoint(join(e.dir, 'onnx', 'model.onnx'), params), isOneLineUserError(/pass the `albert export` directory/));
  });

  it('reads initializers stored as float_data, float64 and float16 too (a model re-saved by other tools)', async () => {
    const e = await exportOf('encoder');
    const model = onnx.ModelProto.decode(readFileSync(join(e.dir, 'onnx', 'model.onnx')));
    const inits = model.graph!.initializer!;
    const f32 = (t: onnxProto.onnx.ITensorProto): Float32Array => new Float32Array(new Uint8Array(t.rawData!).buffer);
    const [a, b, c] = [inits[0], inits[1], inits[2]];
    a.floatData = Array.from(f32(a));
    a.rawData = new Uint8Array(0);
    b.dataType = 11;
    b.rawData = new Uint8Array(Float64Array.from(f32(b)).buffer);
    const halfOf = f32(c).map((x) => Math.round(x * 1024) / 1024); // exact in float16
    c.dataType = 10;
    c.rawData = new Uint8Array(0);
    c.int32Data = Array.from(halfOf, (x) => {
      const bits = new Uint32Array(new Float32Array([x]).buffer)[0];
      if ((bits & 0x7fffffff) === 0) return (bits >>> 16) & 0x8000;
      const exp = ((bits >>> 23) & 0xff) - 127 + 15;
      assert.ok(exp > 0 && exp < 31 && (bits & 0x1fff) === 0, `${x} is not a normal float16`);
      return ((bits >>> 16) & 0x8000) | (exp << 10) | ((bits >>> 13) & 0x3ff);
    });
    const dir = join(root, 'resaved');
    mkdirSync(join(dir, 'onnx'), { recursive: true });
    copyFileSync(join(e.dir, 'config.json'), join(dir, 'config.json'));
    writeFileSync(join(dir, 'onnx', 'model.onnx'), onnx.ModelProto.encode(model).finish());
    const { values, report } = await loadCheckpoint(dir, modelParams(cfg, 'encoder'));
    assert.deepEqual(report.missing, []);
    for (const t of [a, b]) assert.ok(bytesOf(values.get(t.name!)!).equals(bytesOf(e.values.get(t.name!)!)), t.name!);
    assert.deepEqual(values.get(c.name!), halfOf);
  });

  it('`albert convert --from <export dir>` writes the checkpoint the export came from', async () => {
    const e = await exportOf('classifier');
    const out = join(root, 'converted');
    const r = await albert('convert', '--from', e.dir, '--out', out);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /loaded \d+ of \d+ parameters from .* \(onnx-export\)/);
    assert.doesNotMatch(r.stderr, /not in the checkpoint|not used/);
    const original = readSafetensors(join(e.checkpoint, 'model.safetensors')).tensors;
    const converted = readSafetensors(join(out, 'model.safetensors')).tensors;
    assert.deepEqual([...converted.keys()].sort(), [...original.keys()].sort());
    for (const [name, t] of original) {
      const c = converted.get(name)!;
      assert.equal(c.dtype, 'float32');
      assert.deepEqual(c.shape, t.shape, name);
      assert.ok(bytesOf(c.data as Float32Array).equals(bytesOf(t.data as Float32Array)), `${name} differs from the original`);
    }
    assert.ok(readFileSync(join(out, 'spiece.model')).equals(readFileSync(spm.path)));
  });
});
