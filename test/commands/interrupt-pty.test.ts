/**
 * Ctrl-C at a terminal: `albert pretrain` runs under a pseudo-terminal (so it draws its progress
 * bar, which hides the cursor and turns line wrap off), gets the terminal's interrupt character
 * once it has saved a checkpoint (test/commands/pty-ctrl-c.py: the driver turns \x03 into SIGINT
 * for the foreground process, as a person's Ctrl-C), and must
 *  - exit with status 130,
 *  - say in one line at which step it stopped and which checkpoint the next run resumes from,
 *  - leave the terminal with the cursor shown and line wrap on (after the last sequences that
 *    turned them off),
 * and the same command run again must end with the same bytes as a run never interrupted.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { albert, BIN, tinyFlags, writeCountingRecords } from '../train/helpers.ts';

const PYTHON = '/usr/bin/python3';
const DRIVER = fileURLToPath(new URL('pty-ctrl-c.py', import.meta.url));
const STEPS = 300;
const EVERY = 25;

interface PtyRun {
  exit: number | null;
  signal: number | null;
  sent: boolean;
  output: string;
}

function underPty(args: string[], watch: string, marker: string): Promise<PtyRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [DRIVER, watch, marker, '60', '--', process.execPath, BIN, ...args], { env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`pty driver exit ${code}: ${stderr}`));
      const r = JSON.parse(stdout) as Omit<PtyRun, 'output'> & { output: string };
      resolve({ ...r, output: Buffer.from(r.output, 'base64').toString('latin1') });
    });
  });
}

const CURSOR_OFF = '\x1b[?25l';
const CURSOR_ON = '\x1b[?25h';
const WRAP_OFF = '\x1b[?7l';
const WRAP_ON = '\x1b[?7h';

describe('Ctrl-C in a terminal', () => {
  it('restores the terminal, says where to resume, exits 130, and the rerun ends with the bytes of an uninterrupted run', async (t) => {
    if (!existsSync(PYTHON)) {
      console.log(`ctrl-c: skipped, ${PYTHON} is missing: no pseudo-terminal driver`);
      return t.skip(`${PYTHON} is missing: no pseudo-terminal driver`);
    }
    const dir = mkdtempSync(join(tmpdir(), 'albert-ctrl-c-'));
    const train = await writeCountingRecords(join(dir, 'train.tfrecord'), 96, 1);
    const flags = (out: string, metrics: string): string[] =>
      tinyFlags(train, out, ['--num-train-steps', String(STEPS), '--save-checkpoints-steps', String(EVERY), '--keep-checkpoint-max', '0', '--metrics-file', metrics]);
    const ref = join(dir, 'ref');
    const out = join(dir, 'out');
    const refRun = albert(flags(ref, join(dir, 'ref.jsonl')));

    const metrics = join(dir, 'out.jsonl');
    const r = await underPty(flags(out, metrics), metrics, '"type":"checkpoint"');
    assert.ok(r.sent, `Ctrl-C was sent (output: ${JSON.stringify(r.output.slice(-400))})`);
    assert.equal(r.signal, null, 'the process ended itself, not by the signal');
    assert.equal(r.exit, 130, JSON.stringify(r.output.slice(-600)));

    // The line, and the checkpoint it names is the newest there is.
    const m = /interrupted at step (\d+); run the same command again to resume from (\S+)\r?\n/.exec(r.output);
    assert.ok(m, `the interrupted line: ${JSON.stringify(r.output.slice(-600))}`);
    const stopped = Number(m[1]);
    const steps = readdirSync(out).filter((n) => n.startsWith('checkpoint-')).map((n) => Number(n.slice('checkpoint-'.length)));
    const newest = Math.max(...steps);
    assert.equal(m[2], join(out, `checkpoint-${newest}`));
    assert.ok(newest <= stopped && stopped < STEPS, `stopped at ${stopped}, newest checkpoint ${newest}`);
    assert.equal(newest, stopped - (stopped % EVERY), 'without --save-on-interrupt the newest is the last scheduled one');

    // The bar turned the cursor and line wrap off; both are on again after the last time.
    assert.ok(r.output.includes(CURSOR_OFF), 'the bar hid the cursor');
    assert.match(r.output, /pretrain \[[^\]]*\] \d+\/300 \| loss [\d.]+ \| mlm_acc [\d.]+ \| sop_acc [\d.]+ \| lr /, 'the bar shows the task metrics');
    assert.ok(r.output.lastIndexOf(CURSOR_ON) > r.output.lastIndexOf(CURSOR_OFF), 'cursor shown again at the end');
    assert.ok(r.output.lastIndexOf(WRAP_ON) > r.output.lastIndexOf(WRAP_OFF), 'line wrap on again at the end');
    assert.ok(r.output.lastIndexOf(CURSOR_ON) < m.index, 'the terminal is restored before the line is printed');

    // Again, to the end: the bytes of the run that was never interrupted.
    const again = await albert(flags(out, metrics));
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, new RegExp(`resuming from ${join(out, `checkpoint-${newest}`).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(step ${newest}\\)`));
    const reference = await refRun;
    assert.equal(reference.code, 0, reference.stderr);
    assert.deepEqual(readFileSync(join(out, 'model.safetensors')), readFileSync(join(ref, 'model.safetensors')), 'final model.safetensors');
    for (const f of ['model.safetensors', 'optimizer.safetensors']) {
      assert.deepEqual(readFileSync(join(out, `checkpoint-${STEPS}`, f)), readFileSync(join(ref, `checkpoint-${STEPS}`, f)), `checkpoint-${STEPS}/${f}`);
    }
  });
});
