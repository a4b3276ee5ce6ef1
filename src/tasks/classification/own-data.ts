/**
 * Users' own classification data: a table of rows read from a CSV, TSV or JSON Lines file,
 * and the examples a column choice makes of it.
 *
 * By extension:
 * - .csv: RFC 4180 CSV (csv-parse): a header row names the columns; quoted fields may hold
 *   commas, doubled quotes and newlines; every row must have as many fields as the header;
 *   empty lines are skipped; "\r\n" or "\n" ends a record; a UTF-8 byte-order mark is dropped.
 * - .tsv: a header row, then one row per line split on every tab with no quote processing
 *   (as the GLUE files are read); a trailing "\r" is stripped; blank lines are skipped; every
 *   row must have as many fields as the header.
 * - .jsonl, .ndjson, .json: JSON Lines, one JSON object per line, blank lines skipped; the
 *   columns are the objects' keys in order of first appearance. Text fields must be strings;
 *   labels may also be numbers or booleans (they become strings: 3 -> "3", true -> "true").
 *   A null field counts as missing.
 * Header names are trimmed of surrounding spaces; field values are kept as they are.
 * Line numbers are 1-based and name the line a row starts on (a CSV record may span lines).
 */
import { readFileSync, statSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseCsv, CsvError } from 'csv-parse/sync';
import { UserError } from '../../ir/errors.ts';
import type { TextExample } from '../glue/readers.ts';

/** The JSON type of a field that is not a string (JSON Lines only). */
export type JsonFieldType = 'number' | 'boolean' | 'null' | 'object' | 'array';

export interface TableRow {
  /** The 1-based line the row starts on. */
  line: number;
  /** The row's fields by column name; a field the row lacks is absent. */
  values: Record<string, string>;
  /**
   * JSON Lines: the fields whose value was not a string, by their JSON type. Numbers and
   * booleans are also in `values` (as strings); null, objects and arrays are not.
   */
  types?: Record<string, JsonFieldType>;
}

export interface TableRows {
  file: string;
  columns: string[];
  rows: TableRow[];
}

export interface ColumnSpec {
  textColumn: string;
  textPairColumn?: string;
  /** Absent for an unlabelled (test) file. */
  labelColumn?: string;
}

const EXTENSIONS = ['.csv', '.tsv', '.jsonl', '.ndjson', '.json'];

/** Reads a CSV, TSV or JSON Lines file (by its extension) into rows of named fields. */
export function readTable(path: string): TableRows {
  const ext = extname(path).toLowerCase();
  if (!EXTENSIONS.includes(ext)) {
    throw new UserError(`${path}: unknown extension "${ext}" (expected ${EXTENSIONS.slice(0, -1).join(', ')} or .json)`);
  }
  const st = statSync(path, { throwIfNoEntry: false });
  if (st === undefined) throw new UserError(`${path}: no such file`);
  if (!st.isFile()) throw new UserError(`${path}: not a file`);
  const bytes = readFileSync(path);
  const table = ext === '.csv' ? readCsv(path, bytes) : ext === '.tsv' ? readTsv(path, bytes) : readJsonLines(path, bytes);
  if (table.rows.length === 0) throw new UserError(`${path}: no rows after the header`);
  return table;
}

function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** Checks a header row and returns its trimmed names. */
function headerColumns(file: string, fields: string[]): string[] {
  const columns = fields.map((f) => f.trim());
  const seen = new Set<string>();
  columns.forEach((c, i) => {
    if (c === '') throw new UserError(`${file}:1: column ${i + 1} of the header has no name`);
    if (seen.has(c)) throw new UserError(`${file}:1: column "${c}" appears twice in the header`);
    seen.add(c);
  });
  return columns;
}

function rowValues(columns: string[], fields: string[]): Record<string, string> {
  const values: Record<string, string> = {};
  columns.forEach((c, i) => {
    values[c] = fields[i];
  });
  return values;
}

const NL = 0x0a;
const CR = 0x0d;

