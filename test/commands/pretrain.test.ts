/**
 * `albert pretrain` end to end on generated TFRecords (tiny config): training with evaluation,
 * checkpoints, best and the final model; evaluation alone of the result; and the bad inputs
 * (missing, corrupt and too small data, a config that does not fit the checkpoint, an output
 * directory that cannot be written, --device cuda, a NaN loss), each a one-line error with a
 * non-zero exit that leaves existing checkpoints as they were.
 */
import assert from 'node:assert/strict';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { readSafetensors } from '../../src/model/weights/safetensors.ts';
import { ortBinaryDir } from '../../src/backends/providers.ts';
import { albert, PRED, SEQ, tinyFlags, writeCountingRecords } from '../train/helpers.ts';
import { assertOneLineError } from '../helpers/cli.ts';

/** Every file under `dir` with its bytes, to check that nothing changed. */
function snapshot(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.set(p, readFileSync(p));
    }
  };
  walk(dir);
  return out;
}

const jsonLines = (s: string): Record<string, unknown>[] =>
  s
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('albert pretrain', () => {
  let dir: string;
  let train: string;
  let evalFile: string;
  let out: string;
  const evalFlags = (f: string): string[] => ['--do-eval', '--eval-file', f, '--eval-batch-size', '8'];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'albert-pretrain-'));
    train = await writeCountingRecords(join(dir, 'train.tfrecord'), 40, 1);
    evalFile = await writeCountingRecords(join(dir, 'eval.tfrecord'), 16, 2);
    out = join(dir, 'out');
  });

  it('trains with evaluation: JSON lines, checkpoints, best, the final model and eval_results.txt', async () => {
    const r = await albert(tinyFlags(train, out, ['--num-train-steps', '6', '--save-checkpoints-steps', '3', ...evalFlags(evalFile), '--json']));
    assert.equal(r.code, 0, r.stderr);
    const events = jsonLines(r.stdout);
    assert.deepEqual(events.filter((e) => e.type === 'step').map((e) => e.step), [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(events.filter((e) => e.type === 'eval').map((e) => e.step), [3, 6]);
    assert.deepEqual(events.filter((e) => e.type === 'checkpoint').map((e) => e.path), [join(out, 'checkpoint-3'), join(out, 'checkpoint-6')]);
    const step = events.find((e) => e.type === 'step')!;
    for (const k of ['loss', 'masked_lm_accuracy', 'sentence_order_accuracy', 'learning_rate', 'tokens_per_second', 'eta_seconds']) assert.equal(typeof step[k], 'number', k);
    const summary = events[events.length - 1];
    assert.equal(summary.type, 'summary');
    assert.equal(summary.final_step, 6);
    const finalEval = summary.final_eval as Record<string, number>;
    for (const k of ['masked_lm_accuracy', 'masked_lm_loss', 'sentence_order_accuracy', 'sentence_order_loss']) assert.ok(Number.isFinite(finalEval[k]), k);
    assert.match(r.stderr, /eval at step 6: masked_lm_accuracy [\d.]+ \(frequency baseline [\d.]+\)/);
    for (const f of ['checkpoint-3/model.safetensors', 'checkpoint-6/optimizer.safetensors', 'best/training_state.json', 'model.safetensors', 'config.json', 'eval_results.txt']) {
      assert.ok(existsSync(join(out, f)), f);
    }
    assert.match(readFileSync(join(out, 'eval_results.txt'), 'utf8'), /^global_step = 6\nloss = .*\nmasked_lm_accuracy = /);

    // The result is a model --init-checkpoint takes: evaluated alone, it scores what the run's last evaluation said.
    const again = await albert(['pretrain', '--init-checkpoint', out, '--output-dir', join(dir, 'eval-only'), '--max-seq-length', String(SEQ), '--max-predictions-per-seq', String(PRED), '--threads', '1', ...evalFlags(evalFile), '--json']);
    assert.equal(again.code, 0, again.stderr);
    const e = jsonLines(again.stdout).find((x) => x.type === 'eval')!;
    assert.equal(e.masked_lm_accuracy, finalEval.masked_lm_accuracy);
    assert.equal(e.masked_lm_loss, finalEval.masked_lm_loss);
    assert.equal(e.sentence_order_loss, finalEval.sentence_order_loss);
  });

  it('skips steps with a NaN loss when asked, and stops at one otherwise, keeping the last good checkpoint', async () => {
    const poisoned = await writeCountingRecords(join(dir, 'poisoned.tfrecord'), 16, 3, 5);
    const skipOut = join(dir, 'skip');
    const stopOut = join(dir, 'stop');
    const [skip, stop] = await Promise.all([
      albert(tinyFlags(poisoned, skipOut, ['--num-train-steps', '6', '--save-checkpoints-steps', '6', '--skip-nonfinite-steps', '--json'])),
      albert(tinyFlags(train, stopOut, ['--num-train-steps', '6', '--save-checkpoints-steps', '1', '--learning-rate', '1e30', '--num-warmup-steps', '0'])),
    ]);
    assert.equal(skip.code, 0, skip.stderr);
    const events = jsonLines(skip.stdout);
    const skipped = events.filter((e) => e.type === 'step' && e.skipped).map((e) => e.step);
    assert.ok(skipped.length >= 1, 'the poisoned record was met');
    assert.deepEqual((events[events.length - 1] as { skipped_steps: number[] }).skipped_steps, skipped);
    assert.match(skip.stderr, /skipped \d+ steps? with a non-finite loss/);
    for (const [name, t] of readSafetensors(join(skipOut, 'model.safetensors')).tensors) assert.ok((t.data as Float32Array).every(Number.isFinite), name);

    assertOneLineError(stop, /^Error: step 2: the loss is NaN; training stopped, .*last good checkpoint: .*checkpoint-1\); --skip-nonfinite-steps skips such steps$/, false);
    assert.deepEqual(readdirSync(stopOut).filter((n) => n.startsWith('checkpoint-')), ['checkpoint-1']);
    assert.ok(existsSync(join(stopOut, 'checkpoint-1', 'training_state.json')));
  });

  it('reports bad inputs in one line and leaves existing checkpoints as they were', async () => {
    assert.ok(existsSync(join(out, 'checkpoint-6')), 'the training test ran first');
    const before = snapshot(out);
    // A copy of the training data under the same name with one byte of a later record flipped.
    mkdirSync(join(dir, 'corrupt'));
    const corrupt = join(dir, 'corrupt', 'train.tfrecord');
    copyFileSync(train, corrupt);
    const bytes = readFileSync(corrupt);
    bytes[Math.floor(bytes.length * 0.75)] ^= 0xff;
    writeFileSync(corrupt, bytes);
    const bigger = join(dir, 'bigger.json');
    writeFileSync(bigger, JSON.stringify({ vocab_size: 128, embedding_size: 16, hidden_size: 48, num_hidden_layers: 2, num_attention_heads: 4, intermediate_size: 37, max_position_embeddings: 64 }));
    const fileNotDir = join(dir, 'a-file');
    writeFileSync(fileNotDir, 'x');
    const fresh = (n: string): string => join(dir, `fresh-${n}`);
    // A copy of checkpoint-6 whose data cursor lost its file list (a hand-edited state file).
    const cursorOut = fresh('f');
    cpSync(join(out, 'checkpoint-6'), join(cursorOut, 'checkpoint-6'), { recursive: true });
    const stateFile = join(cursorOut, 'checkpoint-6', 'training_state.json');
    const state = JSON.parse(readFileSync(stateFile, 'utf8')) as { data_cursor: Record<string, unknown> };
    delete state.data_cursor.files;
    writeFileSync(stateFile, JSON.stringify(state));
    // A metrics file a bad run must not trim (it has lines after the checkpoint's step, and a summary).
    const metrics = join(dir, 'kept.jsonl');
    const metricsText = `${[5, 6, 7].map((step) => JSON.stringify({ type: 'step', step })).join('\n')}\n${JSON.stringify({ type: 'summary' })}\n`;
    writeFileSync(metrics, metricsText);

    // A copy of the run: two runs at once on `out` itself would be one too many (its lock refuses the second).
    const mismatchOut = join(dir, 'out-mismatch');
    cpSync(out, mismatchOut, { recursive: true });
    const [missing, damaged, mismatch, resumeMismatch, tooBig, unwritable, cuda, nothing, badCursor, tooManyPredictions, badDevice] = await Promise.all([
      albert(tinyFlags(join(dir, 'missing.tfrecord'), fresh('a'), ['--num-train-steps', '2'])),
      albert(tinyFlags(corrupt, out, ['--num-train-steps', '12'])),
      albert(tinyFlags(train, fresh('b'), ['--num-train-steps', '2', '--init-checkpoint', join(out, 'checkpoint-6'), '--albert-config-file', bigger])),
      albert(tinyFlags(train, mismatchOut, ['--num-train-steps', '12', '--albert-config-file', bigger, '--metrics-file', metrics])),
      albert(tinyFlags(train, fresh('c'), ['--num-train-steps', '2', '--train-batch-size', '64'])),
      albert(tinyFlags(train, join(fileNotDir, 'out'), ['--num-train-steps', '2'])),
      albert(tinyFlags(train, fresh('d'), ['--device', 'cuda'])),
      albert(['pretrain', '--input-file', train, '--output-dir', fresh('e')]),
      albert(tinyFlags(train, cursorOut, ['--num-train-steps', '12'])),
      albert(tinyFlags(train, fresh('g'), ['--num-train-steps', '2', '--max-predictions-per-seq', String(SEQ + 1)])),
      albert(tinyFlags(train, fresh('h'), ['--device', 'tpu'])),
    ]);
    assertOneLineError(missing, /--input-file: .*missing\.tfrecord: .*(no such file|ENOENT)/i);
    assertOneLineError(damaged, /train\.tfrecord.*(record|offset|crc)/i, false);
    assertOneLineError(mismatch, /checkpoint-6.*do not fit the model config/);
    assertOneLineError(resumeMismatch, /checkpoint-6.*training_state\.json: the checkpoint's model config has hidden_size = 32, the given config 48/);
    assertOneLineError(tooBig, /--train-batch-size 64 exceeds the 40 records in /);
    assertOneLineError(unwritable, /--output-dir .*a-file\/out: cannot write there/);
    if (existsSync(join(ortBinaryDir(), 'libonnxruntime_providers_cuda.so'))) console.log('pretrain: the CUDA provider is installed here; its missing-provider error was not exercised');
    else assertOneLineError(cuda, /^Error: --device cuda: onnxruntime could not open the training step there \(.*\); `albert doctor` says what is missing$/);
    assertOneLineError(badDevice, /^Error: --device "tpu": expected cpu, cuda, cuda:N \(a GPU's index\) or webgpu$/);
    assertOneLineError(nothing, /at least one of --do-train or --do-eval/);
    assertOneLineError(badCursor, /checkpoint-6\/training_state\.json: field "data_cursor": field "files" is not a list of file names$/, false);
    // The graph builder's maxPredictions option is this command's --max-predictions-per-seq.
    assertOneLineError(tooManyPredictions, new RegExp(`^Error: --max-predictions-per-seq must be an integer in 1\\.\\.${SEQ} \\(got ${SEQ + 1}\\)$`));
    assert.equal(readFileSync(metrics, 'utf8'), metricsText, 'the metrics file of a run stopped by a bad input is left as it was');
    assert.ok(!existsSync(fresh('a')) || readdirSync(fresh('a')).length === 0);
    assert.ok(statSync(fileNotDir).isFile());
    const after = snapshot(out);
    assert.deepEqual([...after.keys()].sort(), [...before.keys()].sort());
    for (const [p, b] of before) assert.ok(after.get(p)!.equals(b), `${p} changed`);
  });
});
