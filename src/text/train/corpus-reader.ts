/**
 * Reading training sentences: text files, one sentence per line, read in fixed-size chunks (the
 * files may be far larger than memory; only the kept sentences stay), with optional seeded
 * reservoir sampling down to `inputSentenceSize` sentences, as spm_train's
 * --input_sentence_size/--shuffle_input_sentence do.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { UserError } from '../../ir/errors.ts';

const CHUNK = 1 << 20;

/** The lines of a UTF-8 text file (without "\n" or a trailing "\r"), read a chunk at a time. */
export function* readLines(path: string, chunkSize = CHUNK): Generator<string> {
  let fd: number;
  try {
    if (statSync(path).isDirectory()) throw new UserError(`${path}: is a directory, not a text file`);
    fd = openSync(path, 'r');
  } catch (e) {
    if (e instanceof UserError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(code === 'ENOENT' ? `${path}: no such file` : `${path}: cannot read: ${(e as Error).message}`);
  }
  try {
    // Malformed UTF-8 becomes U+FFFD, as in the library's reader.
    const decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: false });
    const buf = Buffer.allocUnsafe(chunkSize);
    let rest = '';
    for (;;) {
      const n = readSync(fd, buf, 0, chunkSize, null);
      const text = rest + decoder.decode(buf.subarray(0, n), { stream: n > 0 });
      const lines = text.split('\n');
      rest = lines.pop()!;
      for (const line of lines) yield line.endsWith('\r') ? line.slice(0, -1) : line;
      if (n === 0) break;
    }
    if (rest !== '') yield rest.endsWith('\r') ? rest.slice(0, -1) : rest;
  } finally {
    closeSync(fd);
  }
}

/** A small seeded generator (splitmix32): the same seed samples the same sentences. */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return ((z ^ (z >>> 16)) >>> 0) / 4294967296;
  };
}

export interface LoadOptions {
  /** Keep at most this many sentences (0: all). */
  inputSentenceSize: number;
  /** Sample the kept sentences uniformly over the whole input (else: the first ones). */
  shuffleInputSentence: boolean;
  seed: number;
  /** Longer lines (in UTF-8 bytes) are skipped, as the library does. */
  maxSentenceLength: number;
}

export interface LoadedSentences {
  sentences: string[];
  /** Non-empty lines seen in all the files. */
  lines: number;
  tooLong: number;
}

export function loadSentences(files: string[], opts: LoadOptions): LoadedSentences {
  const sentences: string[] = [];
  const limit = opts.inputSentenceSize > 0 ? opts.inputSentenceSize : Infinity;
  const random = seededRandom(opts.seed);
  let lines = 0;
  let tooLong = 0;
  let kept = 0;
  files: for (const file of files) {
    for (const line of readLines(file)) {
      if (line === '') continue;
      lines++;
      if (line.length > opts.maxSentenceLength / 3 && Buffer.byteLength(line) > opts.maxSentenceLength) {
        tooLong++;
        continue;
      }
      kept++;
      if (kept <= limit) {
        sentences.push(line);
      } else if (opts.shuffleInputSentence) {
        // Reservoir sampling: each of the `kept` sentences so far stays with probability limit/kept.
        const j = Math.floor(random() * kept);
        if (j < limit) sentences[j] = line;
      } else {
        break files;
      }
    }
  }
  return { sentences, lines, tooLong };
}
