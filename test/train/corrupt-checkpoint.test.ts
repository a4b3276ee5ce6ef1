/**
 * Resume with a damaged newest checkpoint: the run falls back to the newest intact checkpoint
 * with a one-line note naming the skipped one and why (training_state.json corrupt,
 * model.safetensors missing, optimizer.safetensors truncated); with none intact, a one-line
 * error. Also: a resume refused for a changed config names the key as the config file has it
 * (vocab_size, not vocabSize), and a run that fails on its inputs leaves no output directory
 * that did not exist before.
 */
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { readCheckpoint } from '../../src/train/checkpoint.ts';
import { assertOneLineError } from '../helpers/cli.ts';
import { albert, tinyFlags, writeCountingRecords } from './helpers.ts';

describe('resuming past a damaged checkpoint', () => {
  let dir: string;
  let train: string;
  let made: string;
  const flags = (out: string, extra: string[] = []): string[] => tinyFlags(train, out, ['--num-train-steps', '8', '--save-checkpoints-steps', '4', '--keep-checkpoint-max', '0', ...extra]);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'albert-corrupt-'));
    train = await writeCountingRecords(join(dir, 'train.tfrecord'), 40, 1);
    made = join(dir, 'made');
    const r = await albert(flags(made));
    assert.equal(r.code, 0, r.stderr);
    assert.ok(existsSync(join(made, 'checkpoint-4')) && existsSync(join(made, 'checkpoint-8')));
  });

  /** A copy of the finished run with checkpoint-8 damaged by `damage`; the run resumed there (to step 8). */
  async function resumeAfter(name: string, damage: (ckpt: string) => void): Promise<{ stderr: string; code: number | null; out: string }> {
    const out = join(dir, name);
    cpSync(made, out, { recursive: true });
    damage(join(out, 'checkpoint-8'));
    const r = await albert(flags(out));
    return { stderr: r.stderr, code: r.code, out };
  }

  const cases: [string, (c: string) => void, RegExp][] = [
    ['state', (c) => writeFileSync(join(c, 'training_state.json'), '{"format": "albert-compiler/train'), /training_state\.json: cannot read the training state/],
    ['model', (c) => rmSync(join(c, 'model.safetensors')), /model\.safetensors: the checkpoint's model file is missing/],
    ['optimizer', (c) => truncateSync(join(c, 'optimizer.safetensors'), 100), /optimizer\.safetensors: the checkpoint's optimizer file is corrupt/],
  ];
  for (const [name, damage, why] of cases) {
    it(`skips a checkpoint whose ${name} file is damaged, saying which and why, and resumes from the one before`, async () => {
      const r = await resumeAfter(name, damage);
      assert.equal(r.code, 0, r.stderr);
      const notes = r.stderr.split('\n').filter((l) => l.startsWith('skipping '));
      assert.equal(notes.length, 1, r.stderr);
      assert.ok(notes[0].startsWith(`skipping ${join(r.out, 'checkpoint-8')}, which cannot be read (`), notes[0]);
      assert.match(notes[0], why);
      assert.doesNotMatch(r.stderr, /TF checkpoint prefix/);
      assert.match(r.stderr, new RegExp(`resuming from ${join(r.out, 'checkpoint-4').replace(/[.]/g, '\\.')} \\(step 4\\)`));
      // The damaged checkpoint was written anew by the resumed run.
      assert.deepEqual(readFileSync(join(r.out, 'checkpoint-8', 'model.safetensors')), readFileSync(join(made, 'checkpoint-8', 'model.safetensors')));
    });
  }

  it('stops with one line when no checkpoint is intact', async () => {
    const out = join(dir, 'none');
    cpSync(made, out, { recursive: true });
    for (const s of [4, 8]) rmSync(join(out, `checkpoint-${s}`, 'model.safetensors'));
    const r = await albert(flags(out));
    assertOneLineError(r, /no intact checkpoint to resume from \(2 found, none readable; the newest: checkpoint-8: .*model\.safetensors: the checkpoint's model file is missing\)/);
  });

  it('readCheckpoint names the checkpoint file, not a TF checkpoint prefix, when model.safetensors is missing', async () => {
    const out = join(dir, 'read');
    cpSync(join(made, 'checkpoint-4'), out, { recursive: true });
    rmSync(join(out, 'model.safetensors'));
    await assert.rejects(readCheckpoint(out, [], []), (e: Error) => e.message === `${join(out, 'model.safetensors')}: the checkpoint's model file is missing`);
  });

  it('a changed config is refused naming the config key as users write it', async () => {
    const out = join(dir, 'config');
    cpSync(made, out, { recursive: true });
    const config = join(dir, 'albert_config.json');
    writeFileSync(
      config,
      JSON.stringify({ vocab_size: 130, embedding_size: 16, hidden_size: 32, num_hidden_layers: 2, num_attention_heads: 4, intermediate_size: 37, hidden_act: 'gelu', hidden_dropout_prob: 0, attention_probs_dropout_prob: 0, max_position_embeddings: 64 }),
    );
    const r = await albert(tinyFlags(train, out, ['--num-train-steps', '12', '--albert-config-file', config]));
    assertOneLineError(r, /the checkpoint's model config has vocab_size = 128, the given config 130/);
    assert.doesNotMatch(r.stderr, /vocabSize/);
  });

  it('leaves no output directory behind when the run fails on its inputs', async () => {
    const garbage = join(dir, 'garbage.tfrecord');
    writeFileSync(garbage, 'not a tfrecord at all, just some bytes that are long enough');
    const out = join(dir, 'never', 'out');
    const r = await albert(tinyFlags(garbage, out, ['--num-train-steps', '2']));
    assertOneLineError(r, /garbage\.tfrecord/);
    assert.equal(existsSync(join(dir, 'never')), false, 'the output directory (and its parent) were not left behind');
  });
});
