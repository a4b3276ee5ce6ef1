/**
 * Readers for the GLUE tasks' TSV files, column for column as the original's processors
 * (google-research/albert classifier_utils.py) read them.
 *
 * TSV: the original reads with csv.reader(delimiter="\t", quotechar=None), i.e. no quote
 * processing at all: a line is split on every tab, and quotes are ordinary characters. We do
 * the same, line by line (split on "\n", a trailing "\r" stripped, a UTF-8 byte-order mark
 * dropped). Blank lines at the end of a file are ignored.
 *
 * Layouts (0-based columns; "last" is the row's last column, the original's line[-1]):
 *   task    header              guid (original)          text_a  text_b  label
 *   CoLA    test only           train/dev "<split>-<i>"  3       -       1       (test: index 0, text 1)
 *   SST-2   yes                 train/dev "<split>-<i>"  0       -       1       (test: index 0, text 1)
 *   MRPC    yes                 train/dev "<split>-<i>"  3       4       0       (test: index 0)
 *   STS-B   yes                 0                        7       8       last (a float)
 *   QQP     yes                 0                        3       4       5       (test: 1, 2)
 *   MNLI    yes                 0                        8       9       last (gold_label)
 *   QNLI, RTE, WNLI  yes        0                        1       2       last
 *   AX      yes (diagnostic/diagnostic.tsv, test only)   0       1       2       -
 * where <i> is the row's index in the file counting the header (the original's enumerate()).
 * Test files have no labels: the original gives them a dummy label ("0", "contradiction", ...);
 * here their label is null.
 *
 * Where the original indexes past the end of a short row (an IndexError), we raise a one-line
 * error naming the file, the line and the missing column. The one exception is the original's
 * own: QQP train/dev rows with fewer than 6 columns are skipped (its try/except IndexError;
 * the old GLUE QQP train.tsv has such rows) and reported in `skipped`. Labels are checked
 * against the task's label set here (the original fails later, in convert_single_example's
 * label map); STS-B scores must be finite numbers (the original: float()).
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../../ir/errors.ts';
import type { GlueSplitFile, GlueTask } from './tasks.ts';

export interface TextExample {
  /** The original's guid: the file's index column, or "<split>-<i>" where the original makes one up (CoLA, SST-2 and MRPC train/dev). */
  guid: string;
  /** The id the GLUE submission uses: the test file's index column; for train/dev the running index of the example, from 0. */
  id: string;
  textA: string;
  textB: string | null;
  /** The raw label as in the file; null for test. */
  label: string | null;
  /** 1-based line in the file, for error messages. */
  line: number;
}

export interface ReadResult {
  examples: TextExample[];
  /** Rows left out, as the original leaves them out (QQP's short rows). */
  skipped: { line: number; reason: string }[];
  /** The path that was read. */
  file: string;
}

/** A column of a layout: its 0-based index and what it holds, for messages. */
interface Column {
  index: number;
  holds: string;
}

interface Layout {
  header: boolean;
  /** A column, or 'counter': "<split>-<i>" with i the row's index in the file. */
  guid: Column | 'counter';
  textA: Column;
  textB: Column | null;
  /** A column, the row's last column, or no label (test files). */
  label: Column | { last: string } | null;
  /** Skip rows too short for the layout instead of failing (the original's try/except in QQP). */
  skipShort: boolean;
}

const col = (index: number, holds: string): Column => ({ index, holds });
const INDEX = col(0, 'the index');

function layoutOf(task: GlueTask, kind: 'train' | 'dev' | 'test'): Layout {
  const test = kind === 'test';
  switch (task.name) {
    case 'cola':
      return test
        ? { header: true, guid: INDEX, textA: col(1, 'the sentence'), textB: null, label: null, skipShort: false }
        : { header: false, guid: 'counter', textA: col(3, 'the sentence'), textB: null, label: col(1, 'the label'), skipShort: false };
    case 'sst-2':
      return test
        ? { header: true, guid: INDEX, textA: col(1, 'the sentence'), textB: null, label: null, skipShort: false }
        : { header: true, guid: 'counter', textA: col(0, 'the sentence'), textB: null, label: col(1, 'the label'), skipShort: false };
    case 'mrpc':
      return {
        header: true,
        guid: test ? INDEX : 'counter',
        textA: col(3, '#1 String'),
        textB: col(4, '#2 String'),
        label: test ? null : col(0, 'the label (Quality)'),
        skipShort: false,
      };
    case 'sts-b':
      return {
        header: true,
        guid: INDEX,
        textA: col(7, 'sentence1'),
        textB: col(8, 'sentence2'),
        label: test ? null : { last: 'the score' },
        skipShort: false,
      };
    case 'qqp':
      return test
        ? { header: true, guid: INDEX, textA: col(1, 'question1'), textB: col(2, 'question2'), label: null, skipShort: false }
        : {
            header: true,
            guid: col(0, 'the id'),
            textA: col(3, 'question1'),
            textB: col(4, 'question2'),
            label: col(5, 'is_duplicate'),
            skipShort: true,
          };
    case 'mnli':
      return {
        header: true,
        guid: INDEX,
        textA: col(8, 'sentence1'),
        textB: col(9, 'sentence2'),
        label: test ? null : { last: 'gold_label' },
        skipShort: false,
      };
    case 'qnli':
      return {
        header: true,
        guid: INDEX,
        textA: col(1, 'the question'),
        textB: col(2, 'the sentence'),
        label: test ? null : { last: 'the label' },
        skipShort: false,
      };
    case 'rte':
    case 'wnli':
      return {
        header: true,
        guid: INDEX,
        textA: col(1, 'sentence1'),
        textB: col(2, 'sentence2'),
        label: test ? null : { last: 'the label' },
        skipShort: false,
      };
    case 'ax':
      if (!test) throw new UserError(`GLUE task AX has only a test split (diagnostic.tsv), not ${kind}`);
      return { header: true, guid: INDEX, textA: col(1, 'sentence1'), textB: col(2, 'sentence2'), label: null, skipShort: false };
  }
}