/** What csv-parse's error codes mean, in one phrase each. */
function csvProblem(err: CsvError, expected: number): string {
  switch (err.code) {
    case 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH':
    case 'CSV_RECORD_INCONSISTENT_COLUMNS': {
      const found = Array.isArray(err.record) ? `, found ${err.record.length}` : '';
      return `expected ${expected} comma-separated fields like the header${found}`;
    }
    case 'CSV_QUOTE_NOT_CLOSED':
      return 'a quoted field that starts in this row is never closed';
    case 'CSV_INVALID_CLOSING_QUOTE':
      return 'a closing quote is followed by a character other than a comma or the end of the line (write "" for a quote inside a quoted field)';
    case 'INVALID_OPENING_QUOTE':
      return 'a quote inside an unquoted field (quote the whole field and write "" for the quote)';
    case 'CSV_MAX_RECORD_SIZE':
      return 'a record is too large';
    default:
      return err.message.replace(/\s+(at|on) line \d+/g, '');
  }
}

function readCsv(file: string, bytes: Buffer): TableRows {
  // csv-parse reports where each record ends (info.bytes, just past its record delimiter);
  // a record starts after the previous one's end and any empty lines it skipped.
  const ends: number[] = [];
  let headerLength = 0;
  let records: string[][];
  try {
    records = parseCsv(bytes, {
      bom: true,
      delimiter: ',',
      record_delimiter: ['\r\n', '\n'],
      relax_column_count: false,
      skip_empty_lines: true,
      on_record: (record: string[], context) => {
        if (ends.length === 0) headerLength = record.length;
        ends.push(context.bytes);
        return record;
      },
    });
  } catch (e) {
    if (!(e instanceof CsvError)) throw e;
    const start = ends.length === 0 ? 0 : ends[ends.length - 1];
    const line = ends.length === 0 ? 1 : lineAt(bytes, skipEmptyLines(bytes, start));
    throw new UserError(`${file}:${line}: ${csvProblem(e, headerLength)}`);
  }
  if (records.length === 0) throw new UserError(`${file}: empty file (no header row)`);
  const columns = headerColumns(file, records[0]);
  const rows: TableRow[] = [];
  // Line numbers: count newlines incrementally from one record's start to the next.
  let offset = 0;
  let line = 1;
  for (let k = 1; k < records.length; k++) {
    const start = skipEmptyLines(bytes, ends[k - 1]);
    for (let p = offset; p < start; p++) if (bytes[p] === NL) line++;
    offset = start;
    rows.push({ line, values: rowValues(columns, records[k]) });
  }
  return { file, columns, rows };
}

function skipEmptyLines(bytes: Buffer, p: number): number {
  for (;;) {
    if (bytes[p] === NL) p += 1;
    else if (bytes[p] === CR && bytes[p + 1] === NL) p += 2;
    else return p;
  }
}

/** The 1-based line of byte offset p. */
function lineAt(bytes: Buffer, p: number): number {
  let line = 1;
  for (let i = 0; i < p && i < bytes.length; i++) if (bytes[i] === NL) line++;
  return line;
}

/** Lines as the GLUE readers split them: on "\n", a trailing "\r" stripped. */
function splitLines(bytes: Buffer): string[] {
  return stripBom(bytes.toString('utf8'))
    .split('\n')
    .map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}

function readTsv(file: string, bytes: Buffer): TableRows {
  const lines = splitLines(bytes);
  let columns: string[] | null = null;
  const rows: TableRow[] = [];
  lines.forEach((text, i) => {
    if (text === '') return;
    const fields = text.split('\t');
    if (columns === null) {
      if (i !== 0) throw new UserError(`${file}:1: the first line must be the header row, found a blank line`);
      columns = headerColumns(file, fields);
      return;
    }
    if (fields.length !== columns.length) {
      throw new UserError(`${file}:${i + 1}: expected ${columns.length} tab-separated fields like the header, found ${fields.length}`);
    }
    rows.push({ line: i + 1, values: rowValues(columns, fields) });
  });
  if (columns === null) throw new UserError(`${file}: empty file (no header row)`);
  return { file, columns, rows };
}

function jsonType(v: unknown): JsonFieldType | 'string' {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  switch (typeof v) {
    case 'string':
      return 'string';
    case 'number':
      return 'number';
    case 'boolean':
      return 'boolean';
    default:
      return 'object';
  }
}

