import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exportModel, writeExport } from '../../src/export/export.ts';
import { TextClassifier } from '../../src/predict/text-classification.ts';
import { tempDir, tinyConfig, trainSpm, writeCheckpoint } from '../export/fixtures.ts';
import { albert, albertWith, assertOneLineError } from '../helpers/cli.ts';

const NAMES = ['entailment', 'neutral', 'contradiction'];

interface JsonResult {
  problem_type: string;
  text: string;
  text_pair: string | null;
  scores: { label: string; index: number; score: number }[];
  logits: number[];
  pieces: string[];
  ids: number[];
  token_type_ids: number[];
}

/** "label  0.1234" rows (or label<TAB>score pairs) as [label, score]. */
function parseRows(lines: string[]): [string, number][] {
  return lines.map((l) => {
    const m = /^(\S+) +(-?\d+\.\d{4})$/.exec(l);
    assert.ok(m, `bad row: ${JSON.stringify(l)}`);
    return [m[1], Number(m[2])];
  });
}

describe('albert predict text-classification', () => {
  const root = tempDir('textcls-cli');
  let ckpt: string;
  let exported: string;
  let mlm: string;

  before(async () => {
    const spm = trainSpm(root);
    const cfg = tinyConfig(spm.pieces);
    ckpt = writeCheckpoint(join(root, 'ckpt'), cfg, 'classifier', { numLabels: 3, spm: spm.path, seed: 3, labels: { names: NAMES } }).dir;
    exported = join(root, 'web', 'mnli');
    writeExport(await exportModel({ initCheckpoint: ckpt }), exported);
    mlm = join(root, 'web', 'mlm');
    writeExport(await exportModel({ initCheckpoint: writeCheckpoint(join(root, 'ckpt-mlm'), cfg, 'pretraining', { spm: spm.path }).dir }), mlm);
  });

  it('prints every label with its probability, best first', async () => {
    const r = await albert('predict', 'text-classification', '--model', exported, 'A man is playing a guitar.', 'Someone makes music.');
    assert.equal(r.code, 0, r.stderr);
    const rows = parseRows(r.stdout.trimEnd().split('\n'));
    assert.deepEqual(rows.map(([l]) => l).sort(), [...NAMES].sort());
    for (let i = 1; i < rows.length; i++) assert.ok(rows[i][1] <= rows[i - 1][1], 'not best first');
    assert.ok(Math.abs(rows.reduce((s, [, p]) => s + p, 0) - 1) < 2e-4);
    assert.match(r.stderr, /loaded .* \(export\) in \d+\.\d+ s: 3 labels \(single_label_classification\)/);
    assert.match(r.stderr, /1 input, model run \d+\.\d ms/);
    // The library's answer, to the printed precision.
    const ours = await (await TextClassifier.load({ model: exported })).predict({ text: 'A man is playing a guitar.', textPair: 'Someone makes music.' });
    assert.deepEqual(rows, ours.scores.map((s) => [s.label, Number(s.score.toFixed(4))]));
  });

  it('answers in JSON, the same from the export and from the checkpoint, with --top-k', async () => {
    const [fromExport, fromCheckpoint] = await Promise.all([
      albert('predict', 'text-classification', '--model', exported, '--json', '--top-k', '2', 'The capital of France is Paris.'),
      albert('predict', 'text-classification', '--model', ckpt, '--json', '--top-k', '2', 'The capital of France is Paris.'),
    ]);
    assert.equal(fromExport.code, 0, fromExport.stderr);
    assert.equal(fromCheckpoint.code, 0, fromCheckpoint.stderr);
    assert.match(fromCheckpoint.stderr, /exporting the checkpoint in memory/);
    const a = JSON.parse(fromExport.stdout) as JsonResult;
    const b = JSON.parse(fromCheckpoint.stdout) as JsonResult;
    assert.equal(a.problem_type, 'single_label_classification');
    assert.equal(a.text_pair, null);
    assert.equal(a.scores.length, 2);
    assert.equal(a.logits.length, 3);
    assert.deepEqual([a.ids[0], a.ids[a.ids.length - 1]], [2, 3]);
    assert.ok(a.token_type_ids.every((t) => t === 0));
    assert.deepEqual(b.ids, a.ids);
    assert.deepEqual(b.scores.map((s) => s.label), a.scores.map((s) => s.label));
    b.scores.forEach((s, i) => assert.ok(Math.abs(s.score - a.scores[i].score) < 1e-6));
  });

  it('runs on another device with --device: the same answer as the CPU, or a one-line --device error', async () => {
    const args = ['predict', 'text-classification', '--model', exported, '--json', 'The capital of France is Paris.'];
    const [cpu, webgpu, bad] = await Promise.all([albert(...args), albert(...args, '--device', 'webgpu'), albert(...args, '--device', 'tpu')]);
    assert.equal(cpu.code, 0, cpu.stderr);
    assertOneLineError(bad, /--device "tpu": expected cpu, cuda/);
    if (webgpu.code !== 0) {
      console.log('text-classification: WebGPU did not open here; its error is checked instead');
      assertOneLineError(webgpu, /^Error: --device webgpu: onnxruntime could not open .*`albert doctor` says what is missing$/);
      return;
    }
    const [x, y] = [JSON.parse(cpu.stdout) as JsonResult, JSON.parse(webgpu.stdout) as JsonResult];
    assert.deepEqual(y.scores.map((s) => s.label), x.scores.map((s) => s.label));
    y.logits.forEach((v, i) => assert.ok(Math.abs(v - x.logits[i]) < 1e-4, `logit ${i}: ${v} vs ${x.logits[i]}`));
  });

  it('classifies an --input file (or stdin) line by line, text or text<TAB>pair', async () => {
    const file = join(root, 'inputs.tsv');
    const lines = ['The capital of France is Paris.', 'A man is playing a guitar.\tSomeone makes music.', 'hello world'];
    writeFileSync(file, `${lines.join('\n')}\n`);
    const [text, json, stdin] = await Promise.all([
      albert('predict', 'text-classification', '--model', exported, '--input', file),
      albert('predict', 'text-classification', '--model', exported, '--input', file, '--json', '--top-k', '1'),
      albertWith(['predict', 'text-classification', '--model', exported, '--input', '-'], { stdin: `${lines.join('\n')}\n` }),
    ]);
    for (const r of [text, json, stdin]) assert.equal(r.code, 0, r.stderr);
    assert.match(text.stderr, /3 inputs, model run/);
    const out = text.stdout.trimEnd().split('\n');
    assert.equal(out.length, 3);
    const parsed = out.map((l) => {
      const cells = l.split('\t');
      assert.equal(cells.length, 6, l);
      return [0, 2, 4].map((i) => ({ label: cells[i], score: Number(cells[i + 1]) }));
    });
    for (const row of parsed) assert.deepEqual(row.map((s) => s.label).sort(), [...NAMES].sort());
    assert.equal(stdin.stdout, text.stdout);
    const results = JSON.parse(json.stdout) as JsonResult[];
    assert.equal(json.stdout.trimEnd().split('\n').length, 5, 'one result per line between [ and ]');
    assert.deepEqual(results.map((r) => [r.text, r.text_pair]), [
      [lines[0], null],
      ['A man is playing a guitar.', 'Someone makes music.'],
      ['hello world', null],
    ]);
    results.forEach((r, i) => {
      assert.equal(r.scores.length, 1);
      assert.equal(r.scores[0].label, parsed[i][0].label);
      assert.ok(Math.abs(r.scores[0].score - parsed[i][0].score) < 1e-4);
    });
    assert.ok(results[1].token_type_ids.includes(1));
    // A single argument with the same pair answers as its line did.
    const single = await albert('predict', 'text-classification', '--model', exported, 'A man is playing a guitar.', 'Someone makes music.');
    assert.deepEqual(parseRows(single.stdout.trimEnd().split('\n')).map(([l]) => l), parsed[1].map((s) => s.label));
  });

  it('reports bad requests in one line', async () => {
    const empty = join(root, 'empty');
    mkdirSync(empty, { recursive: true });
    const badInput = join(root, 'bad.tsv');
    writeFileSync(badInput, 'fine\n\nthird\n');
    const [missing, notModel, notClassifier, topK, nothing, both, badLine, tooLong] = await Promise.all([
      albert('predict', 'text-classification', '--model', join(root, 'absent'), 'a text'),
      albert('predict', 'text-classification', '--model', empty, 'a text'),
      albert('predict', 'text-classification', '--model', mlm, 'a text'),
      albert('predict', 'text-classification', '--model', exported, '--top-k', '0', 'a text'),
      albert('predict', 'text-classification', '--model', exported),
      albert('predict', 'text-classification', '--model', exported, '--input', badInput, 'a text'),
      albert('predict', 'text-classification', '--model', exported, '--input', badInput),
      albert('predict', 'text-classification', '--model', exported, 'word '.repeat(80)),
    ]);
    assertOneLineError(missing, /absent not found/);
    assertOneLineError(notModel, /empty: not a model directory: no onnx\/model\.onnx/);
    assertOneLineError(notClassifier, /mlm\/onnx\/model\.onnx: output "logits" is not \[batch, num_labels\]: text-classification needs a sequence classifier export/);
    assertOneLineError(topK, /top-k.*(greater than or equal to 1|positive integer)/i);
    assertOneLineError(nothing, /nothing to classify: give a text \(and a pair\), or --input FILE/);
    assertOneLineError(both, /give the text as arguments or --input FILE, not both/);
    assertOneLineError(badLine, /bad\.tsv:2: empty line/);
    assertOneLineError(tooLong, /the text is \d+ pieces long with \[CLS\] and \[SEP\]; the model takes at most 64/);
  });
});
