import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { digamma, UnigramEM, type PieceModel } from '../../../src/text/train/em.ts';
import type { PieceRules } from '../../../src/text/train/piece-rules.ts';
import { makeSeedPieces, type SeedPieces } from '../../../src/text/train/seed-pieces.ts';
import { countWords, escapeWhitespace, packWords, requiredCharacters } from '../../../src/text/train/words.ts';
import { rng } from '../../helpers/random.ts';
import { syntheticCorpus } from './corpus.ts';

const RULES: PieceRules = { maxPieceLength: 16, splitByUnicodeScript: true, splitByNumber: true, splitByWhitespace: true, splitDigits: false };
const SENTENCES = ['▁abab▁ab▁ba▁abc', '▁aab▁ab▁abab▁cab', '▁ba▁ab▁abcab▁ab', '▁c▁abc▁ab▁ba▁bab▁abab'];

function seeds(): SeedPieces {
  const words = countWords(SENTENCES, true, []);
  const cov = requiredCharacters(words, 1);
  return makeSeedPieces(packWords(words, new Set(cov.required.map((c) => c.char))), RULES, 1000);
}

/** Every segmentation of `word` into the model's pieces (an unknown node where no character piece is left). */
function segmentations(word: string[], pieces: Map<string, number>, unk: number): { score: number; used: string[] }[] {
  if (word.length === 0) return [{ score: 0, used: [] }];
  const out: { score: number; used: string[] }[] = [];
  for (let len = 1; len <= word.length; len++) {
    const p = word.slice(0, len).join('');
    const s = pieces.get(p) ?? (len === 1 ? unk : undefined);
    if (s === undefined) continue;
    for (const rest of segmentations(word.slice(len), pieces, unk)) out.push({ score: s + rest.score, used: [pieces.has(p) ? p : '<unk>', ...rest.used] });
  }
  return out;
}

describe('unigram EM', () => {
  it('digamma matches known values', () => {
    assert.ok(Math.abs(digamma(1) + 0.5772156649015329) < 1e-9);
    assert.ok(Math.abs(digamma(0.5) + 1.9635100260214235) < 1e-9);
    assert.ok(Math.abs(digamma(10) - 2.251752589066721) < 1e-9);
    assert.ok(Math.abs(digamma(1000.5) - 6.907755320648796) < 1e-9);
  });

  it('E-step expected counts equal the sum over all segmentations, unknown nodes included', () => {
    const s = seeds();
    const em = new UnigramEM(s);
    const r = rng(11);
    // A random model: most seeds, random scores, and one character left out (so "c" is unknown).
    const keep = s.pieces.map((_, k) => k).filter((k) => s.pieces[k] !== 'c' && r() < 0.8);
    const model: PieceModel = { seeds: Int32Array.from(keep), scores: Float64Array.from(keep, () => -1 - 5 * r()) };
    const got = em.eStep(model);

    const pieces = new Map(keep.map((k, i) => [s.pieces[k], model.scores[i]]));
    const unk = Math.min(...model.scores) - 10;
    const want = new Map<string, number>();
    let objective = 0;
    const { words } = s.lattices;
    for (let w = 0; w < words.count; w++) {
      const segs = segmentations([...words.text[w]], pieces, unk);
      const z = Math.log(segs.reduce((a, g) => a + Math.exp(g.score), 0));
      objective -= (words.freq[w] * z) / [...words.freq].reduce((a, b) => a + b, 0);
      for (const g of segs) for (const p of g.used) want.set(p, (want.get(p) ?? 0) + words.freq[w] * Math.exp(g.score - z));
    }
    keep.forEach((k, i) => assert.ok(Math.abs(got.expected[i] - (want.get(s.pieces[k]) ?? 0)) < 1e-9, `${s.pieces[k]}: ${got.expected[i]} vs ${want.get(s.pieces[k])}`));
    assert.ok(Math.abs(got.objective - objective) < 1e-9);
    assert.ok(want.get('<unk>')! > 0, 'the test exercises unknown nodes');
  });

  it('M-step drops pieces expected under 0.5 times and scores the rest by digamma', () => {
    const s = seeds();
    const em = new UnigramEM(s);
    const model: PieceModel = { seeds: Int32Array.from([0, 1, 2, 3]), scores: new Float64Array(4) };
    const next = em.mStep(model, Float64Array.from([10, 0.4, 3, 0.5]));
    assert.deepEqual([...next.seeds], [0, 2, 3]);
    const total = digamma(13.5);
    assert.deepEqual([...next.scores], [digamma(10) - total, digamma(3) - total, digamma(0.5) - total]);
  });

  it('pruning removes pieces no best segmentation uses', () => {
    const s = seeds();
    const em = new UnigramEM(s);
    const model = em.initialModel();
    // Under the seed scores the words segment as ▁ab | ▁abab | ▁ba | ▁abc | ▁a ab | ▁abc ab |
    // ▁ba b | ▁c | ▁c ab: 8 pieces used, fewer than 0.75 x 17, so exactly those stay.
    const pruned = em.prune(model, 3, 0.75);
    assert.deepEqual(new Set([...pruned.seeds].map((k) => s.pieces[k])), new Set(['▁ab', '▁abab', '▁ba', '▁abc', '▁a', 'ab', 'b', '▁c']));
  });

  it('pruning keeps max(desired, 0.75 x size) pieces, the frequent words among them', () => {
    const words = countWords(syntheticCorpus(40_000, 2).map(escapeWhitespace), true, []);
    const cov = requiredCharacters(words, 1);
    const s = makeSeedPieces(packWords(words, new Set(cov.required.map((c) => c.char))), RULES, 1_000_000);
    const em = new UnigramEM(s);
    let model = em.initialModel();
    for (let i = 0; i < 2; i++) model = em.mStep(model, em.eStep(model).expected);
    const size = model.seeds.length;
    // Unused and self-splitting pieces always go, so the bound is an upper one...
    const loose = em.prune(model, 100, 0.75);
    assert.ok(loose.seeds.length <= Math.trunc(0.75 * size) && loose.seeds.length > size / 2);
    // ...met exactly when enough pieces are worth keeping.
    const pruned = em.prune(model, 100, 0.5);
    assert.equal(pruned.seeds.length, Math.trunc(0.5 * size));
    assert.equal(em.prune(model, 1000, 0.1).seeds.length, 1000);
    const names = new Set([...pruned.seeds].map((k) => s.pieces[k]));
    for (const w of ['▁the', '▁of', '▁and', '▁to']) assert.ok(names.has(w), `${w} kept`);
    const before = new Set(model.seeds);
    for (const seed of pruned.seeds) assert.ok(before.has(seed));
  });
});
