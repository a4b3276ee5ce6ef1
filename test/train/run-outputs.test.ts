/**
 * What a training run reports beside its JSON lines, and how it stops on a signal, through the
 * library (the sink the commands make from their flags):
 *  - SIGINT with saveOnInterrupt: a checkpoint at the step reached, TrainingInterrupted (exit
 *    status 130) naming it, and a resumed run ending with the bytes of an uninterrupted one;
 *  - TensorBoard event files, read back by an independent reader (test/train/read-tfevents.py:
 *    its own CRC-32C, google.protobuf when installed), with the JSON lines' figures at their steps,
 *    and a resumed run's restart marked so TensorBoard drops the killed run's later points;
 *  - CSV of the steps and of the evaluations, each step and evaluation once after the resume;
 *  - the interrupt watch itself, and the ETA's count of checkpoints left.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { pretrain } from '../../src/tasks/pretraining/pretrain.ts';
import { InterruptWatch, TrainingInterrupted } from '../../src/train/interrupt.ts';
import { resumePoint, savesLeft } from '../../src/train/loop.ts';
import { createProgress, type ProgressSink } from '../../src/train/progress.ts';
import { PRED, SEQ, writeCountingRecords } from './helpers.ts';

const PYTHON = '/usr/bin/python3';
const READER = fileURLToPath(new URL('read-tfevents.py', import.meta.url));
const STEPS = 12;
const EVERY = 4;

interface TbEvent {
  wall_time: number;
  step: number;
  file_version?: string;
  session_log?: number;
  scalars?: Record<string, number>;
}

function readEvents(dir: string): { file: string; decoder: string; events: TbEvent[] }[] {
  const files = readdirSync(dir).filter((n) => n.includes('tfevents')).sort().map((n) => join(dir, n));
  const r = spawnSync(PYTHON, [READER, ...files], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

/**
 * TensorBoard's view of a run's files in order: a SessionLog START at step s drops the points at
 * steps > s logged before it (tensorboard's event accumulator purges them on a restart).
 */
function tensorboardView(files: { events: TbEvent[] }[]): Map<string, [number, number][]> {
  const series = new Map<string, [number, number][]>();
  for (const f of files) {
    for (const e of f.events) {
      if (e.session_log === 1) for (const [k, pts] of series) series.set(k, pts.filter(([s]) => s <= e.step));
      for (const [tag, v] of Object.entries(e.scalars ?? {})) {
        if (!series.has(tag)) series.set(tag, []);
        series.get(tag)!.push([e.step, v]);
      }
    }
  }
  return series;
}

function jsonLines(file: string): Record<string, number | string>[] {
  return readFileSync(file, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l));
}

function csv(file: string): { header: string[]; rows: string[][] } {
  const [h, ...rows] = readFileSync(file, 'utf8').split('\n').filter((l) => l !== '');
  return { header: h.split(','), rows: rows.map((r) => r.split(',')) };
}

describe('interrupt watch', () => {
  it('notes the first signal and stops at once on the second, with 128 + the signal number', () => {
    const seen: string[] = [];
    const exits: number[] = [];
    const before = process.listenerCount('SIGINT');
    const w = new InterruptWatch({ onFirst: (s) => seen.push(`first ${s}`), onForce: (s) => seen.push(`force ${s}`), exit: (c) => void exits.push(c) });
    assert.equal(process.listenerCount('SIGINT'), before + 1);
    process.emit('SIGINT');
    assert.equal(w.signal, 'SIGINT');
    assert.deepEqual(exits, [], 'the first signal does not exit');
    process.emit('SIGTERM');
    assert.deepEqual(seen, ['first SIGINT', 'force SIGTERM']);
    assert.deepEqual(exits, [143]);
    process.emit('SIGINT');
    assert.deepEqual(exits, [143, 130]);
    w.dispose();
    assert.equal(process.listenerCount('SIGINT'), before);
    assert.equal(process.listenerCount('SIGTERM'), 0);
  });

  it('counts the checkpoints (and evaluations) left for the ETA', () => {
    assert.deepEqual([savesLeft(0, 12, 4), savesLeft(5, 12, 4), savesLeft(8, 12, 4), savesLeft(12, 12, 4), savesLeft(9, 10, 4), savesLeft(8, 10, 4)], [3, 2, 1, 0, 1, 1]);
  });
});

