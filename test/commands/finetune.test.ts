/**
 * `albert finetune glue` and `albert finetune classify` end to end on small generated tasks in
 * the real file layouts: learnable tasks (single sentence, pair, 3-way, regression) reach dev
 * scores far above the majority/constant baseline from fresh tiny weights, the output files
 * are what the original and the GLUE server expect, a run killed with SIGKILL and resumed ends
 * with the same bytes, and bad inputs are one-line errors that leave checkpoints intact.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { albert, albertWith, assertOneLineError } from '../helpers/cli.ts';
import { rng } from '../helpers/random.ts';
import { k4, sentence, writeMrpc, writeVocab } from '../helpers/glue-data.ts';

type FlagMap = Record<string, string | true | undefined>;

/** Flags from a map (later maps override earlier ones: oclif refuses a flag given twice). */
function flags(...maps: FlagMap[]): string[] {
  const m: FlagMap = Object.assign({}, ...maps) as FlagMap;
  return Object.entries(m).flatMap(([k, v]) => (v === undefined ? [] : v === true ? [`--${k}`] : [`--${k}`, v]));
}

const TINY: FlagMap = { 'albert-config-file': 'tiny', 'max-seq-length': '24', 'albert-dropout-rate': '0', 'dropout-prob': '0', threads: '1' };

function trainFlags(steps: number, batch = 16): FlagMap {
  return { 'do-train': true, 'do-eval': true, 'train-batch-size': String(batch), 'learning-rate': '1e-3', 'train-step': String(steps), 'warmup-step': String(Math.round(steps / 10)), 'save-checkpoints-steps': String(Math.round(steps / 3)), 'eval-batch-size': '32' };
}

const lines = (path: string): string[] => readFileSync(path, 'utf8').split('\n').filter((l) => l !== '');
const evalJson = (out: string): Record<string, number> => JSON.parse(readFileSync(join(out, 'eval_results.json'), 'utf8')) as Record<string, number>;

