import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { onnx } from '../../src/backends/onnx/proto.ts';
import { tempDir, tinyConfig, trainSpm, writeCheckpoint } from '../export/fixtures.ts';
import { albert, assertOneLineError } from '../helpers/cli.ts';





/** Every file under dir with its bytes. */
function snapshot(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) out.set(join(e.parentPath, e.name), readFileSync(join(e.parentPath, e.name)));
  }
  return out;
}

describe('albert export (CLI)', () => {
  const root = tempDir('cli');
  let ckpt: string;
  let spmPath: string;
  let vocabSize: number;

  before(() => {
    const spm = trainSpm(root);
    spmPath = spm.path;
    vocabSize = spm.pieces;
    // A checkpoint directory without a SentencePiece model: the tokenizer comes from the flag.
    ckpt = writeCheckpoint(join(root, 'ckpt'), tinyConfig(spm.pieces), 'mlm').dir;
  });

  it('exports a checkpoint to the HF layout and summarises it', async () => {
    const out = join(root, 'web', 'mlm');
    const r = await albert('export', '--init-checkpoint', ckpt, '--spm-model-file', spmPath, '--out', out, '--json');
    assert.equal(r.code, 0, r.stderr);
    const summary = JSON.parse(r.stdout);
    assert.equal(summary.head, 'mlm');
    assert.deepEqual(summary.inputs.map((i: { name: string; dtype: string }) => `${i.name}:${i.dtype}`), ['input_ids:int64', 'attention_mask:int64', 'token_type_ids:int64']);
    assert.deepEqual(summary.outputs.map((o: { name: string; shape: unknown[] }) => [o.name, o.shape]), [['logits', ['batch', 'seq', vocabSize]]]);
    assert.equal(summary.ops.Einsum, undefined);
    assert.deepEqual(summary.missing, []);
    for (const f of ['config.json', 'onnx/model.onnx', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'spiece.model']) {
      assert.ok(existsSync(join(out, f)), `${f} missing`);
    }
    assert.match(r.stderr, /loaded \d+ of \d+ parameters from/);
    assert.match(r.stderr, /outputs logits float32\[batch, seq, \d+\]/);

    // Another head and --keep-einsum: the classifier layer is not in an MLM checkpoint.
    const cls = join(root, 'web', 'cls');
    const c = await albert('export', '--init-checkpoint', ckpt, '--head', 'classifier', '--num-labels', '2', '--keep-einsum', '--no-do-lower-case', '--spm-model-file', spmPath, '--out', cls);
    assert.equal(c.code, 0, c.stderr);
    assert.equal(c.stdout, '');
    assert.match(c.stderr, /not in the checkpoint, initialised: .*output_weights/);
    const ops = (onnx.ModelProto.decode(readFileSync(join(cls, 'onnx', 'model.onnx'))).graph?.node ?? []).map((n) => n.opType);
    assert.ok(ops.includes('Einsum'));
    assert.equal(JSON.parse(readFileSync(join(cls, 'tokenizer_config.json'), 'utf8')).do_lower_case, false);
  });

  it('reports bad input in one line and leaves an existing export as it was', async () => {
    const out = join(root, 'web', 'kept');
    const first = await albert('export', '--init-checkpoint', ckpt, '--spm-model-file', spmPath, '--out', out);
    assert.equal(first.code, 0, first.stderr);
    const before = snapshot(out);
    const aFile = join(root, 'corpus.txt');
    const [opset, head, noCkpt, badSpm, noLabels, outIsFile] = await Promise.all([
      albert('export', '--init-checkpoint', ckpt, '--opset', '18', '--out', out),
      albert('export', '--init-checkpoint', ckpt, '--head', 'pretraining', '--out', out),
      albert('export', '--init-checkpoint', join(root, 'missing'), '--out', out),
      albert('export', '--init-checkpoint', ckpt, '--spm-model-file', join(root, 'corpus.txt'), '--out', out),
      albert('export', '--init-checkpoint', ckpt, '--head', 'classifier', '--out', out),
      albert('export', '--init-checkpoint', ckpt, '--spm-model-file', spmPath, '--out', aFile),
    ]);
    assertOneLineError(opset, /--opset 18 is not supported \(supported: 17\)/);
    assertOneLineError(head, /--head.*pretraining/);
    assertOneLineError(noCkpt, /missing not found/);
    assertOneLineError(badSpm, /corpus\.txt: not a SentencePiece model/);
    assertOneLineError(noLabels, /: pass --num-labels$/);
    // writeExport's outDir is this command's --output-dir.
    assertOneLineError(outIsFile, /^Error: --output-dir .*corpus\.txt is a file, not a directory$/);
    assert.deepEqual(snapshot(out), before);
    assert.deepEqual(readdirSync(out).filter((f) => f.includes('.partial-')), []);
  });
});
