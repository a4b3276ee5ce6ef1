/**
 * SentencePiece pieces of a SQuAD context, each with the [start, end) span of the ORIGINAL
 * context's characters it stands for (UTF-16 offsets, so `context.slice(start, end)` is the
 * piece's own text with the context's case, accents, quotes and spacing).
 *
 * The original (google-research/albert squad_utils.convert_examples_to_features) tokenizes the
 * preprocessed context and recovers the characters with an approximate longest-common-
 * subsequence match between the context and the pieces' text. Here the alignment is exact where
 * the steps are known and searched only where they are not:
 *  1. preprocess_text is redone unit by unit, each output character remembering the original
 *     characters it came from: a whitespace run becomes one space (ends trimmed), `` and '' one
 *     ", NFKD splits a character into several, dropped combining marks join the character before
 *     them, and lower-casing may grow a character (İ -> i + U+0307) or depend on its context
 *     (final sigma).
 *  2. The pieces (AlbertTokenizer.encodePieces, with the digit-comma rule) spell SentencePiece's
 *     own normalization of that text (its character map, e.g. nmt_nfkc, and U+2581 for spaces).
 *     Each preprocessed character is normalized alone and matched against the pieces' text in
 *     order; a character the map deletes joins the character before it; where the map works on
 *     several characters at once, or the digit-comma rule dropped a space, a short search
 *     re-synchronises the two texts.
 * A piece's span covers its non-space characters only; a piece that is only U+2581 gets an
 * empty span where the next word starts.
 */
import { type AlbertTokenizer, preprocessText } from '../../text/albert-tokenizer.ts';
import { isCombining, isPythonSpace } from '../../text/unicode.ts';
import { SPACE_SYMBOL } from '../../text/utf8.ts';

/** A context's pieces with their spans in the original context string. */
export interface AlignedContext {
  /** The pieces, exactly as `tokenizer.tokenize(context)` gives them. */
  pieces: string[];
  /** Their ids (`tokenizer.convertTokensToIds(pieces)`). */
  ids: number[];
  /** Per piece: the first original character (UTF-16 offset) it stands for. */
  starts: Int32Array;
  /** Per piece: one past the last original character it stands for (start === end: a lone U+2581). */
  ends: Int32Array;
}

/** A character of a derived text and the original characters [s, e) it came from. */
export interface Unit {
  ch: string;
  s: number;
  e: number;
}

/** Python's preprocess_text on `text`, keeping for each output code point its origin. */
export function preprocessWithOffsets(text: string, opts: { lower: boolean; keepAccents: boolean }): Unit[] {
  // Whitespace runs -> one space, ends trimmed (" ".join(text.strip().split())).
  let units: Unit[] = [];
  let runStart = -1;
  let offset = 0;
  for (const ch of text) {
    const s = offset;
    offset += ch.length;
    if (isPythonSpace(ch.codePointAt(0)!)) {
      if (runStart < 0) runStart = s;
      continue;
    }
    if (runStart >= 0 && units.length > 0) units.push({ ch: ' ', s: runStart, e: s });
    runStart = -1;
    units.push({ ch, s, e: offset });
  }
  // `` then '' become ", in the order the original's replace calls run.
  for (const q of ['`', "'"]) {
    const out: Unit[] = [];
    for (let i = 0; i < units.length; i++) {
      if (units[i].ch === q && i + 1 < units.length && units[i + 1].ch === q) {
        out.push({ ch: '"', s: units[i].s, e: units[i + 1].e });
        i++;
      } else {
        out.push(units[i]);
      }
    }
    units = out;
  }
  if (!opts.keepAccents) {
    // NFKD, combining marks dropped. Canonical reordering only moves combining marks, which all
    // go, so normalizing one character at a time gives the same text as the whole string.
    const out: Unit[] = [];
    let pending = -1;
    for (const u of units) {
      let emitted = false;
      for (const c of u.ch.normalize('NFKD')) {
        if (isCombining(c)) continue;
        out.push({ ch: c, s: pending >= 0 ? pending : u.s, e: u.e });
        pending = -1;
        emitted = true;
      }
      if (!emitted) pending = joinPrevious(out, u, pending);
    }
    units = out;
  }
  if (opts.lower) {
    const out: Unit[] = [];
    for (const u of units) for (const c of u.ch.toLowerCase()) out.push({ ch: c, s: u.s, e: u.e });
    // Lower-casing one character at a time misses context rules (Greek final sigma): take the
    // characters from the whole string's lower case where they line up one to one.
    const whole = Array.from(units.map((u) => u.ch).join('').toLowerCase());
    if (whole.length === out.length) for (let i = 0; i < out.length; i++) out[i].ch = whole[i];
    units = out;
  }
  return units;
}

