/**
 * RACE reading, as the original's RaceProcessor.read_examples reads it (google-research/albert
 * race_utils.py): `<dataDir>/RACE/<split>/<level>/*.txt` with level in middle, high, each file
 * one JSON object {article, questions[], options[][4], answers[] letters A-D, id}. Every question
 * of a file is one example.
 *
 * Differences from the original, all on inputs it would crash on or misread:
 * - anything malformed is a one-line UserError naming the file (and the line of a .jsonl):
 *   not JSON, missing or mistyped fields, questions/options/answers of different lengths, an
 *   option list that is not 4 long, an answer that is not one of the letters A-D;
 * - files are read in a fixed order (numeric-aware name order) rather than os.listdir's;
 * - `answers` may be left out (users' unlabelled files): the examples' label is then null;
 * - an example's id is `${fileId}-${questionIndex}` (the original keeps only the file's id, so
 *   the questions of one article share it), fileId being the file's `id` field or, without one,
 *   the file name without extension (`name:line` for a line of a .jsonl).
 *
 * Text is kept as the file has it; the tokenizer's preprocessing (the original's process_text)
 * happens in the encoder given to raceFeatures.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { UserError } from '../../util/errors.ts';

export type RaceSplit = 'train' | 'dev' | 'test';
export type RaceLevel = 'middle' | 'high';

export const RACE_LEVELS: readonly RaceLevel[] = ['middle', 'high'];
export const RACE_NUM_CHOICES = 4;

export interface RaceExample {
  /** `${fileId}-${questionIndex}`, unique per question. */
  id: string;
  /** 'middle' or 'high' for RACE; whatever the caller names for other files. */
  level: RaceLevel | string;
  article: string;
  question: string;
  options: string[];
  /** Index of the right option (answer letter - 'A'), null when the file has no answers. */
  label: number | null;
}

