/**
 * SQuAD v1.1 / v2.0 JSON files, read as the original's read_squad_examples reads them
 * (google-research/albert squad_utils.py): data[].paragraphs[].{context, qas[].{id, question,
 * answers[].{text, answer_start}, is_impossible}}.
 *
 * As the original: for training, a question that is not impossible must have exactly one
 * answer, and an impossible one trains toward no answer (its answers, and v2's
 * plausible_answers, are not read). For evaluation every answer is kept (the official metrics
 * take the best over them). A training answer whose answer_start does not point at its text
 * (compared with whitespace runs collapsed, as BERT's reader compares) is left out and reported
 * in `skipped`, as the original readers warn "Could not find answer" and go on.
 *
 * What the original would crash on, or silently misread, is a one-line UserError naming the file
 * and the JSON path: malformed JSON, missing or mistyped fields, empty contexts, an answer_start
 * that is not an integer inside the context, duplicate ids.
 *
 * Offsets: answer_start in the file counts Python characters (code points); SquadExample's
 * `start` is converted to a UTF-16 offset into `context`, so `context.slice(start, start +
 * text.length)` is the answer (when it matches).
 */
import { readFileSync } from 'node:fs';
import { UserError } from '../../util/errors.ts';
import { collapseWhitespace } from '../../text/unicode.ts';

export type SquadVersion = '1.1' | '2.0';

export interface SquadAnswer {
  text: string;
  /** UTF-16 offset of the answer's first character in the example's context. */
  start: number;
}

export interface SquadExample {
  /** The question's id (qas[].id), the key of predictions.json. */
  id: string;
  question: string;
  context: string;
  /** Training: exactly one (none when impossible). Evaluation: all of the file's answers. */
  answers: SquadAnswer[];
  /** SQuAD 2.0's is_impossible (false when the file does not say). */
  isImpossible: boolean;
}

export interface SquadReadResult {
  examples: SquadExample[];
  /** Questions left out (training answers that do not match their answer_start), with why. */
  skipped: { id: string; reason: string }[];
}