function readJsonLines(file: string, bytes: Buffer): TableRows {
  const lines = splitLines(bytes);
  const columns: string[] = [];
  const known = new Set<string>();
  const rows: TableRow[] = [];
  lines.forEach((text, i) => {
    const line = i + 1;
    if (text.trim() === '') return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      const hint = rows.length === 0 && text.trim().startsWith('[') ? '; expected JSON Lines, one JSON object per line, not a JSON array' : '';
      throw new UserError(`${file}:${line}: invalid JSON (${(e as Error).message})${hint}`);
    }
    const type = jsonType(parsed);
    if (type !== 'object') {
      throw new UserError(`${file}:${line}: expected a JSON object (one example per line), found ${type === 'array' ? 'an array' : `a ${type}`}`);
    }
    const values: Record<string, string> = {};
    const types: Record<string, JsonFieldType> = {};
    for (const [key, v] of Object.entries(parsed as Record<string, unknown>)) {
      if (!known.has(key)) {
        known.add(key);
        columns.push(key);
      }
      const t = jsonType(v);
      if (t === 'string') values[key] = v as string;
      else {
        types[key] = t;
        if (t === 'number' || t === 'boolean') values[key] = String(v);
      }
    }
    rows.push(Object.keys(types).length > 0 ? { line, values, types } : { line, values });
  });
  if (rows.length === 0) throw new UserError(`${file}: empty file (no JSON objects)`);
  return { file, columns, rows };
}

/**
 * The examples of a table: text (and text pair) and label from the named columns; other
 * columns are ignored. id and guid are the running index from 0. A missing or empty text or
 * label field is an error naming the file, line and column.
 */
export function tableExamples(t: TableRows, spec: ColumnSpec): TextExample[] {
  const wanted: { column: string; role: 'text' | 'label' }[] = [{ column: spec.textColumn, role: 'text' }];
  if (spec.textPairColumn !== undefined) wanted.push({ column: spec.textPairColumn, role: 'text' });
  if (spec.labelColumn !== undefined) wanted.push({ column: spec.labelColumn, role: 'label' });
  for (const { column } of wanted) {
    if (!t.columns.includes(column)) {
      throw new UserError(`${t.file}: no column "${column}" (columns: ${t.columns.join(', ')})`);
    }
  }
  const field = (row: TableRow, column: string, role: 'text' | 'label'): string => {
    const type = row.types?.[column];
    if (type === 'null') throw new UserError(`${t.file}:${row.line}: field "${column}" is null`);
    if (type !== undefined && (role === 'text' || (type !== 'number' && type !== 'boolean'))) {
      const expected = role === 'text' ? 'a string' : 'a string or a number';
      throw new UserError(`${t.file}:${row.line}: field "${column}" is ${type === 'array' || type === 'object' ? 'an' : 'a'} ${type}, expected ${expected}`);
    }
    const value = row.values[column];
    if (value === undefined) throw new UserError(`${t.file}:${row.line}: no "${column}" field`);
    if (value.trim() === '') throw new UserError(`${t.file}:${row.line}: empty "${column}" field`);
    return value;
  };
  return t.rows.map((row, i) => ({
    guid: String(i),
    id: String(i),
    textA: field(row, spec.textColumn, 'text'),
    textB: spec.textPairColumn !== undefined ? field(row, spec.textPairColumn, 'text') : null,
    label: spec.labelColumn !== undefined ? field(row, spec.labelColumn, 'label') : null,
    line: row.line,
  }));
}

/**
 * The sorted distinct labels of some sets of examples (train, dev, ...), unlabelled ones left
 * out: by numeric value when every label is a number ("2" < "10"), else by string (code units,
 * independent of the locale).
 */
export function discoverLabels(examples: TextExample[][]): string[] {
  const labels = new Set<string>();
  for (const set of examples) for (const e of set) if (e.label !== null) labels.add(e.label);
  const list = [...labels];
  const byString = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
  const numeric = list.every((l) => l.trim() !== '' && Number.isFinite(Number(l)));
  return numeric ? list.sort((a, b) => Number(a) - Number(b) || byString(a, b)) : list.sort(byString);
}
