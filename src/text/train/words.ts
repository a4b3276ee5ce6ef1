/**
 * From raw sentences to the trainer's words: normalisation (the model's whitespace handling:
 * strip, collapse, dummy prefix, spaces as ▁), splitting into ▁-initial words, counting them,
 * choosing the required characters by coverage and replacing the rest by ▅.
 */
import { UNK_CHAR, WS_CHAR } from './piece-rules.ts';

export type NormalizationRule = 'identity' | 'nmt_nfkc' | 'nmt_nfkc_cf';

/** Symbol for "this word is seen followed by more than one different character". */
export const MULTI = -2;

/** UTF-8 byte order (= code point order), which is how the library sorts its ties. */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) {
      // UTF-16 order differs from code point order only for a surrogate against U+E000..U+FFFF:
      // a surrogate stands for a code point above U+FFFF, so it is the greater.
      const xs = x >= 0xd800 && x <= 0xdfff;
      const ys = y >= 0xd800 && y <= 0xdfff;
      if (xs !== ys) return xs ? 1 : -1;
      return x - y;
    }
  }
  return a.length - b.length;
}

// Whitespace and control characters for the NFKC rules: the library's nmt_nfkc maps the first
// to a space and drops the second (an approximation of its table; see normalizeText).
const NMT_SPACES = /[\t\n\r\f\v\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/g;
const NMT_DROPPED = /[\u0000-\u0008\u000e-\u001f\u007f-\u0084\u0086-\u009f\u200b-\u200f\ufeff]/g;

/**
 * The text normalisation applied before training. "identity" changes nothing; "nmt_nfkc" is
 * Unicode NFKC plus the NMT rules (odd whitespace to spaces, control characters dropped),
 * "nmt_nfkc_cf" adds case folding (approximated by lowercasing). The written model says
 * "identity" either way (we do not rebuild the library's precompiled character map): text given
 * to the model later must be normalised the same way first.
 */
export function normalizeText(line: string, rule: NormalizationRule, doLowerCase: boolean): string {
  let s = doLowerCase ? line.toLowerCase() : line;
  if (rule !== 'identity') {
    s = s.normalize('NFKC').replace(NMT_SPACES, ' ').replace(NMT_DROPPED, '');
    if (rule === 'nmt_nfkc_cf') s = s.toLowerCase().normalize('NFKC');
  }
  return s;
}

/**
 * The model's whitespace handling (remove_extra_whitespaces, add_dummy_prefix,
 * escape_whitespaces): strip and collapse spaces, prefix one, write them as ▁.
 */
export function escapeWhitespace(s: string): string {
  const t = s.replace(/ {2,}/g, ' ').replace(/^ | $/g, '');
  return t === '' ? '' : `▁${t.replaceAll(' ', '▁')}`;
}

export interface WordStat {
  freq: number;
  /** The character after the word's occurrences (0 at the end of a sentence), or MULTI. */
  next: number;
}

/**
 * Splits normalised sentences into words and counts them. A word starts at each ▁ (when
 * splitByWhitespace; else a sentence is one word). User-defined symbols are cut out first: they
 * are whole pieces of their own when the model encodes, so no other piece may overlap them.
 */
export function countWords(sentences: Iterable<string>, splitByWhitespace: boolean, userDefined: string[]): Map<string, WordStat> {
  const counts = new Map<string, WordStat>();
  const add = (word: string, next: number): void => {
    if (word === '') return;
    const s = counts.get(word);
    if (s === undefined) counts.set(word, { freq: 1, next });
    else {
      s.freq++;
      if (s.next !== next) s.next = MULTI;
    }
  };
  const byFirst = new Map<string, string[]>();
  for (const u of [...userDefined].sort((a, b) => b.length - a.length)) {
    const list = byFirst.get(u[0]) ?? [];
    list.push(u);
    byFirst.set(u[0], list);
  }
  const splitWords = (s: string, after: number): void => {
    if (!splitByWhitespace) return add(s, after);
    let begin = 0;
    for (let i = 1; i <= s.length; i++) {
      if (i === s.length || s.charCodeAt(i) === WS_CHAR) {
        add(s.slice(begin, i), i === s.length ? after : WS_CHAR);
        begin = i;
      }
    }
  };
  for (const sentence of sentences) {
    if (byFirst.size === 0) {
      splitWords(sentence, 0);
      continue;
    }
    // Longest match of a user-defined symbol at each position, left to right.
    let begin = 0;
    let i = 0;
    while (i < sentence.length) {
      const match = byFirst.get(sentence[i])?.find((u) => sentence.startsWith(u, i));
      if (match === undefined) {
        i++;
        continue;
      }
      splitWords(sentence.slice(begin, i), match.codePointAt(0)!);
      i += match.length;
      begin = i;
    }
    splitWords(sentence.slice(begin), 0);
  }
  return counts;
}

export interface CharCoverage {
  /** The characters the vocabulary must hold, most frequent first, with their counts. */
  required: { char: number; count: number }[];
  /** All characters counted (occurrences), and how many of them are outside `required`. */
  total: number;
  dropped: number;
  distinct: number;
}

/**
 * The required characters: the most frequent ones until `coverage` of all occurrences is
 * reached (the library's rule, ties by code point). The rest will be unknown.
 */
export function requiredCharacters(words: Map<string, WordStat>, coverage: number): CharCoverage {
  const counts = new Map<number, number>();
  let total = 0;
  for (const [w, s] of words) {
    for (const ch of w) {
      const c = ch.codePointAt(0)!;
      counts.set(c, (counts.get(c) ?? 0) + s.freq);
      total += s.freq;
    }
  }
  const sorted = [...counts].sort((a, b) => b[1] - a[1] || a[0] - b[0]);
  const required: { char: number; count: number }[] = [];
  let accumulated = 0;
  for (const [c, n] of sorted) {
    if (accumulated / total >= coverage) break;
    accumulated += n;
    // Tab separates user-defined pieces in the library and is never a piece itself.
    if (c !== 0x09) required.push({ char: c, count: n });
  }
  return { required, total, dropped: total - accumulated, distinct: counts.size };
}

export interface TrainingWords {
  count: number;
  /** Words in the library's order (most frequent first, ties by code point) as code points. */
  text: string[];
  freq: Float64Array;
  /** Code points of word w: chars[start[w] .. start[w + 1]). */
  start: Int32Array;
  chars: Int32Array;
  /** The character after the word's end (0: end of sentence), or MULTI. */
  next: Int32Array;
}

/** Replaces characters outside `required` by ▅, merges words that become equal, and packs them. */
export function packWords(words: Map<string, WordStat>, required: Set<number>): TrainingWords {
  const merged = new Map<string, WordStat>();
  for (const [w, s] of words) {
    let key = '';
    for (const ch of w) key += required.has(ch.codePointAt(0)!) ? ch : String.fromCodePoint(UNK_CHAR);
    const next = s.next > 0 && !required.has(s.next) ? UNK_CHAR : s.next;
    const m = merged.get(key);
    if (m === undefined) merged.set(key, { freq: s.freq, next });
    else {
      m.freq += s.freq;
      if (m.next !== next) m.next = MULTI;
    }
  }
  const entries = [...merged].sort((a, b) => b[1].freq - a[1].freq || compareCodePoints(a[0], b[0]));
  const count = entries.length;
  const text: string[] = new Array(count);
  const freq = new Float64Array(count);
  const next = new Int32Array(count);
  const start = new Int32Array(count + 1);
  const cps: number[] = [];
  for (let w = 0; w < count; w++) {
    const [t, s] = entries[w];
    text[w] = t;
    freq[w] = s.freq;
    next[w] = s.next;
    start[w] = cps.length;
    for (const ch of t) cps.push(ch.codePointAt(0)!);
  }
  start[count] = cps.length;
  return { count, text, freq, start, chars: Int32Array.from(cps), next };
}