export interface SquadReadOptions {
  training: boolean;
  /** '1.1' refuses is_impossible: true; '2.0' or unset read it. */
  version?: SquadVersion;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const isObject = (v: Json | undefined): v is { [key: string]: Json } => typeof v === 'object' && v !== null && !Array.isArray(v);

const describe = (v: Json | undefined): string =>
  v === undefined ? 'missing' : v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'object' ? 'an object' : `a ${typeof v}`;

/** Reads a SQuAD JSON file; see the module comment. */
export function readSquadFile(path: string, opts: SquadReadOptions): SquadReadResult {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(`${path}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory, not a SQuAD JSON file' : (e as Error).message}`);
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  let root: Json;
  try {
    root = JSON.parse(text) as Json;
  } catch (e) {
    throw new UserError(`${path}: not valid JSON (${(e as Error).message})`);
  }
  return parseSquad(root, path, opts);
}

/** The examples of an already parsed SQuAD document; `file` names it in messages. */
export function parseSquad(root: Json, file: string, opts: SquadReadOptions): SquadReadResult {
  const fail = (where: string, what: string): never => {
    throw new UserError(`${file}: ${where}: ${what}`);
  };
  const array = (v: Json | undefined, where: string): Json[] => (Array.isArray(v) ? v : fail(where, `expected an array, found ${describe(v)}`));
  const string = (v: Json | undefined, where: string, field: string): string => {
    if (v === undefined) fail(where, `missing "${field}"`);
    if (typeof v !== 'string') fail(`${where}.${field}`, `expected a string, found ${describe(v)}`);
    return v as string;
  };
  if (!isObject(root)) fail('the document', `expected an object with "data", found ${describe(root)}`);
  const top = root as { [key: string]: Json };
  if (!('data' in top)) fail('the document', 'missing "data"');
  const examples: SquadExample[] = [];
  const skipped: { id: string; reason: string }[] = [];
  const seen = new Map<string, string>();

  array(top.data, 'data').forEach((entry, a) => {
    const ew = `data[${a}]`;
    if (!isObject(entry)) fail(ew, `expected an object, found ${describe(entry)}`);
    const e = entry as { [key: string]: Json };
    if (!('paragraphs' in e)) fail(ew, 'missing "paragraphs"');
    array(e.paragraphs, `${ew}.paragraphs`).forEach((para, b) => {
      const pw = `${ew}.paragraphs[${b}]`;
      if (!isObject(para)) fail(pw, `expected an object, found ${describe(para)}`);
      const p = para as { [key: string]: Json };
      const context = string(p.context, pw, 'context');
      if (collapseWhitespace(context) === '') fail(`${pw}.context`, 'empty context');
      if (!('qas' in p)) fail(pw, 'missing "qas"');
      // Code point -> UTF-16 offsets, only needed when the context has surrogate pairs.
      const cpToUtf16 = codePointOffsets(context);
      const contextLength = cpToUtf16 ? cpToUtf16.length - 1 : context.length;
      array(p.qas, `${pw}.qas`).forEach((qaJson, c) => {
        const qw = `${pw}.qas[${c}]`;
        if (!isObject(qaJson)) fail(qw, `expected an object, found ${describe(qaJson)}`);
        const qa = qaJson as { [key: string]: Json };
        const id = string(qa.id, qw, 'id');
        const before = seen.get(id);
        if (before !== undefined) fail(`${qw}.id`, `duplicate id ${JSON.stringify(id)} (also at ${before})`);
        seen.set(id, qw);
        const question = string(qa.question, qw, 'question');
        let isImpossible = false;
        if ('is_impossible' in qa) {
          if (typeof qa.is_impossible !== 'boolean') fail(`${qw}.is_impossible`, `expected true or false, found ${describe(qa.is_impossible)}`);
          isImpossible = qa.is_impossible as boolean;
          if (isImpossible && opts.version === '1.1') fail(`${qw}.is_impossible`, 'SQuAD 1.1 has no unanswerable questions (read the file as version 2.0)');
        }
        const answersJson = 'answers' in qa ? array(qa.answers, `${qw}.answers`) : isImpossible ? [] : fail(qw, 'missing "answers"');
        if (opts.training && !isImpossible && answersJson.length !== 1) {
          fail(`${qw}.answers`, `for training, each question should have exactly 1 answer, found ${answersJson.length}`);
        }
        const answers: SquadAnswer[] = [];
        let mismatch: string | null = null;
        if (!(opts.training && isImpossible)) {
          answersJson.forEach((ansJson, d) => {
            const aw = `${qw}.answers[${d}]`;
            if (!isObject(ansJson)) fail(aw, `expected an object, found ${describe(ansJson)}`);
            const ans = ansJson as { [key: string]: Json };
            const answerText = string(ans.text, aw, 'text');
            if (ans.answer_start === undefined) fail(aw, 'missing "answer_start"');
            const startCp = ans.answer_start;
            const answerLength = Array.from(answerText).length;
            if (typeof startCp !== 'number' || !Number.isInteger(startCp) || startCp < 0 || startCp + answerLength > contextLength) {
              fail(
                `${aw}.answer_start`,
                `${JSON.stringify(startCp)} is not a character offset where the ${answerLength}-character answer fits in the ${contextLength}-character context`,
              );
            }
            const s = startCp as number;
            const start = cpToUtf16 ? cpToUtf16[s] : s;
            const end = cpToUtf16 ? cpToUtf16[s + answerLength] : s + answerText.length;
            const actual = context.slice(start, end);
            if (mismatch === null && collapseWhitespace(actual) !== collapseWhitespace(answerText)) {
              mismatch = `answer_start ${s} points at ${JSON.stringify(actual)}, not the answer ${JSON.stringify(answerText)}`;
            } else if (mismatch === null && opts.training && collapseWhitespace(answerText) === '') {
              mismatch = 'the answer text is empty';
            }
            answers.push({ text: answerText, start });
          });
        }
        if (opts.training && mismatch !== null) {
          skipped.push({ id, reason: `${qw}: ${mismatch}` });
          return;
        }
        examples.push({ id, question, context, answers, isImpossible });
      });
    });
  });
  return { examples, skipped };
}

/** For each code point index 0..n, its UTF-16 offset; null when the two agree (no surrogate pairs). */
function codePointOffsets(text: string): Int32Array | null {
  if (!/[\ud800-\udfff]/.test(text)) return null;
  const chars = Array.from(text);
  const out = new Int32Array(chars.length + 1);
  for (let i = 0; i < chars.length; i++) out[i + 1] = out[i] + chars[i].length;
  return out;
}