/** The columns a layout reads, in order of index. */
function usedColumns(layout: Layout): Column[] {
  const cols: Column[] = [layout.textA];
  if (layout.guid !== 'counter') cols.push(layout.guid);
  if (layout.textB) cols.push(layout.textB);
  if (layout.label && 'index' in layout.label) cols.push(layout.label);
  return cols.sort((a, b) => a.index - b.index);
}

/**
 * Why a row of `n` columns is too short for the layout, or null when it is not: the message
 * names the first missing column (1-based, as editors and `cut` count).
 */
function shortRow(layout: Layout, n: number): string | null {
  const cols = usedColumns(layout);
  const lastUsed = cols[cols.length - 1].index;
  // A label in the last column must come after every other column read, else line[-1] would
  // silently read a text column.
  const needed = layout.label && 'last' in layout.label ? lastUsed + 2 : lastUsed + 1;
  if (n >= needed) return null;
  const missing = cols.find((c) => c.index >= n);
  const what = missing
    ? `column ${missing.index + 1} holds ${missing.holds}`
    : `the last column, ${needed} or later, holds ${(layout.label as { last: string }).last}`;
  return `expected at least ${needed} tab-separated columns, found ${n} (${what})`;
}

/** Splits a file into lines as csv.reader(delimiter="\t", quotechar=None) sees them. */
function tsvLines(text: string): string[] {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const lines = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** Finds the split's file: `<dataDir>/<file>`, or the GLUE root layout `<dataDir>/<directory>/<file>`. */
function resolveFile(task: GlueTask, dataDir: string, split: GlueSplitFile): string {
  const direct = join(dataDir, split.file);
  const nested = join(dataDir, task.directory, split.file);
  for (const path of [direct, nested]) {
    const st = statSync(path, { throwIfNoEntry: false });
    if (st === undefined) continue;
    if (!st.isFile()) throw new UserError(`${path}: not a file (GLUE task ${task.displayName} expects the file ${split.file})`);
    return path;
  }
  throw new UserError(
    `${direct}: no such file (GLUE task ${task.displayName} expects ${split.file} in the data directory ` +
      `or in its ${task.directory}/ subdirectory)`,
  );
}

/**
 * Reads one split of a GLUE task. `kind` picks the layout (train and dev files have labels,
 * test files do not); `split` names the file (task.train, one of task.dev or task.test).
 * `dataDir` is the task's directory (holding train.tsv, ...) or the GLUE root holding one
 * subdirectory per task, as the original's --data_dir.
 */
export function readGlueSplit(task: GlueTask, dataDir: string, split: GlueSplitFile, kind: 'train' | 'dev' | 'test'): ReadResult {
  const layout = layoutOf(task, kind);
  const file = resolveFile(task, dataDir, split);
  const lines = tsvLines(readFileSync(file, 'utf8'));
  const examples: TextExample[] = [];
  const skipped: { line: number; reason: string }[] = [];
  const labelSet = task.labels ? new Set(task.labels) : null;

  for (let i = layout.header ? 1 : 0; i < lines.length; i++) {
    const line = i + 1;
    const row = lines[i].split('\t');
    const short = shortRow(layout, lines[i] === '' ? 0 : row.length);
    if (short !== null) {
      if (layout.skipShort) {
        skipped.push({ line, reason: short });
        continue;
      }
      throw new UserError(`${file}:${line}: ${short}`);
    }
    let label: string | null = null;
    if (layout.label) {
      label = 'index' in layout.label ? row[layout.label.index] : row[row.length - 1];
      if (labelSet) {
        if (!labelSet.has(label)) {
          throw new UserError(
            `${file}:${line}: label "${label}" is not one of ${[...labelSet].join(', ')} for ${task.displayName}`,
          );
        }
      } else if (label.trim() === '' || !Number.isFinite(Number(label))) {
        throw new UserError(`${file}:${line}: score "${label}" is not a number for ${task.displayName} (the last column holds the score)`);
      }
    }
    const guid = layout.guid === 'counter' ? `${split.split}-${i}` : row[layout.guid.index];
    examples.push({
      guid,
      id: kind === 'test' ? guid : String(examples.length),
      textA: row[layout.textA.index],
      textB: layout.textB ? row[layout.textB.index] : null,
      label,
      line,
    });
  }

  if (examples.length === 0) {
    const why =
      lines.length === 0
        ? 'the file is empty'
        : skipped.length > 0
          ? `all ${skipped.length} rows were too short`
          : 'the file has only a header line';
    throw new UserError(`${file}: no examples (${why}) for GLUE task ${task.displayName} ${split.split}`);
  }
  return { examples, skipped, file };
}
