/**
 * `albert quickstart` (the README's main job, `npm start`) end to end at a small size: corpus,
 * tokenizer, pretraining data, training with evaluation and report.html; a second run in the
 * same directory regenerates the same data and resumes (nothing left to train); an output
 * place that cannot be written is a one-line error.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { albert } from './helpers.ts';

describe('albert quickstart', () => {
  it('runs the whole path and writes a report with the final numbers against the frequency baseline', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'albert-quickstart-'));
    const out = join(dir, 'qs');
    const args = ['quickstart', '--out', out, '--steps', '3', '--documents', '200', '--eval-documents', '30', '--threads', '1', '--json'];
    const r = await albert(args);
    assert.equal(r.code, 0, r.stderr);
    for (const f of ['corpus/train.txt', 'corpus/eval.txt', 'tokenizer/spm.model', 'data/train.tfrecord', 'data/eval.tfrecord', 'pretrain/model.safetensors', 'pretrain/spiece.model', 'pretrain/best/model.safetensors', 'report.html']) {
      assert.ok(existsSync(join(out, f)), f);
    }
    const lines = r.stdout.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
    const last = lines[lines.length - 1] as { type: string; final_eval: { step: number; masked_lm_accuracy: number; frequency_baseline: { accuracy: number } }; stages: { name: string }[] };
    assert.equal(last.type, 'quickstart');
    assert.equal(last.final_eval.step, 3);
    assert.deepEqual(last.stages.map((s) => s.name), ['generate the corpus', 'train the tokenizer', 'create pretraining data', 'pretrain ALBERT']);
    const acc = last.final_eval.masked_lm_accuracy;
    const base = last.final_eval.frequency_baseline.accuracy;
    assert.ok(base > 0 && base < 1);
    assert.match(r.stderr, /held-out masked-LM accuracy [\d.]+% vs frequency baseline [\d.]+% \(always ".*"\)/);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    assert.match(html, /^<!doctype html>/);
    assert.ok(html.includes(`<th>masked_lm_accuracy</th><td>${acc.toFixed(4)}</td>`), 'the final accuracy in the table');
    assert.ok(html.includes(base.toFixed(4)), 'the baseline in the table');
    assert.equal((html.match(/<svg /g) ?? []).length, 3, 'loss, masked-LM and sentence-order charts');
    assert.ok(!/https?:\/\//.test(html.replace(/xmlns="[^"]*"/g, '')), 'no external resources');

    // Again in the same place: the same data, training resumed at its end, the same model.
    const model = readFileSync(join(out, 'pretrain', 'model.safetensors'));
    const data = readFileSync(join(out, 'data', 'train.tfrecord'));
    const fileNotDir = join(dir, 'a-file');
    writeFileSync(fileNotDir, 'x');
    const [again, bad] = await Promise.all([albert(args.filter((a) => a !== '--json')), albert(['quickstart', '--out', join(fileNotDir, 'qs'), '--steps', '2'])]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /already at step 3/);
    assert.deepEqual(readFileSync(join(out, 'data', 'train.tfrecord')), data);
    assert.deepEqual(readFileSync(join(out, 'pretrain', 'model.safetensors')), model);
    assert.notEqual(bad.code, 0);
    assert.deepEqual(bad.stderr.split('\n').filter((l) => l !== ''), [bad.stderr.trim()]);
    assert.match(bad.stderr, /^Error: --out .*a-file\/qs: cannot write there/);
  });
});
