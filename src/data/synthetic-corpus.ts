/**
 * A generated pretraining corpus with structure a small model can learn, so the embedded
 * default run (no downloads) shows masked-LM and sentence-order learning that is far above
 * chance:
 *  - every person has fixed attributes (city, job, pet, colour, friend), so a masked attribute
 *    can be predicted from the name in the same document;
 *  - documents tell their facts in a fixed order with cue words ("first", "then", "finally"),
 *    so swapped segments are detectable (sentence-order prediction);
 *  - filler sentences add a realistic frequency skew.
 * Output format: one sentence per line, a blank line between documents (the original's input).
 */
import { createWriteStream } from 'node:fs';
import { rename } from 'node:fs/promises';
import { once } from 'node:events';
import { removeTemp } from '../util/atomic-write.ts';
import { UserError } from '../util/errors.ts';
import { fsReason } from '../util/fs-reason.ts';

const NAMES = [
  'alice', 'bruno', 'carla', 'dmitri', 'elena', 'farid', 'greta', 'hiro', 'ines', 'jonas', 'kira', 'luca', 'maya', 'nils',
  'olga', 'pedro', 'quinn', 'rosa', 'sven', 'tara', 'umar', 'vera', 'wang', 'ximena', 'yusuf', 'zoe', 'amir', 'bea',
  'cyrus', 'dana', 'emil', 'fatima', 'gus', 'hana', 'ivan', 'julia', 'kofi', 'lena', 'marco', 'nora',
];
const CITIES = ['paris', 'lagos', 'lima', 'oslo', 'kyoto', 'cairo', 'quito', 'perth', 'dublin', 'hanoi', 'porto', 'riga'];
const JOBS = ['baker', 'doctor', 'pilot', 'farmer', 'teacher', 'painter', 'sailor', 'lawyer', 'chemist', 'writer'];
const PETS = ['cat', 'dog', 'parrot', 'horse', 'rabbit', 'turtle', 'goat', 'owl'];
const COLOURS = ['red', 'blue', 'green', 'yellow', 'black', 'white', 'brown', 'grey'];
const FOODS = ['bread', 'rice', 'soup', 'cheese', 'apples', 'fish', 'beans', 'noodles'];
const FILLER = [
  'the weather was mild that year .',
  'people in the town liked to talk .',
  'the market opened early in the morning .',
  'many visitors came during the summer .',
  'the river ran quietly past the houses .',
  'it was a long and busy week .',
];

interface Person {
  name: string;
  city: string;
  job: string;
  pet: string;
  colour: string;
  food: string;
  friend: string;
}

/** A small seeded generator (xorshift-multiply) so the corpus is the same for the same seed. */
function makeRng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function people(rng: () => number): Person[] {
  const pick = <T>(xs: T[]): T => xs[Math.floor(rng() * xs.length)];
  return NAMES.map((name, i) => ({
    name,
    city: pick(CITIES),
    job: pick(JOBS),
    pet: pick(PETS),
    colour: pick(COLOURS),
    food: pick(FOODS),
    friend: NAMES[(i * 7 + 3) % NAMES.length],
  }));
}

/** The sentences of one document about `p`, in their natural order. */
function document(p: Person, rng: () => number): string[] {
  const facts = [
    `${p.name} lives in ${p.city} and works as a ${p.job} .`,
    `${p.name} has a ${p.colour} ${p.pet} .`,
    `every day ${p.name} eats ${p.food} with ${p.friend} .`,
    `the ${p.pet} of ${p.name} is ${p.colour} .`,
    `in ${p.city} the ${p.job} ${p.name} is well known .`,
  ];
  const body: string[] = [`first , this is the story of ${p.name} from ${p.city} .`];
  const n = 2 + Math.floor(rng() * 3);
  const start = Math.floor(rng() * facts.length);
  for (let k = 0; k < n; k++) {
    body.push(`then ${facts[(start + k) % facts.length]}`);
    if (rng() < 0.3) body.push(FILLER[Math.floor(rng() * FILLER.length)]);
  }
  body.push(`finally , that is all about ${p.name} the ${p.job} .`);
  return body;
}

export interface CorpusOptions {
  documents: number;
  seed?: number;
}

/** The corpus as lines (documents separated by an empty line). */
export function* syntheticCorpusLines(opts: CorpusOptions): Generator<string> {
  const rng = makeRng(opts.seed ?? 2019);
  const cast = people(rng);
  for (let d = 0; d < opts.documents; d++) {
    if (d > 0) yield '';
    yield* document(cast[Math.floor(rng() * cast.length)], rng);
  }
}

/**
 * Writes the corpus to `path` (temp file, then rename); returns the number of lines. A failed
 * write (a full disk) removes the temporary file and is a one-line UserError.
 */
export async function writeSyntheticCorpus(path: string, opts: CorpusOptions): Promise<number> {
  const tmp = `${path}.tmp-${process.pid}`;
  const out = createWriteStream(tmp);
  let failure: Error | null = null;
  out.on('error', (e) => {
    failure ??= e;
  });
  const failed = new Promise<void>((resolve) => out.once('error', () => resolve()));
  let lines = 0;
  try {
    for (const line of syntheticCorpusLines(opts)) {
      if (failure) throw failure;
      if (!out.write(`${line}\n`)) await Promise.race([once(out, 'drain'), failed]);
      lines++;
    }
    await Promise.race([new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve()))), failed]);
    if (failure) throw failure;
    await rename(tmp, path);
  } catch (e) {
    out.destroy();
    removeTemp(tmp);
    throw new UserError(`cannot write ${path}: ${fsReason(e)}`);
  }
  return lines;
}
