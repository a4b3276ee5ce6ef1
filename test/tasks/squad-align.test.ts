// SQuAD context alignment: every piece's span in the ORIGINAL context, through ALBERT's
// preprocessing (whitespace runs, `` '' -> ", NFKD accent stripping, lower-casing), the model's
// own normalizer and the digit-comma rule. The round trips: every whitespace-delimited word, and
// every run of words, comes back as exactly its own characters; answers inside words come back
// exactly where the pieces split there.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AlbertTokenizer, preprocessText } from '../../src/text/albert-tokenizer.ts';
import { SentencePieceProcessor } from '../../src/text/sentencepiece.ts';
import { isPythonSpace } from '../../src/text/unicode.ts';
import { type AlignedContext, alignContext, charSpanToPieces, piecesToCharSpan, preprocessWithOffsets } from '../../src/tasks/squad/align.ts';
import { modelBytes, type ModelName } from '../text/spm-fixtures.ts';
import { trainSpm } from '../export/fixtures.ts';

const CONTEXTS = [
  'The capital of France is Paris.',
  'Café, naïve Zürich résumé and the Ångström; Zu\u0308rich e\u0301tude (decomposed accents).',
  'He paid 1,000 dollars, then 2,500,000 more; 3,4,5, done at 12,345.67 euros.',
  "``Quoted'' text, with ``two'' marks and it's O'Brien's.",
  '  lots   of   spaces \t between\n\nwords \u00a0 and\u3000ideographic space  ',
  '北京大学位于北京。東京は日本の首都です。 서울은 한국의 수도이다.',
  'Straße ﬁne ＡＢＣ １２３ crème brûlée İstanbul ΟΔΟΣ ΣΟΦΟΣ.',
  'Emoji 😀 and 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 letters, plus a\u200bzero-width space and ½ ① Ⅻ.',
  'NASA AND IBM WROTE THE REPORT in 1,999, not 2,001,',
];

interface Tok {
  name: string;
  tok: AlbertTokenizer;
}

function fixture(name: ModelName, opts: { doLowerCase?: boolean; keepAccents?: boolean } = {}): Tok {
  const spm = SentencePieceProcessor.fromBytes(modelBytes(name), `${name}.model`);
  return { name: `${name}${opts.doLowerCase === false ? ' cased' : ''}${opts.keepAccents ? ' accents' : ''}`, tok: new AlbertTokenizer(spm, opts) };
}

const TOKENIZERS: Tok[] = [
  fixture('albert'),
  fixture('albert', { doLowerCase: false }),
  fixture('albert', { keepAccents: true }),
  fixture('byte-fallback'),
  fixture('nfkc-cf', { doLowerCase: false }),
  fixture('bpe'),
];

/** Whitespace-delimited words of `text` (Python's str.split), as [start, end) UTF-16 offsets. */
function words(text: string): [number, number][] {
  const out: [number, number][] = [];
  let start = -1;
  let i = 0;
  for (const ch of text) {
    const space = isPythonSpace(ch.codePointAt(0)!);
    if (!space && start < 0) start = i;
    if (space && start >= 0) {
      out.push([start, i]);
      start = -1;
    }
    i += ch.length;
  }
  if (start >= 0) out.push([start, i]);
  return out;
}

/**
 * The original span that the pieces of [start, end) stand for, as "start:end". Characters the
 * model's normalizer turns into spaces (U+200B in nmt_nfkc) at the span's ends are whitespace
 * to the model, so they may stay outside: the span comes back as the expected one when it
 * differs from it only by those.
 */
function roundTrip(a: AlignedContext, context: string, start: number, end: number): string | null {
  const r = charSpanToPieces(a, start, end);
  if (!r) return null;
  const span = piecesToCharSpan(a, r.first, r.last);
  const invisible = (s: number, e: number): boolean => /^[\s\u200b]*$/.test(context.slice(Math.min(s, e), Math.max(s, e)));
  if (span.start >= start && span.end <= end && invisible(start, span.start) && invisible(span.end, end)) return `${start}:${end}`;
  return [span.start, span.end].join(':');
}

/** A deterministic generator of awkward contexts. */
function randomContexts(count: number, seed: number): string[] {
  const pool = [
    'a', 'B', 'é', 'e\u0301', 'Ü', 'ß', 'ﬁ', 'Ａ', '１', '1', '9', ',', ',', '.', "'", "''", '`', '``', '"', ' ', ' ', ' ', '  ', '\t', '\n',
    '\u00a0', '北', '京', '😀', 'Σ', 'ς', 'İ', '½', '-', '(', ')', '\u200b', 'x', 'y', 'z', '한',
  ];
  let s = seed >>> 0;
  const r = (n: number): number => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return Math.floor((s / 4294967296) * n);
  };
  const out: string[] = [];
  for (let k = 0; k < count; k++) {
    let t = '';
    const n = 5 + r(60);
    for (let i = 0; i < n; i++) t += pool[r(pool.length)];
    out.push(t);
  }
  return out;
}

describe('preprocessWithOffsets', () => {
  it('spells exactly preprocessText, every character pointing into the original', () => {
    for (const text of [...CONTEXTS, ...randomContexts(300, 7)]) {
      for (const opts of [{ lower: true, keepAccents: false }, { lower: false, keepAccents: false }, { lower: true, keepAccents: true }]) {
        const units = preprocessWithOffsets(text, opts);
        assert.equal(units.map((u) => u.ch).join(''), preprocessText(text, opts), JSON.stringify(text));
        for (const u of units) assert.ok(u.s >= 0 && u.s < u.e && u.e <= text.length);
      }
    }
  });

  it('keeps what each character came from', () => {
    const text = "a  ``B'' e\u0301ﬁ";
    const units = preprocessWithOffsets(text, { lower: true, keepAccents: false });
    const got = units.map((u) => `${u.ch}=${text.slice(u.s, u.e)}`);
    assert.deepEqual(got, ['a=a', ' =  ', '"=``', 'b=B', "\"=''", ' = ', 'e=e\u0301', 'f=ﬁ', 'i=ﬁ']);
  });
});

