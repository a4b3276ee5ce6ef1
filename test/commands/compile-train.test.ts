/**
 * `albert compile --mode train` end to end through the CLI: the tiny pretraining step with LAMB
 * and two micro-steps passes onnx.checker and runs in onnxruntime, driven only by what
 * manifest.json says; bad flags fail in one line and leave earlier outputs alone; the ALBERT-base
 * training step compiles (its time is printed, not asserted).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Manifest } from '../../src/compile.ts';
import { createSession, runReference } from '../../src/backends/onnx/session.ts';
import { tensor, type Tensor } from '../../src/ir/tensor.ts';
import { checkOnnxModel, onnxCheckerUnavailable } from '../helpers/onnx-checker.ts';
import { normal, rng } from '../helpers/random.ts';
import { albert, assertOneLineError } from '../helpers/cli.ts';





/** Feeds for every input the manifest lists: fresh weights, zero slots, a random batch. */
function feedsFor(m: Manifest, B: number, S: number, totals: Record<string, number>): Record<string, Tensor> {
  const r = rng(3);
  const t = m.training!;
  const params = new Set(m.parameters.map((p) => p.input));
  const scalars: Record<string, number> = { global_step: 0, learning_rate: 0.01, num_warmup_steps: 0, num_train_steps: 10, micro_step: 0, ...totals };
  const feeds: Record<string, Tensor> = {};
  for (const inp of m.inputs) {
    const shape = inp.shape.map((d) => (d === 'batch' ? B : d === 'seq' ? S : Number(d)));
    const n = shape.reduce((a, b) => a * b, 1);
    const fill = (f: (i: number) => number): Tensor => tensor(inp.dtype as 'float32' | 'int32', shape, Array.from({ length: n }, (_, i) => f(i)));
    if (params.has(inp.name)) feeds[inp.name] = fill(() => (inp.name.endsWith('/gamma') ? 1 : 0.02 * normal(r)));
    else if (inp.name in scalars) feeds[inp.name] = fill(() => scalars[inp.name]);
    else if (t.parameters.some((p) => p.slots.some((s) => s.input === inp.name))) feeds[inp.name] = fill(() => 0);
    else if (inp.name === 'input_mask') feeds[inp.name] = fill(() => 1);
    else if (inp.name === 'masked_lm_weights') feeds[inp.name] = fill(() => 1);
    else if (inp.name === 'masked_lm_positions') feeds[inp.name] = fill(() => Math.floor(r() * S));
    else if (inp.name === 'segment_ids' || inp.name === 'next_sentence_labels') feeds[inp.name] = fill(() => Math.floor(r() * 2));
    else if (inp.name === 'input_ids' || inp.name === 'masked_lm_ids') feeds[inp.name] = fill(() => Math.floor(r() * m.config.vocabSize));
    else assert.fail(`no test data for input ${inp.name}`);
  }
  return feeds;
}

const unavailable = onnxCheckerUnavailable();
if (unavailable) console.log(`# skipping onnx.checker validation: ${unavailable}`);

