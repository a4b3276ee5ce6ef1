/** Generated multiple-choice JSONL (the right option is the colour the context names) and its tokenizer, for tests. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { trainUnigram } from '../../src/text/train/unigram-trainer.ts';
import { rng } from './random.ts';

const COLORS = ['red', 'blue', 'green', 'yellow', 'black', 'white', 'brown', 'pink', 'gray', 'orange'];
const ANIMALS = ['cat', 'dog', 'bird', 'fish', 'horse', 'cow', 'sheep', 'goat'];
const FILLER = ['It was a long day.', 'We went home.', 'The sun set late.', 'Nobody said a word.'];

type Rand = () => number;
const pick = <T,>(r: Rand, xs: T[]): T => xs[Math.floor(r() * xs.length)];

export function mcExample(r: Rand, i: number, labelled: boolean): Record<string, unknown> {
  const c = pick(r, COLORS);
  const options = COLORS.filter((x) => x !== c).sort(() => r() - 0.5).slice(0, 2);
  const k = Math.floor(r() * 3);
  options.splice(k, 0, c);
  // Every other line gives the label as the option's text.
  const label = i % 2 === 0 ? k : c;
  return { context: `The ${pick(r, ANIMALS)} is ${c}.`, question: 'The animal is _ .', options, ...(labelled ? { label } : {}) };
}

export function writeJsonl(file: string, n: number, seed: number, labelled = true): void {
  const r = rng(seed);
  writeFileSync(file, Array.from({ length: n }, (_, i) => JSON.stringify(mcExample(r, i, labelled))).join('\n') + '\n');
}

export function mcTokenizer(dir: string): string {
  const corpus = join(dir, 'corpus.txt');
  writeFileSync(corpus, ANIMALS.flatMap((a) => COLORS.map((c) => `The ${a} is ${c}. The animal is ${c} . What colour is the animal? ${FILLER.join(' ')}\n`)).join(''));
  trainUnigram({ input: [corpus], vocabSize: 70, modelPrefix: join(dir, 'spm'), doLowerCase: true, seed: 1 });
  return join(dir, 'spm.model');
}

export const MC_SMALL = ['--albert-config-file', 'tiny', '--max-seq-length', '24', '--max-qa-length', '12', '--albert-dropout-rate', '0', '--dropout-prob', '0', '--threads', '1'];