describe('run outputs and Ctrl-C through the library', () => {
  it('saves on interrupt, resumes exactly, and writes TensorBoard and CSV figures matching the JSON lines', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'albert-run-outputs-'));
    const train = await writeCountingRecords(join(dir, 'train.tfrecord'), 96, 1);
    const evalFile = await writeCountingRecords(join(dir, 'eval.tfrecord'), 32, 2);
    const notes: string[] = [];
    const sink = async (out: string, interruptAt?: number): Promise<ProgressSink> => {
      const p = await createProgress({
        tty: false,
        metricsFile: join(out, 'metrics.jsonl'),
        metricsStartStep: () => resumePoint(out)?.latest.step ?? 0,
        metricsCsv: join(out, 'metrics.csv'),
        tensorboardDir: join(out, 'tb'),
        saveOnInterrupt: true,
        stderr: (s) => void notes.push(s),
      });
      if (interruptAt === undefined) return p;
      // Ctrl-C as the process gets it (a real signal), once the step is reported.
      return { ...p, saveOnInterrupt: p.saveOnInterrupt, step: (e) => (p.step(e), e.step === interruptAt ? void process.kill(process.pid, 'SIGINT') : undefined) };
    };
    const run = async (out: string, interruptAt?: number) =>
      pretrain({
        inputFiles: [train],
        evalFiles: [evalFile],
        outputDir: out,
        config: 'tiny',
        doTrain: true,
        doEval: true,
        trainBatchSize: 8,
        evalBatchSize: 16,
        maxSeqLength: SEQ,
        maxPredictionsPerSeq: PRED,
        optimizer: 'lamb',
        learningRate: 0.01,
        numTrainSteps: STEPS,
        numWarmupSteps: 2,
        saveCheckpointsSteps: EVERY,
        keepCheckpointMax: 0,
        maxEvalSteps: 100,
        threads: 1,
        seed: 7,
        progress: await sink(out, interruptAt),
      });
    const ref = join(dir, 'ref');
    const out = join(dir, 'out');
    await run(ref);

    // Interrupted after step 6 (or 7: the signal is handled at the next await), saved there.
    const stopped = await run(out, 6).then(
      () => assert.fail('the run was not interrupted'),
      (e: unknown) => e,
    );
    assert.ok(stopped instanceof TrainingInterrupted, String(stopped));
    assert.equal(stopped.exitCode, 130);
    assert.ok(stopped.step === 6 || stopped.step === 7, `stopped at ${stopped.step}`);
    assert.equal(stopped.checkpoint, join(out, `checkpoint-${stopped.step}`));
    assert.ok(existsSync(join(out, `checkpoint-${stopped.step}`, 'training_state.json')), 'the interrupt checkpoint is complete');
    assert.ok(notes.join('').includes(`interrupted at step ${stopped.step}; run the same command again to resume from ${stopped.checkpoint}\n`), notes.join(''));
    assert.equal(process.listenerCount('SIGINT'), 0, 'the signal has its default action again');

    const resumed = await run(out);
    assert.equal(resumed.resumedFrom, stopped.checkpoint);
    assert.deepEqual(readFileSync(join(out, 'model.safetensors')), readFileSync(join(ref, 'model.safetensors')), 'final model');
    assert.deepEqual(readFileSync(join(out, 'best', 'model.safetensors')), readFileSync(join(ref, 'best', 'model.safetensors')), 'best');
    for (const f of ['model.safetensors', 'optimizer.safetensors']) {
      assert.deepEqual(readFileSync(join(out, `checkpoint-${STEPS}`, f)), readFileSync(join(ref, `checkpoint-${STEPS}`, f)), `checkpoint-${STEPS}/${f}`);
    }

    const all = Array.from({ length: STEPS }, (_, i) => i + 1);
    const evalSteps = [4, 8, 12];
    for (const d of [ref, out]) {
      const lines = jsonLines(join(d, 'metrics.jsonl'));
      const steps = lines.filter((l) => l.type === 'step');
      assert.deepEqual(steps.map((l) => l.step), all, `${d}: JSON step lines`);

      // CSV: one header, one row per step line with its figures; evaluations in their own file.
      const s = csv(join(d, 'metrics.csv'));
      assert.deepEqual(s.header, ['step', 'loss', 'masked_lm_loss', 'sentence_order_loss', 'masked_lm_accuracy', 'sentence_order_accuracy', 'learning_rate', 'grad_norm', 'seconds', 'tokens_per_second', 'skipped']);
      assert.deepEqual(s.rows.map((r) => Number(r[0])), all, `${d}: CSV rows`);
      for (const [i, l] of steps.entries()) {
        for (const k of ['loss', 'masked_lm_accuracy', 'learning_rate', 'grad_norm']) assert.equal(Number(s.rows[i][s.header.indexOf(k)]), l[k], `${d}: CSV ${k} at step ${l.step}`);
      }
      const e = csv(join(d, 'metrics.eval.csv'));
      assert.equal(e.header[0], 'step');
      assert.ok(e.header.includes('masked_lm_accuracy') && e.header.includes('sentence_order_loss'), e.header.join(','));
      assert.deepEqual(e.rows.map((r) => Number(r[0])), evalSteps, `${d}: eval CSV rows`);
      const evals = lines.filter((l) => l.type === 'eval');
      for (const [i, l] of evals.entries()) assert.equal(Number(e.rows[i][e.header.indexOf('masked_lm_accuracy')]), l.masked_lm_accuracy);
    }

    if (!existsSync(PYTHON)) {
      console.log(`tensorboard: skipped, ${PYTHON} is missing: the TensorBoard files are not read back`);
      return t.skip(`${PYTHON} is missing: the TensorBoard files are not read back`);
    }
    // TensorBoard: file_version first; then the JSON lines' figures at their steps, as float32.
    const refFiles = readEvents(join(ref, 'tb'));
    assert.equal(refFiles.length, 1);
    assert.match(refFiles[0].file, /events\.out\.tfevents\.\d+\.[^/]+$/);
    assert.equal(refFiles[0].events[0].file_version, 'brain.Event:2');
    const outFiles = readEvents(join(out, 'tb'));
    assert.equal(outFiles.length, 2, 'the resumed run writes a file of its own');
    assert.deepEqual({ ...outFiles[1].events[1], wall_time: 0 }, { wall_time: 0, step: stopped.step, session_log: 1 }, 'the restart, at the step resumed from');
    for (const [d, files] of [[ref, refFiles], [out, outFiles]] as const) {
      const view = tensorboardView(files);
      const lines = jsonLines(join(d, 'metrics.jsonl'));
      for (const [k, tag] of [['loss', 'train/loss'], ['masked_lm_loss', 'train/masked_lm_loss'], ['sentence_order_accuracy', 'train/sentence_order_accuracy'], ['learning_rate', 'train/learning_rate'], ['grad_norm', 'train/grad_norm']]) {
        const want = lines.filter((l) => l.type === 'step').map((l) => [l.step, Math.fround(l[k] as number)]);
        assert.deepEqual(view.get(tag), want, `${d}: ${tag} (${files[0].decoder})`);
      }
      const evals = lines.filter((l) => l.type === 'eval').map((l) => [l.step, Math.fround(l.masked_lm_accuracy as number)]);
      assert.deepEqual(view.get('eval/masked_lm_accuracy'), evals, `${d}: eval/masked_lm_accuracy`);
      assert.deepEqual(evals.map(([s]) => s), evalSteps);
    }
  });
});
