import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OptionError, UserError } from '../../src/util/errors.ts';
import { GLUE_TASKS, type GlueTask } from '../../src/tasks/glue/tasks.ts';
import { glueMetrics, mainMetric } from '../../src/tasks/classification/metrics.ts';
import { evaluateGluePredictions, readPredictions, type GlueEvaluation } from '../../src/tasks/glue/evaluate.ts';
import { albert, assertOneLineError } from '../helpers/cli.ts';

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'albert-glue-eval-'));
}

/** Writes rows (arrays of columns) as a TSV file, one row per line, with a final newline. */
function writeTsv(path: string, rows: string[][], eol = '\n'): string {
  writeFileSync(path, rows.map((r) => r.join('\t') + eol).join(''));
  return path;
}

function taskDir(root: string, task: GlueTask): string {
  const dir = join(root, task.directory);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** A predictions file as `albert finetune glue` writes it: header, then `<id>\t<prediction>`. */
function writePredictions(path: string, predictions: string[], opts: { header?: boolean; order?: number[]; eol?: string } = {}): string {
  const order = opts.order ?? predictions.map((_, i) => i);
  const rows = order.map((i) => [String(i), predictions[i]]);
  return writeTsv(path, opts.header === false ? rows : [['index', 'prediction'], ...rows], opts.eol);
}

/** Asserts that fn throws a one-line UserError matching re. */
function throwsUser(fn: () => unknown, re: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof UserError, `expected a UserError, got ${String(e)}`);
    assert.ok(!e.message.includes('\n'), `one line: ${e.message}`);
    assert.match(e.message, re);
    return true;
  });
}

const MNLI_DEV_HEADER = [
  'index', 'promptID', 'pairID', 'genre', 'sentence1_binary_parse', 'sentence2_binary_parse',
  'sentence1_parse', 'sentence2_parse', 'sentence1', 'sentence2', 'label1', 'label2', 'label3', 'label4', 'label5', 'gold_label',
];
const mnliRow = (i: number, gold: string): string[] => [
  String(i), `${63735 + i}`, `${63735 + i}n`, 'slate', '( a )', '( b )', '(ROOT a)', '(ROOT b)', `premise ${i}`, `hypothesis ${i}`, gold, gold, gold, gold, gold, gold,
];
const STSB_HEADER = ['index', 'genre', 'filename', 'year', 'old_index', 'source1', 'source2', 'sentence1', 'sentence2', 'score'];
const stsbRow = (i: number, score: string): string[] => [String(i), 'main-captions', 'MSRvid', '2012test', `000${i}`, 'none', 'none', `A man ${i}.`, `A person ${i}.`, score];
const MRPC_HEADER = ['Quality', '#1 ID', '#2 ID', '#1 String', '#2 String'];

/** A GLUE root with MRPC, STS-B, CoLA and MNLI dev files, and predictions files in out/. */
function fixture() {
  const root = tmp();
  const out = join(root, 'out');
  mkdirSync(out);
  const mrpc = taskDir(root, GLUE_TASKS.mrpc);
  const mrpcLabels = ['1', '0', '1', '1', '0'];
  writeTsv(join(mrpc, 'dev.tsv'), [MRPC_HEADER, ...mrpcLabels.map((l, i) => [l, `${100 + i}`, `${200 + i}`, `Sentence ${i} .`, `Other sentence ${i} .`])], '\r\n');
  const stsb = taskDir(root, GLUE_TASKS['sts-b']);
  const stsbLabels = ['5.000', '3.800', '1.000', '2.500'];
  writeTsv(join(stsb, 'dev.tsv'), [STSB_HEADER, ...stsbLabels.map((s, i) => stsbRow(i, s))]);
  const cola = taskDir(root, GLUE_TASKS.cola);
  const colaLabels = ['1', '1', '0', '0'];
  writeTsv(join(cola, 'dev.tsv'), colaLabels.map((l, i) => ['gj04', l, l === '0' ? '*' : '', `The sailors rode the breeze ${i}.`]));
  const mnli = taskDir(root, GLUE_TASKS.mnli);
  const matched = ['neutral', 'entailment', 'contradiction'];
  const mismatched = ['contradiction', 'entailment'];
  writeTsv(join(mnli, 'dev_matched.tsv'), [MNLI_DEV_HEADER, ...matched.map((l, i) => mnliRow(i, l))]);
  writeTsv(join(mnli, 'dev_mismatched.tsv'), [MNLI_DEV_HEADER, ...mismatched.map((l, i) => mnliRow(i, l))]);
  return { root, out, mrpc, stsb, cola, mnli, labels: { mrpc: mrpcLabels, stsb: stsbLabels, cola: colaLabels, matched, mismatched } };
}

