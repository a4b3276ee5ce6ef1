/**
 * `albert finetune multiple-choice`: users' own multiple-choice questions, fine-tuned with the
 * RACE head and flow. Files are JSONL, one question a line:
 *
 *   {"context": "...", "question": "...", "options": ["...", "..."], "label": 1}
 *
 * - `options`: any count, the same on every line of a file (and in every file of a run); the
 *   count becomes the head's number of choices;
 * - `label`: the right option's index (0-based) or the right option's text; it may be left out
 *   in the test file (unlabelled questions read as option 0 and are never scored);
 * - `id` (optional string or number): the question's id in the predictions, else `name:line`.
 *
 * Label names are the indices '0'..'n-1' (as the files write labels), so eval_predictions.tsv
 * and the submission hold the index of the chosen option.
 *
 * Each option becomes [CLS] context [SEP] qa [SEP] exactly as for RACE (raceFeatures): qa is the
 * question with every "_" replaced by the option, else question + " " + option, keeping its last
 * maxQaLength pieces. Anything malformed is a one-line UserError naming the file and line.
 */
import { readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { AlbertTokenizer } from '../../text/albert-tokenizer.ts';
import { OptionError, UserError } from '../../util/errors.ts';
import { accuracy } from '../classification/metrics.ts';
import { finetuneClassifier, type ClassificationData, type FinetuneOptions, type FinetuneResult, type SplitData } from '../classification/finetune.ts';
import { spmNextToCheckpoint, withRecipe } from '../finetune-setup.ts';
import type { RaceExample } from './data.ts';
import { choiceFeatures } from './features.ts';

export interface MultipleChoiceFinetuneOptions extends Omit<FinetuneOptions, 'trainBatchSize' | 'learningRate' | 'trainStep' | 'warmupStep' | 'maxSeqLength'> {
  trainFile?: string;
  validationFile?: string;
  testFile?: string;
  maxSeqLength?: number;
  maxQaLength?: number;
  trainBatchSize?: number;
  learningRate?: number;
  trainStep?: number;
  warmupStep?: number;
}

export const MULTIPLE_CHOICE_DEFAULTS = { maxSeqLength: 128, maxQaLength: 64, trainBatchSize: 16, learningRate: 2e-5, trainStep: 1000, warmupStep: 100 } as const;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const describe = (v: Json | undefined): string => {
  if (v === undefined) return 'missing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v)}`;
  return typeof v === 'object' ? 'an object' : `${typeof v} ${JSON.stringify(v)}`;
};

function readText(path: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(`${path}: cannot read multiple-choice file (${code ?? (e instanceof Error ? e.message : String(e))})`);
  }
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

function parseLine(line: string, where: string): Json {
  try {
    return JSON.parse(line) as Json;
  } catch (e) {
    throw new UserError(`${where}: not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
}

/** The option count of a file's first non-blank line (null for a file without questions). */
export function multipleChoiceCount(path: string): number | null {
  const lines = readText(path).split('\n');
  const i = lines.findIndex((l) => l.trim() !== '');
  if (i < 0) return null;
  const where = `${path}:${i + 1}`;
  const v = parseLine(lines[i], where);
  const options = typeof v === 'object' && v !== null && !Array.isArray(v) ? v.options : undefined;
  if (!Array.isArray(options)) throw new UserError(`${where}: "options" must be an array of strings, found ${describe(options)}`);
  if (options.length < 2) throw new UserError(`${where}: "options" has ${options.length} options; a question needs at least 2`);
  return options.length;
}

/** One parsed line as a RaceExample (article = context). */
export function multipleChoiceExample(v: Json, where: string, fallbackId: string, numChoices: number | null, labelRequired: boolean): RaceExample {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new UserError(`${where}: expected a JSON object {context, question, options, label}, found ${describe(v)}`);
  }
  const { context, question, options, label, id } = v;
  if (typeof context !== 'string') throw new UserError(`${where}: "context" must be a string, found ${describe(context)}`);
  if (typeof question !== 'string') throw new UserError(`${where}: "question" must be a string, found ${describe(question)}`);
  if (!Array.isArray(options)) throw new UserError(`${where}: "options" must be an array of strings, found ${describe(options)}`);
  if (numChoices !== null && options.length !== numChoices) {
    throw new UserError(`${where}: "options" has ${options.length} options; the file's first question has ${numChoices} (every question needs the same count)`);
  }
  if (options.length < 2) throw new UserError(`${where}: "options" has ${options.length} options; a question needs at least 2`);
  const texts = options.map((o, j) => {
    if (typeof o !== 'string') throw new UserError(`${where}: options[${j}] must be a string, found ${describe(o)}`);
    return o;
  });
  if (id !== undefined && typeof id !== 'string' && typeof id !== 'number') throw new UserError(`${where}: "id" must be a string or number, found ${describe(id)}`);
  let index: number | null = null;
  if (label === undefined || label === null) {
    if (labelRequired) throw new UserError(`${where}: "label" is missing; give the right option's index (0-${texts.length - 1}) or its text`);
  } else if (typeof label === 'number') {
    if (!Number.isInteger(label) || label < 0 || label >= texts.length) {
      throw new UserError(`${where}: "label" ${label} is out of range; it must be an option index 0-${texts.length - 1} (or the option's text)`);
    }
    index = label;
  } else if (typeof label === 'string') {
    index = texts.indexOf(label);
    if (index < 0) throw new UserError(`${where}: "label" ${describe(label)} is none of the options; give an index 0-${texts.length - 1} or an option's exact text`);
  } else {
    throw new UserError(`${where}: "label" must be an option index or an option's text, found ${describe(label)}`);
  }
  return { id: id === undefined ? fallbackId : String(id), level: 'all', article: context, question, options: texts, label: index };
}

/**
 * A JSONL file of questions. `numChoices`: the count every line must have (default: the file's
 * first line's). `labelRequired`: false for test files.
 */
export function readMultipleChoiceFile(path: string, opts: { numChoices?: number; labelRequired?: boolean } = {}): RaceExample[] {
  const lines = readText(path).split('\n');
  const stem = basename(path, extname(path));
  const out: RaceExample[] = [];
  let first: number | null = null;
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    const where = `${path}:${i + 1}`;
    const ex = multipleChoiceExample(parseLine(line, where), where, `${stem}:${i + 1}`, first, opts.labelRequired ?? true);
    if (first === null) {
      first = ex.options.length;
      if (opts.numChoices !== undefined && first !== opts.numChoices) {
        throw new UserError(`${where}: "options" has ${first} options; this run's questions have ${opts.numChoices} (every file needs the same count)`);
      }
    }
    out.push(ex);
  });
  return out;
}