describe('alignContext', () => {
  for (const { name, tok } of TOKENIZERS) {
    it(`${name}: the pieces are tokenize()'s, and every word and run of words comes back exactly`, () => {
      for (const context of [...CONTEXTS, ...randomContexts(120, 11)]) {
        const a = alignContext(context, tok);
        assert.deepEqual(a.pieces, tok.tokenize(context));
        assert.deepEqual(a.ids, tok.convertTokensToIds(a.pieces));
        for (let p = 0; p < a.pieces.length; p++) {
          assert.ok(a.starts[p] >= 0 && a.starts[p] <= a.ends[p] && a.ends[p] <= context.length, `${p}`);
          if (p > 0) assert.ok(a.starts[p] >= a.starts[p - 1], `spans go forward at piece ${p} in ${JSON.stringify(context)}`);
        }
        const ws = words(context);
        for (let i = 0; i < ws.length; i++) {
          // Words whose characters all vanish in preprocessing (a lone zero-width space) have no piece.
          if (preprocessText(context.slice(...ws[i])) === '' || tok.tokenize(context.slice(...ws[i])).length === 0) continue;
          for (const j of [i, Math.min(i + 1, ws.length - 1), ws.length - 1]) {
            const [s, e] = [ws[i][0], ws[j][1]];
            assert.equal(roundTrip(a, context, s, e), `${s}:${e}`, `${name}: ${JSON.stringify(context.slice(s, e))} in ${JSON.stringify(context)}`);
          }
        }
      }
    });

    it(`${name}: a word's pieces, tokenized again from the original characters, are the same pieces`, () => {
      for (const context of CONTEXTS) {
        const a = alignContext(context, tok);
        let first = 0;
        for (let p = 1; p <= a.pieces.length; p++) {
          if (p < a.pieces.length && !a.pieces[p].startsWith('\u2581')) continue;
          const span = piecesToCharSpan(a, first, p - 1);
          // The same characters (a unigram tie may split them differently).
          const again = tok.tokenize(context.slice(span.start, span.end)).join('');
          if (span.end > span.start) assert.equal(again, a.pieces.slice(first, p).join(''), JSON.stringify(context));
          first = p;
        }
      }
    });
  }

  it('answers inside words come back with their own accents, case, quotes and digits', () => {
    const { tok } = TOKENIZERS[0];
    const cases: [string, string][] = [
      ['Café, naïve Zürich', 'Café'],
      ['Café, naïve Zürich', 'Zürich'],
      ['They met in Zu\u0308rich, then left.', 'Zu\u0308rich'],
      ['He paid 1,000, then 2,500,000 more', '1,000'],
      ['He paid 1,000, then 2,500,000 more', '2,500,000'],
      ["She said ``yes'' twice", "``yes''"],
      ['北京大学位于北京。', '北京大学位于北京'],
      ['ＡＢＣ  corp   grew', 'ＡＢＣ  corp   grew'],
      ['İstanbul ΟΔΟΣ', 'ΟΔΟΣ'],
    ];
    for (const [context, answer] of cases) {
      const a = alignContext(context, tok);
      const start = context.indexOf(answer);
      const r = charSpanToPieces(a, start, start + answer.length);
      assert.ok(r, answer);
      const span = piecesToCharSpan(a, r.first, r.last);
      assert.equal(context.slice(span.start, span.end), answer, `${answer}: pieces ${a.pieces.slice(r.first, r.last + 1).join(' ')}`);
    }
  });

  it('an answer that ends inside a piece widens to the whole piece, never to a neighbour', () => {
    const { tok } = TOKENIZERS[0];
    const context = 'The Ångström unit';
    const a = alignContext(context, tok);
    const start = context.indexOf('ngst');
    const r = charSpanToPieces(a, start, start + 4)!;
    const span = piecesToCharSpan(a, r.first, r.last);
    assert.ok(span.start <= start && span.end >= start + 4);
    assert.ok(span.start >= context.indexOf('Å') && span.end <= context.indexOf(' unit'));
    // A span of whitespace alone has no piece.
    assert.equal(charSpanToPieces(a, 3, 4), null);
  });

  it('a lone U+2581 piece has an empty span where its word starts', () => {
    const { tok } = TOKENIZERS[0];
    const context = "say ``hi'' now";
    const a = alignContext(context, tok);
    const p = a.pieces.findIndex((x, k) => x === '\u2581' && a.pieces[k + 1] === '"');
    assert.ok(p >= 0, a.pieces.join(' '));
    assert.equal(a.starts[p], a.ends[p]);
    assert.equal(a.starts[p], context.indexOf('``'));
  });

  it('works with a model spm_train made (its nmt_nfkc map), or our trainer', () => {
    const dir = mkdtempSync(join(tmpdir(), 'albert-squad-align-'));
    try {
      const tok = AlbertTokenizer.fromSpmFile(trainSpm(dir).path);
      for (const context of [...CONTEXTS, ...randomContexts(40, 3)]) {
        const a = alignContext(context, tok);
        assert.deepEqual(a.pieces, tok.tokenize(context));
        for (const [s, e] of words(context)) {
          if (tok.tokenize(context.slice(s, e)).length === 0) continue;
          assert.equal(roundTrip(a, context, s, e), `${s}:${e}`, `${JSON.stringify(context.slice(s, e))} in ${JSON.stringify(context)}`);
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
