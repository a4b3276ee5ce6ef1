/**
 * `albert predict multiple-choice`: a model fine-tuned by `albert finetune multiple-choice` gives
 * the same probabilities from its checkpoint (exported in memory) and from its --export-dir
 * export; the probabilities of a question's options sum to 1, best first; --input JSONL works.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { albert } from '../helpers/cli.ts';
import { MC_SMALL, mcTokenizer, writeJsonl } from '../helpers/multiple-choice-data.ts';

interface Result { scores: { option: string; index: number; score: number }[] }

describe('albert predict multiple-choice', () => {
  it('checkpoint and export agree; probabilities sum to 1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'albert-mc-predict-'));
    writeJsonl(join(dir, 'train.jsonl'), 60, 1);
    const spm = mcTokenizer(dir);
    const out = join(dir, 'out');
    const exp = join(dir, 'export');
    const f = await albert('finetune', 'multiple-choice', '--train-file', join(dir, 'train.jsonl'), '--spm-model-file', spm, '--output-dir', out, ...MC_SMALL,
      '--do-train', '--train-batch-size', '8', '--learning-rate', '1e-3', '--train-step', '20', '--warmup-step', '2', '--export-dir', exp);
    assert.equal(f.code, 0, f.stderr);
    const q = ['--context', 'The dog is blue.', '--question', 'The animal is _ .', '--option', 'red', '--option', 'blue', '--option', 'green', '--option', 'pink', '--option', 'gray', '--json'];
    const a = await albert('predict', 'multiple-choice', '--model', out, '--spm-model-file', spm, ...q);
    assert.equal(a.code, 0, a.stderr);
    const b = await albert('predict', 'multiple-choice', '--model', exp, ...q);
    assert.equal(b.code, 0, b.stderr);
    const ra = JSON.parse(a.stdout) as Result;
    const rb = JSON.parse(b.stdout) as Result;
    assert.equal(ra.scores.length, 5);
    const sum = ra.scores.reduce((s, x) => s + x.score, 0);
    assert.ok(Math.abs(sum - 1) < 1e-9, `sum ${sum}`);
    for (let i = 1; i < 5; i++) assert.ok(ra.scores[i - 1].score >= ra.scores[i].score);
    assert.deepEqual(ra.scores.map((s) => s.index), rb.scores.map((s) => s.index));
    ra.scores.forEach((s, i) => assert.ok(Math.abs(s.score - rb.scores[i].score) < 1e-4, `${s.score} vs ${rb.scores[i].score}`));
    const input = join(dir, 'q.jsonl');
    writeFileSync(input, `${JSON.stringify({ context: 'The dog is blue.', question: 'The animal is _ .', options: ['red', 'blue', 'green', 'pink', 'gray'] })}\n`);
    const c = await albert('predict', 'multiple-choice', '--model', exp, '--input', input);
    assert.equal(c.code, 0, c.stderr);
    const cols = c.stdout.trim().split('\t');
    assert.equal(cols.length, 10);
    assert.equal(cols[0], rb.scores[0].option);
  });
});