export function ownMultipleChoiceData(o: MultipleChoiceFinetuneOptions): ClassificationData {
  const spm = o.spmModelFile ?? spmNextToCheckpoint(o.initCheckpoint);
  if (!spm) throw new OptionError('no tokenizer: pass {spmModelFile} (a SentencePiece .model)');
  const maxSeqLength = o.maxSeqLength ?? MULTIPLE_CHOICE_DEFAULTS.maxSeqLength;
  const maxQaLength = o.maxQaLength ?? MULTIPLE_CHOICE_DEFAULTS.maxQaLength;
  // The head's size comes from the first file given (train, validation, test) that has a question.
  const files: [string | undefined, string][] = [[o.trainFile, 'trainFile'], [o.validationFile, 'validationFile'], [o.testFile, 'testFile']];
  let choices: number | null = null;
  for (const [f] of files) if (f !== undefined && choices === null) choices = multipleChoiceCount(f);
  if (choices === null) throw new OptionError('no questions: pass {trainFile}, {validationFile} or {testFile} (JSONL: context, question, options, label)');
  const C = choices;
  let tokenizer: AlbertTokenizer | null = null;
  const tok = (): AlbertTokenizer => (tokenizer ??= AlbertTokenizer.fromSpmFile(spm, { doLowerCase: o.doLowerCase ?? true }));
  const split = (name: string, file: string | undefined, option: string, labelRequired: boolean): SplitData => {
    if (!file) throw new OptionError(`{${option}} is needed for this run`);
    const examples = readMultipleChoiceFile(file, { numChoices: C, labelRequired });
    if (examples.length === 0) throw new OptionError(`{${option}} ${file}: no questions`);
    const { features } = choiceFeatures(examples, tok(), { maxSeqLength, maxQaLength, numChoices: C });
    return { split: name, file, examples: [], features };
  };
  return {
    name: 'multiple-choice',
    labels: Array.from({ length: C }, (_, i) => String(i)),
    choices: C,
    train: () => split('train', o.trainFile, 'trainFile', true),
    dev: () => [{ ...split('dev', o.validationFile, 'validationFile', true), suffix: '', predictionsFile: 'eval_predictions.tsv' }],
    test: () => [{ ...split('test', o.testFile, 'testFile', false), resultsFile: 'test_results.tsv', submission: 'test_predictions.tsv' }],
    metrics: (p, l) => ({ accuracy: accuracy(p, l) }),
    mainMetric: 'accuracy',
    settings: { max_qa_length: { value: maxQaLength, option: 'maxQaLength' } },
  };
}

export async function finetuneMultipleChoice(o: MultipleChoiceFinetuneOptions): Promise<FinetuneResult> {
  return finetuneClassifier(ownMultipleChoiceData(o), withRecipe(o, MULTIPLE_CHOICE_DEFAULTS));
}
