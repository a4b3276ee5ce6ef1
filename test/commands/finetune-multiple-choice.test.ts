/**
 * `albert finetune multiple-choice` on generated JSONL: three options, the right one the colour
 * the context names (labels given as indices and as option text), learned from fresh tiny
 * weights far above chance (1/3); malformed lines are one-line errors naming file and line.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { albert, assertOneLineError } from '../helpers/cli.ts';
import { MC_SMALL, mcTokenizer, writeJsonl } from '../helpers/multiple-choice-data.ts';


describe('albert finetune multiple-choice', () => {
  it('learns generated JSONL far above chance (1/3) and writes the RACE outputs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'albert-mc-'));
    writeJsonl(join(dir, 'train.jsonl'), 600, 1);
    writeJsonl(join(dir, 'dev.jsonl'), 90, 2);
    writeJsonl(join(dir, 'test.jsonl'), 12, 3, false);
    const spm = mcTokenizer(dir);
    const out = join(dir, 'out');
    const t0 = Date.now();
    const r = await albert('finetune', 'multiple-choice', '--train-file', join(dir, 'train.jsonl'), '--validation-file', join(dir, 'dev.jsonl'), '--test-file', join(dir, 'test.jsonl'),
      '--spm-model-file', spm, '--output-dir', out, ...MC_SMALL, '--do-train', '--do-eval', '--do-predict', '--train-batch-size', '16', '--learning-rate', '1e-3', '--train-step', '500', '--warmup-step', '50', '--save-checkpoints-steps', '250');
    assert.equal(r.code, 0, r.stderr);
    const secs = (Date.now() - t0) / 1000;
    const e = JSON.parse(readFileSync(join(out, 'eval_results.json'), 'utf8')) as Record<string, number>;
    assert.ok(e.accuracy > 0.6, `accuracy ${e.accuracy} (chance 1/3) after ${secs.toFixed(1)} s`);
    assert.equal(typeof e.eval_loss, 'number');
    const preds = readFileSync(join(out, 'eval_predictions.tsv'), 'utf8').trim().split('\n');
    assert.equal(preds[0], 'index\tprediction');
    assert.equal(preds.length, 91);
    assert.ok(preds.slice(1).every((l) => /^dev:\d+\t[012]$/.test(l)), preds[1]);
    const probs = readFileSync(join(out, 'test_results.tsv'), 'utf8').trim().split('\n');
    assert.equal(probs.length, 12);
    assert.ok(probs.every((l) => l.split('\t').length === 3));
    const cfg = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as { architectures: string[] };
    assert.deepEqual(cfg.architectures, ['AlbertForMultipleChoice']);
    console.log(`multiple-choice: accuracy ${e.accuracy} in ${secs.toFixed(1)} s`);
  });

  it('gives one-line errors naming the file and line for malformed questions', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'albert-mc-errors-'));
    const train = join(dir, 'train.jsonl');
    const spm = mcTokenizer(dir);
    const args = ['finetune', 'multiple-choice', '--train-file', train, '--spm-model-file', spm, '--output-dir', join(dir, 'out'), ...MC_SMALL, '--do-train', '--train-step', '2', '--train-batch-size', '2'];
    const good = JSON.stringify({ context: 'The cat is red.', question: 'q', options: ['red', 'blue', 'green'], label: 0 });
    const put = (second: string): void => writeFileSync(train, `${good}\n${second}\n`);
    put('{not json');
    assertOneLineError(await albert(...args), /train\.jsonl:2: .*JSON/);
    put(JSON.stringify({ context: 'c', options: ['a', 'b', 'c'], label: 0 }));
    assertOneLineError(await albert(...args), /train\.jsonl:2: .*question/);
    put(JSON.stringify({ context: 'c', question: 'q', options: ['a', 'b', 'c', 'd'], label: 0 }));
    assertOneLineError(await albert(...args), /train\.jsonl:2: .*4 options.*3/);
    put(JSON.stringify({ context: 'c', question: 'q', options: ['a', 'b', 'c'], label: 3 }));
    assertOneLineError(await albert(...args), /train\.jsonl:2: .*label.* 3 .*out of range/);
    put(JSON.stringify({ context: 'c', question: 'q', options: ['a', 'b', 'c'], label: 'z' }));
    assertOneLineError(await albert(...args), /train\.jsonl:2: .*label.*none of the options/);
    put(JSON.stringify({ context: 'c', question: 'q', options: ['a', 'b', 'c'] }));
    assertOneLineError(await albert(...args), /train\.jsonl:2: .*label.*missing/);
  });
});