describe('albert finetune glue', () => {
  it('learns a sentence-pair task in the MRPC layout and writes the original\'s and the GLUE server\'s files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'albert-ft-mrpc-'));
    const data = writeMrpc(dir, 1);
    const vocab = writeVocab(dir);
    const out = join(dir, 'out');
    const common: FlagMap = { 'task-name': 'MRPC', 'data-dir': data, 'vocab-file': vocab, 'output-dir': out, 'cached-dir': join(dir, 'cache') };
    const r = await albert('finetune', 'glue', ...flags(common, TINY, trainFlags(300), { 'do-predict': true, 'export-dir': join(dir, 'export') }));
    assert.equal(r.code, 0, r.stderr);
    const e = evalJson(out);
    const devLabels = lines(join(data, 'dev.tsv')).slice(1).map((l) => l.split('\t')[0]);
    const majority = Math.max(...['0', '1'].map((c) => devLabels.filter((x) => x === c).length)) / devLabels.length;
    assert.ok(e.accuracy > majority + 0.2, `dev accuracy ${e.accuracy} vs majority ${majority}`);
    for (const k of ['accuracy', 'f1', 'acc_and_f1', 'eval_loss']) assert.equal(typeof e[k], 'number', k);
    // eval_results.txt: the original's key = value lines.
    const txt = readFileSync(join(out, 'eval_results.txt'), 'utf8');
    assert.match(txt, /^eval_accuracy = (1|0\.\d+)$/m);
    assert.match(txt, /^global_step = \d+$/m);
    // One prediction per dev example, label names; the submission file has the test ids.
    const preds = lines(join(out, 'eval_predictions.tsv'));
    assert.equal(preds[0], 'index\tprediction');
    assert.equal(preds.length, 201);
    assert.ok(preds.slice(1).every((l, i) => new RegExp(`^${i}\t[01]$`).test(l)));
    const sub = lines(join(out, 'MRPC.tsv'));
    assert.equal(sub[0], 'index\tprediction');
    assert.deepEqual(sub.slice(1).map((l) => l.split('\t')[0]), Array.from({ length: 30 }, (_, i) => String(i)));
    const probs = lines(join(out, 'test_results.tsv')).map((l) => l.split('\t').map(Number));
    assert.equal(probs.length, 30);
    for (const p of probs) assert.ok(p.length === 2 && Math.abs(p[0] + p[1] - 1) < 1e-9);
    // The model: HF AlbertForSequenceClassification with the label names; best/ and checkpoints.
    const cfg = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as Record<string, unknown>;
    assert.deepEqual(cfg.architectures, ['AlbertForSequenceClassification']);
    assert.deepEqual(cfg.id2label, { 0: '0', 1: '1' });
    assert.ok(existsSync(join(out, 'best', 'model.safetensors')));
    assert.ok(existsSync(join(dir, 'export', 'onnx', 'model.onnx')));
    // The feature cache is reused by a second run with the same data, tokenizer and length.
    const again = await albert('finetune', 'glue', ...flags(common, TINY, { 'task-name': 'mrpc', 'do-eval': true }));
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /read cached features/);
    assert.equal(evalJson(out).accuracy, e.accuracy);
    // The export directory is a starting point too (the original's hub module): the same model, the same dev score.
    const fromExport = await albert('finetune', 'glue', ...flags(common, TINY, { 'output-dir': join(dir, 'out-export'), 'do-eval': true, 'init-checkpoint': join(dir, 'export') }));
    assert.equal(fromExport.code, 0, fromExport.stderr);
    assert.equal(evalJson(join(dir, 'out-export')).accuracy, e.accuracy);
    // Another sequence length does not reuse it.
    const other = await albert('finetune', 'glue', ...flags(common, TINY, { 'output-dir': join(dir, 'out2'), 'max-seq-length': '20', 'do-eval': true, 'init-checkpoint': join(out, 'best') }));
    assert.equal(other.code, 0, other.stderr);
    assert.doesNotMatch(other.stderr, /read cached features/);
  });

  it('regresses STS-B scores and classifies 3-way MNLI with matched and mismatched dev sets', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'albert-ft-glue-'));
    const vocab = writeVocab(dir);
    const r = rng(2);
    // STS-B: index genre filename year old_index source1 source2 sentence1 sentence2 score; score = positive words in both.
    const sts = join(dir, 'STS-B');
    mkdirSync(sts);
    for (const [split, n] of [['train', 500], ['dev', 150]] as const) {
      const rows = ['index\tgenre\tfilename\tyear\told_index\tsource1\tsource2\tsentence1\tsentence2\tscore'];
      for (let i = 0; i < n; i++) {
        const ka = k4(r);
        const kb = k4(r);
        const a = sentence(r, ka);
        const b = sentence(r, kb);
        rows.push(`${i}\tmain\tx\t2012\t${i}\tnone\tnone\t${a}\t${b}\t${(ka + kb).toFixed(1)}`);
      }
      writeFileSync(join(sts, `${split}.tsv`), `${rows.join('\n')}\n`);
    }
    const stsOut = join(dir, 'sts-out');
    const a = await albert('finetune', 'glue', ...flags({ 'task-name': 'STS-B', 'data-dir': sts, 'vocab-file': vocab, 'output-dir': stsOut }, TINY, trainFlags(300)));
    assert.equal(a.code, 0, a.stderr);
    const se = evalJson(stsOut);
    assert.ok(se.pearson > 0.8 && se.spearmanr > 0.8, `pearson ${se.pearson}, spearman ${se.spearmanr}`);
    assert.ok(lines(join(stsOut, 'eval_predictions.tsv')).slice(1).every((l) => /^\d+\t-?\d/.test(l)), 'scores are numbers');
    assert.equal((JSON.parse(readFileSync(join(stsOut, 'config.json'), 'utf8')) as { problem_type: string }).problem_type, 'regression');

    // MNLI: 11 columns, sentence1 8, sentence2 9, gold label last; label from the two polarities.
    const mnli = join(dir, 'MNLI');
    mkdirSync(mnli);
    // By the positive words of both: <= 2 contradiction, 3 neutral, >= 4 entailment (majority 6/16).
    const nli = (ka: number, kb: number): string => (ka + kb <= 2 ? 'contradiction' : ka + kb === 3 ? 'neutral' : 'entailment');
    for (const [file, n] of [['train', 600], ['dev_matched', 150], ['dev_mismatched', 150]] as const) {
      const rows = ['index\tpromptID\tpairID\tgenre\tsentence1_binary_parse\tsentence2_binary_parse\tsentence1_parse\tsentence2_parse\tsentence1\tsentence2\tgold_label'];
      for (let i = 0; i < n; i++) {
        const pa = k4(r);
        const pb = k4(r);
        rows.push(`${i}\t1\t1\tfiction\t-\t-\t-\t-\t${sentence(r, pa)}\t${sentence(r, pb)}\t${nli(pa, pb)}`);
      }
      writeFileSync(join(mnli, `${file}.tsv`), `${rows.join('\n')}\n`);
    }
    for (const file of ['test_matched', 'test_mismatched']) {
      const rows = ['index\tpromptID\tpairID\tgenre\tsentence1_binary_parse\tsentence2_binary_parse\tsentence1_parse\tsentence2_parse\tsentence1\tsentence2'];
      for (let i = 0; i < 5; i++) rows.push(`${i}\t1\t1\tfiction\t-\t-\t-\t-\t${sentence(r, k4(r))}\t${sentence(r, k4(r))}`);
      writeFileSync(join(mnli, `${file}.tsv`), `${rows.join('\n')}\n`);
    }
    const mnliOut = join(dir, 'mnli-out');
    const m = await albert('finetune', 'glue', ...flags({ 'task-name': 'MNLI', 'data-dir': mnli, 'vocab-file': vocab, 'output-dir': mnliOut, 'do-predict': true }, TINY, trainFlags(300)));
    assert.equal(m.code, 0, m.stderr);
    const me = evalJson(mnliOut);
    // Majority: 6/16 = 0.375.
    assert.ok(me.accuracy > 0.7 && me.accuracy_mm > 0.7, `matched ${me.accuracy}, mismatched ${me.accuracy_mm}`);
    assert.equal(lines(join(mnliOut, 'eval_predictions-m.tsv')).length, 151);
    assert.equal(lines(join(mnliOut, 'eval_predictions-mm.tsv')).length, 151);
    assert.ok(lines(join(mnliOut, 'eval_predictions-mm.tsv')).slice(1).every((l) => /\t(contradiction|entailment|neutral)$/.test(l)));
    // The two test sets: the GLUE server's MNLI-m.tsv and MNLI-mm.tsv, and class probabilities for each.
    for (const [sub, res] of [['MNLI-m.tsv', 'test_results-m.tsv'], ['MNLI-mm.tsv', 'test_results-mm.tsv']]) {
      assert.equal(lines(join(mnliOut, sub)).length, 6, sub);
      assert.ok(lines(join(mnliOut, res)).every((l) => l.split('\t').length === 3), res);
    }

    // AX: the diagnostic set, predicted by the MNLI model (index, sentence1, sentence2, no labels).
    const ax = join(dir, 'diagnostic');
    mkdirSync(ax);
    writeFileSync(join(ax, 'diagnostic.tsv'), `index\tsentence1\tsentence2\n${Array.from({ length: 12 }, (_, i) => `${i}\t${sentence(r, k4(r))}\t${sentence(r, k4(r))}`).join('\n')}\n`);
    const axOut = join(dir, 'ax-out');
    const axRun = await albert('finetune', 'glue', ...flags({ 'task-name': 'AX', 'data-dir': ax, 'vocab-file': vocab, 'output-dir': axOut, 'init-checkpoint': join(mnliOut, 'best'), 'do-predict': true }, TINY));
    assert.equal(axRun.code, 0, axRun.stderr);
    const axLines = lines(join(axOut, 'AX.tsv'));
    assert.equal(axLines.length, 13);
    assert.ok(axLines.slice(1).every((l, i) => new RegExp(`^${i}\t(contradiction|entailment|neutral)$`).test(l)));
    assertOneLineError(await albert('finetune', 'glue', ...flags({ 'task-name': 'AX', 'data-dir': ax, 'vocab-file': vocab, 'output-dir': axOut, 'do-train': true }, TINY)), /AX has no training data/);

    // A checkpoint whose head has 3 labels does not fit a 2-label task, unless the head is re-initialised.
    const mrpc = writeMrpc(dir, 3);
    const mrpcFlags = flags({ 'task-name': 'MRPC', 'data-dir': mrpc, 'vocab-file': vocab, 'output-dir': join(dir, 'mrpc-out'), 'init-checkpoint': join(mnliOut, 'best') }, TINY, trainFlags(4));
    const bad = await albert('finetune', 'glue', ...mrpcFlags);
    assertOneLineError(bad, /classifier head has 3 outputs, the task needs 2 \(pass --reinit-head/);
    const ok = await albert('finetune', 'glue', ...mrpcFlags, '--reinit-head');
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stderr, /starting the head afresh/);
  });

  it('killed with SIGKILL mid-step and mid-checkpoint, then resumed, ends with the same bytes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'albert-ft-resume-'));
    const data = writeMrpc(dir, 4);
    const vocab = writeVocab(dir);
    // Dropout on, so the masks must follow the step.
    const run = (out: string, env: Record<string, string> = {}) =>
      albertWith(['finetune', 'glue', ...flags({ 'task-name': 'MRPC', 'data-dir': data, 'vocab-file': vocab, 'output-dir': out, 'albert-config-file': 'tiny', 'max-seq-length': '24', threads: '1' }, trainFlags(12, 8), { 'grad-accum': '2', 'save-checkpoints-steps': '4', 'keep-checkpoint-max': '2' })], { env });
    const ref = join(dir, 'ref');
    const out = join(dir, 'out');
    const refRun = run(ref);
    for (const point of ['mid-step:3', 'after-checkpoint:4', 'mid-checkpoint:8']) {
      const k = await run(out, { ALBERT_TEST_KILL_AT: point });
      assert.equal(k.signal, 'SIGKILL', `${point}: ${k.stderr.slice(-400)}`);
    }
    const last = await run(out);
    assert.equal(last.code, 0, last.stderr);
    const reference = await refRun;
    assert.equal(reference.code, 0, reference.stderr);
    for (const f of ['model.safetensors', join('best', 'model.safetensors'), join('checkpoint-12', 'optimizer.safetensors'), 'eval_predictions.tsv']) {
      assert.deepEqual(readFileSync(join(out, f)), readFileSync(join(ref, f)), f);
    }
    assert.equal(readFileSync(join(out, 'eval_results.txt'), 'utf8'), readFileSync(join(ref, 'eval_results.txt'), 'utf8'));
  });

  it('gives one-line errors for bad inputs and leaves existing checkpoints intact', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'albert-ft-errors-'));
    const data = writeMrpc(dir, 5);
    const vocab = writeVocab(dir);
    const out = join(dir, 'out');
    const base: FlagMap = { 'task-name': 'MRPC', 'vocab-file': vocab, 'output-dir': out, 'data-dir': data, ...TINY };
    const ft = (...maps: FlagMap[]) => albert('finetune', 'glue', ...flags(base, ...maps));
    const first = await ft(trainFlags(4));
    assert.equal(first.code, 0, first.stderr);
    const before = readFileSync(join(out, 'checkpoint-4', 'model.safetensors'));
    const badDir = join(dir, 'bad', 'MRPC');
    mkdirSync(badDir, { recursive: true });
    const put = (file: string, text: string): void => writeFileSync(join(badDir, file), text);
    const header = 'Quality\t#1 ID\t#2 ID\t#1 String\t#2 String\n';
    put('train.tsv', `${header}1\t1\t2\tgood day\n`);
    assertOneLineError(await ft(trainFlags(4), { 'data-dir': badDir, 'output-dir': join(dir, 'o1') }), /train\.tsv:2: expected at least 5 tab-separated columns, found 4/);
    put('train.tsv', `${header}7\t1\t2\tgood day\tbad day\n`);
    assertOneLineError(await ft(trainFlags(4), { 'data-dir': badDir, 'output-dir': join(dir, 'o2') }), /train\.tsv:2: label "7" is not one of 0, 1/);
    put('train.tsv', '');
    assertOneLineError(await ft(trainFlags(4), { 'data-dir': badDir, 'output-dir': join(dir, 'o3') }), /train\.tsv/);
    put('train.tsv', `${header}${'1\t1\t2\tgood day\tgood dog\n'.repeat(20)}`);
    assertOneLineError(await ft(trainFlags(4), { 'data-dir': badDir, 'output-dir': join(dir, 'o4') }), /dev\.tsv: no such file/);
    assertOneLineError(await ft({ 'train-batch-size': '0', 'do-train': true }), /--train-batch-size/);
    assertOneLineError(await ft(), /at least one of --do-train, --do-eval or --do-predict/);
    assertOneLineError(await ft({ 'task-name': 'nope', 'do-eval': true }), /unknown GLUE task "nope"/);
    // Resuming with another learning rate is refused, naming the flag.
    assertOneLineError(await ft(trainFlags(8), { 'learning-rate': '0.5' }), /started with --learning-rate 0\.001, now 0\.5/);
    // A step that cannot fit in memory is refused before it runs (ALBERT-base, 600 x 512), leaving no output directory.
    assertOneLineError(await ft(trainFlags(4), { 'albert-config-file': 'base', 'max-seq-length': '512', 'train-batch-size': '600', 'output-dir': join(dir, 'o5') }), /a training step of 600 x 512 tokens needs about .* GiB.*--grad-accum, or pass --no-memory-check/);
    assert.equal(existsSync(join(dir, 'o5')), false);
    assert.deepEqual(readFileSync(join(out, 'checkpoint-4', 'model.safetensors')), before, 'the checkpoint is untouched');
    assert.deepEqual(readdirSync(out).filter((n) => n.startsWith('.')), [], 'no temporary files left');
  });
});

