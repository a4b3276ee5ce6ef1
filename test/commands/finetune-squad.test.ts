/**
 * `albert finetune squad` end to end on generated SQuAD JSON: a question-answering task a tiny
 * model learns from fresh weights in seconds (the question asks for the passage's colour or its
 * animal; for v2.0 some passages have no colour, so the colour question has no answer), scored by
 * the official evaluation; the files match what `albert evaluate squad` computes from them; a run
 * killed with SIGKILL and resumed ends with the same bytes; bad inputs are one-line errors.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { trainUnigram } from '../../src/text/train/unigram-trainer.ts';
import { albert, albertWith, assertOneLineError } from '../helpers/cli.ts';
import { rng } from '../helpers/random.ts';

const ANIMALS = ['cat', 'dog', 'bird', 'fish', 'horse', 'cow', 'sheep', 'goat', 'frog', 'bear', 'wolf', 'fox'];
const COLORS = ['red', 'blue', 'green', 'yellow', 'black', 'white', 'brown', 'pink', 'gray', 'orange'];
const FILLER = ['It was a long day.', 'We went home.', 'The sun set late.', 'Nobody said a word.', 'Then it rained.'];

type Rand = () => number;
const pick = <T,>(r: Rand, xs: T[]): T => xs[Math.floor(r() * xs.length)];

/** A SQuAD file: each passage hides "The <animal> is <colour>." among two filler sentences; two questions each. */
function squadJson(n: number, v2: boolean, seed: number): string {
  const r = rng(seed);
  const data = [];
  let qid = 0;
  for (let p = 0; p < n; p++) {
    const a = pick(r, ANIMALS);
    const c = pick(r, COLORS);
    const noColor = v2 && r() < 0.3;
    const key = noColor ? `The ${a} is here.` : `The ${a} is ${c}.`;
    const sents = [...FILLER].sort(() => r() - 0.5).slice(0, 2);
    sents.splice(Math.floor(r() * 3), 0, key);
    const context = sents.join(' ');
    const at = context.indexOf(key);
    const color = noColor
      ? { id: `q${++qid}`, question: 'What color is it?', answers: [], is_impossible: true }
      : { id: `q${++qid}`, question: 'What color is it?', answers: [{ text: c, answer_start: at + `The ${a} is `.length }], ...(v2 ? { is_impossible: false } : {}) };
    const animal = { id: `q${++qid}`, question: 'Which animal is it?', answers: [{ text: a, answer_start: at + 4 }], ...(v2 ? { is_impossible: false } : {}) };
    data.push({ title: `t${p}`, paragraphs: [{ context, qas: [color, animal] }] });
  }
  return JSON.stringify({ version: v2 ? 'v2.0' : '1.1', data });
}

function setup(tag: string): { dir: string; spm: string } {
  const dir = mkdtempSync(join(tmpdir(), `albert-squad-${tag}-`));
  const corpus = join(dir, 'corpus.txt');
  writeFileSync(corpus, ANIMALS.flatMap((a) => COLORS.map((c) => `The ${a} is ${c}. The ${a} is here. What color is it? Which animal is it? ${FILLER.join(' ')}\n`)).join(''));
  trainUnigram({ input: [corpus], vocabSize: 70, modelPrefix: join(dir, 'spm'), doLowerCase: true, seed: 1 });
  return { dir, spm: join(dir, 'spm.model') };
}

const SMALL = ['--albert-config-file', 'tiny', '--max-seq-length', '40', '--doc-stride', '16', '--max-query-length', '12', '--albert-dropout-rate', '0', '--threads', '1'];
const TRAIN = ['--do-train', '--do-predict', '--train-batch-size', '16', '--learning-rate', '1e-3', '--save-checkpoints-steps', '100'];
const json = (path: string): Record<string, number> => JSON.parse(readFileSync(path, 'utf8')) as Record<string, number>;

