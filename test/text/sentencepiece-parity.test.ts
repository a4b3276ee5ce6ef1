// Our SentencePiece against the real library (Debian sentencepiece 0.1.97), id for id:
// - always: the outputs spm_encode/spm_decode gave for the 2000 generated test lines, committed
//   with the seven fixture models (unigram with nmt_nfkc / nmt_nfkc_cf / identity / custom rules,
//   BPE, byte fallback, whitespace as suffix, char, word);
// - when spm_* are installed: fresh random text through every fixture model, and models
//   spm_train makes here and now, compared with spm_encode/spm_decode run on the spot.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SentencePieceProcessor } from '../../src/text/sentencepiece.ts';
import { BLOCK, FULL_ROWS, type Row, blockHash, readExpected, textSha256 } from '../fixtures/spm/expected.ts';
import { makeCorpus } from '../fixtures/spm/make-corpus.ts';
import { FIXTURES, MODELS, type ModelName, modelBytes, modelFile, spm, spmMissing } from './spm-fixtures.ts';

const TEST_LINES = makeCorpus(0, 2000).test;

/** Our four outputs for a line, in the form spm printed them. */
function ourRow(sp: SentencePieceProcessor, line: string): Row {
  const { ids, pieces } = sp.encode(line);
  return [ids.join(' '), pieces.join(' '), sp.decode(ids), sp.decodePieces(pieces)];
}

const COLUMNS = ['ids', 'pieces', 'decode(ids)', 'decodePieces(pieces)'];

function assertRow(model: string, line: string, got: Row, want: Row): void {
  for (let k = 0; k < 4; k++) {
    assert.equal(got[k], want[k], `${model}: ${COLUMNS[k]} of ${JSON.stringify(line)}`);
  }
}

describe('SentencePiece equals spm_encode/spm_decode on the committed expectations', () => {
  it('regenerates the very test lines the expectations were made from', () => {
    const expected = readExpected(join(FIXTURES, 'albert.expected.br'));
    assert.equal(textSha256(TEST_LINES), expected.inputSha256, 'make-corpus.ts no longer produces the lines the fixtures were made from: rerun make-fixtures.sh');
    assert.equal(TEST_LINES.length, 2000);
  });

  for (const name of MODELS) {
    it(`${name}: every id, piece and decoded text of 2000 lines`, () => {
      const sp = SentencePieceProcessor.fromBytes(modelBytes(name), `${name}.model`);
      const expected = readExpected(join(FIXTURES, `${name}.expected.br`));
      assert.equal(expected.inputSha256, textSha256(TEST_LINES));
      const rows = TEST_LINES.map((line) => ourRow(sp, line));
      for (let i = 0; i < FULL_ROWS; i++) assertRow(name, TEST_LINES[i], rows[i], expected.rows[i] as Row);
      for (let i = FULL_ROWS, j = FULL_ROWS; i < TEST_LINES.length; i += BLOCK, j++) {
        const block = rows.slice(i, i + BLOCK);
        if (blockHash(block) !== expected.rows[j]) {
          assert.fail(`${name}: lines ${i}..${i + block.length - 1} differ from spm (only a hash is stored; our output: ${JSON.stringify(block)})`);
        }
      }
    });
  }

  it('loads the model types and specials the fixtures were trained with', () => {
    const types = MODELS.map((n) => SentencePieceProcessor.fromBytes(modelBytes(n)).modelType);
    assert.deepEqual(types, ['unigram', 'unigram', 'bpe', 'unigram', 'unigram', 'char', 'word']);
    const albert = SentencePieceProcessor.fromBytes(modelBytes('albert'));
    assert.deepEqual([0, 1, 2, 3, 4].map((i) => albert.idToPiece(i)), ['<pad>', '<unk>', '[CLS]', '[SEP]', '[MASK]']);
    const t = albert.proto.trainerSpec;
    assert.deepEqual([t.vocabSize, t.padId, t.unkId, t.bosId, t.eosId], [1000, 0, 1, -1, -1]);
    assert.deepEqual(t.controlSymbols, ['[CLS]', '[SEP]', '[MASK]']);
    assert.deepEqual(t.userDefinedSymbols, ['(', ')', '"', '-', '.', '–', '£', '€']);
    assert.equal(t.characterCoverage, Math.fround(0.99995));
    assert.equal(albert.proto.normalizerSpec.name, 'nmt_nfkc');
    assert.ok(albert.proto.normalizerSpec.precompiledCharsmap.length > 100_000);
    const bytes = SentencePieceProcessor.fromBytes(modelBytes('byte-fallback'));
    assert.equal(bytes.proto.trainerSpec.byteFallback, true);
    assert.equal(bytes.pieceToId('<0x41>'), bytes.proto.pieces.findIndex((p) => p.piece === '<0x41>'));
    assert.ok(bytes.isByte(bytes.pieceToId('<0x41>')));
    assert.equal(SentencePieceProcessor.fromBytes(modelBytes('suffix')).proto.trainerSpec.treatWhitespaceAsSuffix, true);
  });
});