describe('albert finetune classify', () => {
  it('learns from CSV files with quoted fields, discovers the labels and writes their names', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'albert-ft-classify-'));
    const vocab = writeVocab(dir);
    const r = rng(6);
    const csv = (n: number, labelled = true): string => {
      const rows = [labelled ? 'id,review,sentiment' : 'id,review'];
      for (let i = 0; i < n; i++) {
        const k = k4(r);
        const p = k >= 2 ? 1 : 0;
        // Quoted fields with commas, quotes and a newline inside: a real CSV parser is needed.
        const text = `"${sentence(r, k)}, ""so"" it\nwas"`;
        rows.push(labelled ? `${i},${text},${p ? 'positive' : 'negative'}` : `${i},${text}`);
      }
      return `${rows.join('\n')}\n`;
    };
    writeFileSync(join(dir, 'train.csv'), csv(500));
    writeFileSync(join(dir, 'dev.csv'), csv(150));
    writeFileSync(join(dir, 'test.csv'), csv(20, false));
    const out = join(dir, 'out');
    const base: FlagMap = { 'train-file': join(dir, 'train.csv'), 'validation-file': join(dir, 'dev.csv'), 'test-file': join(dir, 'test.csv'), 'text-column': 'review', 'label-column': 'sentiment', 'vocab-file': vocab, 'output-dir': out, ...TINY };
    const cl = (...maps: FlagMap[]) => albert('finetune', 'classify', ...flags(base, ...maps));
    const res = await cl(trainFlags(300), { 'do-predict': true });
    assert.equal(res.code, 0, res.stderr);
    const e = evalJson(out);
    assert.ok(e.accuracy > 0.85 && e.macro_f1 > 0.85, `accuracy ${e.accuracy}, macro-F1 ${e.macro_f1}`);
    const cfg = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as { id2label: Record<string, string> };
    assert.deepEqual(cfg.id2label, { 0: 'negative', 1: 'positive' });
    assert.ok(lines(join(out, 'test_predictions.tsv')).slice(1).every((l) => /^\d+\t(negative|positive)$/.test(l)));
    // Evaluating later on a file that holds one label only: the labels are the model's, not rediscovered there.
    const onlyPos = readFileSync(join(dir, 'dev.csv'), 'utf8').split(/\n(?=\d+,)/).filter((row, i) => i === 0 || row.trimEnd().endsWith(',positive'));
    writeFileSync(join(dir, 'dev-pos.csv'), `${onlyPos.join('\n').trimEnd()}\n`);
    const later = await albert('finetune', 'classify', ...flags({ 'validation-file': join(dir, 'dev-pos.csv'), 'text-column': 'review', 'label-column': 'sentiment', 'vocab-file': vocab, 'output-dir': out, 'do-eval': true }, TINY));
    assert.equal(later.code, 0, later.stderr);
    const posPreds = lines(join(out, 'eval_predictions.tsv')).slice(1);
    assert.equal(posPreds.length, onlyPos.length - 1);
    assert.ok(posPreds.filter((l) => l.endsWith('\tpositive')).length / posPreds.length > 0.85);
    // Bad inputs: a missing column, an empty file.
    assertOneLineError(await cl(trainFlags(4), { 'text-column': 'text', 'output-dir': join(dir, 'o2') }), /train\.csv: no column "text" \(columns: id, review, sentiment\)/);
    writeFileSync(join(dir, 'empty.csv'), '');
    assertOneLineError(await cl(trainFlags(4), { 'train-file': join(dir, 'empty.csv'), 'output-dir': join(dir, 'o3') }), /empty\.csv/);
  });

  it('regresses a number read from JSON Lines with --regression (Pearson and Spearman, problem_type regression)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'albert-ft-regress-'));
    const vocab = writeVocab(dir);
    const r = rng(8);
    const jsonl = (n: number): string => {
      const rows: string[] = [];
      for (let i = 0; i < n; i++) {
        const ka = k4(r);
        const kb = k4(r);
        rows.push(JSON.stringify({ first: sentence(r, ka), second: sentence(r, kb), score: ka + kb }));
      }
      return `${rows.join('\n')}\n`;
    };
    writeFileSync(join(dir, 'train.jsonl'), jsonl(500));
    writeFileSync(join(dir, 'dev.jsonl'), jsonl(150));
    const out = join(dir, 'out');
    const res = await albert('finetune', 'classify', ...flags({ 'train-file': join(dir, 'train.jsonl'), 'validation-file': join(dir, 'dev.jsonl'), 'text-column': 'first', 'text-pair-column': 'second', 'label-column': 'score', regression: true, 'vocab-file': vocab, 'output-dir': out }, TINY, trainFlags(300)));
    assert.equal(res.code, 0, res.stderr);
    const e = evalJson(out);
    assert.ok(e.pearson > 0.8 && e.spearmanr > 0.8, `pearson ${e.pearson}, spearman ${e.spearmanr}`);
    assert.equal((JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as { problem_type: string }).problem_type, 'regression');
    assert.ok(lines(join(out, 'eval_predictions.tsv')).slice(1).every((l) => /^\d+\t-?\d/.test(l)));
  });
});
