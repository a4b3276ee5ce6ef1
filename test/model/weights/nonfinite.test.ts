import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { presetConfig } from '../../../src/model/config.ts';
import { modelParams } from '../../../src/model/params.ts';
import { findNonFinite, loadCheckpoint, NonFiniteWeightsError } from '../../../src/model/weights/load.ts';
import { saveHfModel } from '../../../src/model/weights/save-hf.ts';
import { randomValues, trainSpm } from '../../export/fixtures.ts';
import { albert, assertOneLineError } from '../../helpers/cli.ts';

const tiny = presetConfig('tiny')!;
const root = mkdtempSync(join(tmpdir(), 'albert-nonfinite-'));
const params = modelParams(tiny, 'mlm');
const KERNEL = 'bert/encoder/transformer/group_0/inner_group_0/attention_1/self/query/kernel';
const HF_KERNEL = 'albert.encoder.albert_layer_groups.0.albert_layers.0.attention.query.weight';

/** A tiny mlm checkpoint whose query kernel holds NaN at [1, 2] (our layout) and Inf at [3, 0]. */
function damagedCheckpoint(dir: string): void {
  const values = randomValues(params, 3);
  const k = values.get(KERNEL)!;
  const cols = params.find((p) => p.name === KERNEL)!.shape[1];
  k[1 * cols + 2] = NaN;
  k[3 * cols + 0] = Infinity;
  saveHfModel(dir, tiny, params, values, { head: 'mlm' });
}

describe('non-finite weights', () => {
  const dir = join(root, 'damaged');
  damagedCheckpoint(dir);

  it('findNonFinite counts NaN and ±Inf and finds the first', () => {
    assert.equal(findNonFinite(Float32Array.from([1, 2, -0, 3.4e38])), null);
    assert.deepEqual(findNonFinite(Float32Array.from([1, -Infinity, NaN, 2, Infinity])), { count: 3, first: 1, value: -Infinity });
  });

  it('loadCheckpoint refuses them in one line naming the checkpoint, the tensor, the count and the first index', async () => {
    await assert.rejects(loadCheckpoint(dir, params), (e: unknown) => {
      assert.ok(e instanceof NonFiniteWeightsError);
      // HF layout is [out, in]: our [1, 2] is the stored [2, 1], our [3, 0] the stored [0, 3] (the first).
      assert.equal(
        e.message,
        `${dir}: tensor "${HF_KERNEL}" holds 2 non-finite values (NaN or Inf), the first at index [0, 3] (Infinity): the weights are damaged or from a diverged run; allowNonFinite loads them anyway, for debugging`,
      );
      assert.ok(!e.message.includes('\n'));
      return true;
    });
  });

  it('allowNonFinite loads them as they are', async () => {
    const { values } = await loadCheckpoint(dir, params, { allowNonFinite: true });
    const k = values.get(KERNEL)!;
    const cols = params.find((p) => p.name === KERNEL)!.shape[1];
    assert.ok(Number.isNaN(k[1 * cols + 2]));
    assert.equal(k[3 * cols], Infinity);
  });

  it('albert convert refuses them with one line; --allow-nonfinite-weights converts', async () => {
    const out = join(root, 'converted');
    const refused = await albert('convert', '--from', dir, '--out', out);
    assert.equal(refused.code, 1);
    assertOneLineError(refused, new RegExp(`tensor "${HF_KERNEL.replace(/\./g, '\\.')}" holds 2 non-finite values .* --allow-nonfinite-weights loads them anyway, for debugging$`));
    assert.ok(!existsSync(out), 'nothing written');
    const allowed = await albert('convert', '--from', dir, '--out', out, '--allow-nonfinite-weights');
    assert.equal(allowed.code, 0, allowed.stderr);
    assert.ok(existsSync(join(out, 'model.safetensors')));
  });

  it('albert predict refuses an export whose weights hold NaN or Inf; --allow-nonfinite-weights runs it', async () => {
    const spm = trainSpm(root);
    const cfg = { ...tiny, vocabSize: spm.pieces };
    const p = modelParams(cfg, 'mlm');
    const values = randomValues(p, 4);
    values.get(KERNEL)![5] = NaN;
    const ckpt = join(root, 'nan-ckpt');
    saveHfModel(ckpt, cfg, p, values, { head: 'mlm', spmModelFile: spm.path });
    const exported = join(root, 'nan-export');
    const ex = await albert('export', '--init-checkpoint', ckpt, '--head', 'mlm', '--out', exported, '--allow-nonfinite-weights');
    assert.equal(ex.code, 0, ex.stderr);
    const refused = await albert('predict', 'fill-mask', '--model', exported, 'the [MASK] is here');
    assertOneLineError(refused, /onnx\/model\.onnx: tensor ".*query\/kernel" holds 1 non-finite value .* --allow-nonfinite-weights loads them anyway/);
    const allowed = await albert('predict', 'fill-mask', '--model', exported, 'the [MASK] is here', '--allow-nonfinite-weights');
    assert.equal(allowed.code, 0, allowed.stderr);
  });

  it('cleans up', () => {
    rmSync(root, { recursive: true, force: true });
  });
});