describe('albert finetune squad', () => {
  it('v1.1: learns a generated QA task from fresh weights; the official scores agree with albert evaluate squad', async () => {
    const { dir, spm } = setup('v1');
    writeFileSync(join(dir, 'train.json'), squadJson(400, false, 1));
    writeFileSync(join(dir, 'dev.json'), squadJson(60, false, 2));
    const out = join(dir, 'out');
    const features = ['--train-feature-file', join(dir, 'train.tf_record'), '--predict-feature-file', join(dir, 'dev.tf_record')];
    const r = await albert('finetune', 'squad', '--version', '1.1', '--train-file', join(dir, 'train.json'), '--predict-file', join(dir, 'dev.json'), '--spm-model-file', spm, '--output-dir', out, ...SMALL, ...TRAIN, '--num-train-epochs', '20', ...features);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /wrote the windows of .*train\.json to/);
    const e = json(join(out, 'eval_results.json'));
    // The feature files are reused for the same settings (the same scores), rebuilt for others.
    const again = await albert('finetune', 'squad', '--version', '1.1', '--predict-file', join(dir, 'dev.json'), '--spm-model-file', spm, '--output-dir', out, ...SMALL, '--do-predict', ...features);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /read the windows of .*dev\.json from/);
    assert.deepEqual(json(join(out, 'eval_results.json')).f1, e.f1);
    const other = await albert('finetune', 'squad', '--version', '1.1', '--predict-file', join(dir, 'dev.json'), '--spm-model-file', spm, '--output-dir', out, ...SMALL.map((a) => (a === '16' ? '12' : a)), '--do-predict', ...features);
    assert.equal(other.code, 0, other.stderr);
    assert.match(other.stderr, /wrote the windows of .*dev\.json to/);
    // Chance is about 1 in 2 spans of the key sentence; the model finds the asked-for one.
    assert.ok(e.exact_match > 75 && e.f1 > 75, `EM ${e.exact_match}, F1 ${e.f1}`);
    const preds = json(join(out, 'predictions.json')) as unknown as Record<string, string>;
    assert.equal(Object.keys(preds).length, 120);
    const nbest = JSON.parse(readFileSync(join(out, 'nbest_predictions.json'), 'utf8')) as Record<string, { text: string; probability: number }[]>;
    assert.ok(Object.values(nbest).every((l) => l.length >= 1 && l[0].text === preds[Object.keys(nbest).find((k) => nbest[k] === l)!]));
    const ev = await albert('evaluate', 'squad', '--data-file', join(dir, 'dev.json'), '--predictions', join(out, 'predictions.json'));
    assert.equal(ev.code, 0, ev.stderr);
    const official = JSON.parse(ev.stdout) as Record<string, number>;
    // predictions.json and eval_results.json are both the last run's (the re-windowed one).
    const last = json(join(out, 'eval_results.json'));
    assert.equal(official.exact_match, last.exact_match);
    assert.equal(official.f1, last.f1);
  });

  it('v2.0 with the span head: unanswerable questions, null_odds.json, HasAns/NoAns and best thresholds', async () => {
    const { dir, spm } = setup('v2');
    writeFileSync(join(dir, 'train.json'), squadJson(400, true, 3));
    writeFileSync(join(dir, 'dev.json'), squadJson(60, true, 4));
    const out = join(dir, 'out');
    const r = await albert('finetune', 'squad', '--version', '2.0', '--head', 'squad', '--train-file', join(dir, 'train.json'), '--predict-file', join(dir, 'dev.json'), '--spm-model-file', spm, '--output-dir', out, ...SMALL, ...TRAIN, '--num-train-epochs', '16');
    assert.equal(r.code, 0, r.stderr);
    const e = json(join(out, 'eval_results.json'));
    for (const k of ['exact', 'f1', 'HasAns_exact', 'NoAns_exact', 'best_f1', 'best_f1_thresh']) assert.equal(typeof e[k], 'number', k);
    // Predicting "no answer" everywhere scores NoAns_total / total (about 15%).
    assert.ok(e.f1 > 55 && e.best_f1 >= e.f1, `F1 ${e.f1}, best ${e.best_f1}`);
    const ev = await albert('evaluate', 'squad', '--data-file', join(dir, 'dev.json'), '--predictions', join(out, 'predictions.json'), '--na-prob-file', join(out, 'null_odds.json'));
    assert.equal(ev.code, 0, ev.stderr);
    const official = JSON.parse(ev.stdout) as Record<string, number>;
    assert.equal(official.exact, e.exact);
    assert.equal(official.best_f1, e.best_f1);
  });

  it('v2.0 with the original v2 head (the default): the beam of starts and ends computed in the graph', async () => {
    const { dir, spm } = setup('v2beam');
    writeFileSync(join(dir, 'train.json'), squadJson(400, true, 3));
    writeFileSync(join(dir, 'dev.json'), squadJson(60, true, 4));
    const out = join(dir, 'out');
    const r = await albert('finetune', 'squad', '--version', '2.0', '--train-file', join(dir, 'train.json'), '--predict-file', join(dir, 'dev.json'), '--spm-model-file', spm, '--output-dir', out, ...SMALL, ...TRAIN, '--num-train-epochs', '16', '--dropout-prob', '0');
    assert.equal(r.code, 0, r.stderr);
    const e = json(join(out, 'eval_results.json'));
    assert.ok(e.f1 > 70 && e.HasAns_f1 > 70 && e.NoAns_exact > 50, `F1 ${e.f1}, HasAns F1 ${e.HasAns_f1}, NoAns ${e.NoAns_exact}`);
    const nbest = JSON.parse(readFileSync(join(out, 'nbest_predictions.json'), 'utf8')) as Record<string, { text: string }[]>;
    assert.ok(Object.values(nbest).every((l) => l.length >= 1));
    // A smaller beam at prediction time: at most 3 x 2 candidate spans per window.
    const small = await albert('finetune', 'squad', '--version', '2.0', '--predict-file', join(dir, 'dev.json'), '--spm-model-file', spm, '--output-dir', out, ...SMALL, '--do-predict', '--start-n-top', '3', '--end-n-top', '2');
    assert.equal(small.code, 0, small.stderr);
    const nb = JSON.parse(readFileSync(join(out, 'nbest_predictions.json'), 'utf8')) as Record<string, { text: string }[]>;
    assert.ok(Object.values(nb).every((l) => l.length >= 1 && l.length <= 6), 'n-best bounded by the beam');
    assertOneLineError(await albert('finetune', 'squad', '--version', '2.0', '--head', 'squad', '--predict-file', join(dir, 'dev.json'), '--spm-model-file', spm, '--output-dir', out, ...SMALL, '--do-predict', '--start-n-top', '3'), /--start-n-top and --end-n-top set the beam of the squad2 head/);
  });

  it('killed with SIGKILL and resumed ends with the same bytes', async () => {
    const { dir, spm } = setup('resume');
    writeFileSync(join(dir, 'train.json'), squadJson(40, false, 5));
    writeFileSync(join(dir, 'dev.json'), squadJson(10, false, 6));
    const run = (out: string, env: Record<string, string> = {}) =>
      albertWith(['finetune', 'squad', '--version', '1.1', '--train-file', join(dir, 'train.json'), '--predict-file', join(dir, 'dev.json'), '--spm-model-file', spm, '--output-dir', out, '--albert-config-file', 'tiny', '--max-seq-length', '40', '--doc-stride', '16', '--max-query-length', '12', '--threads', '1', '--do-train', '--do-predict', '--train-batch-size', '8', '--learning-rate', '1e-3', '--num-train-epochs', '2', '--save-checkpoints-steps', '4', '--grad-accum', '2'], { env });
    const ref = join(dir, 'ref');
    const out = join(dir, 'out');
    const refRun = run(ref);
    for (const point of ['mid-step:3', 'after-checkpoint:4', 'mid-checkpoint:8']) {
      const k = await run(out, { ALBERT_TEST_KILL_AT: point });
      assert.equal(k.signal, 'SIGKILL', `${point}: ${k.stderr.slice(-300)}`);
    }
    const last = await run(out);
    assert.equal(last.code, 0, last.stderr);
    assert.equal((await refRun).code, 0);
    for (const f of ['model.safetensors', join('best', 'model.safetensors'), 'predictions.json', 'nbest_predictions.json']) {
      assert.deepEqual(readFileSync(join(out, f)), readFileSync(join(ref, f)), f);
    }
    // The scores are the same; the model path and the seconds taken are not.
    const scores = (d: string): Record<string, number> => {
      const { model: _m, seconds: _s, ...rest } = JSON.parse(readFileSync(join(d, 'eval_results.json'), 'utf8')) as Record<string, number>;
      void _m;
      void _s;
      return rest;
    };
    assert.deepEqual(scores(out), scores(ref));
  });

  it('gives one-line errors for bad inputs', async () => {
    const { dir, spm } = setup('errors');
    const base = ['finetune', 'squad', '--version', '1.1', '--spm-model-file', spm, '--output-dir', join(dir, 'out'), ...SMALL, ...TRAIN, '--predict-file', join(dir, 'dev.json')];
    writeFileSync(join(dir, 'dev.json'), squadJson(5, false, 7));
    const put = (text: string): string => {
      writeFileSync(join(dir, 'train.json'), text);
      return join(dir, 'train.json');
    };
    assertOneLineError(await albert(...base, '--train-file', put('{"data": [')), /train\.json.*JSON/);
    assertOneLineError(await albert(...base, '--train-file', put('{"data": [{"paragraphs": [{"context": "x", "qas": [{"question": "q", "answers": []}]}]}]}')), /train\.json: data\[0\]\.paragraphs\[0\]\.qas\[0\].*"id"/);
    assertOneLineError(await albert(...base, '--train-file', put('{"data": [{"paragraphs": [{"context": "", "qas": []}]}]}')), /train\.json: data\[0\]\.paragraphs\[0\].*context/);
    const long = JSON.stringify({ data: [{ paragraphs: [{ context: 'The cat is red.', qas: [{ id: 'q1', question: 'What color is it? '.repeat(20), answers: [{ text: 'red', answer_start: 11 }] }] }] }] });
    assertOneLineError(await albert(...base.map((a) => (a === '12' ? '40' : a)), '--train-file', put(long)), /question "q1".*leave no room for the passage/);
    assertOneLineError(await albert(...base.filter((a) => a !== '--do-train').map((a) => (a === join(dir, 'dev.json') ? join(dir, 'missing.json') : a))), /missing\.json/);
    assertOneLineError(await albert('finetune', 'squad', '--version', '1.1', '--head', 'squad2', '--output-dir', join(dir, 'o2'), '--do-predict'), /--head squad2 is the SQuAD 2\.0 head/);
  });
});
