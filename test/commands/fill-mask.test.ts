import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { c as createTar } from 'tar';
import { UserError } from '../../src/ir/errors.ts';
import { exportModel, writeExport } from '../../src/export/export.ts';
import { FillMask, fillMasks } from '../../src/predict/fill-mask.ts';
import { tempDir, tinyConfig, trainSpm, writeCheckpoint } from '../export/fixtures.ts';
import { albert, assertOneLineError } from '../helpers/cli.ts';





interface Candidate {
  id: number;
  piece: string;
  token: string;
  token_str: string;
  word_start: boolean;
  sequence: string;
  score: number;
}

interface JsonResult {
  text: string;
  filled: string;
  pieces: string[];
  ids: number[];
  masks: { position: number; candidates: Candidate[] }[];
}

/** Probabilities: in (0, 1], descending, summing to at most 1. */
function assertRanked(scores: number[]): void {
  assert.ok(scores.every((p) => p > 0 && p <= 1), `not probabilities: ${scores}`);
  for (let i = 1; i < scores.length; i++) assert.ok(scores[i] <= scores[i - 1], `not descending: ${scores}`);
  assert.ok(scores.reduce((a, b) => a + b, 0) <= 1 + 1e-9);
}

describe('albert predict fill-mask', () => {
  const root = tempDir('fill');
  let ckpt: string;
  let exported: string;

  before(async () => {
    const spm = trainSpm(root);
    ckpt = writeCheckpoint(join(root, 'ckpt'), tinyConfig(spm.pieces), 'pretraining', { spm: spm.path }).dir;
    exported = join(root, 'web', 'mlm');
    writeExport(await exportModel({ initCheckpoint: ckpt }), exported);
  });

  it('prints the top-k tokens per [MASK] with probabilities, and the filled text', async () => {
    const text = 'The capital of France is [MASK].';
    const r = await albert('predict', 'fill-mask', '--model', exported, text);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.match(lines[0], /^\[MASK\] 1 of 1 \(position \d+\):$/);
    const rows = lines.slice(1, -1);
    assert.equal(rows.length, 5);
    const scores = rows.map((l) => {
      const m = /^ {2}(\S.*?) +(\d\.\d{4}) {2}\((.+), id (\d+)\)$/.exec(l);
      assert.ok(m, `bad candidate line: ${JSON.stringify(l)}`);
      return Number(m[2]);
    });
    assertRanked(scores);
    assert.match(lines[lines.length - 1], /^filled: The capital of France is .+\.$/);
    assert.match(r.stderr, /loaded .* \(export\) in \d+\.\d+ s/);
    assert.match(r.stderr, /model run \d+\.\d ms/);
  });

  it('answers in JSON, for several masks, the same from the export and from the checkpoint', async () => {
    const text = 'Paris is the [MASK] of France, [MASK] said.';
    const [fromExport, fromCheckpoint] = await Promise.all([
      albert('predict', 'fill-mask', '--model', exported, '--top-k', '3', '--json', text),
      albert('predict', 'fill-mask', '--model', ckpt, '--top-k', '3', '--json', text),
    ]);
    assert.equal(fromExport.code, 0, fromExport.stderr);
    assert.equal(fromCheckpoint.code, 0, fromCheckpoint.stderr);
    assert.match(fromCheckpoint.stderr, /exporting the checkpoint's mlm head in memory/);
    const a = JSON.parse(fromExport.stdout) as JsonResult;
    const b = JSON.parse(fromCheckpoint.stdout) as JsonResult;
    assert.equal(a.masks.length, 2);
    for (const m of a.masks) {
      assert.equal(m.candidates.length, 3);
      assertRanked(m.candidates.map((c) => c.score));
      assert.equal(a.ids[m.position], 4);
      assert.equal(a.pieces[m.position], '[MASK]');
    }
    assert.deepEqual([a.ids[0], a.ids[a.ids.length - 1]], [2, 3]);
    assert.ok(!a.filled.includes('[MASK]'));
    // The best candidates' words in the text (a piece that continues a word joins the word before it).
    assert.equal(a.filled, fillMasks(text.split('[MASK]'), a.masks.map((m) => ({ text: m.candidates[0].token_str, wordStart: m.candidates[0].word_start }))));
    // Words, not pieces; each candidate's sequence fills its own [MASK] and leaves the other.
    for (const m of a.masks) for (const c of m.candidates) assert.ok(!c.token_str.includes('\u2581') && c.sequence.split('[MASK]').length === 2, JSON.stringify(c));
    assert.deepEqual(b.ids, a.ids);
    assert.deepEqual(b.masks.map((m) => m.candidates.map((c) => c.id)), a.masks.map((m) => m.candidates.map((c) => c.id)));
    b.masks.forEach((m, i) => m.candidates.forEach((c, j) => assert.ok(Math.abs(c.score - a.masks[i].candidates[j].score) < 1e-6)));

    // A released-style .tar.gz holds its SentencePiece model inside (through the library: no spawn).
    const tgz = join(root, 'albert_tiny.tar.gz');
    await createTar({ gzip: true, file: tgz, cwd: root }, ['ckpt']);
    const fromArchive = await (await FillMask.load({ model: tgz })).predict(text, 3);
    assert.deepEqual(fromArchive.masks.map((m) => m.candidates.map((c) => c.id)), a.masks.map((m) => m.candidates.map((c) => c.id)));
  });

  it('reports bad input in one line', async () => {
    const noSpm = join(root, 'web', 'no-spm');
    cpSync(exported, noSpm, { recursive: true });
    rmSync(join(noSpm, 'spiece.model'));
    const cls = join(root, 'web', 'cls');
    writeExport(await exportModel({ initCheckpoint: ckpt, head: 'classifier', numLabels: 2 }), cls);
    const empty = join(root, 'empty');
    mkdirSync(empty);
    const [noMask, missing, notModel] = await Promise.all([
      albert('predict', 'fill-mask', '--model', exported, 'no mask here'),
      albert('predict', 'fill-mask', '--model', noSpm, 'a [MASK]'),
      albert('predict', 'fill-mask', '--model', empty, 'a [MASK]'),
    ]);
    assertOneLineError(noMask, /no \[MASK\] to fill/);
    assertOneLineError(missing, /no-spm: missing spiece\.model/);
    assertOneLineError(notModel, /empty: not a model directory: no onnx\/model\.onnx/);
    // The rest through the library (a process each would cost a second): the same UserErrors.
    const oneLine = (pattern: RegExp) => (e: unknown) => e instanceof UserError && !e.message.includes('\n') && pattern.test(e.message);
    await assert.rejects(FillMask.load({ model: cls }), oneLine(/onnx\/model\.onnx: output "logits" is not \[batch, seq, vocab\]: fill-mask needs a masked-LM export/));
    const model = await FillMask.load({ model: exported });
    await assert.rejects(model.predict(`${'word '.repeat(80)}[MASK]`), oneLine(/the text is \d+ pieces long .* at most 64/));
    await assert.rejects(model.predict('a [MASK]', 0), oneLine(/^k must be a positive integer/));
    const clsCkpt = writeCheckpoint(join(root, 'cls-ckpt'), tinyConfig(model.tokenizer.vocabSize), 'classifier', { numLabels: 2, spm: join(exported, 'spiece.model') }).dir;
    await assert.rejects(FillMask.load({ model: clsCkpt }), oneLine(/parameters of the masked-LM model are not in the checkpoint/));
  });
});