const ids = (task: GlueTask, names: string[]): number[] => names.map((n) => task.labels!.indexOf(n));

describe('readPredictions', () => {
  it('reads the finetune layout, with or without header, any order, CRLF, label names to class ids', () => {
    const dir = tmp();
    const a = readPredictions(writePredictions(join(dir, 'a.tsv'), ['neutral', 'entailment', 'contradiction']), GLUE_TASKS.mnli);
    assert.equal(a.header, true);
    assert.deepEqual(a.rows, [
      { index: '0', prediction: 2, line: 2 },
      { index: '1', prediction: 1, line: 3 },
      { index: '2', prediction: 0, line: 4 },
    ]);
    const b = readPredictions(writePredictions(join(dir, 'b.tsv'), ['1', '0'], { header: false, order: [1, 0], eol: '\r\n' }), GLUE_TASKS.mrpc);
    assert.equal(b.header, false);
    assert.deepEqual(b.rows, [
      { index: '1', prediction: 0, line: 1 },
      { index: '0', prediction: 1, line: 2 },
    ]);
    const c = readPredictions(writePredictions(join(dir, 'c.tsv'), ['4.5', '-0.25', '1e-3', '3']), GLUE_TASKS['sts-b']);
    assert.deepEqual(c.rows.map((r) => r.prediction), [4.5, -0.25, 0.001, 3]);
  });

  it('refuses malformed files with one line naming the file and line', () => {
    const dir = tmp();
    const f = (name: string, text: string): string => {
      const p = join(dir, name);
      writeFileSync(p, text);
      return p;
    };
    throwsUser(() => readPredictions(f('notab.tsv', 'index\tprediction\n0\t1\n1 0\n'), GLUE_TASKS.mrpc), /notab\.tsv:3: expected "index<TAB>prediction", found "1 0" \(no tab\)/);
    throwsUser(() => readPredictions(f('blank.tsv', 'index\tprediction\n\n0\t1\n'), GLUE_TASKS.mrpc), /blank\.tsv:2: .*found an empty line/);
    throwsUser(() => readPredictions(f('three.tsv', '0\t1\t0.5\n'), GLUE_TASKS.mrpc), /three\.tsv:1: expected 2 tab-separated columns \(index, prediction\), found 3/);
    throwsUser(() => readPredictions(f('label.tsv', 'index\tprediction\n0\tentailment\n1\tcontradicton\n'), GLUE_TASKS.mnli), /label\.tsv:3: prediction "contradicton" is not a label of MNLI \(contradiction, entailment, neutral\)/);
    throwsUser(() => readPredictions(f('label2.tsv', '0\t2\n'), GLUE_TASKS.cola), /label2\.tsv:1: prediction "2" is not a label of CoLA \(0, 1\)/);
    for (const bad of ['high', 'NaN', '', '0x10', 'Infinity']) {
      throwsUser(() => readPredictions(f('score.tsv', `index\tprediction\n0\t1.5\n1\t${bad}\n`), GLUE_TASKS['sts-b']), new RegExp(`score\\.tsv:3: prediction "${bad}" is not a number`));
    }
    throwsUser(() => readPredictions(f('dup.tsv', 'index\tprediction\n0\t1\n1\t0\n0\t0\n'), GLUE_TASKS.mrpc), /dup\.tsv:4: index 0 appears again \(first on line 2\)/);
    throwsUser(() => readPredictions(f('empty.tsv', ''), GLUE_TASKS.mrpc), /empty\.tsv: no predictions \(the file is empty\)/);
    throwsUser(() => readPredictions(f('head.tsv', 'index\tprediction\n'), GLUE_TASKS.mrpc), /head\.tsv: no predictions \(the file has only a header line\)/);
    throwsUser(() => readPredictions(join(dir, 'absent.tsv'), GLUE_TASKS.mrpc), /absent\.tsv: no such file/);
  });
});