/**
 * A unit that produced no character joins the last non-space character before it; with none
 * (the text's start, or just after a space), it joins the next one: returns where that one must
 * start (or -1).
 */
function joinPrevious(out: Unit[], u: Unit, pending: number): number {
  const last = out[out.length - 1];
  if (last && last.ch !== ' ' && last.e === u.s) {
    last.e = u.e;
    return pending;
  }
  return pending >= 0 ? pending : u.s;
}

/** The pieces' text with spaces for U+2581 (byte pieces decoded), and each piece's [start, end) in it. */
function piecesText(pieces: string[], tokenizer: AlbertTokenizer): { text: string; ts: number[]; te: number[] } {
  const spm = tokenizer.spm;
  let text = '';
  const ts: number[] = [];
  const te: number[] = [];
  for (let p = 0; p < pieces.length; ) {
    const id = spm.pieceToId(pieces[p]);
    if (!spm.isByte(id)) {
      ts.push(text.length);
      text += pieces[p].replaceAll(SPACE_SYMBOL, ' ');
      te.push(text.length);
      p++;
      continue;
    }
    // A run of byte pieces: decode it; each piece stands for the character its byte is part of.
    const run: number[] = [];
    while (p + run.length < pieces.length && spm.isByte(spm.pieceToId(pieces[p + run.length]))) {
      run.push(Number.parseInt(pieces[p + run.length].slice(3, 5), 16));
    }
    const bytes = Uint8Array.from(run);
    let b = 0;
    while (b < bytes.length) {
      const lead = bytes[b];
      const want = lead < 0x80 ? 1 : lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
      const n = Math.min(want, bytes.length - b);
      const ch = new TextDecoder().decode(bytes.subarray(b, b + n));
      const start = text.length;
      text += ch;
      for (let k = 0; k < n; k++) {
        ts.push(start);
        te.push(text.length);
      }
      b += n;
    }
    p += run.length;
  }
  return { text, ts, te };
}

/**
 * Tokenizes `context` as `tokenizer.tokenize` does and gives every piece its span in `context`.
 */
export function alignContext(context: string, tokenizer: AlbertTokenizer): AlignedContext {
  const opts = { lower: tokenizer.doLowerCase, keepAccents: tokenizer.keepAccents };
  const units = preprocessWithOffsets(context, opts);
  const pre = units.map((u) => u.ch).join('');
  const expected = preprocessText(context, opts);
  if (pre !== expected) throw new Error(`alignContext: preprocessing with offsets gave ${JSON.stringify(pre)}, preprocessText ${JSON.stringify(expected)}`);
  const pieces = tokenizer.encodePieces(pre);
  const ids = tokenizer.convertTokensToIds(pieces);
  const { text, ts, te } = piecesText(pieces, tokenizer);
  const map = matchNormalized(units, text, tokenizer);

  const starts = new Int32Array(pieces.length);
  const ends = new Int32Array(pieces.length);
  const empty: boolean[] = [];
  for (let p = 0; p < pieces.length; p++) {
    let s = Infinity;
    let e = -Infinity;
    for (let j = ts[p]; j < te[p]; j++) {
      const m = map[j];
      if (!m || text[j] === ' ') continue;
      if (m.s < s) s = m.s;
      if (m.e > e) e = m.e;
    }
    empty.push(s === Infinity);
    starts[p] = s === Infinity ? 0 : s;
    ends[p] = s === Infinity ? 0 : e;
  }
  // Pieces of spaces only: an empty span where the next word starts (after the last, the end).
  let next = context.length;
  for (let p = pieces.length - 1; p >= 0; p--) {
    if (empty[p]) starts[p] = ends[p] = next;
    else next = starts[p];
  }
  return { pieces, ids, starts, ends };
}

