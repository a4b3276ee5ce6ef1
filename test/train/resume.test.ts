/**
 * Exact resume through the CLI: `albert pretrain` killed with SIGKILL at several moments
 * (while copying the first checkpoint to `best`, in the middle of a step, right after a
 * checkpoint, in the middle of writing a checkpoint, and once from outside at a moment the
 * process does not choose) and resumed each time ends
 * with the same model.safetensors bytes as a run that was never interrupted. The run has
 * dropout (keyed by step), gradient accumulation and evaluation, so every part of the state
 * that decides the next step is exercised.
 *
 * The exact kill points use ALBERT_TEST_KILL_AT (src/train/kill-points.ts), a test-only hook.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { albert, BIN, PRED, SEQ, writeCountingRecords } from './helpers.ts';

const STEPS = 20;

function flags(train: string, evalFile: string, config: string, out: string, metrics: string): string[] {
  return [
    'pretrain', '--input-file', train, '--eval-file', evalFile, '--output-dir', out, '--albert-config-file', config,
    '--do-train', '--do-eval', '--train-batch-size', '8', '--grad-accum', '2', '--eval-batch-size', '16',
    '--max-seq-length', String(SEQ), '--max-predictions-per-seq', String(PRED), '--learning-rate', '0.02',
    '--num-train-steps', String(STEPS), '--num-warmup-steps', '2', '--save-checkpoints-steps', '4', '--keep-checkpoint-max', '2',
    '--threads', '1', '--seed', '7', '--metrics-file', metrics, '--json',
  ];
}

/** Starts the run and SIGKILLs it from outside once `marker` has appeared on stdout. */
function killAfter(args: string[], marker: string): Promise<{ killed: boolean; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'ignore'] });
    let stdout = '';
    let sent = false;
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (!sent && stdout.includes(marker)) {
        sent = true;
        child.kill('SIGKILL');
      }
    });
    child.on('exit', (_code, signal) => resolve({ killed: signal === 'SIGKILL', stdout }));
  });
}

describe('pretrain resume after SIGKILL', () => {
  it('ends with the same bytes as an uninterrupted run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'albert-resume-'));
    const train = await writeCountingRecords(join(dir, 'train.tfrecord'), 96, 1);
    const evalFile = await writeCountingRecords(join(dir, 'eval.tfrecord'), 32, 2);
    // The tiny model with dropout, so masks must follow the step.
    const config = join(dir, 'albert_config.json');
    writeFileSync(
      config,
      JSON.stringify({ vocab_size: 128, embedding_size: 16, hidden_size: 32, num_hidden_layers: 2, num_attention_heads: 4, intermediate_size: 37, hidden_act: 'gelu', hidden_dropout_prob: 0.1, attention_probs_dropout_prob: 0.1, max_position_embeddings: 64 }),
    );
    const ref = join(dir, 'ref');
    const out = join(dir, 'out');
    const refRun = albert(flags(train, evalFile, config, ref, join(dir, 'ref.jsonl')));

    const run = (env: Record<string, string>) => albert(flags(train, evalFile, config, out, join(dir, 'out.jsonl')), env);
    const killedAt: string[] = [];
    for (const point of ['mid-best:4', 'mid-step:7', 'after-checkpoint:8', 'mid-checkpoint:12']) {
      const r = await run({ ALBERT_TEST_KILL_AT: point });
      assert.equal(r.signal, 'SIGKILL', `${point}: killed (exit ${r.code}, stderr: ${r.stderr.slice(-500)})`);
      killedAt.push(point);
      // Only complete checkpoints are visible; a killed write is a hidden temporary directory.
      for (const n of readdirSync(out).filter((x) => x.startsWith('checkpoint-'))) {
        assert.ok(existsSync(join(out, n, 'training_state.json')), `${point}: ${n} is complete`);
      }
    }
    // From outside, at a moment the process does not choose: once step 14 was reported (6 steps, 2 evaluations and 2 checkpoints before the end).
    const outside = await killAfter(flags(train, evalFile, config, out, join(dir, 'out.jsonl')), '"type":"step","step":14');
    assert.ok(outside.killed, 'killed from outside');
    const last = await run({});
    assert.equal(last.code, 0, last.stderr);
    const reference = await refRun;
    assert.equal(reference.code, 0, reference.stderr);

    assert.deepEqual(readFileSync(join(out, 'model.safetensors')), readFileSync(join(ref, 'model.safetensors')), 'final model.safetensors: same bytes');
    for (const f of ['model.safetensors', 'optimizer.safetensors']) {
      assert.deepEqual(readFileSync(join(out, `checkpoint-${STEPS}`, f)), readFileSync(join(ref, `checkpoint-${STEPS}`, f)), `checkpoint-${STEPS}/${f}`);
    }
    // The resumed runs cleaned up after the killed ones, kept the last 2 checkpoints and the best.
    assert.deepEqual(readdirSync(out).filter((n) => n.startsWith('.')), []);
    assert.deepEqual(readdirSync(out).filter((n) => n.startsWith('checkpoint-')).sort(), ['checkpoint-16', 'checkpoint-20']);
    assert.deepEqual(readFileSync(join(out, 'best', 'model.safetensors')), readFileSync(join(ref, 'best', 'model.safetensors')), 'best');
    assert.equal(readFileSync(join(out, 'eval_results.txt'), 'utf8'), readFileSync(join(ref, 'eval_results.txt'), 'utf8'));
    // The metrics file has every step once, as the uninterrupted run's does.
    const steps = (file: string): number[] =>
      readFileSync(file, 'utf8')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as { type: string; step: number })
        .filter((o) => o.type === 'step')
        .map((o) => o.step);
    const want = Array.from({ length: STEPS }, (_, i) => i + 1);
    assert.deepEqual(steps(join(dir, 'ref.jsonl')), want);
    assert.deepEqual(steps(join(dir, 'out.jsonl')), want);
    assert.equal(killedAt.length, 4);
  });
});