/** Seeded random lines that stress what the corpus lacks: unseen characters, marks, spaces. */
function fuzzLines(count: number, seed: number): string[] {
  let s = seed;
  const r = (): number => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 4294967296;
  };
  const pools = [
    'abcdefghijklmnopqrstuvwxyz', 'ABCXYZ', '0123456789', ',,,..', '     \t\u3000\u00a0', '()"-–£€<br>', 'éèñüåøæœßÅ', '東京日本語中文学习数据',
    'ありがとうカタカナ', '한국어서울', '😀🎉👍🏽❤️', 'ＡＢＣ１２３！？', '\u0301\u0303\u0308', 'ﬁﬂⅫ½²㎏', '▁▁', "``''", 'नमस्ते', '\u200b\u200d\ufeff\u00ad',
  ].map((p) => Array.from(p));
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    let line = '';
    const n = Math.floor(r() * 40);
    for (let k = 0; k < n; k++) {
      if (r() < 0.05) {
        // Any code point of the first three planes but surrogates and line breaks.
        let cp = Math.floor(r() * 0x30000);
        if ((cp >= 0xd800 && cp < 0xe000) || cp === 0x0a || cp === 0x0d || cp === 0) cp = 0x41;
        line += String.fromCodePoint(cp);
      } else {
        const pool = pools[Math.floor(r() * pools.length)];
        line += pool[Math.floor(r() * pool.length)];
      }
    }
    lines.push(line);
  }
  return lines;
}

/** spm's four outputs for each line, from the binaries. */
function spmRows(model: string, lines: string[]): Row[] {
  const input = `${lines.join('\n')}\n`;
  const ids = spm('spm_encode', [`--model=${model}`, '--output_format=id'], input);
  const pieces = spm('spm_encode', [`--model=${model}`, '--output_format=piece'], input);
  const decIds = spm('spm_decode', [`--model=${model}`, '--input_format=id'], `${ids.join('\n')}\n`);
  const decPieces = spm('spm_decode', [`--model=${model}`, '--input_format=piece'], `${pieces.join('\n')}\n`);
  return lines.map((_, i) => [ids[i], pieces[i], decIds[i], decPieces[i]]);
}

const missing = spmMissing();
if (missing) console.log(`# skipping the live spm_* comparisons: ${missing}`);

describe('SentencePiece equals spm_encode/spm_decode run here', { skip: missing ?? false }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'albert-spm-live-'));

  it('on random text through every fixture model', () => {
    const lines = fuzzLines(600, 12345);
    for (const name of MODELS) {
      const path = modelFile(name as ModelName, dir);
      const sp = SentencePieceProcessor.load(path);
      const want = spmRows(path, lines);
      lines.forEach((line, i) => assertRow(name, line, ourRow(sp, line), want[i]));
    }
  });

  it('on models spm_train makes now (byte fallback, split digits, no dummy prefix, a denormalizer)', () => {
    const { train } = makeCorpus(3000, 0);
    const corpus = join(dir, 'train.txt');
    writeFileSync(corpus, `${train.join('\n')}\n`);
    // Decoding rules: "A" -> "ab", "." -> "..", and a fullwidth comma for ",".
    const denorm = join(dir, 'denorm.tsv');
    writeFileSync(denorm, '41\t61 62\n2E\t2E 2E\n2C\tFF0C\n');
    const lines = [...TEST_LINES.slice(0, 300), ...fuzzLines(200, 777)];
    const recipes: Record<string, string[]> = {
      'bpe-bytes': ['--model_type=bpe', '--vocab_size=600', '--character_coverage=0.995', '--byte_fallback=true', '--normalization_rule_name=nmt_nfkc_cf', '--user_defined_symbols=<br>,€'],
      'unigram-digits': ['--model_type=unigram', '--vocab_size=600', '--character_coverage=0.995', '--split_digits=true', '--add_dummy_prefix=false', '--normalization_rule_name=identity', '--control_symbols=<cls>'],
      denormalized: ['--model_type=unigram', '--vocab_size=600', `--denormalization_rule_tsv=${denorm}`],
    };
    for (const [name, flags] of Object.entries(recipes)) {
      const prefix = join(dir, name);
      spm('spm_train', [`--input=${corpus}`, `--model_prefix=${prefix}`, '--minloglevel=2', '--num_threads=1', ...flags], '');
      const sp = SentencePieceProcessor.load(`${prefix}.model`);
      assert.equal(sp.proto.denormalizerSpec !== null, name === 'denormalized');
      const want = spmRows(`${prefix}.model`, lines);
      lines.forEach((line, i) => assertRow(name, line, ourRow(sp, line), want[i]));
    }
  });
});