describe('albert compile --mode train', () => {
  it('writes a LAMB step with 2 micro-steps that passes onnx.checker and runs as the manifest says', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'albert-train-')), 'tiny');
    const c = await albert('compile', '--config', 'tiny', '--head', 'pretraining', '--mode', 'train', '--optimizer', 'lamb', '--grad-accum', '2', '--max-predictions', '4', '--out', out, '--json');
    assert.equal(c.code, 0, c.stderr);
    assert.match(c.stderr, /optimizer {2}lamb .*2 micro-steps per update/);
    const summary = JSON.parse(c.stdout);
    assert.equal(summary.optimizer.grad_accum, 2);
    const model = readFileSync(join(out, 'model.onnx'));
    if (unavailable) console.log(`# onnx.checker not run: ${unavailable}`);
    else checkOnnxModel(model);

    const m = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as Manifest;
    assert.equal(m.mode, 'train');
    const t = m.training!;
    assert.equal(t.accumulation?.steps, 2);
    const B = 2;
    const S = 12;
    let feeds = feedsFor(m, B, S, { accum_examples: 2 * B, accum_masked_lm_weight: 2 * B * 4 });
    const first = { ...feeds };
    const session = await createSession(new Uint8Array(model), { threads: 1 });
    const kernel = 'bert/encoder/transformer/group_0/inner_group_0/ffn_1/intermediate/dense/kernel';
    for (let micro = 0; micro < 2; micro++) {
      const res = await runReference(session, feeds);
      assert.ok(Number.isFinite(res.loss.data[0]) && res.loss.data[0] > 0, `loss ${res.loss.data[0]}`);
      assert.equal(res['new:micro_step'].data[0], (micro + 1) % 2);
      const changed = res[`new:${kernel}`].data.some((x, i) => x !== first[kernel].data[i]);
      assert.equal(changed, micro === 1, `parameters change on the last micro-step only (micro-step ${micro})`);
      feeds = { ...feeds };
      for (const h of t.handoff) feeds[h.input] = res[h.output];
    }
    assert.equal(feeds.global_step.data[0], 1);
  });

  it('rejects bad training flags in one line and keeps existing outputs', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'albert-train-')), 'cls');
    const ok = await albert('compile', '--config', 'tiny', '--head', 'classifier', '--num-labels', '3', '--mode', 'train', '--freeze', '^bert/embeddings/', '--out', out);
    assert.equal(ok.code, 0, ok.stderr);
    const before = readFileSync(join(out, 'model.onnx'));
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as Manifest;
    assert.equal(manifest.training?.settings.optimizer, 'adamw', 'fine-tuning defaults to AdamW');
    assert.equal(manifest.training?.frozen.length, 5);
    const [badRegex, noMatch, notTrain, badBeta, badEps, badRecompute] = await Promise.all([
      albert('compile', '--config', 'tiny', '--head', 'classifier', '--mode', 'train', '--freeze', '(', '--out', out),
      albert('compile', '--config', 'tiny', '--head', 'classifier', '--mode', 'train', '--freeze', 'squad', '--out', out),
      albert('compile', '--config', 'tiny', '--head', 'classifier', '--mode', 'grad', '--optimizer', 'lamb', '--out', out),
      albert('compile', '--config', 'tiny', '--head', 'classifier', '--mode', 'train', '--beta2', '1', '--out', out),
      albert('compile', '--config', 'tiny', '--head', 'classifier', '--mode', 'train', '--epsilon', 'tiny', '--out', out),
      albert('compile', '--config', 'tiny', '--head', 'classifier', '--mode', 'train', '--no-fuse', '--recompute', 'attention', '--out', out),
    ]);
    assertOneLineError(badRegex, /--freeze "\(": not a valid regular expression/);
    assertOneLineError(noMatch, /--freeze "squad" matches no parameter/);
    assertOneLineError(notTrain, /--optimizer applies to --mode train only/);
    assertOneLineError(badBeta, /--beta2 1: must be in \[0, 1\)/);
    assertOneLineError(badEps, /--epsilon .*expected a number, got "tiny"/);
    assertOneLineError(badRecompute, /--recompute attention needs --fusion all/);
    assert.deepEqual(readFileSync(join(out, 'model.onnx')), before, 'model.onnx untouched');
  });

  it('compiles the ALBERT-base pretraining step (time printed, not asserted)', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'albert-train-')), 'base');
    const c = await albert('compile', '--config', 'base', '--head', 'pretraining', '--mode', 'train', '--grad-accum', '4', '--out', out, '--json');
    assert.equal(c.code, 0, c.stderr);
    const s = JSON.parse(c.stdout);
    console.log(`ALBERT-base pretraining train step (LAMB, 4 micro-steps): compiled in ${s.seconds.toFixed(2)} s, ${s.nodes} nodes`);
    assert.equal(s.parameters, 11_813_810);
    assert.equal(s.ops.Einsum, undefined);
    assert.equal(s.trained_parameters, 32);
  });
});
