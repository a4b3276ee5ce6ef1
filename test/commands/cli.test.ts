import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { albert, assertOneLineError } from '../helpers/cli.ts';

describe('albert CLI', () => {
  it('lists its commands in --help', async () => {
    const r = await albert('--help');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /compile\s+Compile an ALBERT model/);
    assert.match(r.stdout, /inspect\s+Report on a model/);
  });

  it('suggests the command meant for a mistyped one, exit 2', async () => {
    const [typo, sub] = await Promise.all([albert('pretrian', '--output-dir', 'x'), albert('finetune', 'glu')]);
    assertOneLineError(typo, /^Error: command "pretrian" not found; did you mean "pretrain"\?$/);
    assert.equal(typo.code, 2);
    assertOneLineError(sub, /^Error: command "finetune glu" not found; did you mean "finetune glue"\?$/);
  });

  it('reports user errors in one line with a non-zero exit code', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'albert-cli-')), 'x');
    const [badFlag, badHead, noConfig, noSource] = await Promise.all([
      albert('compile', '--bogus'),
      albert('compile', '--config', 'tiny', '--head', 'nope', '--mode', 'grad', '--out', out),
      albert('compile', '--config', join(out, 'missing.json'), '--head', 'mlm', '--mode', 'grad', '--out', out),
      albert('inspect'),
    ]);
    assertOneLineError(badFlag, /^Error: unknown flag --bogus$/);
    assertOneLineError(badHead, /--head=nope .*pretraining/);
    assertOneLineError(noConfig, /missing\.json/);
    assertOneLineError(noSource, /model file|--config/);
    assert.equal(existsSync(out), false);
  });

  it('compiles a tiny model and inspects the file and the config', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'albert-cli-'));
    const out = join(dir, 'tiny');
    const c = await albert('compile', '--config', 'tiny', '--head', 'pretraining', '--mode', 'grad', '--out', out, '--json', '--dump-after', 'dce');
    assert.equal(c.code, 0, c.stderr);
    const summary = JSON.parse(c.stdout);
    assert.ok(summary.nodes > 0 && summary.parameters > 0);
    assert.match(c.stderr, /parameters/);
    assert.ok(existsSync(join(out, 'model.onnx')));
    assert.deepEqual(summary.dumps.slice(0, 1), [join(out, 'dump-dce.txt')]);
    assert.match(readFileSync(join(out, 'dump-dce.txt'), 'utf8'), /^graph /);
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));

    const html = join(dir, 'x.html');
    const [file, page] = await Promise.all([
      albert('inspect', join(out, 'model.onnx'), '--format', 'json'),
      albert('inspect', '--config', 'tiny', '--head', 'classifier', '--num-labels', '3', '--format', 'html', '--out', html),
    ]);
    assert.equal(file.code, 0, file.stderr);
    const report = JSON.parse(file.stdout);
    assert.equal(report.kind, 'onnx');
    // Gradient graphs take the parameters as inputs; the manifest says which.
    const expected = manifest.parameters.reduce((s: number, p: { shape: number[] }) => s + p.shape.reduce((a, b) => a * b, 1), 0);
    assert.equal(report.parameters.count, expected);
    assert.equal(report.parameters.count, summary.parameters);
    assert.equal(page.code, 0, page.stderr);
    const text = readFileSync(html, 'utf8');
    assert.match(text, /<html lang="en">/);
    assert.match(text, /<h2>Parameters/);
    assert.match(text, /classifier/);
  });

  it('compiles ALBERT-base for gradients in seconds and runs it on a batch of 8 x 128', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'albert-cli-'));
    const out = join(dir, 'base');
    const c = await albert('compile', '--config', 'base', '--head', 'pretraining', '--mode', 'grad', '--out', out, '--json');
    assert.equal(c.code, 0, c.stderr);
    const summary = JSON.parse(c.stdout);
    assert.equal(summary.parameters, 11_813_810);
    assert.equal(summary.ops.Einsum, undefined, 'no Einsum after lowering');
    const r = await albert('run', '--model', out, '--batch-size', '8', '--seq-length', '128', '--json');
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout);
    const byName = new Map<string, { value?: number; shape: number[]; finite: boolean }>(report.outputs.map((o: { name: string }) => [o.name, o]));
    const loss = byName.get('loss')!;
    // A freshly initialised model predicts about uniformly: MLM loss near ln(30000) = 10.3, SOP near ln 2.
    assert.ok(loss.value! > 9 && loss.value! < 13, `loss ${loss.value}`);
    assert.deepEqual(byName.get('grad:bert/embeddings/word_embeddings')!.shape, [30000, 128]);
    assert.ok(report.outputs.every((o: { finite: boolean }) => o.finite));
    assert.equal(report.outputs.length, 3 + 32);
  });

  it('compiles from an original albert_config.json with G=2, K=2 and runs the classifier', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'albert-cli-'));
    const cfg = join(dir, 'albert_config.json');
    writeFileSync(
      cfg,
      JSON.stringify({
        attention_probs_dropout_prob: 0.1, hidden_act: 'gelu', hidden_dropout_prob: 0.1, embedding_size: 16, hidden_size: 32,
        initializer_range: 0.02, intermediate_size: 64, max_position_embeddings: 64, num_attention_heads: 4, num_hidden_layers: 4,
        num_hidden_groups: 2, net_structure_type: 0, gap_size: 0, num_memory_blocks: 0, inner_group_num: 2, down_scale_factor: 1,
        type_vocab_size: 2, vocab_size: 100,
      }),
    );
    const out = join(dir, 'cls');
    const c = await albert('compile', '--config', cfg, '--head', 'classifier', '--num-labels', '3', '--mode', 'infer', '--out', out);
    assert.equal(c.code, 0, c.stderr);
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
    const names = manifest.parameters.map((p: { hfName: string }) => p.hfName);
    assert.ok(names.includes('albert.encoder.albert_layer_groups.1.albert_layers.1.attention.query.weight'));
    const r = await albert('run', '--model', out, '--batch-size', '3', '--seq-length', '20', '--json');
    assert.equal(r.code, 0, r.stderr);
    const logits = JSON.parse(r.stdout).outputs.find((o: { name: string }) => o.name === 'logits');
    assert.deepEqual(logits.shape, [3, 3]);
    const tooLong = await albert('run', '--model', out, '--seq-length', '65');
    // The library's seqLength is named by run's canonical flag, whichever spelling was typed.
    assertOneLineError(tooLong, /^Error: --max-seq-length 65 exceeds/);
    const notAModel = await albert('run', '--model', dir);
    assertOneLineError(notAModel, /manifest/);
    const badDevice = await albert('run', '--model', out, '--device', 'gpu');
    assertOneLineError(badDevice, /--device "gpu": expected cpu, cuda, cuda:N/);
    // On WebGPU where it works (the same logits as the CPU's), else a one-line --device error.
    const webgpu = await albert('run', '--model', out, '--batch-size', '3', '--seq-length', '20', '--json', '--device', 'webgpu');
    if (webgpu.code === 0) {
      const got = JSON.parse(webgpu.stdout).outputs.find((o: { name: string }) => o.name === 'logits');
      assert.ok(Math.abs(got.mean - logits.mean) <= 1e-5 * Math.max(1e-3, logits.max_abs), `${got.mean} vs ${logits.mean}`);
    } else {
      console.log('cli: albert run --device webgpu did not open here; its error is checked instead');
      assertOneLineError(webgpu, /^Error: --device webgpu: onnxruntime could not open .*`albert doctor` says what is missing$/);
    }
  });

  it('inspects the whole training step of a config', async () => {
    const [grad, train] = await Promise.all([
      albert('inspect', '--config', 'tiny', '--head', 'pretraining', '--mode', 'grad', '--format', 'json'),
      albert('inspect', '--config', 'tiny', '--head', 'pretraining', '--mode', 'train', '--format', 'json'),
    ]);
    assert.equal(grad.code, 0, grad.stderr);
    assert.equal(train.code, 0, train.stderr);
    const g = JSON.parse(grad.stdout);
    const t = JSON.parse(train.stdout);
    // Same parameters; the optimizer adds its update (more nodes, more FLOPs).
    assert.equal(t.parameters.count, g.parameters.count);
    assert.ok(t.nodes > g.nodes, `train ${t.nodes} nodes vs grad ${g.nodes}`);
  });
});
