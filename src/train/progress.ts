/**
 * How a training run reports itself. People get a progress bar on a terminal (step, loss,
 * learning rate, tokens/s, ETA) and plain periodic lines elsewhere (logs, CI), both on stderr;
 * machines get JSON lines (--json on stdout, --metrics-file to a file), one object per event:
 *
 *   {"type":"step","step":12,"loss":...,"masked_lm_accuracy":...,"learning_rate":...,...}
 *   {"type":"eval","step":100,"masked_lm_accuracy":...,"frequency_baseline":{...},...}
 *   {"type":"checkpoint","step":100,"path":"out/checkpoint-100"}
 *   {"type":"summary",...}
 *
 * "step" is the number of updates done (the original's global_step after the update).
 */
import { appendFileSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { MultiBar, SingleBar } from 'cli-progress';
import { writeAtomic } from '../util/atomic-write.ts';
import { OptionError } from '../util/errors.ts';
import { MakeDirError, makeDir } from '../util/make-dir.ts';
import type { EvalReport } from './task.ts';

/** One update: the loop's figures and every loss and metric output of the task's graph. */
export interface StepEvent {
  step: number;
  total: number;
  loss: number;
  learning_rate: number;
  grad_norm: number;
  seconds: number;
  /** Over the last few steps. */
  tokens_per_second: number;
  eta_seconds: number;
  skipped?: boolean;
  /** The task's outputs (masked_lm_accuracy, accuracy, classification_loss, ...). */
  [output: string]: number | boolean | undefined;
}

export type SummaryEvent = Record<string, unknown>;

export interface ProgressSink {
  start(startStep: number, total: number): void;
  step(e: StepEvent): void;
  /** An evaluation, with the task's line about it. */
  eval(e: EvalReport, line: string): void;
  checkpoint(step: number, path: string): void;
  /** A line for people (stderr); machines ignore it. */
  note(line: string): void;
  summary(lines: string[], data: SummaryEvent): void;
  stop(): void;
}

export interface ProgressOptions {
  /** The word on the progress bar (default: train). */
  label?: string;
  /** Progress bar (true: stderr is a terminal) or plain lines. */
  tty: boolean;
  /** JSON lines on stdout. */
  json?: boolean;
  /** JSON lines appended to this file. */
  metricsFile?: string;
  /**
   * With metricsFile: the step the run starts at, asked when the first line is about to be
   * written; the file is trimmed to it then (resetMetricsFile), not before, so a run that stops
   * on a bad input before it has anything to log leaves the file as it was.
   */
  metricsStartStep?: () => number;
  /** Plain lines: every this many steps (default: every 10 seconds). */
  logEverySteps?: number;
  /** Plain lines: at most one per this many seconds when logEverySteps is not given (default 10). */
  logEverySeconds?: number;
  stderr?: (text: string) => void;
  stdout?: (text: string) => void;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

const fmt = (x: number, digits = 4): string => (Number.isFinite(x) ? x.toFixed(digits) : String(x));
const fmtLr = (x: number): string => (x === 0 ? '0' : x.toExponential(2));

/** Short names of the accuracies a step line shows (losses other than the total are left to JSON). */
const SHORT: [RegExp, string][] = [
  [/^masked_lm_accuracy$/, 'mlm_acc'],
  [/^sentence_order_accuracy$/, 'sop_acc'],
  [/^(.*)accuracy$/, '$1acc'],
];

export function stepLine(e: StepEvent): string {
  const shown: string[] = [];
  for (const [k, v] of Object.entries(e)) {
    if (typeof v !== 'number') continue;
    const rule = SHORT.find(([re]) => re.test(k));
    if (rule) shown.push(`${k.replace(rule[0], rule[1])} ${fmt(v, 3)}  `);
  }
  return (
    `step ${e.step}/${e.total}  loss ${fmt(e.loss)}  ${shown.join('')}` +
    `lr ${fmtLr(e.learning_rate)}  ${Math.round(e.tokens_per_second)} tok/s  ETA ${formatDuration(e.eta_seconds)}${e.skipped ? '  (skipped: loss not finite)' : ''}`
  );
}

/** The JSON-lines part: stdout and/or a metrics file. */
class JsonLines {
  constructor(
    private readonly out: ((text: string) => void) | null,
    private readonly file: string | null,
    private reset: (() => void) | null = null,
  ) {}

  write(obj: Record<string, unknown>): void {
    const line = `${JSON.stringify(obj)}\n`;
    this.out?.(line);
    if (this.file) {
      if (this.reset) {
        const reset = this.reset;
        this.reset = null;
        reset();
      }
      try {
        appendFileSync(this.file, line);
      } catch (e) {
        throw new OptionError(`cannot write {metricsFile} ${this.file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
    }
  }
}

/**
 * Prepares a metrics file for a run that starts at `startStep`: a resumed run drops the lines
 * of steps after it (the killed run logged them, the resumed one logs them again).
 */
export function resetMetricsFile(path: string, startStep: number): void {
  let text = '';
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new OptionError(`cannot read {metricsFile} ${path}: ${(e as NodeJS.ErrnoException).code}`);
  }
  const kept: string[] = [];
  if (startStep > 0) {
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      try {
        const o = JSON.parse(line) as { step?: unknown; type?: unknown };
        if (typeof o.step === 'number' && o.step <= startStep && o.type !== 'summary') kept.push(line);
      } catch {
        // A line cut short by a kill: dropped.
      }
    }
  }
  try {
    makeDir(dirname(path));
  } catch (e) {
    if (!(e instanceof MakeDirError)) throw e;
    throw new OptionError(`cannot write {metricsFile} ${path}: ${e.reason}`);
  }
  writeAtomic(path, kept.map((l) => `${l}\n`).join(''));
}

export async function createProgress(opts: ProgressOptions): Promise<ProgressSink> {
  const err = opts.stderr ?? ((t: string) => void process.stderr.write(t));
  const metricsFile = opts.metricsFile ?? null;
  const startStep = opts.metricsStartStep;
  const reset = metricsFile && startStep ? (): void => resetMetricsFile(metricsFile, startStep()) : null;
  const json = new JsonLines(opts.json ? (opts.stdout ?? ((t: string) => void process.stdout.write(t))) : null, metricsFile, reset);
  let multi: MultiBar | null = null;
  let bar: SingleBar | null = null;
  const bars = opts.tty ? (await import('cli-progress')).default : null;
  let lastLine = 0;
  let lastStep = 0;
  const human = (line: string): void => {
    if (multi) multi.log(`${line}\n`);
    else err(`${line}\n`);
  };
  const sink: ProgressSink = {
    start(startStep, total) {
      lastStep = startStep;
      lastLine = performance.now();
      if (bars) {
        multi = new bars.MultiBar(
          {
            stream: process.stderr,
            format: `${opts.label ?? 'train'} [{bar}] {value}/{total} | loss {loss} | lr {lr} | {tps} tok/s | ETA {etaText}`,
            hideCursor: true,
            clearOnComplete: false,
            barsize: 30,
          },
          bars.Presets.shades_classic,
        );
        bar = multi.create(total, startStep, { loss: '-', lr: '-', tps: '-', etaText: '?' });
      }
    },
    step(e) {
      json.write({ type: 'step', ...e });
      if (bar) {
        bar.update(e.step, { loss: fmt(e.loss), lr: fmtLr(e.learning_rate), tps: Math.round(e.tokens_per_second), etaText: formatDuration(e.eta_seconds) });
        if (e.skipped) human(stepLine(e));
        return;
      }
      const now = performance.now();
      const due = opts.logEverySteps ? e.step % opts.logEverySteps === 0 : now - lastLine >= (opts.logEverySeconds ?? 10) * 1000;
      if (due || e.step === e.total || e.step === lastStep + 1 || e.skipped) {
        err(`${stepLine(e)}\n`);
        lastLine = now;
      }
    },
    eval(e, line) {
      json.write({ type: 'eval', ...e });
      human(line);
    },
    checkpoint(step, path) {
      json.write({ type: 'checkpoint', step, path });
      human(`saved ${path}`);
    },
    note(line) {
      human(line);
    },
    summary(lines, data) {
      sink.stop();
      json.write({ type: 'summary', ...data });
      for (const l of lines) err(`${l}\n`);
    },
    stop() {
      if (multi) {
        multi.stop();
        multi = null;
        bar = null;
      }
    },
  };
  return sink;
}
