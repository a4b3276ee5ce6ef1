import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../../src/ir/errors.ts';
import { GLUE_TASKS, glueTask, type GlueTask } from '../../src/tasks/glue/tasks.ts';
import { readGlueSplit, type ReadResult, type TextExample } from '../../src/tasks/glue/readers.ts';

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'albert-glue-'));
}

/** Writes rows (arrays of columns) as a GLUE TSV file, one row per line, with a final newline. */
function writeTsv(path: string, rows: string[][], eol = '\n'): void {
  writeFileSync(path, rows.map((r) => r.join('\t') + eol).join(''));
}

/** A GLUE root with one subdirectory per task, as the GLUE download script lays it out. */
function glueRoot(): string {
  return tmp();
}

function taskDir(root: string, task: GlueTask): string {
  const dir = join(root, task.directory);
  mkdirSync(dir, { recursive: true });
  return dir;
}

function read(task: GlueTask, dir: string, kind: 'train' | 'dev' | 'test', which = 0): ReadResult {
  const split = kind === 'train' ? task.train : kind === 'dev' ? task.dev[which] : task.test[which];
  assert.ok(split, `${task.name} has a ${kind} split`);
  return readGlueSplit(task, dir, split, kind);
}

type Expected = Omit<TextExample, 'line'> & { line?: number };

