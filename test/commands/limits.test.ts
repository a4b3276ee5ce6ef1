/**
 * Sizes with bounds and clear messages (issue 8, items 4 and 8): configs too big for ONNX or any
 * machine, --threads, `albert run`'s memory estimate and its default sequence length, and the
 * messages users met instead.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { albert, assertOneLineError } from '../helpers/cli.ts';

const SMALL = { hidden_size: 32, num_hidden_layers: 1, num_attention_heads: 4, intermediate_size: 37, embedding_size: 16, vocab_size: 100 };

describe('sizes with bounds', () => {
  const dir = mkdtempSync(join(tmpdir(), 'albert-limits-'));
  const config = (name: string, text: string): string => {
    const f = join(dir, name);
    writeFileSync(f, text);
    return f;
  };
  const compile = (cfg: string, out: string, ...extra: string[]) => albert('compile', '--config', cfg, '--head', 'encoder', '--mode', 'infer', '--out', join(dir, out), ...extra);

  it('refuses configs beyond what ONNX and a machine can hold, naming the key and the file', async () => {
    const vocab = config('vocab.json', JSON.stringify({ ...SMALL, vocab_size: 2e9 }));
    const layers = config('layers.json', JSON.stringify({ ...SMALL, num_hidden_layers: 1e6 }));
    const infinite = config('inf.json', JSON.stringify(SMALL).replace('"vocab_size":100', '"vocab_size":1e400'));
    const positions = config('pos.json', JSON.stringify({ ...SMALL, max_position_embeddings: 1 }));
    // Every size within bounds, but 1e6 x 1024 embeddings are 3.8 GiB: more than one ONNX file holds.
    const huge = config('huge.json', JSON.stringify({ ...SMALL, vocab_size: 1_000_000, embedding_size: 1024 }));
    const t0 = performance.now();
    const [v, l, inf, pos, big] = await Promise.all([compile(vocab, 'v'), compile(layers, 'l'), compile(infinite, 'i'), compile(positions, 'p'), compile(huge, 'h')]);
    assertOneLineError(v, new RegExp(`${vocab}: vocab_size must be an integer in 1\\.\\.\\d+ \\(got 2000000000\\)$`));
    assertOneLineError(l, /layers\.json: num_hidden_layers must be an integer in 1\.\.1024 \(got 1000000\)$/);
    assertOneLineError(inf, /inf\.json: vocab_size is not a finite number \(got Infinity/);
    assertOneLineError(pos, /pos\.json: max_position_embeddings must be an integer in 2\.\.\d+ \(got 1\)$/);
    assertOneLineError(big, /1,024,[\d,]+ float32 parameters take 3\.8\d GiB, more than .* one ONNX file can hold/);
    assert.ok(performance.now() - t0 < 60_000, 'refused up front');
    for (const out of ['v', 'l', 'i', 'p', 'h']) assert.equal(existsSync(join(dir, out, 'model.onnx')), false);
  });

  it('refuses --num-labels for heads without labels', async () => {
    const r = await compile('tiny', 'nl', '--num-labels', '3');
    assertOneLineError(r, /the encoder head has no label count to set: --num-labels applies to the classifier head only/);
  });

  it('albert run: default sequence length fits the model, memory is checked, --threads bounded', async () => {
    const model = join(dir, 'tiny');
    const c = await albert('compile', '--config', 'tiny', '--head', 'pretraining', '--mode', 'infer', '--out', model);
    assert.equal(c.code, 0, c.stderr);
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    writeFileSync(join(empty, 'manifest.json'), '');
    // The manifest without its model: past the memory check, the run fails on loading the model.
    const noModel = join(dir, 'no-model');
    mkdirSync(noModel);
    copyFileSync(join(model, 'manifest.json'), join(noModel, 'manifest.json'));
    const [plain, huge, forced, threads, emptyManifest] = await Promise.all([
      albert('run', '--model', model, '--json'),
      albert('run', '--model', model, '--batch-size', '2000000'),
      albert('run', '--model', noModel, '--batch-size', '2000000', '--no-memory-check'),
      albert('run', '--model', model, '--threads', '100000'),
      albert('run', '--model', empty),
    ]);
    // tiny has max_position_embeddings 64: the default is min(128, 64).
    assert.equal(plain.code, 0, plain.stderr);
    assert.equal(JSON.parse(plain.stdout).seq_length, 64);
    assertOneLineError(huge, /--batch-size 2000000 x --max-seq-length 64 needs about [\d.]+ GiB .* as `albert inspect` estimates.*more than this machine's [\d.]+ GiB of memory.*--no-memory-check/);
    assertOneLineError(forced, /no-model\/model\.onnx: onnxruntime cannot load it/);
    assertOneLineError(threads, /--threads must be an integer in 1\.\.\d+ .*got 100000/);
    assertOneLineError(emptyManifest, /empty\/manifest\.json: the file is empty: not a manifest written by `albert compile`/);
  });
});

describe('messages', () => {
  const dir = mkdtempSync(join(tmpdir(), 'albert-messages-'));

  it('train-tokenizer: a vocabulary too small for its special pieces', async () => {
    const corpus = join(dir, 'corpus.txt');
    writeFileSync(corpus, Array.from({ length: 20 }, (_, i) => `the quick brown fox ${i}`).join('\n'));
    const r = await albert('train-tokenizer', '-i', corpus, '--vocab-size', '3', '--model-prefix', join(dir, 'sp'));
    assertOneLineError(r, /vocab_size 3 is too small: the vocabulary must hold its 5 special pieces \(<unk> <pad> \[CLS\] \[SEP\] \[MASK\]\)/, false);
  });

  it('predict fill-mask: --model that is not a model at all', async () => {
    const file = join(dir, 'notes.txt');
    writeFileSync(file, 'hello\n');
    const [notModel, missing] = await Promise.all([
      albert('predict', 'fill-mask', '--model', file, 'a [MASK] b'),
      albert('predict', 'fill-mask', '--model', join(dir, 'absent'), 'a [MASK] b'),
    ]);
    assertOneLineError(notModel, /notes\.txt: not a model: expected an `albert export` directory or a checkpoint/);
    assertOneLineError(missing, /absent not found: expected an `albert export` directory or a checkpoint/);
  });
});
