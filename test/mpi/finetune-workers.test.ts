/**
 * `albert finetune glue --workers 2` (MRPC layout, tiny config): equal to one worker with
 * --grad-accum 2 within 1e-6; worker 0 alone evaluates and writes the results. Skipped, with the
 * reason, where mpirun or koffi is missing.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { albert } from '../helpers/cli.ts';
import { writeMrpc, writeVocab } from '../helpers/glue-data.ts';
import { assertModelsClose, skippedWithoutMpi } from './helpers.ts';

describe('albert finetune glue --workers 2', { timeout: 300_000 }, () => {
  it('equals --grad-accum 2; worker 0 writes the evaluation', async (t) => {
      if (skippedWithoutMpi(t)) return;
    const dir = mkdtempSync(join(tmpdir(), 'albert-ft-workers-'));
    const data = writeMrpc(dir, 5);
    const vocab = writeVocab(dir);
    const run = (out: string, extra: string[]) =>
      albert('finetune', 'glue', '--task-name', 'MRPC', '--data-dir', data, '--vocab-file', vocab, '--output-dir', join(dir, out), '--albert-config-file', 'tiny',
        '--max-seq-length', '24', '--albert-dropout-rate', '0', '--dropout-prob', '0', '--threads', '1', '--do-train', '--do-eval', '--train-batch-size', '8',
        '--learning-rate', '1e-3', '--train-step', '4', '--warmup-step', '1', '--save-checkpoints-steps', '2', '--eval-batch-size', '32', ...extra);
    const [one, two] = [await run('one', ['--grad-accum', '2']), await run('two', ['--workers', '2'])];
    assert.equal(one.code, 0, one.stderr);
    assert.equal(two.code, 0, two.stderr);
    assert.ok(existsSync(join(dir, 'two', 'eval_results.txt')));
    assertModelsClose(join(dir, 'two', 'model.safetensors'), join(dir, 'one', 'model.safetensors'));
  });
});
