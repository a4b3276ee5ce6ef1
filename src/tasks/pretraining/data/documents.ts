/**
 * Input text for create-pretraining-data: one sentence per line, a blank (or all-whitespace)
 * line between documents. Files are read line by line as a stream and each line is tokenized
 * as it arrives. A document also ends where a file ends (the original carries an unfinished
 * document on into the next file, which joins unrelated text).
 */
import { createReadStream, readdirSync, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { dirname, join, sep } from 'node:path';
import { UserError } from '../../../ir/errors.ts';
import { fsReason } from '../../../data/tfrecord.ts';
import type { Document, Sentence } from './instances.ts';
import { PIECE_CONTINUES, PIECE_STARTS_WORD } from './masking.ts';

/** What create-pretraining-data needs of a tokenizer; AlbertTokenizer has it. */
export interface PretrainingTokenizer {
  /** Text (one line, before any preprocessing) to pieces; "▁" marks a piece that starts a word. */
  tokenize(text: string): string[];
  convertTokensToIds(tokens: string[]): number[];
  readonly clsId: number;
  readonly sepId: number;
  readonly maskId: number;
  readonly vocabSize: number;
}

// The original's _is_start_piece_sp: ASCII punctuation (without ' < = >) and English letters.
const SPECIAL_PIECES = new Set('!"#$%&()*+,-./:;?@[\\]^_`{|}~');
const ENGLISH = new Set('abcdefghijklmnopqrstuvwxyz');

/**
 * Whether a SentencePiece piece starts a word, by the original's rule: it starts with "▁" or
 * "<", or is a single punctuation mark, or holds any character other than English letters and
 * punctuation (so a piece of digits or of a foreign script is always a word of its own).
 */
export function isStartPieceSentencePiece(piece: string): boolean {
  if (piece.startsWith('\u2581') || piece.startsWith('<') || SPECIAL_PIECES.has(piece)) return true;
  for (const ch of piece) {
    const c = ch.toLowerCase();
    if (!ENGLISH.has(c) && !SPECIAL_PIECES.has(c)) return true;
  }
  return false;
}

/** WordPiece: continuation pieces carry "##". */
export function isStartPieceWordPiece(piece: string): boolean {
  return !piece.startsWith('##');
}

export type StartPieceRule = (piece: string) => boolean;

/** A line's pieces as a Sentence, or null when the line has none. */
export function tokenizeSentence(line: string, tokenizer: PretrainingTokenizer, isStartPiece: StartPieceRule): Sentence | null {
  const pieces = tokenizer.tokenize(line);
  if (pieces.length === 0) return null;
  const ids = Int32Array.from(tokenizer.convertTokensToIds(pieces));
  const kinds = new Uint8Array(pieces.length);
  for (let i = 0; i < pieces.length; i++) kinds[i] = isStartPiece(pieces[i]) ? PIECE_STARTS_WORD : PIECE_CONTINUES;
  return { ids, kinds };
}

/** The documents of a text held in memory (same rules as readDocuments). */
export function documentsFromText(text: string, tokenizer: PretrainingTokenizer, isStartPiece: StartPieceRule = isStartPieceSentencePiece): Document[] {
  const docs: Document[] = [];
  let document: Document = [];
  for (const line of text.split(/\r\n|\n|\r/)) {
    if (line.trim() === '') {
      if (document.length > 0) docs.push(document);
      document = [];
      continue;
    }
    const sentence = tokenizeSentence(line, tokenizer, isStartPiece);
    if (sentence) document.push(sentence);
  }
  if (document.length > 0) docs.push(document);
  return docs;
}

export interface ReadProgress {
  /** Bytes of input read so far (all files). */
  bytes: number;
}

/** Documents from the files, in order, each as soon as it is complete. */
export async function* readDocuments(files: string[], tokenizer: PretrainingTokenizer, isStartPiece: StartPieceRule, progress?: ReadProgress): AsyncGenerator<Document> {
  for (const file of files) {
    const stream = createReadStream(file);
    let failure: unknown = null;
    stream.on('error', (e) => {
      failure = e;
    });
    if (progress) stream.on('data', (chunk) => (progress.bytes += chunk.length));
    const lines = createInterface({ input: stream, crlfDelay: Infinity });
    let document: Document = [];
    try {
      for await (const line of lines) {
        if (line.trim() === '') {
          if (document.length > 0) yield document;
          document = [];
          continue;
        }
        const sentence = tokenizeSentence(line, tokenizer, isStartPiece);
        if (sentence) document.push(sentence);
      }
    } catch (e) {
      throw new UserError(`${file}: cannot read: ${fsReason(e)}`);
    } finally {
      lines.close();
      stream.destroy();
    }
    if (failure) throw new UserError(`${file}: cannot read: ${fsReason(failure)}`);
    if (document.length > 0) yield document;
  }
}

const WILDCARD = /[*?[]/;

/** A glob component (*, ?, [...], as tf.io.gfile.glob takes them) as a RegExp. */
function componentRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const close = pattern.indexOf(']', i + 2);
      if (close < 0) re += '\\[';
      else {
        let body = pattern.slice(i + 1, close);
        if (body.startsWith('!')) body = `^${body.slice(1)}`;
        re += `[${body.replace(/\\/g, '\\\\')}]`;
        i = close;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

function globOne(pattern: string): string[] {
  const parts = pattern.split(/[\\/]/).filter((p, i) => p !== '' || i === 0);
  let bases = [parts[0] === '' ? sep : ''];
  for (let i = parts[0] === '' ? 1 : 0; i < parts.length; i++) {
    const part = parts[i];
    const next: string[] = [];
    for (const base of bases) {
      if (!WILDCARD.test(part)) {
        next.push(base === '' ? part : join(base, part));
        continue;
      }
      const re = componentRegExp(part);
      let names: string[] = [];
      try {
        names = readdirSync(base === '' ? '.' : base);
      } catch {
        continue;
      }
      for (const name of names.sort()) {
        if (re.test(name) && (name[0] !== '.' || part[0] === '.')) next.push(base === '' ? name : join(base, name));
      }
    }
    bases = next;
  }
  return bases.filter((p) => {
    try {
      return statSync(p).isFile();
    } catch {
      return false;
    }
  });
}

/**
 * The files a flag names: comma-separated paths or globs (*, ?, [...] within a path component),
 * each glob's matches sorted. A name that matches nothing is a UserError naming the flag.
 */
export function expandFilePatterns(spec: string, flag: string): string[] {
  const out: string[] = [];
  for (const pattern of spec.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    if (!WILDCARD.test(pattern)) {
      let ok = false;
      try {
        ok = statSync(pattern).isFile();
      } catch (e) {
        throw new UserError(`${flag}: ${pattern}: ${fsReason(e)}`);
      }
      if (!ok) throw new UserError(`${flag}: ${pattern}: not a file`);
      out.push(pattern);
      continue;
    }
    const matches = globOne(pattern);
    if (matches.length === 0) throw new UserError(`${flag}: no file matches ${pattern} (in ${dirname(pattern)})`);
    out.push(...matches);
  }
  if (out.length === 0) throw new UserError(`${flag}: no file given`);
  return out;
}
