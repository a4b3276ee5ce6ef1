/**
 * `albert pretrain --workers 2` (the command re-run under mpirun, two ranks on this machine, one
 * thread each): equal to one worker with --grad-accum 2 within 1e-6, the same bytes run after
 * run, checkpoints from worker 0 recording the workers; one rank SIGKILLed mid-run ends the job,
 * and running the command again resumes to the same bytes as the uninterrupted run. Skipped,
 * with the reason, where mpirun or koffi is missing.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { assertModelsClose, skippedWithoutMpi } from './helpers.ts';
import { albert, tinyFlags, writeCountingRecords } from '../train/helpers.ts';

describe('albert pretrain --workers 2', { timeout: 300_000 }, () => {
  it('equals --grad-accum 2, repeats its bytes, and resumes exactly after one rank is killed', async (t) => {
      if (skippedWithoutMpi(t)) return;
    const dir = mkdtempSync(join(tmpdir(), 'albert-workers-'));
    const train = await writeCountingRecords(join(dir, 'train.tfrecord'), 48, 3);
    const flags = (out: string, extra: string[]) => tinyFlags(train, join(dir, out), ['--num-train-steps', '4', '--save-checkpoints-steps', '2', ...extra]);
    const [one, two] = [await albert(flags('one', ['--grad-accum', '2'])), await albert(flags('two', ['--workers', '2']))];
    assert.equal(one.code, 0, one.stderr);
    assert.equal(two.code, 0, two.stderr);
    assert.equal((two.stderr.match(/saved .*checkpoint-4/g) ?? []).length, 1, 'worker 0 alone reports');
    const state = JSON.parse(readFileSync(join(dir, 'two', 'checkpoint-2', 'training_state.json'), 'utf8'));
    assert.equal(state.workers, 2);
    assert.equal(state.settings.grad_accum, 2);
    assertModelsClose(join(dir, 'two', 'model.safetensors'), join(dir, 'one', 'model.safetensors'));

    const again = await albert(flags('again', ['--workers', '2']));
    assert.equal(again.code, 0, again.stderr);
    assert.ok(readFileSync(join(dir, 'again', 'model.safetensors')).equals(readFileSync(join(dir, 'two', 'model.safetensors'))), 'a second run gives the same bytes');

    const killed = await albert(flags('killed', ['--workers', '2']), { ALBERT_TEST_KILL_AT: 'mid-step:3@1' });
    assert.notEqual(killed.code, 0, 'the job ends when a rank dies');
    assert.ok(existsSync(join(dir, 'killed', 'checkpoint-2')));
    assert.ok(!existsSync(join(dir, 'killed', 'model.safetensors')));
    const resumed = await albert(flags('killed', ['--workers', '2']));
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stderr, /resuming from .*checkpoint-2/);
    for (const f of ['model.safetensors', 'checkpoint-4/optimizer.safetensors']) {
      assert.ok(readFileSync(join(dir, 'killed', f)).equals(readFileSync(join(dir, 'two', f))), `${f}: the resumed run differs from the uninterrupted one`);
    }
  });
});
