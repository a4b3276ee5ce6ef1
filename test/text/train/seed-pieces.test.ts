import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PieceChecker, STOP, VALID, type PieceRules } from '../../../src/text/train/piece-rules.ts';
import { makeSeedPieces } from '../../../src/text/train/seed-pieces.ts';
import { countWords, escapeWhitespace, packWords, requiredCharacters } from '../../../src/text/train/words.ts';
import { syntheticCorpus } from './corpus.ts';

const RULES: PieceRules = { maxPieceLength: 16, splitByUnicodeScript: true, splitByNumber: true, splitByWhitespace: true, splitDigits: false };

function seedsOf(sentences: string[], seedSize = 1_000_000) {
  const words = countWords(sentences, true, []);
  const cov = requiredCharacters(words, 1);
  return makeSeedPieces(packWords(words, new Set(cov.required.map((c) => c.char))), RULES, seedSize);
}

/**
 * The library's definition, computed the slow way on the whole corpus (sentences joined, each
 * ended by U+0000): valid substrings of 2+ code points that occur twice or more and are followed
 * by at least two different characters (internal nodes of the suffix tree).
 */
function suffixTreeSeeds(sentences: string[]): Map<string, number> {
  const text: number[] = [];
  for (const s of sentences) {
    for (const ch of s) text.push(ch.codePointAt(0)!);
    text.push(0);
  }
  const found = new Map<string, { n: number; next: Set<number> }>();
  const checker = new PieceChecker(RULES);
  for (let i = 0; i < text.length; i++) {
    checker.reset();
    for (let len = 1; i + len <= text.length; len++) {
      const r = checker.push(text[i + len - 1]);
      if (r === STOP) break;
      if (r !== VALID || len < 2) continue;
      const key = String.fromCodePoint(...text.slice(i, i + len));
      const e = found.get(key) ?? { n: 0, next: new Set<number>() };
      e.n++;
      e.next.add(text[i + len]);
      found.set(key, e);
    }
  }
  return new Map([...found].filter(([, e]) => e.n >= 2 && e.next.size >= 2).map(([k, e]) => [k, e.n]));
}

describe('seed pieces', () => {
  const sentences = syntheticCorpus(30_000, 5).map(escapeWhitespace);

  it('are the characters, then the suffix tree\'s internal nodes by frequency x length', () => {
    const seeds = seedsOf(sentences);
    const expected = suffixTreeSeeds(sentences);
    const singles = seeds.pieces.filter((_, k) => seeds.length[k] === 1);
    const multi = seeds.pieces.slice(singles.length);
    assert.ok(multi.length > 1000, `${multi.length} substrings`);
    assert.deepEqual(new Set(multi), new Set(expected.keys()));
    // Scores are log(count x length / total): their order and ratios follow the counts.
    const k0 = singles.length;
    for (let k = k0 + 1; k < seeds.pieces.length; k++) {
      const ratio = Math.exp(seeds.scores[k] - seeds.scores[k0]);
      const want = (expected.get(seeds.pieces[k])! * seeds.length[k]) / (expected.get(seeds.pieces[k0])! * seeds.length[k0]);
      assert.ok(Math.abs(ratio - want) < 1e-9 * want, `${seeds.pieces[k]}: ${ratio} vs ${want}`);
      assert.ok(seeds.scores[k] <= seeds.scores[k - 1]);
    }
    // Every character of the text is a seed, most frequent first.
    assert.equal(singles[0], '▁');
    assert.ok(singles.includes('。') && singles.includes('é'));
  });

  it('keep the top seed_sentencepiece_size, characters always included', () => {
    const all = seedsOf(sentences);
    const few = seedsOf(sentences, 600);
    const singles = all.pieces.filter((_, k) => all.length[k] === 1).length;
    assert.equal(few.pieces.length, Math.max(600, singles));
    assert.deepEqual(few.pieces, all.pieces.slice(0, few.pieces.length));
  });

  it('give each word a lattice of every seed occurring in it', () => {
    const seeds = seedsOf(sentences);
    const index = new Map(seeds.pieces.map((p, k) => [p, k]));
    const { words, posEdge, edgeEnd, edgeSeed } = seeds.lattices;
    for (let w = 0; w < words.count; w += 7) {
      const cps = [...words.text[w]];
      const want: string[] = [];
      for (let i = 0; i < cps.length; i++) {
        for (let j = i + 1; j <= Math.min(cps.length, i + 16); j++) {
          const k = index.get(cps.slice(i, j).join(''));
          if (k !== undefined) want.push(`${i}-${j}:${k}`);
        }
      }
      const got: string[] = [];
      const base = words.start[w] + w;
      for (let p = 0; p < cps.length; p++) {
        for (let e = posEdge[base + p]; e < posEdge[base + p + 1]; e++) got.push(`${p}-${edgeEnd[e]}:${edgeSeed[e]}`);
      }
      assert.deepEqual(got, want, words.text[w]);
    }
    // Each seed's recorded occurrence is the seed itself.
    for (let k = 0; k < seeds.pieces.length; k += 13) {
      const s = words.start[seeds.occWord[k]] + seeds.occStart[k];
      assert.equal(String.fromCodePoint(...words.chars.subarray(s, s + seeds.length[k])), seeds.pieces[k]);
    }
  });
});