function check(result: ReadResult, expected: Expected[]): void {
  assert.equal(result.examples.length, expected.length);
  result.examples.forEach((e, i) => {
    const want = expected[i];
    assert.equal(e.guid, want.guid, `guid of example ${i}`);
    assert.equal(e.id, want.id, `id of example ${i}`);
    assert.equal(e.textA, want.textA, `textA of example ${i}`);
    assert.equal(e.textB, want.textB, `textB of example ${i}`);
    assert.equal(e.label, want.label, `label of example ${i}`);
    if (want.line !== undefined) assert.equal(e.line, want.line, `line of example ${i}`);
  });
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

const MNLI_TRAIN_HEADER = [
  'index', 'promptID', 'pairID', 'genre', 'sentence1_binary_parse', 'sentence2_binary_parse',
  'sentence1_parse', 'sentence2_parse', 'sentence1', 'sentence2', 'label1', 'gold_label',
];
const MNLI_DEV_HEADER = [
  ...MNLI_TRAIN_HEADER.slice(0, 10), 'label1', 'label2', 'label3', 'label4', 'label5', 'gold_label',
];
const MNLI_TEST_HEADER = MNLI_TRAIN_HEADER.slice(0, 10);
const parses = (a: string, b: string): string[] => [`( ${a} )`, `( ${b} )`, `(ROOT ${a})`, `(ROOT ${b})`];

describe('GLUE task table', () => {
  it('accepts the usual spellings and rejects others with the valid names', () => {
    assert.equal(glueTask('sst2').name, 'sst-2');
    assert.equal(glueTask('SST-2').name, 'sst-2');
    assert.equal(glueTask('stsb').name, 'sts-b');
    assert.equal(glueTask('STS-B').name, 'sts-b');
    assert.equal(glueTask('MNLI').name, 'mnli');
    assert.equal(glueTask('CoLA').name, 'cola');
    assert.equal(glueTask('sts_b').name, 'sts-b');
    assert.equal(glueTask('AX').name, 'ax');
    throwsUser(() => glueTask('squad'), /unknown GLUE task "squad" \(tasks: CoLA, SST-2, MRPC, STS-B, QQP, MNLI, QNLI, RTE, WNLI, AX\)/);
    throwsUser(() => glueTask('constructor'), /unknown GLUE task/);
  });

  it('has run_glue.sh recipes and the original label sets', () => {
    const r = (n: string): number[] => {
      const t = glueTask(n).recipe;
      return [t.warmupSteps, t.learningRate, t.trainSteps, t.batchSize, t.maxSeqLength];
    };
    assert.deepEqual(r('sst-2'), [1256, 1e-5, 20935, 32, 512]);
    assert.deepEqual(r('mnli'), [1000, 3e-5, 10000, 128, 512]);
    assert.deepEqual(r('cola'), [320, 1e-5, 5336, 16, 512]);
    assert.deepEqual(r('qnli'), [1986, 1e-5, 33112, 32, 512]);
    assert.deepEqual(r('qqp'), [1000, 5e-5, 14000, 128, 512]);
    assert.deepEqual(r('rte'), [200, 3e-5, 800, 32, 512]);
    assert.deepEqual(r('sts-b'), [214, 2e-5, 3598, 16, 512]);
    assert.deepEqual(r('mrpc'), [200, 2e-5, 800, 32, 512]);
    assert.deepEqual(r('ax'), r('mnli'));
    assert.deepEqual(GLUE_TASKS.cola.labels, ['0', '1']);
    assert.equal(GLUE_TASKS['sts-b'].labels, null);
    assert.deepEqual(GLUE_TASKS.mnli.labels, ['contradiction', 'entailment', 'neutral']);
    assert.deepEqual(GLUE_TASKS.ax.labels, GLUE_TASKS.mnli.labels);
    assert.deepEqual(GLUE_TASKS.qnli.labels, ['entailment', 'not_entailment']);
    assert.deepEqual(GLUE_TASKS.rte.labels, ['entailment', 'not_entailment']);
    assert.deepEqual(GLUE_TASKS.wnli.labels, ['0', '1']);
    assert.equal(GLUE_TASKS.cola.pair, false);
    assert.equal(GLUE_TASKS['sst-2'].pair, false);
    assert.equal(GLUE_TASKS.mrpc.pair, true);
  });

  it('names the files and submissions as GLUE does', () => {
    for (const t of Object.values(GLUE_TASKS)) assert.equal(GLUE_TASKS[t.name], t);
    assert.deepEqual(GLUE_TASKS.mnli.dev.map((s) => [s.split, s.file, s.predictionsFile]), [
      ['dev_matched', 'dev_matched.tsv', 'eval_predictions-m.tsv'],
      ['dev_mismatched', 'dev_mismatched.tsv', 'eval_predictions-mm.tsv'],
    ]);
    assert.deepEqual(GLUE_TASKS.mnli.test.map((s) => [s.split, s.file, s.submission]), [
      ['test_matched', 'test_matched.tsv', 'MNLI-m.tsv'],
      ['test_mismatched', 'test_mismatched.tsv', 'MNLI-mm.tsv'],
    ]);
    assert.equal(GLUE_TASKS.ax.train, null);
    assert.deepEqual(GLUE_TASKS.ax.dev, []);
    assert.deepEqual(GLUE_TASKS.ax.test, [{ split: 'diagnostic', file: 'diagnostic.tsv', submission: 'AX.tsv' }]);
    assert.equal(GLUE_TASKS.ax.directory, 'diagnostic');
    assert.equal(GLUE_TASKS.cola.test[0].submission, 'CoLA.tsv');
    assert.equal(GLUE_TASKS['sts-b'].test[0].submission, 'STS-B.tsv');
    assert.equal(GLUE_TASKS.rte.dev[0].predictionsFile, 'eval_predictions.tsv');
  });
});

describe('GLUE readers: layouts', () => {
  it('CoLA: train/dev without a header (text 3, label 1), test with one (index 0, text 1)', () => {
    const root = glueRoot();
    const dir = taskDir(root, GLUE_TASKS.cola);
    writeTsv(join(dir, 'train.tsv'), [
      ['gj04', '1', '', "Our friends won't buy this analysis, let alone the next one we propose."],
      ['gj04', '0', '*', 'They drank the pub.'],
    ]);
    writeTsv(join(dir, 'dev.tsv'), [['gj04', '1', '', 'The sailors rode the breeze clear of the rocks.']]);
    writeTsv(join(dir, 'test.tsv'), [['index', 'sentence'], ['0', 'Bill whistled past the house.'], ['1', '"Quoted" text.']]);
    // data directory = the GLUE root (the original's layout)
    check(read(GLUE_TASKS.cola, root, 'train'), [
      { guid: 'train-0', id: '0', textA: "Our friends won't buy this analysis, let alone the next one we propose.", textB: null, label: '1', line: 1 },
      { guid: 'train-1', id: '1', textA: 'They drank the pub.', textB: null, label: '0', line: 2 },
    ]);
    // data directory = the task's own directory
    check(read(GLUE_TASKS.cola, dir, 'dev'), [
      { guid: 'dev-0', id: '0', textA: 'The sailors rode the breeze clear of the rocks.', textB: null, label: '1', line: 1 },
    ]);
    const test = read(GLUE_TASKS.cola, dir, 'test');
    check(test, [
      { guid: '0', id: '0', textA: 'Bill whistled past the house.', textB: null, label: null, line: 2 },
      { guid: '1', id: '1', textA: '"Quoted" text.', textB: null, label: null, line: 3 },
    ]);
    assert.equal(test.file, join(dir, 'test.tsv'));
    assert.deepEqual(test.skipped, []);
  });

  it('SST-2: header; train/dev text 0 label 1; test index 0 text 1', () => {
    const dir = tmp();
    writeTsv(join(dir, 'train.tsv'), [['sentence', 'label'], ['hide new secretions from the parental units ', '0'], ["it 's a charming and often affecting journey . ", '1']]);
    writeTsv(join(dir, 'dev.tsv'), [['sentence', 'label'], ["it 's a lovely film .", '1']]);
    writeTsv(join(dir, 'test.tsv'), [['index', 'sentence'], ['0', 'uneasy mishmash of styles and genres .'], ['1', 'this film \'s relationship to actual tension is the same as what christmas-tree flocking in a spray can is to actual snow .']]);
    check(read(GLUE_TASKS['sst-2'], dir, 'train'), [
      { guid: 'train-1', id: '0', textA: 'hide new secretions from the parental units ', textB: null, label: '0', line: 2 },
      { guid: 'train-2', id: '1', textA: "it 's a charming and often affecting journey . ", textB: null, label: '1', line: 3 },
    ]);
    check(read(GLUE_TASKS['sst-2'], dir, 'dev'), [{ guid: 'dev-1', id: '0', textA: "it 's a lovely film .", textB: null, label: '1', line: 2 }]);
    const test = read(GLUE_TASKS['sst-2'], dir, 'test');
    assert.deepEqual(test.examples.map((e) => [e.guid, e.id, e.label, e.textB]), [['0', '0', null, null], ['1', '1', null, null]]);
    assert.equal(test.examples[0].textA, 'uneasy mishmash of styles and genres .');
  });

  it('MRPC: header; texts 3 and 4, label 0 (Quality); test guid from the index column', () => {
    const dir = tmp();
    const header = ['Quality', '#1 ID', '#2 ID', '#1 String', '#2 String'];
    writeTsv(join(dir, 'train.tsv'), [
      header,
      ['1', '702876', '702977', 'Amrozi accused his brother , whom he called " the witness " , of deliberately distorting his evidence .', 'Referring to him as only " the witness " , Amrozi accused his brother of deliberately distorting his evidence .'],
      ['0', '2108705', '2108831', "Yucaipa owned Dominick 's before selling the chain to Safeway in 1998 for $ 2.5 billion .", "Yucaipa bought Dominick 's in 1995 for $ 693 million and sold it to Safeway for $ 1.8 billion in 1998 ."],
    ], '\r\n');
    writeTsv(join(dir, 'dev.tsv'), [header, ['1', '1355540', '1355592', "He said the foodservice pie business doesn 't fit .", 'The foodservice pie business does not fit .']]);
    writeTsv(join(dir, 'test.tsv'), [['index', '#1 ID', '#2 ID', '#1 String', '#2 String'], ['0', '1089874', '1089925', "PCCW 's chief operating officer , Mike Butcher , will report to Mr So .", 'Current Chief Operating Officer Mike Butcher will report to So .']]);
    check(read(GLUE_TASKS.mrpc, dir, 'train'), [
      { guid: 'train-1', id: '0', textA: 'Amrozi accused his brother , whom he called " the witness " , of deliberately distorting his evidence .', textB: 'Referring to him as only " the witness " , Amrozi accused his brother of deliberately distorting his evidence .', label: '1', line: 2 },
      { guid: 'train-2', id: '1', textA: "Yucaipa owned Dominick 's before selling the chain to Safeway in 1998 for $ 2.5 billion .", textB: "Yucaipa bought Dominick 's in 1995 for $ 693 million and sold it to Safeway for $ 1.8 billion in 1998 .", label: '0', line: 3 },
    ]);
    check(read(GLUE_TASKS.mrpc, dir, 'dev'), [{ guid: 'dev-1', id: '0', textA: "He said the foodservice pie business doesn 't fit .", textB: 'The foodservice pie business does not fit .', label: '1', line: 2 }]);
    check(read(GLUE_TASKS.mrpc, dir, 'test'), [{ guid: '0', id: '0', textA: "PCCW 's chief operating officer , Mike Butcher , will report to Mr So .", textB: 'Current Chief Operating Officer Mike Butcher will report to So .', label: null, line: 2 }]);
  });

  it('STS-B: header; texts 7 and 8, the score last; test has no score', () => {
    const root = glueRoot();
    const dir = taskDir(root, GLUE_TASKS['sts-b']);
    const header = ['index', 'genre', 'filename', 'year', 'old_index', 'source1', 'source2', 'sentence1', 'sentence2'];
    writeTsv(join(dir, 'train.tsv'), [
      [...header, 'score'],
      ['0', 'main-captions', 'MSRvid', '2012test', '0001', 'none', 'none', 'A plane is taking off.', 'An air plane is taking off.', '5.000'],
      ['1', 'main-captions', 'MSRvid', '2012test', '0004', 'none', 'none', 'A man is playing a large flute.', 'A man is playing a flute.', '3.800'],
    ]);
    writeTsv(join(dir, 'dev.tsv'), [[...header, 'score'], ['0', 'main-captions', 'MSRvid', '2012test', '0000', 'none', 'none', 'A man with a hard hat is dancing.', 'A man wearing a hard hat is dancing.', '5.000']]);
    writeTsv(join(dir, 'test.tsv'), [header, ['0', 'main-news', 'headlines', '2016', '0001', 'none', 'none', 'Trump:', 'Trump is the first Republican.']]);
    check(read(GLUE_TASKS['sts-b'], root, 'train'), [
      { guid: '0', id: '0', textA: 'A plane is taking off.', textB: 'An air plane is taking off.', label: '5.000', line: 2 },
      { guid: '1', id: '1', textA: 'A man is playing a large flute.', textB: 'A man is playing a flute.', label: '3.800', line: 3 },
    ]);
    check(read(GLUE_TASKS['sts-b'], root, 'dev'), [{ guid: '0', id: '0', textA: 'A man with a hard hat is dancing.', textB: 'A man wearing a hard hat is dancing.', label: '5.000', line: 2 }]);
    check(read(GLUE_TASKS['sts-b'], root, 'test'), [{ guid: '0', id: '0', textA: 'Trump:', textB: 'Trump is the first Republican.', label: null, line: 2 }]);
  });

  it('QQP: header; texts 3 and 4, label 5; short train rows are skipped as the original does; test 1 and 2', () => {
    const dir = tmp();
    const header = ['id', 'qid1', 'qid2', 'question1', 'question2', 'is_duplicate'];
    writeTsv(join(dir, 'train.tsv'), [
      header,
      ['133273', '213221', '213222', 'How is the life of a math student? Could you describe your own experiences?', 'Which level of prepration is enough for the exam jlpt5?', '0'],
      // a question with a newline in it, as in the old QQP train.tsv: two short lines
      ['201841', '303951', '174364', 'How can I create an Android app?'],
      ['How can I develop android app?', '1'],
      ['402555', '536040', '536041', 'How do I control my horny emotions?', 'How do you control your horniness?', '1'],
    ]);
    writeTsv(join(dir, 'dev.tsv'), [header, ['201359', '303345', '303346', 'Why are African-Americans so beautiful?', 'Why are hispanics so beautiful?', '0']]);
    writeTsv(join(dir, 'test.tsv'), [['id', 'question1', 'question2'], ['0', 'Why do rockets look white?', 'Why are rockets and boosters painted white?']]);
    const train = read(GLUE_TASKS.qqp, dir, 'train');
    check(train, [
      { guid: '133273', id: '0', textA: 'How is the life of a math student? Could you describe your own experiences?', textB: 'Which level of prepration is enough for the exam jlpt5?', label: '0', line: 2 },
      { guid: '402555', id: '1', textA: 'How do I control my horny emotions?', textB: 'How do you control your horniness?', label: '1', line: 5 },
    ]);
    assert.deepEqual(train.skipped.map((s) => s.line), [3, 4]);
    assert.match(train.skipped[0].reason, /expected at least 6 tab-separated columns, found 4 \(column 5 holds question2\)/);
    assert.match(train.skipped[1].reason, /found 2 \(column 4 holds question1\)/);
    check(read(GLUE_TASKS.qqp, dir, 'dev'), [{ guid: '201359', id: '0', textA: 'Why are African-Americans so beautiful?', textB: 'Why are hispanics so beautiful?', label: '0', line: 2 }]);
    check(read(GLUE_TASKS.qqp, dir, 'test'), [{ guid: '0', id: '0', textA: 'Why do rockets look white?', textB: 'Why are rockets and boosters painted white?', label: null, line: 2 }]);
  });

  it('MNLI: texts 8 and 9, gold_label last; dev and test matched and mismatched', () => {
    const root = glueRoot();
    const dir = taskDir(root, GLUE_TASKS.mnli);
    const s1 = 'Conceptually cream skimming has two basic dimensions - product and geography.';
    const s2 = 'Product and geography are what make cream skimming work. ';
    writeTsv(join(dir, 'train.tsv'), [
      MNLI_TRAIN_HEADER,
      ['0', '31193', '31193n', 'government', ...parses(s1, s2), s1, s2, 'neutral', 'neutral'],
      ['1', '101457', '101457e', 'telephone', ...parses('you know', 'You lose'), 'you know during the season', 'You lose the things', 'entailment', 'entailment'],
    ]);
    writeTsv(join(dir, 'dev_matched.tsv'), [
      MNLI_DEV_HEADER,
      ['0', '63735', '63735n', 'slate', ...parses('a', 'b'), 'The new rights are nice enough', 'Everyone really likes the newest benefits ', 'neutral', 'entailment', 'neutral', 'neutral', 'neutral', 'neutral'],
    ]);
    writeTsv(join(dir, 'dev_mismatched.tsv'), [
      MNLI_DEV_HEADER,
      ['0', '75290', '75290c', 'letters', ...parses('a', 'b'), 'Your contribution helped make it possible', 'Your contributions were of no help', 'contradiction', 'contradiction', 'contradiction', 'contradiction', 'contradiction', 'contradiction'],
    ]);
    writeTsv(join(dir, 'test_matched.tsv'), [MNLI_TEST_HEADER, ['0', '31493', '31493', 'travel', ...parses('a', 'b'), 'Hierbas, ans seco', 'Hierbas is a name']]);
    writeTsv(join(dir, 'test_mismatched.tsv'), [MNLI_TEST_HEADER, ['0', '76891', '76891', 'fiction', ...parses('a', 'b'), 'What have you decided', 'I want to know']]);
    const task = GLUE_TASKS.mnli;
    check(read(task, root, 'train'), [
      { guid: '0', id: '0', textA: s1, textB: s2, label: 'neutral', line: 2 },
      { guid: '1', id: '1', textA: 'you know during the season', textB: 'You lose the things', label: 'entailment', line: 3 },
    ]);
    check(read(task, root, 'dev', 0), [{ guid: '0', id: '0', textA: 'The new rights are nice enough', textB: 'Everyone really likes the newest benefits ', label: 'neutral', line: 2 }]);
    const mm = read(task, root, 'dev', 1);
    check(mm, [{ guid: '0', id: '0', textA: 'Your contribution helped make it possible', textB: 'Your contributions were of no help', label: 'contradiction', line: 2 }]);
    assert.equal(mm.file, join(dir, 'dev_mismatched.tsv'));
    check(read(task, root, 'test', 0), [{ guid: '0', id: '0', textA: 'Hierbas, ans seco', textB: 'Hierbas is a name', label: null, line: 2 }]);
    check(read(task, root, 'test', 1), [{ guid: '0', id: '0', textA: 'What have you decided', textB: 'I want to know', label: null, line: 2 }]);
  });

  it('QNLI, RTE, WNLI: texts 1 and 2, label last', () => {
    const dir = tmp();
    const qnli = join(dir, 'qnli');
    mkdirSync(qnli);
    writeTsv(join(qnli, 'train.tsv'), [['index', 'question', 'sentence', 'label'], ['0', 'When did the third Digimon series begin?', 'Unlike the two seasons before it, Digimon Tamers takes a darker approach.', 'not_entailment']]);
    writeTsv(join(qnli, 'dev.tsv'), [['index', 'question', 'sentence', 'label'], ['0', 'What came into force after the new constitution was herald?', 'As of that day, the new constitution heralding the Second Republic came into force.', 'entailment']]);
    writeTsv(join(qnli, 'test.tsv'), [['index', 'question', 'sentence'], ['0', 'What organization is devoted to Jihad against Israel?', 'For some decades prior to the First Palestine Intifada.']]);
    check(read(GLUE_TASKS.qnli, qnli, 'train'), [{ guid: '0', id: '0', textA: 'When did the third Digimon series begin?', textB: 'Unlike the two seasons before it, Digimon Tamers takes a darker approach.', label: 'not_entailment', line: 2 }]);
    check(read(GLUE_TASKS.qnli, qnli, 'dev'), [{ guid: '0', id: '0', textA: 'What came into force after the new constitution was herald?', textB: 'As of that day, the new constitution heralding the Second Republic came into force.', label: 'entailment', line: 2 }]);
    check(read(GLUE_TASKS.qnli, qnli, 'test'), [{ guid: '0', id: '0', textA: 'What organization is devoted to Jihad against Israel?', textB: 'For some decades prior to the First Palestine Intifada.', label: null, line: 2 }]);

    for (const [name, labels] of [['rte', ['not_entailment', 'entailment']], ['wnli', ['1', '0']]] as const) {
      const d = join(dir, name);
      mkdirSync(d);
      const header = ['index', 'sentence1', 'sentence2', 'label'];
      writeTsv(join(d, 'train.tsv'), [header, ['0', 'No Weapons of Mass Destruction Found in Iraq Yet.', 'Weapons of Mass Destruction Found in Iraq.', labels[0]], ['1', 'A place of sorrow.', 'Pope buried.', labels[1]]]);
      writeTsv(join(d, 'dev.tsv'), [header, ['0', 'Dana Reeve died.', 'Christopher Reeve had an accident.', labels[1]]]);
      writeTsv(join(d, 'test.tsv'), [['index', 'sentence1', 'sentence2'], ['0', 'Mangla was an independent hospital.', 'Mangla was a hospital.']]);
      const task = glueTask(name);
      check(read(task, d, 'train'), [
        { guid: '0', id: '0', textA: 'No Weapons of Mass Destruction Found in Iraq Yet.', textB: 'Weapons of Mass Destruction Found in Iraq.', label: labels[0], line: 2 },
        { guid: '1', id: '1', textA: 'A place of sorrow.', textB: 'Pope buried.', label: labels[1], line: 3 },
      ]);
      check(read(task, d, 'dev'), [{ guid: '0', id: '0', textA: 'Dana Reeve died.', textB: 'Christopher Reeve had an accident.', label: labels[1], line: 2 }]);
      check(read(task, d, 'test'), [{ guid: '0', id: '0', textA: 'Mangla was an independent hospital.', textB: 'Mangla was a hospital.', label: null, line: 2 }]);
    }
  });

  it('AX: diagnostic/diagnostic.tsv, index 0, texts 1 and 2, predict only', () => {
    const root = glueRoot();
    const dir = taskDir(root, GLUE_TASKS.ax);
    writeTsv(join(dir, 'diagnostic.tsv'), [
      ['index', 'sentence1', 'sentence2'],
      ['0', 'The cat sat on the mat.', 'The cat did not sit on the mat.'],
      ['1', 'The cat did not sit on the mat.', 'The cat sat on the mat.'],
    ]);
    check(read(GLUE_TASKS.ax, root, 'test'), [
      { guid: '0', id: '0', textA: 'The cat sat on the mat.', textB: 'The cat did not sit on the mat.', label: null, line: 2 },
      { guid: '1', id: '1', textA: 'The cat did not sit on the mat.', textB: 'The cat sat on the mat.', label: null, line: 3 },
    ]);
    throwsUser(() => readGlueSplit(GLUE_TASKS.ax, root, GLUE_TASKS.ax.test[0], 'train'), /AX has only a test split/);
  });

  it('reads TSV without quote processing, strips \\r and a BOM, ignores trailing blank lines', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'train.tsv'), '\ufeffindex\tsentence1\tsentence2\tlabel\r\n0\t"He said "hi\tit\'s "fine"\tentailment\r\n\r\n\n');
    check(read(GLUE_TASKS.rte, dir, 'train'), [{ guid: '0', id: '0', textA: '"He said "hi', textB: 'it\'s "fine"', label: 'entailment', line: 2 }]);
  });
});

