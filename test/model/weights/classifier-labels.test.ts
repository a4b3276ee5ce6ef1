// A sequence classifier's labels in config.json: what saveHfModel writes with `labels` (as HF's
// AlbertForSequenceClassification.save_pretrained would), and readClassifierLabels reading
// them back, with one-line errors for a malformed id2label.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../../../src/ir/errors.ts';
import { presetConfig } from '../../../src/model/config.ts';
import { modelParams, type ParamSpec } from '../../../src/model/params.ts';
import { readClassifierLabels, saveHfModel, type ClassifierLabels } from '../../../src/model/weights/save-hf.ts';

const root = mkdtempSync(join(tmpdir(), 'albert-labels-'));
let counter = 0;
const freshDir = (): string => {
  const d = join(root, String(counter++));
  mkdirSync(d);
  return d;
};
const tiny = presetConfig('tiny')!;
const zeros = (params: ParamSpec[]): Map<string, Float32Array> => new Map(params.map((p) => [p.name, new Float32Array(p.shape.reduce((a, d) => a * d, 1))]));

function save(numLabels: number, labels?: ClassifierLabels, head: string = 'classifier'): { dir: string; config: Record<string, unknown> } {
  const dir = freshDir();
  const params = modelParams(tiny, head, { numLabels });
  saveHfModel(dir, tiny, params, zeros(params), { labels, head: head === 'multiple-choice' ? head : undefined });
  return { dir, config: JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown> };
}

const oneLine = (pattern: RegExp) => (e: unknown) => {
  assert.ok(e instanceof UserError, `not a UserError: ${String(e)}`);
  assert.ok(!e.message.includes('\n'), e.message);
  assert.match(e.message, pattern);
  return true;
};

describe('classifier labels in config.json', () => {
  it('saveHfModel writes num_labels, id2label, label2id and problem_type as HF does', () => {
    const { dir, config } = save(3, { names: ['entailment', 'neutral', 'contradiction'] });
    assert.deepEqual(config.architectures, ['AlbertForSequenceClassification']);
    assert.equal(config.num_labels, 3);
    assert.deepEqual(config.id2label, { 0: 'entailment', 1: 'neutral', 2: 'contradiction' });
    assert.deepEqual(config.label2id, { entailment: 0, neutral: 1, contradiction: 2 });
    assert.equal(config.problem_type, 'single_label_classification');
    assert.deepEqual(readClassifierLabels(dir), { names: ['entailment', 'neutral', 'contradiction'], problemType: 'single_label_classification', regression: false });

    const reg = save(1, { regression: true });
    assert.equal(reg.config.num_labels, 1);
    assert.deepEqual(reg.config.id2label, { 0: 'LABEL_0' });
    assert.equal(reg.config.problem_type, 'regression');
    assert.deepEqual(readClassifierLabels(reg.dir), { names: ['LABEL_0'], problemType: 'regression', regression: true });

    const multi = save(2, { names: ['toxic', 'insult'], problemType: 'multi_label_classification' });
    assert.equal(multi.config.problem_type, 'multi_label_classification');
    assert.equal(readClassifierLabels(multi.dir)!.problemType, 'multi_label_classification');
  });

  it('without labels: LABEL_i as before (regression for one output), read back as such', () => {
    const { dir, config } = save(3);
    assert.deepEqual(config.id2label, { 0: 'LABEL_0', 1: 'LABEL_1', 2: 'LABEL_2' });
    assert.equal(config.num_labels, undefined);
    assert.equal(config.problem_type, undefined);
    assert.deepEqual(readClassifierLabels(dir), { names: ['LABEL_0', 'LABEL_1', 'LABEL_2'], problemType: 'single_label_classification', regression: false });
    const one = save(1);
    assert.equal(one.config.problem_type, 'regression');
    assert.equal(readClassifierLabels(one.dir)!.regression, true);
    // No config.json, or one without id2label: no labels.
    assert.equal(readClassifierLabels(freshDir()), null);
    const mlm = save(2, undefined, 'mlm');
    assert.equal(readClassifierLabels(mlm.dir), null);
  });

  it('refuses labels that do not fit the model, before writing anything', () => {
    const params = modelParams(tiny, 'classifier', { numLabels: 3 });
    const attempt = (labels: ClassifierLabels, p: ParamSpec[] = params) => {
      const dir = freshDir();
      assert.throws(() => saveHfModel(dir, tiny, p, zeros(p), { labels }), (e) => {
        assert.deepEqual(readdirSync(dir), []);
        return e instanceof UserError;
      });
      return () => saveHfModel(freshDir(), tiny, p, zeros(p), { labels });
    };
    assert.throws(attempt({ names: ['a', 'b'] }), oneLine(/cannot save the model: 2 label names for a classifier with 3 outputs/));
    assert.throws(attempt({ names: ['a', 'b', 'a'] }), oneLine(/labels 0 and 2 are both named "a"/));
    assert.throws(attempt({ names: ['a', '', 'c'] }), oneLine(/label 1 must be a non-empty string/));
    assert.throws(attempt({ regression: true }), oneLine(/1 label name for a classifier with 3 outputs/));
    const one = modelParams(tiny, 'classifier', { numLabels: 1 });
    assert.throws(attempt({ names: ['score'] }, one), oneLine(/a single-label classifier needs at least 2 labels.*regression: true/));
    const mlm = modelParams(tiny, 'mlm');
    assert.throws(attempt({ names: ['a', 'b'] }, mlm), oneLine(/labels apply to a sequence classifier, and the model is AlbertForMaskedLM/));
  });

  it('reports a malformed id2label in one line naming the file and field', () => {
    const withConfig = (fields: Record<string, unknown>): string => {
      const dir = freshDir();
      writeFileSync(join(dir, 'config.json'), JSON.stringify({ model_type: 'albert', ...fields }));
      return dir;
    };
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ id2label: ['a', 'b'] }, /config\.json: "id2label" must be an object mapping "0"\.\."n-1" to label names/],
      [{ id2label: 'a' }, /"id2label" must be an object/],
      [{ id2label: {} }, /"id2label" is empty/],
      [{ id2label: { 0: 'a', 2: 'b' } }, /"id2label" has the key "2": expected the indices "0"\.\."1"/],
      [{ id2label: { '00': 'a', 1: 'b' } }, /"id2label" has the key "00"/],
      [{ id2label: { 0: 'a', 1: 7 } }, /"id2label"\["1"\] must be a non-empty string \(got 7\)/],
      [{ id2label: { 0: 'a', 1: 'a' } }, /"id2label" names "a" twice \("0" and "1"\)/],
      [{ id2label: { 0: 'a', 1: 'b' }, num_labels: 3 }, /"num_labels" is 3 but "id2label" has 2 labels/],
      [{ id2label: { 0: 'a', 1: 'b' }, problem_type: 'ranking' }, /"problem_type" must be one of single_label_classification, multi_label_classification, regression \(got "ranking"\)/],
    ];
    for (const [fields, pattern] of cases) {
      const dir = withConfig(fields);
      assert.throws(() => readClassifierLabels(dir), oneLine(new RegExp(`${join(dir, 'config.json').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: .*`)), JSON.stringify(fields));
      assert.throws(() => readClassifierLabels(dir), oneLine(pattern), JSON.stringify(fields));
    }
    const broken = freshDir();
    writeFileSync(join(broken, 'config.json'), '{"id2label": ');
    assert.throws(() => readClassifierLabels(broken), oneLine(/config\.json: invalid JSON/));
    assert.ok(existsSync(join(broken, 'config.json')));
  });
});