describe('evaluateGluePredictions', () => {
  it('MRPC: accuracy, F1 and their mean, equal to glueMetrics and to hand-computed values', () => {
    const fx = fixture();
    const preds = ['1', '1', '1', '0', '0'];
    // lines out of order and no header: the index column places them
    const file = writePredictions(join(fx.out, 'eval_predictions.tsv'), preds, { order: [4, 2, 0, 1, 3], header: false });
    const r = evaluateGluePredictions({ taskName: 'mrpc', dataDir: fx.mrpc, predictions: file });
    const { majority_baseline: majority, ...rest } = r;
    assert.deepEqual(
      { ...rest, metrics: {} },
      { task: 'MRPC', split: 'dev', file, examples: 5, metrics: {}, main_metric: 'accuracy' } satisfies GlueEvaluation,
    );
    // The majority baseline: always "1" (3 of 5): accuracy 0.6; TP 3, FP 2, FN 0 -> F1 6/8.
    assert.equal(majority?.label, '1');
    assert.deepEqual(majority?.metrics, { accuracy: 0.6, f1: 0.75, acc_and_f1: (0.6 + 0.75) / 2 });
    assert.deepEqual(r.metrics, glueMetrics('mrpc', ids(GLUE_TASKS.mrpc, preds), ids(GLUE_TASKS.mrpc, fx.labels.mrpc)));
    // labels 1 0 1 1 0, predictions 1 1 1 0 0: 3 of 5 right; TP 2, FP 1, FN 1 -> P = R = F1 = 2/3
    assert.equal(r.metrics.accuracy, 0.6);
    assert.ok(Math.abs(r.metrics.f1 - 2 / 3) < 1e-12);
    assert.ok(Math.abs(r.metrics.acc_and_f1 - (0.6 + 2 / 3) / 2) < 1e-12);
  });

  it('STS-B: Pearson and Spearman (GLUE root as data directory)', () => {
    const fx = fixture();
    const preds = ['4.5', '4.0', '0.5', '2.0'];
    const file = writePredictions(join(fx.out, 'eval_predictions.tsv'), preds);
    const r = evaluateGluePredictions({ taskName: 'STS-B', dataDir: fx.root, predictions: file });
    assert.equal(r.task, 'STS-B');
    assert.equal(r.main_metric, 'pearson');
    assert.deepEqual(r.metrics, glueMetrics('sts-b', preds.map(Number), fx.labels.stsb.map(Number)));
    // deviations from the means 2.75 and 3.075: sums dx*dy 9.375, dx^2 10.25, dy^2 8.8675; the ranks agree
    assert.ok(Math.abs(r.metrics.pearson - 9.375 / Math.sqrt(10.25 * 8.8675)) < 1e-12);
    assert.ok(Math.abs(r.metrics.spearmanr - 1) < 1e-12);
    assert.ok(Math.abs(r.metrics.corr - (r.metrics.pearson + 1) / 2) < 1e-12);
    assert.equal(r.majority_baseline, undefined, 'scores, not classes: no majority baseline');
  });

  it('CoLA: Matthews correlation (dev file without header)', () => {
    const fx = fixture();
    const preds = ['1', '0', '0', '0'];
    const file = writePredictions(join(fx.out, 'eval_predictions.tsv'), preds);
    const r = evaluateGluePredictions({ taskName: 'cola', dataDir: fx.cola, predictions: file });
    assert.equal(r.main_metric, 'mcc');
    assert.equal(r.examples, 4);
    assert.deepEqual(r.metrics, glueMetrics('cola', preds.map(Number), fx.labels.cola.map(Number)));
    // TP 1, TN 2, FP 0, FN 1: (1*2 - 0*1) / sqrt(1*2*2*3)
    assert.ok(Math.abs(r.metrics.mcc - 2 / Math.sqrt(12)) < 1e-12);
    assert.equal(r.metrics.accuracy, 0.75);
    // Labels 1 1 0 0: a tie, broken towards the smaller class id; a constant prediction has MCC 0.
    assert.deepEqual(r.majority_baseline, { label: '0', metrics: { mcc: 0, accuracy: 0.5 } });
  });

  it('MNLI: the split from the file name, the task name, or split; each scored against its own dev file', () => {
    const fx = fixture();
    const task = GLUE_TASKS.mnli;
    const mPreds = ['neutral', 'neutral', 'contradiction'];
    const mmPreds = ['contradiction', 'entailment'];
    const m = writePredictions(join(fx.out, 'eval_predictions-m.tsv'), mPreds);
    const mm = writePredictions(join(fx.out, 'eval_predictions-mm.tsv'), mmPreds);
    const rm = evaluateGluePredictions({ taskName: 'MNLI', dataDir: fx.root, predictions: m });
    assert.equal(rm.split, 'dev_matched');
    assert.equal(rm.examples, 3);
    assert.deepEqual(rm.metrics, glueMetrics('mnli', ids(task, mPreds), ids(task, fx.labels.matched)));
    assert.ok(Math.abs(rm.metrics.accuracy - 2 / 3) < 1e-12);
    assert.equal(rm.main_metric, mainMetric('mnli'));
    // One of each label in dev_matched: the tie goes to the first label of the task's order.
    assert.deepEqual(rm.majority_baseline, { label: task.labels![0], metrics: { accuracy: 1 / 3 } });
    const rmm = evaluateGluePredictions({ taskName: 'MNLI', dataDir: fx.mnli, predictions: mm });
    assert.equal(rmm.split, 'dev_mismatched');
    assert.deepEqual(rmm.metrics, { accuracy: 1 });
    // other spellings of the split
    const copy = writePredictions(join(fx.out, 'mnli_mismatched.tsv'), mmPreds);
    assert.equal(evaluateGluePredictions({ taskName: 'MNLI', dataDir: fx.root, predictions: copy }).split, 'dev_mismatched');
    const plain = writePredictions(join(fx.out, 'preds.tsv'), mmPreds);
    assert.equal(evaluateGluePredictions({ taskName: 'MNLI-MM', dataDir: fx.root, predictions: plain }).split, 'dev_mismatched');
    assert.equal(evaluateGluePredictions({ taskName: 'MNLI', dataDir: fx.root, predictions: plain, split: 'dev_mismatched' }).split, 'dev_mismatched');
    // matched predictions scored as mismatched: 3 lines for 2 examples
    throwsUser(
      () => evaluateGluePredictions({ taskName: 'MNLI', dataDir: fx.root, predictions: m, split: 'dev_mismatched' }),
      /eval_predictions-m\.tsv:4: index 2 is not an example of MNLI dev_mismatched \(.*dev_mismatched\.tsv has 2 examples, indices 0 to 1\)/,
    );
    // and the other way round: one example of three left without a prediction
    throwsUser(
      () => evaluateGluePredictions({ taskName: 'MNLI', dataDir: fx.root, predictions: mm, split: 'dev_matched' }),
      /eval_predictions-mm\.tsv: 1 of the 3 MNLI dev_matched examples have no prediction \(the first: index 2\)/,
    );
  });

  it('refuses missing predictions, unknown indices, AX and a bad split, naming options without flags', () => {
    const fx = fixture();
    const file = writeTsv(join(fx.out, 'some.tsv'), [['index', 'prediction'], ['0', '1'], ['3', '1']]);
    throwsUser(() => evaluateGluePredictions({ taskName: 'MRPC', dataDir: fx.mrpc, predictions: file }), /some\.tsv: 3 of the 5 MRPC dev examples have no prediction \(the first: index 1\)/);
    const bad = writeTsv(join(fx.out, 'bad.tsv'), [['0', '1'], ['x7', '1']]);
    throwsUser(() => evaluateGluePredictions({ taskName: 'MRPC', dataDir: fx.mrpc, predictions: bad }), /bad\.tsv:2: index x7 is not an example of MRPC dev \(.*dev\.tsv has 5 examples, indices 0 to 4\)/);
    assert.throws(
      () => evaluateGluePredictions({ taskName: 'AX', dataDir: fx.root, predictions: file }),
      (e: unknown) => e instanceof OptionError && /^taskName AX has no dev labels to score against/.test(e.message) && e.options[0] === 'taskName',
    );
    assert.throws(
      () => evaluateGluePredictions({ taskName: 'MNLI', dataDir: fx.root, predictions: file, split: 'dev' }),
      (e: unknown) => e instanceof OptionError && e.message === 'split "dev" is not a dev split of MNLI (dev_matched, dev_mismatched)',
    );
    throwsUser(() => evaluateGluePredictions({ taskName: 'MRPC', dataDir: fx.mrpc, predictions: join(fx.out, 'none.tsv') }), /none\.tsv: no such file/);
    throwsUser(() => evaluateGluePredictions({ taskName: 'MRPC', dataDir: fx.out, predictions: file }), /dev\.tsv: no such file/);
  });
});

