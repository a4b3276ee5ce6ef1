/**
 * Generated sentence(-pair) classification data for the fine-tuning tests: a WordPiece vocabulary
 * of sentiment words (no tokenizer training needed) and GLUE's MRPC layout with a learnable label.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { rng } from './random.ts';

export const POS = ['good', 'great', 'fine', 'nice', 'happy', 'glad', 'bright', 'warm'];
export const NEG = ['bad', 'poor', 'sad', 'dull', 'cold', 'dark', 'weak', 'grim'];
export const FILLER = ['the', 'a', 'movie', 'book', 'day', 'it', 'was', 'is', 'very', 'so', 'and', 'this', 'that', 'story', 'plot', 'man', 'woman', 'dog'];

/** A WordPiece vocabulary of the generated words: no tokenizer training needed. */
export function writeVocab(dir: string): string {
  const path = join(dir, 'vocab.txt');
  writeFileSync(path, `${['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', ...POS, ...NEG, ...FILLER].join('\n')}\n`);
  return path;
}

export type Rand = () => number;
export const pick = <T,>(r: Rand, xs: T[]): T => xs[Math.floor(r() * xs.length)];

/** A sentence of filler words with `k` positive and 3 - k negative words (k in 0..3). */
export function sentence(r: Rand, k: number): string {
  const s = Array.from({ length: 2 + Math.floor(r() * 4) }, () => pick(r, FILLER));
  for (let i = 0; i < 3; i++) s.splice(Math.floor(r() * (s.length + 1)), 0, pick(r, i < k ? POS : NEG));
  return s.join(' ');
}

export const k4 = (r: Rand): number => Math.floor(r() * 4);

/** MRPC layout: Quality, #1 ID, #2 ID, #1 String, #2 String; label 1 when the two sentences have 3 or more positive words together. */
export function writeMrpc(dir: string, seed: number): string {
  const r = rng(seed);
  const d = join(dir, 'MRPC');
  mkdirSync(d, { recursive: true });
  for (const [split, n] of [['train', 600], ['dev', 200], ['test', 30]] as const) {
    const rows = ['Quality\t#1 ID\t#2 ID\t#1 String\t#2 String'];
    for (let i = 0; i < n; i++) {
      const a = k4(r);
      const b = k4(r);
      const label = split === 'test' ? String(i) : String(a + b >= 3 ? 1 : 0);
      rows.push(`${label}\t${1000 + i}\t${2000 + i}\t${sentence(r, a)}\t${sentence(r, b)}`);
    }
    writeFileSync(join(d, `${split}.tsv`), `${rows.join('\n')}\n`);
  }
  return d;
}