/** SentencePiece's normalization of single characters (and short runs), per tokenizer. */
const normCaches = new WeakMap<AlbertTokenizer, Map<string, string>>();

/**
 * For every UTF-16 position of `text` (the pieces' text), the original span it stands for
 * (null: the dummy prefix, or a character that could not be placed).
 */
function matchNormalized(units: Unit[], text: string, tokenizer: AlbertTokenizer): ({ s: number; e: number } | null)[] {
  const spm = tokenizer.spm;
  const spec = spm.proto.normalizerSpec;
  const suffix = spm.proto.trainerSpec.treatWhitespaceAsSuffix;
  let cache = normCaches.get(tokenizer);
  if (!cache) normCaches.set(tokenizer, (cache = new Map<string, string>()));
  /** SentencePiece's normalization of a short string alone, without the dummy space. */
  const norm = (s: string): string => {
    if (s === ' ') return ' ';
    let n = cache!.get(s);
    if (n === undefined) {
      const alone = (t: string): string => {
        let r = spm.normalize(t).replaceAll(SPACE_SYMBOL, ' ');
        if (spec.addDummyPrefix) {
          if (!suffix && r.startsWith(' ')) r = r.slice(1);
          if (suffix && r.endsWith(' ')) r = r.slice(0, -1);
        }
        return r;
      };
      n = alone(s);
      // A character the map turns into a space (U+200B in nmt_nfkc) vanishes alone, as the
      // ends of a text are trimmed: between two letters it shows.
      if (n === '') {
        const between = alone(`a${s}a`);
        if (between === 'a a') n = ' ';
      }
      cache!.set(s, n);
    }
    return n;
  };
  const map: ({ s: number; e: number } | null)[] = new Array<{ s: number; e: number } | null>(text.length).fill(null);
  let lastMapped = -1;
  // The start of deleted characters that wait to join the next character placed.
  let pending = -1;
  const place = (j: number, len: number, s: number, e: number): void => {
    if (pending >= 0 && len > 0 && text[j] !== ' ') {
      s = Math.min(s, pending);
      pending = -1;
    }
    for (let k = j; k < j + len; k++) map[k] = { s, e };
    if (len > 0 && text[j + len - 1] !== ' ') lastMapped = j + len - 1;
  };
  /**
   * Whether units from i (one, or up to four that a rule joins) spell text at j: how many units
   * and how much text they take, or null.
   */
  const matchesAt = (i: number, j: number): { units: number; length: number } | null => {
    const n = norm(units[i].ch);
    if (n !== '' && text.startsWith(n, j)) return { units: 1, length: n.length };
    let joined = units[i].ch;
    for (let k = 1; k < 4 && i + k < units.length && units[i + k].ch !== ' ' && joined !== ' '; k++) {
      joined += units[i + k].ch;
      const nk = norm(joined);
      if (nk !== '' && text.startsWith(nk, j)) return { units: k + 1, length: nk.length };
    }
    return null;
  };

  let i = 0;
  let j = 0;
  // The dummy prefix space stands for no character.
  if (text.startsWith(' ') && units.length > 0 && units[0].ch !== ' ') j = 1;
  while (i < units.length && j < text.length) {
    const u = units[i];
    // Deleted characters before a space join no word after it.
    if (u.ch === ' ') pending = -1;
    const n = norm(u.ch);
    if (n === '') {
      // Deleted by the model's normalizer: it joins the character before it in the same word,
      // else the next one placed.
      const prev = lastMapped >= 0 ? map[lastMapped]! : null;
      if (u.ch === ' ') {
        // (A space the model deletes stands for nothing.)
      } else if (prev && i > 0 && units[i - 1].ch !== ' ' && prev.e === u.s) {
        map[lastMapped] = { s: prev.s, e: u.e };
      } else if (pending < 0) {
        pending = u.s;
      }
      i++;
      continue;
    }
    if (text.startsWith(n, j)) {
      place(j, n.length, u.s, u.e);
      i++;
      j += n.length;
      continue;
    }
    // A rule over several characters.
    let done = false;
    for (let k = 2; k <= 4 && i + k <= units.length && units[i + k - 1].ch !== ' ' && u.ch !== ' ' && !done; k++) {
      const nk = norm(units.slice(i, i + k).map((x) => x.ch).join(''));
      if (nk !== '' && text.startsWith(nk, j)) {
        place(j, nk.length, u.s, units[i + k - 1].e);
        i += k;
        j += nk.length;
        done = true;
      }
    }
    if (done) continue;
    // Re-synchronise: the nearest (a, b) where units[i + a] and the one after it match text at
    // j + b, skipping preprocessed characters first (spaces the model merged or dropped) before
    // characters of the pieces' text.
    for (let d = 1; d <= 24 && !done; d++) {
      for (let a = d; a >= 0 && !done; a--) {
        const b = d - a;
        const ia = i + a;
        const jb = j + b;
        if (ia > units.length || jb > text.length) continue;
        const atEnd = ia === units.length || jb === text.length;
        if (!atEnd) {
          const m = matchesAt(ia, jb);
          if (!m) continue;
          const after = jb + m.length;
          if (ia + m.units < units.length && after < text.length && !matchesAt(ia + m.units, after)) continue;
        } else if (!(ia === units.length && jb === text.length)) {
          continue;
        }
        // text[j, j + b) stands for units[i, i + a).
        if (b > 0) {
          // Spaces at the ends of units[i, ia) are not part of what text[j, j + b) spells.
          let lo = i;
          let hi = ia;
          while (lo < hi && units[lo].ch === ' ') lo++;
          while (hi > lo && units[hi - 1].ch === ' ') hi--;
          if (lo < hi) place(j, b, units[lo].s, units[hi - 1].e);
          else if (a > 0) place(j, b, units[i].s, units[ia - 1].e);
          else if (lastMapped >= 0) place(j, b, map[lastMapped]!.s, map[lastMapped]!.e);
        }
        i = ia;
        j = jb;
        done = true;
      }
    }
    if (!done) break;
  }
  // Characters left unplaced take the span of the nearest placed character before them (after, at the start).
  let prev: { s: number; e: number } | null = null;
  for (let k = 0; k < text.length; k++) {
    if (map[k]) {
      if (text[k] !== ' ') prev = map[k];
    } else if (text[k] !== ' ' && prev) {
      map[k] = prev;
    }
  }
  let next: { s: number; e: number } | null = null;
  for (let k = text.length - 1; k >= 0; k--) {
    if (map[k]) {
      if (text[k] !== ' ') next = map[k];
    } else if (text[k] !== ' ' && next) {
      map[k] = next;
    }
  }
  return map;
}

