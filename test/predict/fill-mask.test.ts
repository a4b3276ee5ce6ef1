/**
 * Fill-mask answers in words: each candidate's piece decoded to text (token_str, as transformers'
 * pipeline has it; never a raw "▁"), the text filled with it (sequence), a piece that continues a
 * word joined to the word before the [MASK]; and a --model path that does not exist is a
 * one-line "not found" naming it, through the library and the CLI.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { exportModel, writeExport } from '../../src/export/export.ts';
import { UserError } from '../../src/ir/errors.ts';
import { candidateWord, FillMask, fillMasks } from '../../src/predict/fill-mask.ts';
import { AlbertTokenizer } from '../../src/text/albert-tokenizer.ts';
import { tempDir, tinyConfig, trainSpm, writeCheckpoint } from '../export/fixtures.ts';
import { albert, assertOneLineError } from '../helpers/cli.ts';

const WORD_START = '\u2581';

describe('fill-mask words', () => {
  it('fills each [MASK] with text, joining a piece that continues a word to the word before it', () => {
    const parts = 'The capital of France is [MASK]. [MASK] said so.'.split('[MASK]');
    assert.equal(fillMasks(parts, [{ text: 'paris', wordStart: true }, { text: 'she', wordStart: true }]), 'The capital of France is paris. she said so.');
    assert.equal(fillMasks(parts, [{ text: 's', wordStart: false }, null]), 'The capital of France iss. [MASK] said so.');
    assert.equal(fillMasks(parts, [null, { text: '', wordStart: true }]), 'The capital of France is [MASK].  said so.');
  });

  describe('with a trained tokenizer and an exported model', () => {
    const root = tempDir('fill-words');
    let tokenizer: AlbertTokenizer;
    let exported: string;
    let ckpt: string;
    before(async () => {
      const spm = trainSpm(root);
      tokenizer = AlbertTokenizer.fromSpmFile(spm.path, { doLowerCase: true });
      ckpt = writeCheckpoint(join(root, 'ckpt'), tinyConfig(spm.pieces), 'pretraining', { spm: spm.path }).dir;
      exported = join(root, 'web', 'mlm');
      writeExport(await exportModel({ initCheckpoint: ckpt }), exported);
    });

    it('spells every piece of the vocabulary as text, never with "▁"', () => {
      const pieces = tokenizer.convertIdsToTokens(Array.from({ length: tokenizer.vocabSize }, (_, i) => i));
      const wordStarts = pieces.flatMap((p, id) => (p.startsWith(WORD_START) && p.length > 1 ? [id] : []));
      const continuing = pieces.flatMap((p, id) => (!p.startsWith(WORD_START) && /^[a-z]+$/.test(p) ? [id] : []));
      assert.ok(wordStarts.length > 10 && continuing.length > 0, `${wordStarts.length} word-start and ${continuing.length} continuing pieces`);
      for (let id = 0; id < tokenizer.vocabSize; id++) assert.ok(!candidateWord(tokenizer, id).token_str.includes(WORD_START), pieces[id]);
      const w = candidateWord(tokenizer, wordStarts[0]);
      assert.deepEqual(w, { piece: pieces[wordStarts[0]], token_str: pieces[wordStarts[0]].slice(1), word_start: true });
      assert.equal(candidateWord(tokenizer, continuing[0]).word_start, false);
      // The bare word-start piece, the unigram trainer's most common one, is a word break: no text.
      const bare = pieces.indexOf(WORD_START);
      assert.ok(bare >= 0, 'the vocabulary has the bare "▁" piece');
      assert.deepEqual(candidateWord(tokenizer, bare), { piece: WORD_START, token_str: '', word_start: true });
    });

    it('gives each candidate its word and its filled text, over the whole vocabulary', async () => {
      const model = await FillMask.load({ model: exported });
      const text = 'Paris is the [MASK] of France, [MASK] said.';
      const r = await model.predict(text, model.tokenizer.vocabSize);
      const parts = text.split('[MASK]');
      assert.equal(r.masks.length, 2);
      r.masks.forEach((m, i) => {
        assert.equal(m.candidates.length, model.tokenizer.vocabSize);
        for (const c of m.candidates) {
          assert.ok(!c.token_str.includes(WORD_START) && !c.sequence.includes(WORD_START), JSON.stringify(c));
          assert.equal(c.sequence, fillMasks(parts, [0, 1].map((j) => (j === i ? { text: c.token_str, wordStart: c.word_start } : null))));
        }
        assert.ok(m.candidates.some((c) => c.piece === WORD_START && c.token_str === ''), 'the bare "▁" is a candidate, without its mark');
      });
      const best = r.masks.map((m) => ({ text: m.candidates[0].token_str, wordStart: m.candidates[0].word_start }));
      assert.equal(r.filled, fillMasks(parts, best));
    });

    it('says "not found" with the path of a model that does not exist (library and CLI)', async () => {
      const oneLine = (path: string) => (e: unknown) => e instanceof UserError && !e.message.includes('\n') && e.message.startsWith(`${path} not found`);
      for (const missing of [join(root, 'no-such-dir'), join(root, 'nowhere', 'model.safetensors'), join(root, 'albert_base.tar.gz')]) {
        await assert.rejects(FillMask.load({ model: missing }), oneLine(missing));
      }
      const missing = join(root, 'no-such-model');
      const r = await albert('predict', 'fill-mask', '--model', missing, 'a [MASK]');
      assertOneLineError(r, new RegExp(`^Error: ${missing.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} not found: expected an \`albert export\` directory or a checkpoint`));
    });
  });
});