describe('GLUE readers: errors', () => {
  it('a missing file names the file and where it is looked for', () => {
    const dir = tmp();
    throwsUser(() => read(GLUE_TASKS.rte, dir, 'train'), /\/train\.tsv: no such file \(GLUE task RTE expects train\.tsv in the data directory or in its RTE\/ subdirectory\)/);
    throwsUser(() => read(GLUE_TASKS.mnli, dir, 'dev', 1), /dev_mismatched\.tsv: no such file \(GLUE task MNLI expects dev_mismatched\.tsv/);
    throwsUser(() => read(GLUE_TASKS.ax, dir, 'test'), /diagnostic\.tsv: no such file .*diagnostic\/ subdirectory/);
  });

  it('an empty file or a header alone has no examples', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'train.tsv'), '');
    throwsUser(() => read(GLUE_TASKS.rte, dir, 'train'), /train\.tsv: no examples \(the file is empty\)/);
    writeFileSync(join(dir, 'dev.tsv'), 'index\tsentence1\tsentence2\tlabel\n');
    throwsUser(() => read(GLUE_TASKS.rte, dir, 'dev'), /dev\.tsv: no examples \(the file has only a header line\)/);
    writeFileSync(join(dir, 'test.tsv'), 'index\tsentence\n');
    throwsUser(() => read(GLUE_TASKS.cola, dir, 'test'), /test\.tsv: no examples/);
  });

  it('a short row names the file, the line and the missing column', () => {
    const dir = tmp();
    writeTsv(join(dir, 'dev.tsv'), [['index', 'sentence1', 'sentence2', 'label'], ['0', 'a', 'b', 'entailment'], ['1', 'a', 'entailment']]);
    throwsUser(() => read(GLUE_TASKS.rte, dir, 'dev'), /dev\.tsv:3: expected at least 4 tab-separated columns, found 3 \(the last column, 4 or later, holds the label\)/);

    writeTsv(join(dir, 'train.tsv'), [['gj04', '1', '', 'fine'], ['gj04', '1']]);
    throwsUser(() => read(GLUE_TASKS.cola, dir, 'train'), /train\.tsv:2: expected at least 4 tab-separated columns, found 2 \(column 4 holds the sentence\)/);

    const mnli = tmp();
    writeTsv(join(mnli, 'train.tsv'), [MNLI_TRAIN_HEADER, ['0', '1', '1n', 'fiction', ...parses('a', 'b'), 'only sentence1']]);
    throwsUser(() => read(GLUE_TASKS.mnli, mnli, 'train'), /train\.tsv:2: expected at least 11 tab-separated columns, found 9 \(column 10 holds sentence2\)/);

    writeTsv(join(mnli, 'test_matched.tsv'), [MNLI_TEST_HEADER, ['0', '1', '1', 'travel', 'a', 'b']]);
    throwsUser(() => read(GLUE_TASKS.mnli, mnli, 'test', 0), /test_matched\.tsv:2: expected at least 10 tab-separated columns, found 6 \(column 9 holds sentence1\)/);

    // QQP skips short rows only where the original does (train/dev), not in test
    const qqp = tmp();
    writeTsv(join(qqp, 'test.tsv'), [['id', 'question1', 'question2'], ['0', 'only one question']]);
    throwsUser(() => read(GLUE_TASKS.qqp, qqp, 'test'), /test\.tsv:2: expected at least 3 tab-separated columns, found 2 \(column 3 holds question2\)/);
    writeTsv(join(qqp, 'train.tsv'), [['id', 'qid1', 'qid2', 'question1', 'question2', 'is_duplicate'], ['1', '2', '3', 'q']]);
    throwsUser(() => read(GLUE_TASKS.qqp, qqp, 'train'), /train\.tsv: no examples \(all 1 rows were too short\)/);

    // a blank line inside the file
    const sst = tmp();
    writeFileSync(join(sst, 'train.tsv'), 'sentence\tlabel\ngood\t1\n\nbad\t0\n');
    throwsUser(() => read(GLUE_TASKS['sst-2'], sst, 'train'), /train\.tsv:3: expected at least 2 tab-separated columns, found 0 \(column 1 holds the sentence\)/);
  });

  it('a label outside the task\'s label set, or an STS-B score that is not a number', () => {
    const dir = tmp();
    writeTsv(join(dir, 'train.tsv'), [['gj04', '1', '', 'fine'], ['gj04', '2', '', 'bad label']]);
    throwsUser(() => read(GLUE_TASKS.cola, dir, 'train'), /train\.tsv:2: label "2" is not one of 0, 1 for CoLA/);
    writeTsv(join(dir, 'dev_matched.tsv'), [MNLI_DEV_HEADER, ['0', '1', '1n', 'slate', ...parses('a', 'b'), 'a', 'b', '-', '-', '-', '-', '-', '-']]);
    throwsUser(() => read(GLUE_TASKS.mnli, dir, 'dev', 0), /dev_matched\.tsv:2: label "-" is not one of contradiction, entailment, neutral for MNLI/);

    const sts = tmp();
    const row = (score: string): string[] => ['0', 'g', 'f', '2012', '1', 'none', 'none', 'a', 'b', score];
    for (const bad of ['abc', '', 'nan', 'Infinity']) {
      writeTsv(join(sts, 'train.tsv'), [['index', 'genre', 'filename', 'year', 'old_index', 'source1', 'source2', 'sentence1', 'sentence2', 'score'], row('1.5'), row(bad)]);
      throwsUser(() => read(GLUE_TASKS['sts-b'], sts, 'train'), new RegExp(`train\\.tsv:3: score "${bad}" is not a number for STS-B`));
    }
  });

  it('every error is a one-line UserError naming the file', () => {
    const dir = tmp();
    mkdirSync(join(dir, 'train.tsv'));
    throwsUser(() => read(GLUE_TASKS.wnli, dir, 'train'), /train\.tsv: not a file/);
  });
});
