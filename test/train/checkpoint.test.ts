/**
 * Checkpoint files: a round trip keeps every parameter and slot bit for bit, the weights are a
 * HuggingFace model directory (HF names, config.json) that loadCheckpoint reads, leftovers of
 * a killed write are cleaned without touching finished checkpoints, pruning keeps the newest,
 * and `best` is replaced atomically.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { presetConfig } from '../../src/model/config.ts';
import { InitRng, initialValues } from '../../src/model/init.ts';
import { modelParams } from '../../src/model/params.ts';
import { loadCheckpoint } from '../../src/model/weights/load.ts';
import { readSafetensorsHeader } from '../../src/model/weights/safetensors.ts';
import { UserError } from '../../src/ir/errors.ts';
import {
  bestStep,
  cleanStaleFiles,
  latestCheckpoint,
  listCheckpoints,
  pruneCheckpoints,
  readCheckpoint,
  readTrainingState,
  saveBest,
  writeCheckpoint,
  type TrainingState,
} from '../../src/train/checkpoint.ts';

const cfg = presetConfig('tiny')!;
const specs = modelParams(cfg, 'pretraining');
const slotNames = specs.flatMap((s) => [`${s.name}/adam_m`, `${s.name}/adam_v`]);

function contents(step: number, seed: number) {
  const r = new InitRng(seed);
  const values = new Map(specs.map((s) => [s.name, initialValues({ kind: 'truncated_normal', stddev: 1 }, s.shape.reduce((a, d) => a * d, 1), r)]));
  const slots = new Map(slotNames.map((n) => [n, initialValues({ kind: 'truncated_normal', stddev: 0.1 }, values.get(n.slice(0, n.lastIndexOf('/')))!.length, r)]));
  const state: TrainingState = {
    format: 'albert-compiler/training-state@1',
    global_step: step,
    num_train_steps: 100,
    settings: { config: cfg, train_batch_size: 8, max_seq_length: 32, max_predictions_per_seq: 4, optimizer: 'lamb', learning_rate: 0.01, num_warmup_steps: 2, grad_accum: 1, seed: 1, input_files: ['a.tfrecord'] },
    rng: { dropout_seed: 1, next_dropout_step: step },
    data_cursor: { version: 1, files: ['a.tfrecord'], seed: 1, shuffle: true, shuffleBuffer: 100, epoch: 0, filePos: 0, offset: 0, index: 0, rng: [1, 2, 3, 4], buffer: [], batches: step },
    skipped_steps: [],
    elapsed_seconds: 1.5,
    evals: [],
    best: null,
    history: [{ step, loss: 1, masked_lm_accuracy: 0.5, sentence_order_accuracy: 0.5, learning_rate: 0.01 }],
  };
  return { config: cfg, specs, values, slots, state };
}

describe('checkpoints', () => {
  it('round-trips parameters, slots and state bit for bit; the weights are an HF model directory', async () => {
    const out = mkdtempSync(join(tmpdir(), 'albert-ckpt-'));
    const c = contents(10, 1);
    const dir = writeCheckpoint(out, c);
    assert.equal(dir, join(out, 'checkpoint-10'));
    assert.deepEqual(readdirSync(dir).sort(), ['config.json', 'model.safetensors', 'optimizer.safetensors', 'training_state.json']);
    const back = await readCheckpoint(dir, specs, slotNames);
    for (const [n, v] of c.values) assert.deepEqual(back.values.get(n), v, n);
    for (const [n, v] of c.slots) assert.deepEqual(back.slots.get(n), v, n);
    assert.deepEqual(back.state, c.state);
    // HF names in the weights file, TF-style names for the slots.
    const names = readSafetensorsHeader(join(dir, 'model.safetensors')).entries.map((e) => e.name);
    assert.ok(names.includes('albert.encoder.albert_layer_groups.0.albert_layers.0.attention.query.weight'));
    const slotFile = readSafetensorsHeader(join(dir, 'optimizer.safetensors')).entries.map((e) => e.name);
    assert.ok(slotFile.includes('bert/encoder/transformer/group_0/inner_group_0/attention_1/self/query/kernel/adam_m'));
    assert.equal(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')).architectures[0], 'AlbertForPreTraining');
    // --init-checkpoint takes the directory.
    const loaded = await loadCheckpoint(dir, specs);
    assert.equal(loaded.report.missing.length, 0);
    for (const [n, v] of c.values) assert.deepEqual(loaded.values.get(n), v, n);
    // Evaluation asks for no slots and never opens the optimizer file.
    rmSync(join(dir, 'optimizer.safetensors'));
    const weightsOnly = await readCheckpoint(dir, specs, []);
    assert.equal(weightsOnly.slots.size, 0);
    assert.deepEqual(weightsOnly.values.get(specs[0].name), c.values.get(specs[0].name));
    await assert.rejects(readCheckpoint(dir, specs, slotNames), (e: Error) => e instanceof UserError && e.message.includes('optimizer.safetensors'));
  });

  it('lists, prunes and finds the latest; cleans a killed write but never a finished checkpoint', () => {
    const out = mkdtempSync(join(tmpdir(), 'albert-ckpt-'));
    for (const s of [5, 10, 15, 20]) writeCheckpoint(out, contents(s, s));
    // What a kill leaves: a half-written temporary directory, and a directory without a state file.
    mkdirSync(join(out, '.checkpoint-25.tmp-99999'));
    writeFileSync(join(out, '.checkpoint-25.tmp-99999', 'model.safetensors'), 'partial');
    mkdirSync(join(out, 'checkpoint-30'));
    assert.deepEqual(listCheckpoints(out).map((c) => c.step), [5, 10, 15, 20]);
    assert.equal(latestCheckpoint(out)?.step, 20);
    assert.deepEqual(cleanStaleFiles(out), ['.checkpoint-25.tmp-99999']);
    assert.ok(existsSync(join(out, 'checkpoint-30')), 'not ours to remove');
    assert.deepEqual(pruneCheckpoints(out, 2), [join(out, 'checkpoint-5'), join(out, 'checkpoint-10')]);
    assert.deepEqual(listCheckpoints(out).map((c) => c.step), [15, 20]);
    assert.deepEqual(pruneCheckpoints(out, 0), []);
    assert.equal(latestCheckpoint(join(out, 'nothing-here')), null);
  });

  it('replaces best atomically, and restores a best moved aside by a killed swap', () => {
    const out = mkdtempSync(join(tmpdir(), 'albert-ckpt-'));
    const a = writeCheckpoint(out, contents(5, 1));
    const b = writeCheckpoint(out, contents(10, 2));
    saveBest(out, a, 5);
    assert.equal(bestStep(out), 5);
    saveBest(out, b, 10);
    assert.equal(bestStep(out), 10);
    assert.deepEqual(readFileSync(join(out, 'best', 'model.safetensors')), readFileSync(join(b, 'model.safetensors')));
    assert.deepEqual(readdirSync(out).filter((n) => n.startsWith('.')), []);
    // Killed between moving the old best aside and moving the new one in.
    renameSync(join(out, 'best'), join(out, '.best.old-4242'));
    cleanStaleFiles(out);
    assert.equal(bestStep(out), 10);
  });

  it('restores a checkpoint moved aside by a killed rewrite of it, instead of deleting the only copy', () => {
    const out = mkdtempSync(join(tmpdir(), 'albert-ckpt-'));
    writeCheckpoint(out, contents(10, 1));
    // Rewriting checkpoint-10 (a resumed run evaluating its final step) killed between moving the
    // old one aside and moving the new one in: the new one is a finished temporary directory.
    renameSync(join(out, 'checkpoint-10'), join(out, '.checkpoint-10.old-4242'));
    mkdirSync(join(out, '.checkpoint-10.tmp-4242'));
    assert.deepEqual(cleanStaleFiles(out), ['.checkpoint-10.tmp-4242']);
    assert.equal(latestCheckpoint(out)?.step, 10);
    assert.deepEqual(readdirSync(out).filter((n) => n.startsWith('.')), []);
    // Killed after the new one went in: the old copy is the leftover.
    writeCheckpoint(out, contents(10, 2));
    mkdirSync(join(out, '.checkpoint-10.old-4243'));
    assert.deepEqual(cleanStaleFiles(out), ['.checkpoint-10.old-4243']);
    assert.equal(latestCheckpoint(out)?.step, 10);
  });

  it('rejects a training state that is not one, naming the file and field', () => {
    const out = mkdtempSync(join(tmpdir(), 'albert-ckpt-'));
    const f = join(out, 'training_state.json');
    writeFileSync(f, '{"format": "something else"}');
    assert.throws(() => readTrainingState(f), (e: Error) => e instanceof UserError && e.message.includes(f) && /"format"/.test(e.message));
    writeFileSync(f, '{not json');
    assert.throws(() => readTrainingState(f), /cannot read the training state/);
  });
});