export interface RaceFileOptions {
  /** Options every question must have (RACE: 4). */
  numChoices?: number;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const isObject = (v: Json | undefined): v is { [key: string]: Json } =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const describe = (v: Json | undefined): string => {
  if (v === undefined) return 'missing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v)}`;
  return typeof v === 'object' ? 'an object' : `${typeof v} ${JSON.stringify(v)}`;
};

const letters = (n: number): string => (n === 1 ? 'A' : `A-${String.fromCharCode(65 + n - 1)}`);

/**
 * The examples of one parsed RACE object. `where` names the file (and line) in errors;
 * `fallbackId` is used when the object has no string `id`.
 */
function examplesOf(data: Json, where: string, fallbackId: string, level: string, numChoices: number): RaceExample[] {
  if (!isObject(data)) throw new UserError(`${where}: expected a JSON object {article, questions, options, answers}, found ${describe(data)}`);
  const { article, questions, options, answers } = data;
  if (typeof article !== 'string') throw new UserError(`${where}: "article" must be a string, found ${describe(article)}`);
  if (!Array.isArray(questions)) throw new UserError(`${where}: "questions" must be an array of strings, found ${describe(questions)}`);
  if (!Array.isArray(options)) throw new UserError(`${where}: "options" must be an array of option lists, found ${describe(options)}`);
  if (answers !== undefined && !Array.isArray(answers)) {
    throw new UserError(`${where}: "answers" must be an array of letters ${letters(numChoices)}, found ${describe(answers)}`);
  }
  if (data.id !== undefined && typeof data.id !== 'string') throw new UserError(`${where}: "id" must be a string, found ${describe(data.id)}`);
  const n = questions.length;
  if (options.length !== n || (answers !== undefined && answers.length !== n)) {
    const counts = `${n} questions, ${options.length} option lists${answers === undefined ? '' : `, ${answers.length} answers`}`;
    throw new UserError(`${where}: questions, options and answers must have the same length; found ${counts}`);
  }
  const fileId = typeof data.id === 'string' ? data.id : fallbackId;
  const out: RaceExample[] = [];
  for (let i = 0; i < n; i++) {
    const question = questions[i];
    if (typeof question !== 'string') throw new UserError(`${where}: questions[${i}] must be a string, found ${describe(question)}`);
    const opts = options[i];
    if (!Array.isArray(opts)) throw new UserError(`${where}: options[${i}] must be an array of strings, found ${describe(opts)}`);
    if (opts.length !== numChoices) {
      throw new UserError(`${where}: options[${i}] has ${opts.length} options; ${numChoices === RACE_NUM_CHOICES ? 'RACE questions have' : 'expected'} ${numChoices}`);
    }
    const optionTexts: string[] = [];
    opts.forEach((o, j) => {
      if (typeof o !== 'string') throw new UserError(`${where}: options[${i}][${j}] must be a string, found ${describe(o)}`);
      optionTexts.push(o);
    });
    let label: number | null = null;
    if (answers !== undefined) {
      const a = answers[i];
      const code = typeof a === 'string' && a.length === 1 ? a.charCodeAt(0) - 65 : -1;
      if (code < 0 || code >= numChoices) {
        throw new UserError(`${where}: answers[${i}] is ${describe(a)}; answers must be one of the letters ${letters(numChoices)}`);
      }
      label = code;
    }
    out.push({ id: `${fileId}-${i}`, level, article, question, options: optionTexts, label });
  }
  return out;
}

function parse(text: string, where: string): Json {
  try {
    return JSON.parse(text) as Json;
  } catch (e) {
    throw new UserError(`${where}: not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
}

/** The level a file's parent folder names (middle/high), else 'other'. */
function levelFromPath(path: string): string {
  const parent = basename(dirname(path));
  return parent === 'middle' || parent === 'high' ? parent : 'other';
}

/**
 * One file: a .txt or .json holding one RACE object, or a .jsonl with one object per line
 * (blank lines skipped). `level` defaults to the parent folder's name when that is middle or
 * high, else 'other'.
 */
export function readRaceFile(path: string, level?: string, options: RaceFileOptions = {}): RaceExample[] {
  const numChoices = options.numChoices ?? RACE_NUM_CHOICES;
  const lvl = level ?? levelFromPath(path);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(`${path}: cannot read RACE file (${code ?? (e instanceof Error ? e.message : String(e))})`);
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const stem = basename(path, extname(path));
  if (extname(path).toLowerCase() === '.jsonl') {
    const out: RaceExample[] = [];
    text.split('\n').forEach((line, i) => {
      if (line.trim() === '') return;
      const where = `${path}:${i + 1}`;
      out.push(...examplesOf(parse(line, where), where, `${stem}:${i + 1}`, lvl, numChoices));
    });
    return out;
  }
  return examplesOf(parse(text, path), path, stem, lvl, numChoices);
}

const byName = (a: string, b: string): number => a.localeCompare(b, 'en', { numeric: true });

/**
 * Every question of `<dataDir>/RACE/<split>/<level>/*.txt` (or `<dataDir>/<split>/<level>`
 * when dataDir is the RACE folder itself), levels in the order given, files in numeric-aware
 * name order. A missing level folder, or one without .txt files, is a UserError.
 */
export function readRaceDir(dataDir: string, split: RaceSplit, levels: readonly string[] = RACE_LEVELS): RaceExample[] {
  const nested = join(dataDir, 'RACE', split);
  const flat = join(dataDir, split);
  const splitDir = existsSync(nested) ? nested : existsSync(flat) ? flat : null;
  if (splitDir === null) throw new UserError(`${dataDir}: no RACE ${split} data (looked for ${nested} and ${flat})`);
  const out: RaceExample[] = [];
  for (const level of levels) {
    const dir = join(splitDir, level);
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UserError(`${dir}: RACE ${split} folder for level "${level}" not found`);
    const files = readdirSync(dir).filter((f) => f.endsWith('.txt')).sort(byName);
    if (files.length === 0) throw new UserError(`${dir}: no .txt files (RACE ${split}/${level})`);
    for (const f of files) out.push(...readRaceFile(join(dir, f), level));
  }
  return out;
}
