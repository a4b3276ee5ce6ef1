// Text classification end to end through the library: a fine-tuned classifier's label names
// travel from its checkpoint into its export; predictions from the checkpoint and from the
// export agree with each other, with the float64 reference interpreter, and with transformers.js
// (run in a child process: it brings its own onnxruntime).
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../../src/ir/errors.ts';
import { interpret } from '../../src/ir/interpreter.ts';
import { tensor, type Tensor } from '../../src/ir/tensor.ts';
import type { AlbertConfig } from '../../src/model/config.ts';
import { buildAlbertGraph } from '../../src/model/albert.ts';
import { exportModel, writeExport } from '../../src/export/export.ts';
import { softmax } from '../../src/predict/load-model.ts';
import { TextClassifier, predictTextClassification, readTextInputs, type TextClassificationResult, type TextInput } from '../../src/predict/text-classification.ts';
import type { ChildRequest, ChildResponse } from '../export/transformers-js-child.ts';
import { SENTENCES, tempDir, tinyConfig, trainSpm, writeCheckpoint } from '../export/fixtures.ts';

const CHILD = fileURLToPath(new URL('../export/transformers-js-child.ts', import.meta.url));
const NAMES = ['entailment', 'neutral', 'contradiction'];
const INPUTS: TextInput[] = [
  { text: SENTENCES[0] },
  { text: 'A man is playing a guitar.', textPair: 'Someone makes music.' },
  { text: 'Café, naïve Zürich', textPair: 'NASA and IBM' },
  { text: SENTENCES[3] },
];

const oneLine = (pattern: RegExp) => (e: unknown) => {
  assert.ok(e instanceof UserError, `not a UserError: ${String(e)}`);
  assert.ok(!e.message.includes('\n'), e.message);
  assert.match(e.message, pattern);
  return true;
};

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Scores by label name. */
const byLabel = (scores: { label: string; score: number }[]): Map<string, number> => new Map(scores.map((s) => [s.label, s.score]));

