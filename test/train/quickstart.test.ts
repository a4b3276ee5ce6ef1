/**
 * `albert quickstart` (the README's main job, `npm start`) end to end at a small size: corpus,
 * tokenizer, pretraining data, training with evaluation, the sentence-order fine-tuning data
 * (TSV), fine-tuning from the pretrained model and from fresh weights, and report.html; a second
 * run in the same directory regenerates the same data and resumes (nothing left to train); a
 * re-run with settings that would mix two runs is refused before anything in the folder changes;
 * an output place that cannot be written is a one-line error.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { checkQuickstartFolder, type QuickstartSettings } from '../../src/train/quickstart.ts';
import { assertOneLineError } from '../helpers/cli.ts';
import { albert } from './helpers.ts';

/** Every entry under `dir` (folders too) with the SHA-256 of each file's bytes. */
function treeHashes(dir: string): Record<string, string> {
  const all: Record<string, string> = {};
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    const path = join(e.parentPath, e.name);
    all[path.slice(dir.length)] = e.isDirectory() ? 'dir' : createHash('sha256').update(readFileSync(path)).digest('hex');
  }
  return all;
}

describe('albert quickstart', () => {
  it('runs the whole path and writes a report with the final numbers against the frequency baseline', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'albert-quickstart-'));
    const out = join(dir, 'qs');
    const args = ['quickstart', '--out', out, '--steps', '3', '--finetune-steps', '4', '--documents', '200', '--eval-documents', '30', '--threads', '1', '--json'];
    const r = await albert(args);
    assert.equal(r.code, 0, r.stderr);
    for (const f of [
      'corpus/train.txt',
      'corpus/eval.txt',
      'tokenizer/spm.model',
      'data/train.tfrecord',
      'data/eval.tfrecord',
      'pretrain/model.safetensors',
      'pretrain/spiece.model',
      'pretrain/best/model.safetensors',
      'finetune/data/train.tsv',
      'finetune/data/dev.tsv',
      'finetune/pretrained/model.safetensors',
      'finetune/pretrained/eval_results.txt',
      'finetune/pretrained/eval_predictions.tsv',
      'finetune/fresh/model.safetensors',
      'finetune/fresh/eval_results.txt',
      'report.html',
    ]) {
      assert.ok(existsSync(join(out, f)), f);
    }
    // The fine-tuning task in a real file format: TSV with a header, one pair per held-out document.
    const dev = readFileSync(join(out, 'finetune', 'data', 'dev.tsv'), 'utf8').split('\n').filter((l) => l !== '');
    assert.equal(dev[0], 'sentence1\tsentence2\tlabel');
    assert.equal(dev.length - 1, 30);
    for (const row of dev.slice(1)) assert.match(row, /^[^\t]+\t[^\t]+\t(ordered|swapped)$/);
    const lines = r.stdout.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
    interface Run {
      final_eval: { step: number; accuracy: number; macro_f1: number };
      curve: { step: number; accuracy: number }[];
    }
    const last = lines[lines.length - 1] as {
      type: string;
      final_eval: { step: number; masked_lm_accuracy: number; frequency_baseline: { accuracy: number } };
      stages: { name: string }[];
      finetune: { dev_examples: number; majority_baseline: { accuracy: number; macro_f1: number }; pretrained: Run; fresh: Run };
    };
    assert.equal(last.type, 'quickstart');
    assert.equal(last.final_eval.step, 3);
    assert.deepEqual(last.stages.map((s) => s.name), [
      'generate the corpus',
      'train the tokenizer',
      'create pretraining data',
      'pretrain ALBERT',
      'create fine-tuning data',
      'fine-tune from the pretrained model',
      'fine-tune from fresh weights',
    ]);
    const ft = last.finetune;
    assert.equal(ft.dev_examples, 30);
    for (const run of [ft.pretrained, ft.fresh]) {
      assert.equal(run.final_eval.step, 4);
      assert.deepEqual(run.curve.map((c) => c.step), [1, 2, 3, 4]);
      assert.ok(run.final_eval.accuracy >= 0 && run.final_eval.accuracy <= 1);
    }
    assert.ok(ft.majority_baseline.accuracy >= 0.5 && ft.majority_baseline.accuracy <= 1);
    assert.match(r.stderr, /\[7\/7\] fine-tune from fresh weights/);
    assert.match(r.stderr, /dev accuracy [\d.]+% from the pretrained model vs [\d.]+% from fresh weights/);
    const acc = last.final_eval.masked_lm_accuracy;
    const base = last.final_eval.frequency_baseline.accuracy;
    assert.ok(base > 0 && base < 1);
    assert.match(r.stderr, /held-out masked-LM accuracy [\d.]+% vs frequency baseline [\d.]+% \(always ".*"\)/);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    assert.match(html, /^<!doctype html>/);
    assert.ok(html.includes(`<th>masked_lm_accuracy</th><td>${acc.toFixed(4)}</td>`), 'the final accuracy in the table');
    assert.ok(html.includes(base.toFixed(4)), 'the baseline in the table');
    assert.equal((html.match(/<svg /g) ?? []).length, 6, 'fine-tuning, loss, masked-LM, sentence-order, learning-rate and gradient-norm charts');
    // Sentence order against the majority label of the held-out pairs, not "chance: 50%".
    assert.ok(!/chance/i.test(html), 'no "chance" in the report');
    assert.match(html, /<th>majority baseline \(sentence order\)<\/th><td>(0\.\d{4}|1\.0000) \(always label [01]: /);
    assert.ok(/<h2>Gradient norm<\/h2><svg [^]*?<title>global norm of the gradients \(training batch\), step \d+: /.test(html), 'gradient norms with hover values');
    assert.ok(html.includes('<h2>Fine-tuning: pretrained vs fresh weights'), 'the fine-tuning section');
    assert.ok(html.includes('<h3>Dev accuracy while fine-tuning</h3><svg '), 'both dev-accuracy curves in one chart');
    assert.ok(html.includes('from the pretrained model') && html.includes('from fresh weights'));
    assert.ok(html.includes(`<th>final dev accuracy</th><td>${ft.pretrained.final_eval.accuracy.toFixed(4)}</td><td>${ft.fresh.final_eval.accuracy.toFixed(4)}</td><td>${ft.majority_baseline.accuracy.toFixed(4)}`));
    assert.ok(html.includes(`<th>final dev macro-F1</th><td>${ft.pretrained.final_eval.macro_f1.toFixed(4)}</td><td>${ft.fresh.final_eval.macro_f1.toFixed(4)}</td>`));
    assert.ok(!/https?:\/\//.test(html.replace(/xmlns="[^"]*"/g, '')), 'no external resources');

    // Another seed in the same place: refused at once (one line naming --seed, both values and
    // the folder), and not a byte of the first run changed.
    const settings: QuickstartSettings = { seed: 12345, documents: 200, evalDocuments: 30, steps: 3, finetuneSteps: 4 };
    assert.deepEqual(JSON.parse(readFileSync(join(out, 'quickstart.json'), 'utf8')), { format: 'albert-quickstart@1', ...settings });
    const before = treeHashes(out);
    const noJson = args.filter((a) => a !== '--json');
    const otherSeed = await albert([...noJson, '--seed', '7']);
    assert.equal(otherSeed.code, 1);
    assertOneLineError(otherSeed, /^Error: --output-dir \S*qs holds a quickstart run made with --seed 12345, not 7: re-run with --seed 12345, or use another --output-dir$/);
    assert.deepEqual(treeHashes(out), before);
    // Steps may change as long as the warmup (a tenth of them), which the checkpoints keep, does not.
    assert.equal(checkQuickstartFolder(out, { ...settings, steps: 4 }), 'recorded');
    assert.throws(() => checkQuickstartFolder(out, { ...settings, finetuneSteps: 5 }), /made with finetuneSteps 4, not 5 \(a warmup of 1 step instead of 0,/);
    // A folder from before quickstart.json: accepted only when the corpus would be regenerated byte for byte.
    renameSync(join(out, 'quickstart.json'), join(dir, 'quickstart.json'));
    assert.equal(checkQuickstartFolder(out, settings), 'legacy');
    assert.throws(() => checkQuickstartFolder(out, { ...settings, seed: 7 }), /without quickstart\.json whose corpus\/train\.txt differs from the one seed 7/);
    assert.throws(() => checkQuickstartFolder(out, { ...settings, evalDocuments: 31 }), /corpus\/eval\.txt differs/);
    renameSync(join(dir, 'quickstart.json'), join(out, 'quickstart.json'));
    assert.deepEqual(treeHashes(out), before);
    // A folder where nothing was trained yet holds only what any settings generate again.
    const untrained = join(dir, 'untrained');
    mkdirSync(join(untrained, 'pretrain'), { recursive: true });
    writeFileSync(join(untrained, 'quickstart.json'), JSON.stringify({ format: 'albert-quickstart@1', ...settings, seed: 1 }));
    assert.equal(checkQuickstartFolder(untrained, settings), 'new');

    // Again in the same place: the same data, training resumed at its end, the same model.
    const model = readFileSync(join(out, 'pretrain', 'model.safetensors'));
    const data = readFileSync(join(out, 'data', 'train.tfrecord'));
    const tuned = readFileSync(join(out, 'finetune', 'pretrained', 'model.safetensors'));
    const tsv = readFileSync(join(out, 'finetune', 'data', 'train.tsv'));
    const fileNotDir = join(dir, 'a-file');
    writeFileSync(fileNotDir, 'x');
    const [again, bad] = await Promise.all([albert(noJson), albert(['quickstart', '--out', join(fileNotDir, 'qs'), '--steps', '2'])]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /already at step 3/);
    assert.deepEqual(readFileSync(join(out, 'data', 'train.tfrecord')), data);
    assert.deepEqual(readFileSync(join(out, 'pretrain', 'model.safetensors')), model);
    assert.deepEqual(readFileSync(join(out, 'finetune', 'data', 'train.tsv')), tsv);
    assert.deepEqual(readFileSync(join(out, 'finetune', 'pretrained', 'model.safetensors')), tuned);
    assert.match(again.stderr, /already at step 4/);
    assert.notEqual(bad.code, 0);
    assert.deepEqual(bad.stderr.split('\n').filter((l) => l !== ''), [bad.stderr.trim()]);
    assert.match(bad.stderr, /^Error: --output-dir .*a-file\/qs: cannot write there/);
  });
});
