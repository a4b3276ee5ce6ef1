/**
 * The progress bar on a terminal (a stream that says it is one): the task's metrics on it,
 * "evaluating..." while an evaluation runs, and the cursor and line wrap turned back on when it
 * stops, or when the process exits with the bar still up (a path that skips stop()).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { estimateEta } from '../../src/train/loop.ts';
import { createProgress, type StepEvent } from '../../src/train/progress.ts';

class FakeTerminal extends Writable {
  isTTY = true;
  columns = 200;
  text = '';
  override _write(chunk: Buffer, _enc: string, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

const step = (s: number): StepEvent => ({
  step: s,
  total: 10,
  loss: 2.5,
  masked_lm_loss: 2,
  masked_lm_accuracy: 0.25,
  sentence_order_accuracy: 0.75,
  learning_rate: 1e-3,
  grad_norm: 1,
  seconds: 0.1,
  tokens_per_second: 1000,
  eta_seconds: 75,
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('progress bar', () => {
  it('shows the task metrics and "evaluating..." while an evaluation runs, and restores the terminal on stop', async () => {
    const term = new FakeTerminal();
    const p = await createProgress({ tty: true, barStream: term, stderr: () => {} });
    const exitHandlers = process.listenerCount('exit');
    p.start(0, 10, { outputs: ['masked_lm_loss', 'masked_lm_accuracy', 'sentence_order_accuracy'], metrics: ['masked_lm_accuracy', 'sentence_order_accuracy'] });
    assert.equal(process.listenerCount('exit'), exitHandlers + 1, 'a bar that is up restores the terminal on exit');
    assert.ok(term.text.includes('\x1b[?25l') && term.text.includes('\x1b[?7l'), 'the bar hides the cursor and turns line wrap off');
    p.step(step(4));
    await sleep(150);
    assert.match(term.text, /4\/10 \| loss 2\.5000 \| mlm_acc 0\.250 \| sop_acc 0\.750 \| lr 1\.00e-3 \| 1000 tok\/s \| ETA 1m15s/);
    assert.ok(!term.text.includes('masked_lm_loss'), 'losses other than the total are left to the JSON lines');
    assert.ok(!term.text.includes('evaluating...'));
    p.evalStart!(4);
    await sleep(150);
    assert.match(term.text, /ETA 1m15s \| evaluating\.\.\./);
    p.eval({ step: 4, seconds: 0.2, masked_lm_accuracy: 0.5 }, 'eval at step 4');
    const before = term.text.length;
    await sleep(150);
    assert.ok(!term.text.slice(before).includes('evaluating...'), 'the status goes when the evaluation is done');
    assert.ok(term.text.slice(before).includes('eval at step 4'), 'the eval line is drawn above the bar');
    p.stop();
    const off = Math.max(term.text.lastIndexOf('\x1b[?25l'), term.text.lastIndexOf('\x1b[?7l'));
    assert.ok(term.text.lastIndexOf('\x1b[?25h') > off && term.text.lastIndexOf('\x1b[?7h') > off, 'cursor and wrap on after the last time they were turned off');
    assert.equal(process.listenerCount('exit'), exitHandlers);
    p.stop();
  });

  it('restores the terminal when the process exits with the bar up', () => {
    // A child process draws a bar on its (fake) terminal and calls process.exit without stop().
    const progress = fileURLToPath(new URL('../../src/train/progress.ts', import.meta.url));
    const script = `
      import { Writable } from 'node:stream';
      import { createProgress } from ${JSON.stringify(progress)};
      const term = new Writable({ write(c, e, done) { process.stdout.write(JSON.stringify(c.toString()) + '\\n'); done(); } });
      term.isTTY = true; term.columns = 100;
      const p = await createProgress({ tty: true, barStream: term, stderr: () => {} });
      p.start(0, 5);
      process.exit(3);`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
    assert.equal(r.status, 3, r.stderr);
    const written = r.stdout.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as string).join('');
    assert.ok(written.includes('\x1b[?25l'), 'the bar hid the cursor');
    assert.ok(written.endsWith('\x1b[?25h\x1b[?7h'), JSON.stringify(written.slice(-40)));
  });

  it('counts the evaluations and checkpoints left in the ETA', () => {
    const base = { total: 100, every: 10, secondsPerStep: 0.5 };
    // No evaluation or checkpoint yet: the steps alone.
    assert.equal(estimateEta({ ...base, step: 5, evalSeconds: [], checkpointSeconds: [] }), 47.5);
    // 10 checkpoints left (10, 20, ..., 100), each 3 s of evaluation and 1 s of writing on average.
    assert.equal(estimateEta({ ...base, step: 5, evalSeconds: [2, 4], checkpointSeconds: [1] }), 47.5 + 10 * 4);
    assert.equal(estimateEta({ ...base, step: 95, evalSeconds: [3], checkpointSeconds: [1] }), 2.5 + 4);
    assert.equal(estimateEta({ ...base, step: 100, evalSeconds: [3], checkpointSeconds: [1] }), 0);
  });
});
