/**
 * Test stand-ins for create-pretraining-data: a synthetic language and a tokenizer for it with
 * the surface of AlbertTokenizer that PretrainingTokenizer asks for.
 */
import type { PretrainingTokenizer } from '../../../src/tasks/pretraining/data/create.ts';
import { rng } from '../../helpers/random.ts';

export const SPECIALS = ['<pad>', '<unk>', '[CLS]', '[SEP]', '[MASK]'];
const SYLLABLES = ['ka', 'lo', 'mi', 'nu', 're', 'to', 'sa', 'vi', 'de', 'pu', 'zo', 'be', 'fa', 'gi', 'ho', 'ju'];

/**
 * Words of one to three two-letter syllables. The tokenizer splits a word into its syllables:
 * "▁" + the first (starts a word), the others bare (continue it); a final "." is a piece of its
 * own (punctuation: a word by the original's rule).
 */
export class SyllableTokenizer implements PretrainingTokenizer {
  readonly pieces: string[];
  private readonly ids = new Map<string, number>();
  readonly clsId = 2;
  readonly sepId = 3;
  readonly maskId = 4;
  /** Words of one syllable only (every word is one piece). */
  constructor(readonly singlePieceWords = false) {
    this.pieces = [...SPECIALS, '.', ...SYLLABLES.map((s) => `\u2581${s}`), ...SYLLABLES];
    this.pieces.forEach((p, i) => this.ids.set(p, i));
  }
  get vocabSize(): number {
    return this.pieces.length;
  }
  tokenize(text: string): string[] {
    const out: string[] = [];
    for (const word of text.toLowerCase().split(/\s+/).filter((w) => w !== '')) {
      const stop = word.endsWith('.');
      const body = stop ? word.slice(0, -1) : word;
      for (let i = 0; i < body.length; i += 2) out.push(i === 0 ? `\u2581${body.slice(0, 2)}` : body.slice(i, i + 2));
      if (stop) out.push('.');
    }
    return out;
  }
  convertTokensToIds(tokens: string[]): number[] {
    return tokens.map((t) => this.ids.get(t) ?? 1);
  }
}

/** A corpus: documents of sentences of words, as text (blank line between documents). */
export function syllableCorpus(seed: number, documents: number, opts: { singlePieceWords?: boolean; minSentences?: number; maxSentences?: number } = {}): string {
  const r = rng(seed);
  const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)];
  const lexicon = Array.from({ length: 300 }, () => {
    const n = opts.singlePieceWords ? 1 : 1 + Math.floor(r() * 3);
    return Array.from({ length: n }, () => pick(SYLLABLES)).join('');
  });
  const minS = opts.minSentences ?? 2;
  const maxS = opts.maxSentences ?? 12;
  const docs: string[] = [];
  for (let d = 0; d < documents; d++) {
    const sentences: string[] = [];
    const n = minS + Math.floor(r() * (maxS - minS + 1));
    for (let s = 0; s < n; s++) {
      const words = Array.from({ length: 3 + Math.floor(r() * 12) }, () => pick(lexicon));
      if (!opts.singlePieceWords) words[words.length - 1] += '.';
      if (r() < 0.3) words[0] = words[0][0].toUpperCase() + words[0].slice(1);
      sentences.push(words.join(' '));
    }
    docs.push(sentences.join('\n'));
  }
  return `${docs.join('\n\n')}\n`;
}

/**
 * A tokenizer for tagged text: every whitespace-separated word is one piece with an id of its
 * own, so a test can tell which document and sentence each token of an instance came from.
 */
export class TagTokenizer implements PretrainingTokenizer {
  readonly clsId = 2;
  readonly sepId = 3;
  readonly maskId = 4;
  readonly vocabSize = 1 << 20;
  readonly byId = new Map<number, string>();
  private readonly ids = new Map<string, number>();
  tokenize(text: string): string[] {
    return text.split(/\s+/).filter((w) => w !== '').map((w) => `\u2581${w}`);
  }
  convertTokensToIds(tokens: string[]): number[] {
    return tokens.map((t) => {
      let id = this.ids.get(t);
      if (id === undefined) {
        id = SPECIALS.length + this.ids.size;
        this.ids.set(t, id);
        this.byId.set(id, t);
      }
      return id;
    });
  }
}

/** Text where word j of sentence s of document d reads "d<d>s<s>w<j>". */
export function taggedCorpus(seed: number, documents: number): string {
  const r = rng(seed);
  const docs: string[] = [];
  for (let d = 0; d < documents; d++) {
    const n = 1 + Math.floor(r() * 8);
    const sentences = Array.from({ length: n }, (_, s) => Array.from({ length: 2 + Math.floor(r() * 10) }, (_, j) => `d${d}s${s}w${j}`).join(' '));
    docs.push(sentences.join('\n'));
  }
  return `${docs.join('\n\n')}\n`;
}
