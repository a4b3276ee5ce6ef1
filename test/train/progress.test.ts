/**
 * Progress reporting without a terminal: plain lines on schedule, JSON lines for machines, and
 * a metrics file that a resumed run trims back to its starting step.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createProgress, formatDuration, resetMetricsFile, type StepEvent } from '../../src/train/progress.ts';

const stepEvent = (step: number, extra: Partial<StepEvent> = {}): StepEvent => ({
  step,
  total: 10,
  loss: 2.5,
  masked_lm_loss: 2,
  sentence_order_loss: 0.5,
  masked_lm_accuracy: 0.25,
  sentence_order_accuracy: 0.75,
  learning_rate: 1e-3,
  grad_norm: 1,
  seconds: 0.1,
  tokens_per_second: 1234.4,
  eta_seconds: 75,
  ...extra,
});

describe('progress', () => {
  it('prints plain lines every N steps (and the first, the last and skipped ones) and JSON lines for every event', async () => {
    const err: string[] = [];
    const out: string[] = [];
    const dir = mkdtempSync(join(tmpdir(), 'albert-progress-'));
    const metrics = join(dir, 'm.jsonl');
    const p = await createProgress({ tty: false, json: true, metricsFile: metrics, logEverySteps: 4, stderr: (t) => err.push(t), stdout: (t) => out.push(t) });
    p.start(0, 10);
    for (let s = 1; s <= 10; s++) p.step(stepEvent(s, s === 6 ? { skipped: true, loss: NaN } : {}));
    p.checkpoint(10, '/x/checkpoint-10');
    p.summary(['done'], { finalStep: 10 });
    const lines = err.join('').split('\n').filter((l) => l !== '');
    assert.deepEqual(
      lines.filter((l) => l.startsWith('step ')).map((l) => Number(/^step (\d+)/.exec(l)![1])),
      [1, 4, 6, 8, 10],
    );
    assert.equal(lines[0], 'step 1/10  loss 2.5000  mlm_acc 0.250  sop_acc 0.750  lr 1.00e-3  1234 tok/s  ETA 1m15s');
    assert.match(lines.find((l) => l.startsWith('step 6'))!, /loss NaN .*\(skipped: loss not finite\)$/);
    assert.ok(lines.includes('saved /x/checkpoint-10'));
    assert.equal(lines[lines.length - 1], 'done');
    const events = out.join('').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { type: string; step?: number; loss?: unknown });
    assert.equal(events.filter((e) => e.type === 'step').length, 10);
    assert.equal(events.find((e) => e.step === 6)!.loss, null, 'NaN is null in JSON');
    assert.deepEqual(events.map((e) => e.type).slice(-2), ['checkpoint', 'summary']);
    assert.equal(readFileSync(metrics, 'utf8'), out.join(''));
  });

  it('trims a metrics file to the steps before a resumed run, dropping a line cut short by a kill', () => {
    const dir = mkdtempSync(join(tmpdir(), 'albert-progress-'));
    const f = join(dir, 'm.jsonl');
    const lines = [1, 2, 3, 4, 5].map((s) => JSON.stringify({ type: 'step', step: s }));
    writeFileSync(f, `${[...lines, JSON.stringify({ type: 'checkpoint', step: 4 }), '{"type":"step","st'].join('\n')}`);
    resetMetricsFile(f, 4);
    assert.deepEqual(readFileSync(f, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l).step), [1, 2, 3, 4, 4]);
    resetMetricsFile(f, 0);
    assert.equal(readFileSync(f, 'utf8'), '');
    resetMetricsFile(join(dir, 'new', 'fresh.jsonl'), 0);
    assert.equal(readFileSync(join(dir, 'new', 'fresh.jsonl'), 'utf8'), '');
  });

  it('trims the metrics file only when the first line is written, asking the start step then', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'albert-progress-'));
    const f = join(dir, 'm.jsonl');
    const old = `${[1, 2, 3].map((s) => JSON.stringify({ type: 'step', step: s })).join('\n')}\n${JSON.stringify({ type: 'summary', finalStep: 3 })}\n`;
    writeFileSync(f, old);
    let asked = 0;
    const p = await createProgress({ tty: false, metricsFile: f, metricsStartStep: () => (asked++, 2), stderr: () => {} });
    // A run that stops on a bad input before logging anything leaves the file as it was.
    p.note('checking the inputs');
    assert.equal(readFileSync(f, 'utf8'), old);
    assert.equal(asked, 0);
    p.start(2, 4);
    p.step(stepEvent(3));
    p.step(stepEvent(4));
    assert.equal(asked, 1);
    assert.deepEqual(readFileSync(f, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l).step), [1, 2, 3, 4]);
  });

  it('formats durations', () => {
    assert.deepEqual([formatDuration(5), formatDuration(75), formatDuration(3725), formatDuration(Infinity)], ['5s', '1m15s', '1h02m', '?']);
  });
});