/**
 * The piece range [first, last] (inclusive) of the tightest run of pieces covering the
 * original characters [start, end): the original's tok_start_position / tok_end_position for an
 * answer (the first and the last piece that hold one of its characters). Null when no piece
 * holds any of them (e.g. a span of whitespace only). ALBERT's squad_utils has no
 * _improve_answer_span (BERT's run_squad.py does: it re-tokenizes the answer to tighten a
 * word-level range); with character spans per piece this range is already the tightest.
 */
export function charSpanToPieces(aligned: AlignedContext, start: number, end: number): { first: number; last: number } | null {
  const { starts, ends } = aligned;
  let first = -1;
  let last = -1;
  for (let p = 0; p < starts.length; p++) {
    if (starts[p] < ends[p] && starts[p] < end && ends[p] > start) {
      if (first < 0) first = p;
      last = p;
    }
  }
  return first < 0 ? null : { first, last };
}

/** The original characters that the pieces [first, last] stand for. */
export function piecesToCharSpan(aligned: AlignedContext, first: number, last: number): { start: number; end: number } {
  let start = Infinity;
  let end = -Infinity;
  for (let p = first; p <= last; p++) {
    if (aligned.starts[p] === aligned.ends[p]) continue;
    start = Math.min(start, aligned.starts[p]);
    end = Math.max(end, aligned.ends[p]);
  }
  if (start === Infinity) return { start: aligned.starts[first], end: aligned.starts[first] };
  return { start, end };
}