describe('predict text-classification', () => {
  const root = tempDir('textcls');
  let cfg: AlbertConfig;
  let cls: { dir: string; values: Map<string, Float32Array> };
  let reg: { dir: string; values: Map<string, Float32Array> };
  const web = join(root, 'web');
  const clsExport = join(web, 'mnli');
  const regExport = join(web, 'stsb');

  /** The float64 reference interpreter's logits for one input, from the checkpoint's weights. */
  function referenceLogits(values: Map<string, Float32Array>, numLabels: number, r: TextClassificationResult): number[] {
    const g = buildAlbertGraph(cfg, { head: 'classifier', train: false, numLabels, dtype: 'float64' });
    const n = r.ids.length;
    const feeds: Record<string, Tensor> = {
      input_ids: tensor('int32', [1, n], r.ids),
      input_mask: tensor('int32', [1, n], 1),
      segment_ids: tensor('int32', [1, n], r.tokenTypeIds),
    };
    for (const v of g.params()) feeds[v.input!.name] = tensor('float64', v.shape as number[], values.get(v.input!.name)!);
    return Array.from(interpret(g, feeds, ['logits']).logits.data);
  }

  before(async () => {
    const spm = trainSpm(root);
    cfg = tinyConfig(spm.pieces);
    cls = writeCheckpoint(join(root, 'ckpt-mnli'), cfg, 'classifier', { numLabels: 3, spm: spm.path, seed: 5, labels: { names: NAMES } });
    reg = writeCheckpoint(join(root, 'ckpt-stsb'), cfg, 'classifier', { numLabels: 1, spm: spm.path, seed: 6, labels: { regression: true } });
    writeExport(await exportModel({ initCheckpoint: cls.dir }), clsExport);
    writeExport(await exportModel({ initCheckpoint: reg.dir }), regExport);
  });

  it('the export carries the checkpoint\'s label names and problem type', async () => {
    const config = JSON.parse(readFileSync(join(clsExport, 'config.json'), 'utf8')) as Record<string, unknown>;
    assert.deepEqual(config.architectures, ['AlbertForSequenceClassification']);
    assert.equal(config.num_labels, 3);
    assert.deepEqual(config.id2label, { 0: 'entailment', 1: 'neutral', 2: 'contradiction' });
    assert.deepEqual(config.label2id, { entailment: 0, neutral: 1, contradiction: 2 });
    assert.equal(config.problem_type, 'single_label_classification');
    const stsb = JSON.parse(readFileSync(join(regExport, 'config.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(stsb.problem_type, 'regression');
    assert.deepEqual(stsb.id2label, { 0: 'LABEL_0' });
    const r = await exportModel({ initCheckpoint: cls.dir });
    assert.deepEqual(r.labels, { names: NAMES, problemType: 'single_label_classification', regression: false });
    // A config.json whose labels do not fit the classifier: LABEL_i, with a note; a malformed one: an error.
    const edited = join(root, 'ckpt-edited');
    cpSync(cls.dir, edited, { recursive: true });
    const ckptConfig = JSON.parse(readFileSync(join(edited, 'config.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(edited, 'config.json'), JSON.stringify({ ...ckptConfig, num_labels: 2, id2label: { 0: 'yes', 1: 'no' } }));
    const log: string[] = [];
    const other = await exportModel({ initCheckpoint: edited, log: (l) => log.push(l) });
    assert.deepEqual(other.labels?.names, ['LABEL_0', 'LABEL_1', 'LABEL_2']);
    assert.ok(log.some((l) => /ignoring the 2 labels of .*ckpt-edited\/config\.json: the classifier has 3/.test(l)), log.join('\n'));
    writeFileSync(join(edited, 'config.json'), JSON.stringify({ ...ckptConfig, id2label: { 0: 'yes', 1: 'no', 2: 'yes' } }));
    await assert.rejects(exportModel({ initCheckpoint: edited }), oneLine(/ckpt-edited\/config\.json: "id2label" names "yes" twice/));
    // Explicit labels win.
    const renamed = await exportModel({ initCheckpoint: cls.dir, labels: { names: ['yes', 'maybe', 'no'] } });
    const renamedConfig = JSON.parse(renamed.files.find((f) => f.path === 'config.json')!.data as string) as Record<string, unknown>;
    assert.deepEqual(renamedConfig.id2label, { 0: 'yes', 1: 'maybe', 2: 'no' });
  });

  it('checkpoint and export give the same probabilities, which sum to 1 and are the softmax of the float64 reference logits', async () => {
    const fromCheckpoint = await predictTextClassification({ model: cls.dir }, INPUTS);
    const model = await TextClassifier.load({ model: clsExport });
    assert.equal(model.kind, 'export');
    assert.deepEqual(model.labels, { names: NAMES, problemType: 'single_label_classification', regression: false });
    const fromExport = await model.predictAll(INPUTS);
    for (const [i, input] of INPUTS.entries()) {
      const [a, b] = [fromCheckpoint[i], fromExport[i]];
      assert.deepEqual(a.ids, b.ids);
      assert.deepEqual(a.tokenTypeIds, b.tokenTypeIds);
      // [CLS] text [SEP] (pair [SEP]), as the export's tokenizer and ALBERT's fine-tuning lay it out.
      const e = model.tokenizer.encodePair(input.text, input.textPair ?? null, a.ids.length);
      assert.deepEqual(a.ids, e.inputIds);
      assert.deepEqual(a.tokenTypeIds, e.segmentIds);
      assert.equal(a.ids.filter((id) => id === model.tokenizer.sepId).length, input.textPair ? 2 : 1);
      assert.equal(a.tokenTypeIds.includes(1), input.textPair !== undefined);
      for (const r of [a, b]) {
        assert.deepEqual(r.scores.map((s) => s.label).sort(), [...NAMES].sort());
        assert.ok(Math.abs(r.scores.reduce((s, x) => s + x.score, 0) - 1) < 1e-9);
        for (let j = 1; j < r.scores.length; j++) assert.ok(r.scores[j].score <= r.scores[j - 1].score, 'not best first');
        for (const s of r.scores) assert.equal(NAMES[s.index], s.label);
      }
      const [sa, sb] = [byLabel(a.scores), byLabel(b.scores)];
      for (const name of NAMES) assert.ok(Math.abs(sa.get(name)! - sb.get(name)!) < 1e-6, name);
      const ref = referenceLogits(cls.values, 3, a);
      assert.ok(maxAbsDiff(a.logits, ref) < 1e-4, `logits ${a.logits} vs ${ref}`);
      const probs = softmax(ref);
      for (const s of a.scores) assert.ok(Math.abs(s.score - probs[s.index]) < 1e-5, `${s.label}: ${s.score} vs ${probs[s.index]}`);
    }
    // The logits differ between inputs: the scores are not a constant of the head.
    assert.ok(maxAbsDiff(fromExport[0].logits, fromExport[1].logits) > 1e-4);
    // top k: the k best, in order.
    const top2 = await model.predict(INPUTS[1], 2);
    assert.deepEqual(top2.scores, fromExport[1].scores.slice(0, 2));
    assert.deepEqual((await model.predict(INPUTS[1].text)).ids, (await model.predict({ text: INPUTS[1].text })).ids);
  });

  it('a regression model gives its raw score', async () => {
    const [fromCheckpoint] = await predictTextClassification({ model: reg.dir }, [INPUTS[1]]);
    const model = await TextClassifier.load({ model: regExport });
    assert.equal(model.problemType, 'regression');
    const fromExport = await model.predict(INPUTS[1], 1);
    const ref = referenceLogits(reg.values, 1, fromExport);
    for (const r of [fromCheckpoint, fromExport]) {
      assert.equal(r.scores.length, 1);
      assert.equal(r.scores[0].label, 'LABEL_0');
      assert.ok(Math.abs(r.scores[0].score - ref[0]) < 1e-4, `${r.scores[0].score} vs ${ref[0]}`);
      assert.equal(r.scores[0].score, r.logits[0]);
    }
  });

  it('transformers.js gives our label names and scores (pipeline for a text; its tokenizer and model for a pair)', async (t) => {
    const request: ChildRequest = {
      textClassification: [
        { model: clsExport, inputs: INPUTS.map((x) => ({ text: x.text, ...(x.textPair ? { textPair: x.textPair } : {}) })) },
        { model: regExport, inputs: [{ text: INPUTS[0].text }, { text: INPUTS[1].text, textPair: INPUTS[1].textPair! }] },
      ],
    };
    const out = execFileSync(process.execPath, ['--import', 'tsx', CHILD, JSON.stringify(request)], { encoding: 'utf8', maxBuffer: 64 << 20 });
    const theirs = JSON.parse(out) as ChildResponse;
    const ours = await (await TextClassifier.load({ model: clsExport })).predictAll(INPUTS);
    theirs.textClassification[0].forEach((t, i) => {
      assert.equal(t.via, INPUTS[i].textPair ? 'tokenizer+model' : 'pipeline');
      assert.deepEqual(t.labels.map((l) => l.label), ours[i].scores.map((s) => s.label), `input ${i}`);
      t.labels.forEach((l, j) => assert.ok(Math.abs(l.score - ours[i].scores[j].score) < 1e-5, `input ${i} ${l.label}: ${l.score} vs ${ours[i].scores[j].score}`));
      assert.ok(maxAbsDiff(t.logits, ours[i].logits) < 1e-5);
    });
    // Regression: transformers.js's pipeline applies softmax to every problem type but
    // multi-label, so a one-output regression model always scores 1 there. What can be compared
    // is its model's raw output, which is our score.
    const regression = await TextClassifier.load({ model: regExport });
    const [r0, r1] = theirs.textClassification[1];
    t.diagnostic("transformers.js 4.3.1's pipeline has no regression post-processing (softmax of one logit = 1): comparing its model's raw logit with our score");
    assert.deepEqual(r0.labels, [{ label: 'LABEL_0', score: 1 }]);
    for (const [t, input] of [[r0, { text: INPUTS[0].text }], [r1, INPUTS[1]]] as const) {
      const o = await regression.predict(input);
      assert.ok(Math.abs(t.logits[0] - o.scores[0].score) < 1e-5, `${t.logits[0]} vs ${o.scores[0].score}`);
    }
  });

  it('reads --input files: one text or text<TAB>pair per line, errors naming the line', () => {
    const file = join(root, 'inputs.tsv');
    writeFileSync(file, 'first text\nA man plays.\tSomeone makes music.\r\nlast\n');
    assert.deepEqual(readTextInputs(file), [
      { text: 'first text', textPair: null, where: `${file}:1` },
      { text: 'A man plays.', textPair: 'Someone makes music.', where: `${file}:2` },
      { text: 'last', textPair: null, where: `${file}:3` },
    ]);
    writeFileSync(file, 'one\n\nthree\n');
    assert.throws(() => readTextInputs(file), oneLine(/inputs\.tsv:2: empty line/));
    writeFileSync(file, 'a\tb\tc\n');
    assert.throws(() => readTextInputs(file), oneLine(/inputs\.tsv:1: 2 tabs/));
    writeFileSync(file, '');
    assert.throws(() => readTextInputs(file), oneLine(/^input .*inputs\.tsv: no texts/));
    assert.throws(() => readTextInputs(join(root, 'absent.tsv')), oneLine(/^input .*absent\.tsv: no such file/));
  });

  it('refuses models that are not classifiers, and inputs they cannot take, in one line', async () => {
    const mlmCkpt = writeCheckpoint(join(root, 'ckpt-mlm'), cfg, 'pretraining', { spm: join(clsExport, 'spiece.model') }).dir;
    const mlmExport = join(web, 'mlm');
    writeExport(await exportModel({ initCheckpoint: mlmCkpt }), mlmExport);
    const mcExport = join(web, 'mc');
    writeExport(await exportModel({ initCheckpoint: writeCheckpoint(join(root, 'ckpt-mc'), cfg, 'multiple-choice', { spm: join(clsExport, 'spiece.model') }).dir }), mcExport);
    await assert.rejects(TextClassifier.load({ model: mlmExport }), oneLine(/onnx\/model\.onnx: output "logits" is not \[batch, num_labels\]: text-classification needs a sequence classifier export \(an export of the classifier head\)/));
    await assert.rejects(TextClassifier.load({ model: mcExport }), oneLine(/onnx\/model\.onnx: input "input_ids" is not \[batch, seq\]/));
    await assert.rejects(TextClassifier.load({ model: mlmCkpt }), oneLine(/ckpt-mlm: not a sequence classifier checkpoint \(its head is mlm\)/));
    await assert.rejects(TextClassifier.load({ model: join(root, 'absent') }), oneLine(/absent not found/));

    // An export whose config.json disagrees with its model, or names its labels badly.
    const bad = join(web, 'bad');
    cpSync(clsExport, bad, { recursive: true });
    const config = JSON.parse(readFileSync(join(bad, 'config.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(bad, 'config.json'), JSON.stringify({ ...config, num_labels: 2, id2label: { 0: 'yes', 1: 'no' } }));
    await assert.rejects(TextClassifier.load({ model: bad }), oneLine(/bad\/config\.json: "id2label" has 2 labels but the model's logits have 3/));
    writeFileSync(join(bad, 'config.json'), JSON.stringify({ ...config, id2label: { 0: 'yes', 1: 'no', 3: 'maybe' } }));
    await assert.rejects(TextClassifier.load({ model: bad }), oneLine(/bad\/config\.json: "id2label" has the key "3"/));
    // Without id2label at all: LABEL_i.
    const { id2label: _drop, label2id: _drop2, num_labels: _drop3, ...bare } = config;
    writeFileSync(join(bad, 'config.json'), JSON.stringify(bare));
    assert.deepEqual((await TextClassifier.load({ model: bad })).labels.names, ['LABEL_0', 'LABEL_1', 'LABEL_2']);

    const model = await TextClassifier.load({ model: clsExport });
    await assert.rejects(model.predict('word '.repeat(80)), oneLine(/^the text is \d+ pieces long with \[CLS\] and \[SEP\]; the model takes at most 64/));
    await assert.rejects(model.predictAll([{ text: 'short' }, { text: 'a', textPair: 'word '.repeat(80), where: 'x.tsv:2' }]), oneLine(/^x\.tsv:2: the text pair is \d+ pieces long/));
    await assert.rejects(model.predict('a', 0), oneLine(/^k must be a positive integer \(got 0\)/));
  });
});