describe('albert evaluate glue', () => {
  it('--json prints the result document; the default a table with the main metric marked', async () => {
    const fx = fixture();
    const preds = ['1', '1', '1', '0', '0'];
    const file = writePredictions(join(fx.out, 'eval_predictions.tsv'), preds);
    const r = await albert('evaluate', 'glue', '--task-name', 'MRPC', '--data-dir', fx.root, '--predictions', file, '--json');
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as GlueEvaluation;
    assert.deepEqual(doc, evaluateGluePredictions({ taskName: 'MRPC', dataDir: fx.root, predictions: file }));
    assert.equal(doc.metrics.accuracy, 0.6);
    const t = await albert('evaluate', 'glue', '--task-name', 'mnli', '--data-dir', fx.mnli, '-p', writePredictions(join(fx.out, 'eval_predictions-mm.tsv'), ['contradiction', 'neutral']));
    assert.equal(t.code, 0, t.stderr);
    assert.equal(t.stdout, `MNLI dev_mismatched: 2 examples, ${join(fx.out, 'eval_predictions-mm.tsv')}\nmetric    value   majority (always "contradiction")\naccuracy  0.5000   0.5000  (main)\n`);
  });

  it('user errors print one line naming the file, line or flag', async () => {
    const fx = fixture();
    const run = (task: string, file: string, ...more: string[]) => albert('evaluate', 'glue', '--task-name', task, '--data-dir', fx.root, '--predictions', file, ...more);
    const p = (name: string, text: string): string => {
      const path = join(fx.out, name);
      writeFileSync(path, text);
      return path;
    };
    assertOneLineError(await run('MRPC', p('notab.tsv', 'index\tprediction\n0 1\n')), /notab\.tsv:2: expected "index<TAB>prediction", found "0 1" \(no tab\)/);
    assertOneLineError(await run('MNLI', p('label.tsv', '0\tentails\n')), /label\.tsv:1: prediction "entails" is not a label of MNLI/);
    assertOneLineError(await run('STS-B', p('score.tsv', '0\thigh\n')), /score\.tsv:1: prediction "high" is not a number/);
    assertOneLineError(await run('MRPC', p('dup.tsv', '0\t1\n0\t1\n')), /dup\.tsv:2: index 0 appears again \(first on line 1\)/);
    assertOneLineError(await run('MRPC', p('idx.tsv', '0\t1\n5\t1\n')), /idx\.tsv:2: index 5 is not an example of MRPC dev/);
    assertOneLineError(await run('MRPC', p('few.tsv', '0\t1\n1\t1\n')), /few\.tsv: 3 of the 5 MRPC dev examples have no prediction \(the first: index 2\)/);
    assertOneLineError(await run('MRPC', p('empty.tsv', '')), /empty\.tsv: no predictions \(the file is empty\)/);
    assertOneLineError(await run('AX', p('ax.tsv', '0\tentailment\n')), /^Error: --task-name AX has no dev labels to score against/);
    assertOneLineError(await run('MNLI', p('s.tsv', '0\tentailment\n'), '--split', 'test'), /^Error: --split "test" is not a dev split of MNLI \(dev_matched, dev_mismatched\)$/);
  });
});
