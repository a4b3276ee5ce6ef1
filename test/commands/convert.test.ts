import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { c as createTar } from 'tar';
import { presetConfig, toOriginalJson } from '../../src/model/config.ts';
import { modelParams, type ParamSpec } from '../../src/model/params.ts';
import { loadCheckpoint } from '../../src/model/weights/load.ts';
import { saveHfModel } from '../../src/model/weights/save-hf.ts';
import { normal, rng } from '../helpers/random.ts';
import { DT, writeTfBundle } from '../model/weights/tf-bundle-writer.ts';
import { albert, assertOneLineError } from '../helpers/cli.ts';





const tiny = presetConfig('tiny')!;

function randomValues(params: ParamSpec[], seed: number): Map<string, Float32Array> {
  const r = rng(seed);
  return new Map(params.map((p) => [p.name, Float32Array.from({ length: p.shape.reduce((a, d) => a * d, 1) }, () => normal(r))]));
}

async function assertLoadsAs(dir: string, params: ParamSpec[], values: Map<string, Float32Array>): Promise<void> {
  const { values: got, report } = await loadCheckpoint(dir, params);
  assert.deepEqual(report.missing, []);
  for (const p of params) assert.deepEqual(got.get(p.name), values.get(p.name), p.name);
}

describe('albert convert', () => {
  const root = mkdtempSync(join(tmpdir(), 'albert-convert-'));
  const params = modelParams(tiny, 'pretraining');
  const values = randomValues(params, 11);

  // An HF directory (config.json, model.safetensors) and an original release directory
  // (albert_config.json, model.ckpt-best.*, 30k-clean.model) holding the same weights.
  const hfDir = join(root, 'hf');
  saveHfModel(hfDir, tiny, params, values);
  const tfDir = join(root, 'albert_tiny');
  mkdirSync(tfDir);
  writeTfBundle(
    join(tfDir, 'model.ckpt-best'),
    [
      ...params.map((p) => ({ name: p.name, dtype: DT.FLOAT, shape: p.shape, bytes: new Uint8Array(values.get(p.name)!.slice().buffer) })),
      { name: 'global_step', dtype: DT.INT64, shape: [], bytes: new Uint8Array(8) },
      ...params.map((p) => ({ name: `${p.name}/adam_m`, dtype: DT.FLOAT, shape: p.shape, bytes: new Uint8Array(values.get(p.name)!.length * 4) })),
    ],
  );
  writeFileSync(join(tfDir, 'albert_config.json'), JSON.stringify(toOriginalJson(tiny)));
  // The release's SentencePiece model, copied as is (its content does not matter to convert).
  const spmBytes = Buffer.from('stand-in for a SentencePiece model proto');
  writeFileSync(join(tfDir, '30k-clean.model'), spmBytes);
  const archive = join(root, 'albert_tiny.tar.gz');
  createTar({ gzip: true, file: archive, cwd: root, sync: true }, ['albert_tiny']);

  it('converts a .safetensors file, a TF checkpoint and a release .tar.gz to HF directories', async () => {
    const [fromFile, fromTf, fromTar, asMlm] = await Promise.all([
      albert('convert', '--from', join(hfDir, 'model.safetensors'), '--out', join(root, 'out-file'), '--json'),
      albert('convert', '--from', join(tfDir, 'model.ckpt-best'), '--out', join(root, 'out-tf')),
      albert('convert', '--from', archive, '--out', join(root, 'out-tar')),
      albert('convert', '--from', hfDir, '--head', 'mlm', '--out', join(root, 'out-mlm')),
    ]);
    assert.equal(fromFile.code, 0, fromFile.stderr);
    const summary = JSON.parse(fromFile.stdout);
    assert.equal(summary.architecture, 'AlbertForPreTraining');
    assert.equal(summary.head, 'pretraining');
    assert.equal(summary.format, 'safetensors');
    assert.deepEqual(summary.missing, []);
    assert.match(fromFile.stderr, new RegExp(`^loaded ${params.length} of ${params.length} parameters from .*model\\.safetensors \\(safetensors\\)$`, 'm'));
    await assertLoadsAs(join(root, 'out-file'), params, values);

    assert.equal(fromTf.code, 0, fromTf.stderr);
    assert.equal(fromTf.stdout, '');
    // Optimizer slots and global_step are skipped without a word.
    assert.doesNotMatch(fromTf.stderr, /not used/);
    assert.match(fromTf.stderr, /wrote .*out-tf: AlbertForPreTraining, pretraining head/);
    await assertLoadsAs(join(root, 'out-tf'), params, values);
    // The converted files equal what saveHfModel writes directly.
    assert.deepEqual(readFileSync(join(root, 'out-tf', 'model.safetensors')), readFileSync(join(root, 'out-file', 'model.safetensors')));

    assert.equal(fromTar.code, 0, fromTar.stderr);
    assert.match(fromTar.stderr, /\(tar\.gz\)/);
    await assertLoadsAs(join(root, 'out-tar'), params, values);
    assert.match(fromTar.stderr, /\(SentencePiece model from 30k-clean\.model\)/);
    assert.deepEqual(readdirSync(join(root, 'out-tar')).sort(), ['config.json', 'model.safetensors', 'spiece.model']);
    assert.deepEqual(readFileSync(join(root, 'out-tar', 'spiece.model')), spmBytes);
    assert.deepEqual(readdirSync(join(root, 'out-file')).sort(), ['config.json', 'model.safetensors']);

    assert.equal(asMlm.code, 0, asMlm.stderr);
    assert.match(asMlm.stderr, /in the checkpoint, not used: sop_classifier\.classifier\.bias, sop_classifier\.classifier\.weight$/m);
    const config = JSON.parse(readFileSync(join(root, 'out-mlm', 'config.json'), 'utf8'));
    assert.deepEqual(config.architectures, ['AlbertForMaskedLM']);
    await assertLoadsAs(join(root, 'out-mlm'), modelParams(tiny, 'mlm'), values);
  });

  it('initialises and reports a head the checkpoint lacks', async () => {
    const r = await albert('convert', '--from', hfDir, '--head', 'classifier', '--num-labels', '3', '--seed', '5', '--out', join(root, 'out-cls'));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /loaded 25 of 27 parameters/);
    assert.match(r.stderr, /not in the checkpoint, initialised: output_weights, output_bias/);
    const config = JSON.parse(readFileSync(join(root, 'out-cls', 'config.json'), 'utf8'));
    assert.deepEqual(config.architectures, ['AlbertForSequenceClassification']);
    assert.equal(Object.keys(config.id2label).length, 3);
  });

  it('fails in one line, leaving existing output intact', async () => {
    const out = join(root, 'existing');
    mkdirSync(out);
    writeFileSync(join(out, 'config.json'), 'keep me');
    const corrupt = join(root, 'corrupt');
    mkdirSync(corrupt);
    const bytes = readFileSync(join(hfDir, 'model.safetensors'));
    writeFileSync(join(corrupt, 'model.safetensors'), bytes.subarray(0, bytes.length - 10));
    copyFileSync(join(hfDir, 'config.json'), join(corrupt, 'config.json'));
    const noConfig = join(root, 'no-config');
    mkdirSync(noConfig);
    copyFileSync(join(hfDir, 'model.safetensors'), join(noConfig, 'model.safetensors'));
    const [truncated, missingConfig, wrongConfig, noLabels, noSuchFile] = await Promise.all([
      albert('convert', '--from', corrupt, '--out', out),
      albert('convert', '--from', noConfig, '--out', out),
      albert('convert', '--from', hfDir, '--config', 'base', '--out', out),
      albert('convert', '--from', hfDir, '--head', 'classifier', '--out', out),
      albert('convert', '--from', join(root, 'nope.ckpt'), '--out', out),
    ]);
    assertOneLineError(truncated, /corrupt\/model\.safetensors: header entry ".*": data_offsets .* exceed the file's \d+-byte data section/);
    assertOneLineError(missingConfig, /no albert_config\.json or config\.json next to the checkpoint: pass --config/);
    assertOneLineError(wrongConfig, /tensors do not fit the model config: "albert\.embeddings\.word_embeddings\.weight" is \[128, 16\], expected \[30000, 128\]/);
    assertOneLineError(noLabels, /pass --num-labels/);
    assertOneLineError(noSuchFile, /nope\.ckpt not found/);
    assert.deepEqual(readdirSync(out), ['config.json']);
    assert.equal(readFileSync(join(out, 'config.json'), 'utf8'), 'keep me');
  });
});
