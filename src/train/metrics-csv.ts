/**
 * Metrics as CSV (`--metrics-csv FILE`), for spreadsheets and pandas, beside the JSON lines:
 *
 *   FILE                    one header line, then one row per training step (the JSON "step" lines)
 *   FILE with .eval before its extension (metrics.csv -> metrics.eval.csv)
 *                           one header line, then one row per evaluation
 *
 * Evaluations go to a file of their own because their figures differ from a step's (a task's
 * evaluation has F1, MCC, baselines, ... a step has losses, learning rate, speed); one table
 * with both would be mostly empty cells.
 *
 * Columns are fixed for the file: the step file's are known when the run starts (the loop's
 * figures and the task's loss and metric outputs, from the training manifest); the evaluation
 * file's are those of its first evaluation (nested figures flattened as `a.b`). A figure outside
 * them is left to the JSON lines. A resumed run keeps the rows up to the step it resumes from
 * and appends after them, as the metrics file does; a file whose header is not this run's is
 * started over.
 */
import { appendFileSync, readFileSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { fsReason } from '../data/tfrecord.ts';
import { writeAtomic } from '../util/atomic-write.ts';
import { OptionError } from '../util/errors.ts';
import { MakeDirError, makeDir } from '../util/make-dir.ts';

/** The evaluation file next to `path`: metrics.csv -> metrics.eval.csv. */
export function evalCsvPath(path: string): string {
  const ext = extname(path);
  return join(dirname(path), `${basename(path, ext)}.eval${ext || '.csv'}`);
}

/** A CSV field: quoted when it holds a comma, quote or line break (RFC 4180). */
export function csvField(v: unknown): string {
  if (v === undefined || v === null) return '';
  const s = typeof v === 'boolean' ? (v ? '1' : '0') : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The scalar figures of a report, nested objects flattened as `a.b` (arrays are left to JSON). */
export function flatFigures(o: Record<string, unknown>, prefix = ''): [string, number | string | boolean][] {
  const out: [string, number | string | boolean][] = [];
  for (const [k, v] of Object.entries(o)) {
    const key = `${prefix}${k}`;
    if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') out.push([key, v]);
    else if (v && typeof v === 'object' && !Array.isArray(v)) out.push(...flatFigures(v as Record<string, unknown>, `${key}.`));
  }
  return out;
}

/** One CSV file with fixed columns; the first column is `step`. */
export class CsvTable {
  private columns: string[] | null = null;

  constructor(readonly path: string) {}

  /**
   * Fixes the columns and prepares the file: rows up to `keepUpTo` are kept when the file has
   * these columns (a resumed run), the rest dropped; null keeps every row (an evaluation-only run
   * adds its row to the file).
   */
  open(columns: string[], keepUpTo: number | null): void {
    this.columns = columns;
    const header = columns.map(csvField).join(',');
    let text = '';
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new OptionError(`cannot read {metricsCsv} ${this.path}: ${fsReason(e)}`);
    }
    const lines = text.split('\n');
    let kept: string[] = [];
    if (lines[0] === header && (keepUpTo === null || keepUpTo > 0)) {
      // Rows are ours: the step is the first field, unquoted. A row cut short by a kill (no
      // line end) is dropped.
      kept = lines.slice(1, text.endsWith('\n') ? -1 : lines.length - 1).filter((l) => {
        if (keepUpTo === null) return l !== '';
        const comma = l.indexOf(',');
        const step = Number(comma < 0 ? l : l.slice(0, comma));
        return l !== '' && Number.isFinite(step) && step <= keepUpTo;
      });
    }
    try {
      makeDir(dirname(this.path));
    } catch (e) {
      if (!(e instanceof MakeDirError)) throw e;
      throw new OptionError(`cannot write {metricsCsv} ${this.path}: ${e.reason}`);
    }
    writeAtomic(this.path, [header, ...kept].map((l) => `${l}\n`).join(''));
  }

  get isOpen(): boolean {
    return this.columns !== null;
  }

  /** Appends a row; figures outside the columns are left out. */
  row(values: Record<string, unknown>): void {
    if (!this.columns) throw new Error(`CsvTable ${this.path}: row before open`);
    const line = this.columns.map((c) => csvField(values[c])).join(',');
    try {
      appendFileSync(this.path, `${line}\n`);
    } catch (e) {
      throw new OptionError(`cannot write {metricsCsv} ${this.path}: ${fsReason(e)}`);
    }
  }
}

/** The columns of a step row: the loop's figures around the task's outputs. */
export function stepColumns(outputs: string[]): string[] {
  const loop = ['step', 'loss', 'learning_rate', 'grad_norm', 'seconds', 'tokens_per_second', 'skipped'];
  return [...loop.slice(0, 2), ...outputs.filter((o) => !loop.includes(o)), ...loop.slice(2)];
}
