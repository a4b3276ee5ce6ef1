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
 *
 * Besides: CSV tables of the same steps and evaluations (metricsCsv, src/train/metrics-csv.ts)
 * and TensorBoard event files (tensorboardDir, src/train/tensorboard.ts).
 *
 * The bar hides the cursor and turns line wrap off while it runs; stop() turns both back on, and
 * so does process exit while a bar is up (a path that skips stop(): process.exit from a signal
 * handler, an uncaught error), so no exit leaves the terminal without a cursor.
 */
import { appendFileSync, readFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { MultiBar, SingleBar } from 'cli-progress';
import { writeAtomic } from '../util/atomic-write.ts';
import { OptionError } from '../util/errors.ts';
import { MakeDirError, makeDir } from '../util/make-dir.ts';
import { CsvTable, evalCsvPath, flatFigures, stepColumns } from './metrics-csv.ts';
import type { EvalReport } from './task.ts';
import { TensorBoardWriter } from './tensorboard.ts';

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

/** What the loop knows of a run's step figures when it starts (from the training manifest). */
export interface RunInfo {
  /** The task's loss and metric outputs a step event carries (the total loss aside). */
  outputs: string[];
  /** Those of them that are metrics (shown on the bar). */
  metrics: string[];
}

/** The step figures that are the loop's own, not the task's outputs. */
const LOOP_FIGURES = new Set(['step', 'total', 'loss', 'learning_rate', 'grad_norm', 'seconds', 'tokens_per_second', 'eta_seconds', 'skipped']);

export interface ProgressSink {
  start(startStep: number, total: number, info?: RunInfo): void;
  step(e: StepEvent): void;
  /** An evaluation begins (the bar says so until eval()). */
  evalStart?(step: number): void;
  /** An evaluation, with the task's line about it. */
  eval(e: EvalReport, line: string): void;
  checkpoint(step: number, path: string): void;
  /** A line for people (stderr); machines ignore it. */
  note(line: string): void;
  summary(lines: string[], data: SummaryEvent): void;
  /** Ends the bar (restoring the cursor and line wrap); safe to call more than once. */
  stop(): void;
  /**
   * Write a checkpoint before stopping on Ctrl-C. A run setting, carried by the sink because the
   * sink is the one object every command hands the loop as it made it from the loop's flags.
   */
  readonly saveOnInterrupt?: boolean;
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
  /** CSV of the step lines here, and of the evaluations next to it (src/train/metrics-csv.ts). */
  metricsCsv?: string;
  /** TensorBoard event files in this directory (src/train/tensorboard.ts). */
  tensorboardDir?: string;
  /** See ProgressSink.saveOnInterrupt. */
  saveOnInterrupt?: boolean;
  /** Where the bar is drawn (default: process.stderr; tests give a stream that says it is a terminal). */
  barStream?: NodeJS.WritableStream;
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

/** A metric's name on the bar: an accuracy shortened as on the step lines, else as it is. */
function shortName(k: string): string {
  const rule = SHORT.find(([re]) => re.test(k));
  return rule ? k.replace(rule[0], rule[1]) : k;
}

/** What turns the cursor and line wrap back on (cli-progress turned them off). */
export const TERMINAL_RESTORE = '\x1b[?25h\x1b[?7h';

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
  // What the bar shows besides the loop's figures: the task's metrics, and whether an evaluation runs.
  let metricNames: string[] | null = null;
  // The step a resumed run starts from (null: start() not called, an evaluation-only run).
  let runStart: number | null = null;
  let outputs: string[] | null = null;
  const stepCsv = opts.metricsCsv ? new CsvTable(opts.metricsCsv) : null;
  const evalCsv = opts.metricsCsv ? new CsvTable(evalCsvPath(opts.metricsCsv)) : null;
  let tensorboard: TensorBoardWriter | null = null;
  const board = (): TensorBoardWriter | null => (opts.tensorboardDir ? (tensorboard ??= new TensorBoardWriter(opts.tensorboardDir, runStart ?? 0)) : null);
  // The safety net for exits that skip stop(); see the file comment. Written synchronously: an
  // 'exit' handler cannot wait for a stream.
  const restoreOnExit = (): void => {
    if (!multi) return;
    try {
      if (opts.barStream) opts.barStream.write(TERMINAL_RESTORE);
      else writeSync(2, TERMINAL_RESTORE);
    } catch {
      // stderr is gone: there is no terminal to restore
    }
  };
  const human = (line: string): void => {
    if (multi) multi.log(`${line}\n`);
    else err(`${line}\n`);
  };
  const barMetrics = (e: StepEvent): string => {
    const names = metricNames ?? Object.keys(e).filter((k) => !LOOP_FIGURES.has(k) && !k.endsWith('_loss'));
    return names
      .filter((k) => typeof e[k] === 'number')
      .map((k) => `${shortName(k)} ${fmt(e[k] as number, 3)} | `)
      .join('');
  };
  const setStatus = (status: string): void => {
    if (bar) bar.update({ status });
  };
  const sink: ProgressSink = {
    saveOnInterrupt: opts.saveOnInterrupt === true,
    start(startStep, total, info) {
      lastStep = startStep;
      lastLine = performance.now();
      runStart = startStep;
      metricNames = info?.metrics ?? null;
      outputs = info?.outputs ?? null;
      if (stepCsv && outputs) stepCsv.open(stepColumns(outputs), startStep);
      board();
      if (bars) {
        multi = new bars.MultiBar(
          {
            stream: opts.barStream ?? process.stderr,
            format: `${opts.label ?? 'train'} [{bar}] {value}/{total} | loss {loss} | {metrics}lr {lr} | {tps} tok/s | ETA {etaText}{status}`,
            hideCursor: true,
            clearOnComplete: false,
            barsize: 30,
            // Signals are the training loop's (src/train/interrupt.ts), which stops the bar itself.
            gracefulExit: false,
          },
          bars.Presets.shades_classic,
        );
        process.on('exit', restoreOnExit);
        bar = multi.create(total, startStep, { loss: '-', lr: '-', tps: '-', etaText: '?', metrics: '', status: '' });
      }
    },
    step(e) {
      json.write({ type: 'step', ...e });
      if (stepCsv) {
        // A sink started without the run's outputs takes them from the first step.
        if (!stepCsv.isOpen) stepCsv.open(stepColumns(Object.keys(e).filter((k) => !LOOP_FIGURES.has(k))), runStart ?? 0);
        stepCsv.row(e);
      }
      const tb = board();
      if (tb) {
        const scalars: [string, number][] = [];
        for (const [k, v] of Object.entries(e)) {
          if (typeof v !== 'number' || !Number.isFinite(v) || ['step', 'total', 'seconds', 'tokens_per_second', 'eta_seconds'].includes(k)) continue;
          scalars.push([`train/${k}`, v]);
        }
        tb.scalars(e.step, scalars);
      }
      if (bar) {
        bar.update(e.step, { loss: fmt(e.loss), metrics: barMetrics(e), lr: fmtLr(e.learning_rate), tps: Math.round(e.tokens_per_second), etaText: formatDuration(e.eta_seconds) });
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
    evalStart() {
      setStatus(' | evaluating...');
    },
    eval(e, line) {
      json.write({ type: 'eval', ...e });
      const figures = flatFigures(e).filter(([k]) => k !== 'step');
      if (evalCsv) {
        if (!evalCsv.isOpen) evalCsv.open(['step', ...figures.map(([k]) => k)], runStart);
        evalCsv.row(Object.fromEntries([['step', e.step], ...figures]));
      }
      board()?.scalars(
        e.step,
        figures.filter((f): f is [string, number] => typeof f[1] === 'number' && Number.isFinite(f[1]) && f[0] !== 'seconds').map(([k, v]) => [`eval/${k}`, v]),
      );
      setStatus('');
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
        // Lines logged since the last redraw are still in the bar's buffer: write them first.
        multi.update();
        multi.stop();
        multi = null;
        bar = null;
        process.removeListener('exit', restoreOnExit);
      }
    },
  };
  return sink;
}
