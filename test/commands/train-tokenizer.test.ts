import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeModelProto, PieceType } from '../../src/text/model-proto.ts';
import { syntheticCorpus } from '../text/train/corpus.ts';
import { albert, assertOneLineError } from '../helpers/cli.ts';

const HAS_SPM = spawnSync('spm_encode', ['--version']).error === undefined;



/** A failed run: non-zero exit, nothing on stdout, and the error as the last stderr line (progress may precede it). */

describe('albert train-tokenizer', () => {
  const dir = mkdtempSync(join(tmpdir(), 'albert-train-tok-'));
  const a = join(dir, 'a.txt');
  const b = join(dir, 'b.txt');
  const linesA = syntheticCorpus(40_000, 1);
  const linesB = syntheticCorpus(20_000, 2);
  writeFileSync(a, linesA.join('\n') + '\n');
  writeFileSync(b, linesB.join('\r\n') + '\r\n');

  // The two training runs start together (each spawn costs about a second of start-up).
  const prefix1 = join(dir, 'sp');
  const prefix2 = join(dir, 'sp2');
  const run1 = albert('train-tokenizer', '--input', `${a},${b}`, '--vocab-size', '700', '--model-prefix', prefix1, '--user-defined-symbols', '(,)', '--do-lower-case', '--json');
  const run2 = albert('train-tokenizer', '--input', a, b, '--vocab-size', '500', '--model-prefix', prefix2, '--control-symbols', '', '--character-coverage', '1');

  it('trains on two files and writes a model sentencepiece loads', async () => {
    const prefix = prefix1;
    const r = await run1;
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.model_path, `${prefix}.model`);
    assert.equal(out.vocab_path, `${prefix}.vocab`);
    assert.equal(out.stats.sentences, linesA.length + linesB.length);
    assert.equal(out.stats.vocab_size, 700);
    assert.match(r.stderr, /EM round 0 sub_iter=0/);
    const m = decodeModelProto(readFileSync(`${prefix}.model`));
    assert.deepEqual(m.pieces.slice(0, 7).map((p) => p.piece), ['<pad>', '<unk>', '[CLS]', '[SEP]', '[MASK]', '(', ')']);
    assert.equal(m.pieces[5].type, PieceType.USER_DEFINED);
    assert.ok(!m.pieces.slice(7).some((p) => /[A-Z]/.test(p.piece)), '--do-lower-case');
    assert.equal(readFileSync(`${prefix}.vocab`, 'utf8').split('\n').length, 701);
    if (!HAS_SPM) {
      console.log('skipping the spm_encode check: spm_encode not found (Debian package sentencepiece)');
      return;
    }
    const pieces = spawnSync('spm_encode', [`--model=${prefix}.model`], { input: 'The of and ( to )\n' }).stdout.toString();
    assert.equal(pieces, '▁ T he ▁of ▁and ▁ ( ▁to ▁ )\n');
    // The model is lowercase: "T" is unknown (id 1; spm_encode prints its surface above).
    const ids = spawnSync('spm_encode', [`--model=${prefix}.model`, '--output_format=id'], { input: 'The\n' }).stdout.toString();
    assert.equal(ids.split(' ')[1], '1');
  });

  it('takes the input files as separate values too, with a plain-text summary', async () => {
    const prefix = prefix2;
    const r = await run2;
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.split('\n')[0], `${prefix}.model`);
    assert.match(r.stdout, /vocab 500 pieces from \d+ sentences/);
    const m = decodeModelProto(readFileSync(`${prefix}.model`));
    assert.deepEqual(m.pieces.slice(0, 3).map((p) => p.piece).slice(0, 2), ['<pad>', '<unk>']);
    assert.equal(m.pieces[2].type, PieceType.NORMAL);
  });

  it('reports bad input in one line and leaves existing outputs intact', async () => {
    const prefix = join(dir, 'kept');
    writeFileSync(`${prefix}.model`, 'old model');
    writeFileSync(`${prefix}.vocab`, 'old vocab');
    const [missing, small, noDir, badCoverage] = await Promise.all([
      albert('train-tokenizer', '--input', join(dir, 'missing.txt'), '--vocab-size', '800', '--model-prefix', prefix),
      albert('train-tokenizer', '--input', a, '--vocab-size', '30', '--model-prefix', prefix),
      albert('train-tokenizer', '--input', a, '--vocab-size', '800', '--model-prefix', join(dir, 'nope', 'sp')),
      albert('train-tokenizer', '--input', a, '--vocab-size', '800', '--model-prefix', prefix, '--character-coverage', 'most'),
    ]);
    assertOneLineError(missing, /missing\.txt: no such file/);
    assertOneLineError(small, /vocab_size 30 is too small for .*a\.txt: its \d+ required characters .* need at least \d+/, false);
    assertOneLineError(noDir, /nope[/\\]sp\.model: directory .*nope does not exist/);
    assertOneLineError(badCoverage, /expected a number, got "most"/);
    assert.equal(readFileSync(`${prefix}.model`, 'utf8'), 'old model');
    assert.equal(readFileSync(`${prefix}.vocab`, 'utf8'), 'old vocab');
    assert.ok(!existsSync(join(dir, 'nope')));
  });
});
