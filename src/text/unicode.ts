// The few Python `str`/`unicodedata` predicates the original ALBERT and BERT tokenizers use,
// with Python's exact character sets (JavaScript's \s and \p{Nd} differ from them).

/** Python's str.isspace(): what str.split() and str.strip() treat as whitespace. */
const PY_SPACE = new Set([
  0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005,
  0x2006, 0x2007, 0x2008, 0x2009, 0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000,
]);

export function isPythonSpace(cp: number): boolean {
  return PY_SPACE.has(cp);
}

/** Python's " ".join(text.split()): whitespace runs collapsed to one space, ends trimmed. */
export function collapseWhitespace(text: string): string {
  const words: string[] = [];
  let word = '';
  for (const ch of text) {
    if (PY_SPACE.has(ch.codePointAt(0)!)) {
      if (word !== '') words.push(word);
      word = '';
    } else {
      word += ch;
    }
  }
  if (word !== '') words.push(word);
  return words.join(' ');
}

/** Numeric_Type=Digit characters: Python's str.isdigit() is true for these and for \p{Nd}. */
const DIGIT_RANGES: [number, number][] = [
  [0xb2, 0xb3], [0xb9, 0xb9], [0x1369, 0x1371], [0x19da, 0x19da], [0x2070, 0x2070], [0x2074, 0x2079], [0x2080, 0x2089],
  [0x2460, 0x2468], [0x2474, 0x247c], [0x2488, 0x2490], [0x24ea, 0x24ea], [0x24f5, 0x24fd], [0x24ff, 0x24ff],
  [0x2776, 0x277e], [0x2780, 0x2788], [0x278a, 0x2792], [0x10a40, 0x10a43], [0x10e60, 0x10e68], [0x11052, 0x1105a],
  [0x1f100, 0x1f10a],
];
const DECIMAL = /^\p{Nd}$/u;

/** Python's str.isdigit() for one character. */
export function isPythonDigit(ch: string): boolean {
  if (DECIMAL.test(ch)) return true;
  const cp = ch.codePointAt(0)!;
  return DIGIT_RANGES.some(([lo, hi]) => cp >= lo && cp <= hi);
}

const combiningCache = new Map<number, boolean>();

/**
 * Whether unicodedata.combining(ch) is non-zero, for a character in NFD form. JavaScript has no
 * table of canonical combining classes, but canonical reordering reveals them: NFD moves a mark
 * of class > 1 in front of a following U+0334 (class 1), and one of class < 240 in front of a
 * preceding U+0345 (class 240); a starter (class 0) moves past neither.
 */
export function isCombining(ch: string): boolean {
  const cp = ch.codePointAt(0)!;
  if (cp < 0x300) return false;
  let c = combiningCache.get(cp);
  if (c === undefined) {
    c = (ch + '\u0334').normalize('NFD') !== ch + '\u0334' || ('\u0345' + ch).normalize('NFD') !== '\u0345' + ch;
    combiningCache.set(cp, c);
  }
  return c;
}

/** Python's unicodedata.category(ch) in the classes the BERT tokenizer asks about. */
const CONTROL_OR_FORMAT = /^[\p{Cc}\p{Cf}]$/u;
const SPACE_SEPARATOR = /^\p{Zs}$/u;
const PUNCTUATION = /^\p{P}$/u;
const NONSPACING_MARK = /^\p{Mn}$/u;

export function isControlOrFormat(ch: string): boolean {
  return CONTROL_OR_FORMAT.test(ch);
}
export function isSpaceSeparator(ch: string): boolean {
  return SPACE_SEPARATOR.test(ch);
}
export function isPunctuationCategory(ch: string): boolean {
  return PUNCTUATION.test(ch);
}
export function isNonspacingMark(ch: string): boolean {
  return NONSPACING_MARK.test(ch);
}
