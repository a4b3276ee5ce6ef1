// `albert tokenize` end to end: the real binary on real model and vocab files.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AlbertTokenizer } from '../../src/text/albert-tokenizer.ts';
import { SentencePieceProcessor } from '../../src/text/sentencepiece.ts';
import { modelFile, spm, spmMissing } from '../text/spm-fixtures.ts';
import { albertWith, assertOneLineError } from '../helpers/cli.ts';





describe('albert tokenize', () => {
  const dir = mkdtempSync(join(tmpdir(), 'albert-tokenize-'));
  const model = modelFile('albert', dir);
  const spmLib = SentencePieceProcessor.load(model);
  const tok = new AlbertTokenizer(spmLib);
  const lines = ['It costs 1,000,000 dollars, 2,500, 12,345 and 7, 8.', '', "``Café''  naïve\tÅngström 東京 ＡＢＣ１２３ 👍🏽"];
  const input = join(dir, 'input.txt');
  writeFileSync(input, `${lines.join('\n')}\n`);

  it('prints pieces and ids, one line per input line, as the library makes them', async () => {
    const [text, json, stdin] = await Promise.all([
      albertWith(['tokenize', '--spm-model-file', model, '--ids', lines.join('\n')]),
      albertWith(['tokenize', '--spm-model-file', model, '--input', input, '--json', '--no-do-lower-case']),
      albertWith(['tokenize', '--spm-model-file', model, '--input', '-'], { stdin: `${lines[0]}\n` }),
    ]);
    assert.equal(text.code, 0, text.stderr);
    const want = lines.map((l) => `${tok.tokenize(l).join(' ')}\t${tok.encode(l).join(' ')}`);
    assert.deepEqual(text.stdout.split('\n'), [...want, '']);
    assert.match(want[0], /^▁it .* ▁ 12 , 34 5 ▁and ▁ 7 , ▁ 8 \.\t238 /);

    assert.equal(json.code, 0, json.stderr);
    const doc = JSON.parse(json.stdout);
    assert.equal(doc.tokenizer, 'albert');
    assert.equal(doc.vocab_size, 1000);
    const cased = new AlbertTokenizer(spmLib, { doLowerCase: false });
    assert.deepEqual(
      doc.lines,
      lines.map((l) => ({ text: l, pieces: cased.tokenize(l), ids: cased.encode(l) })),
    );

    assert.equal(stdin.code, 0, stdin.stderr);
    assert.equal(stdin.stdout, `${tok.tokenize(lines[0]).join(' ')}\n`);
  });

  it('with --raw prints exactly what spm_encode prints', async (t) => {
    const r = await albertWith(['tokenize', '--spm-model-file', model, '--raw', '--input', input]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, lines.map((l) => `${spmLib.encodeAsPieces(l).join(' ')}\n`).join(''));
    const missing = spmMissing();
    if (missing) {
      t.diagnostic(`not compared with spm_encode: ${missing}`);
      return;
    }
    assert.deepEqual(r.stdout.split('\n'), [...spm('spm_encode', [`--model=${model}`, '--output_format=piece'], readFileSync(input, 'utf8')), '']);
  });

  it('tokenizes with a WordPiece vocab.txt', async () => {
    const vocab = join(dir, 'vocab.txt');
    writeFileSync(vocab, ['[PAD]', '[UNK]', '[CLS]', '[SEP]', 'un', '##aff', '##able', '北', '京', '!'].join('\n'));
    const r = await albertWith(['tokenize', '--vocab-file', vocab, '--ids', 'Unaffable 北京! zzz']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'un ##aff ##able 北 京 ! [UNK]\t4 5 6 7 8 9 1\n');
  });

  it('reports bad input in one line and exits non-zero', async () => {
    const corrupt = join(dir, 'corrupt.model');
    writeFileSync(corrupt, readFileSync(model).subarray(0, 4000));
    const [missingModel, truncated, missingInput, nothing] = await Promise.all([
      albertWith(['tokenize', '--spm-model-file', join(dir, 'x.model'), 'hello']),
      albertWith(['tokenize', '--spm-model-file', corrupt, 'hello']),
      albertWith(['tokenize', '--spm-model-file', model, '--input', join(dir, 'missing.txt')]),
      albertWith(['tokenize', '--spm-model-file', model]),
    ]);
    assertOneLineError(missingModel, /x\.model: no such file/);
    assertOneLineError(truncated, /corrupt\.model: not a SentencePiece model \(protobuf parse failed at byte \d+ of 4000: /);
    assertOneLineError(missingInput, /missing\.txt: no such file/);
    assertOneLineError(nothing, /nothing to tokenize/);
    // Nothing was written next to the inputs.
    assert.equal(readFileSync(input, 'utf8'), `${lines.join('\n')}\n`);
  });
});
