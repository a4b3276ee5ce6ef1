import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeExample } from '../../src/data/example.ts';
import { readTFRecordsSync } from '../../src/data/tfrecord.ts';
import { PretrainingDataset } from '../../src/tasks/pretraining/dataset.ts';
import { trainUnigram } from '../../src/text/train/unigram-trainer.ts';
import { syllableCorpus } from '../tasks/pretraining/helpers.ts';
import { albert, assertOneLineError } from '../helpers/cli.ts';





const EXPECTED = {
  input_ids: ['int64', 64],
  input_mask: ['int64', 64],
  segment_ids: ['int64', 64],
  token_boundary: ['int64', 64],
  masked_lm_positions: ['int64', 8],
  masked_lm_ids: ['int64', 8],
  masked_lm_weights: ['float', 8],
  next_sentence_labels: ['int64', 1],
};

describe('albert create-pretraining-data', () => {
  let dir = '';
  let model = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'albert-cpd-cli-'));
    mkdirSync(join(dir, 'text'));
    writeFileSync(join(dir, 'text', 'part-1.txt'), syllableCorpus(21, 40));
    writeFileSync(join(dir, 'text', 'part-2.txt'), syllableCorpus(22, 30));
    // A real SentencePiece model of the synthetic language, ALBERT's ids: <pad> 0, <unk> 1, [CLS] 2, [SEP] 3, [MASK] 4.
    model = trainUnigram({ input: [join(dir, 'text', 'part-1.txt'), join(dir, 'text', 'part-2.txt')], vocabSize: 100, modelPrefix: join(dir, 'spm'), doLowerCase: true }).modelPath;
  });

  it('writes TFRecord files of pretraining Examples that read back with the original features and shapes', async () => {
    const outs = [join(dir, 'a-0.tfrecord'), join(dir, 'a-1.tfrecord')];
    const args = (out: string[], meta: string): string[] => [
      'create-pretraining-data', '--input-file', `${join(dir, 'text')}/part-*.txt`, '--output-file', out.join(','), '--spm-model-file', model,
      '--max-seq-length', '64', '--max-predictions-per-seq', '8', '--dupe-factor', '3', '--meta-data', meta, '--json',
    ];
    const [r, again] = await Promise.all([albert(...args(outs, join(dir, 'a.json'))), albert(...args([join(dir, 'b.tfrecord.gz')], join(dir, 'b.json')))]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(again.code, 0, again.stderr);
    const summary = JSON.parse(r.stdout);
    assert.deepEqual(summary.input_files, [join(dir, 'text', 'part-1.txt'), join(dir, 'text', 'part-2.txt')]);
    assert.equal(summary.documents, 70);
    assert.match(r.stderr, /wrote [\d,]+ instances/);
    const meta = JSON.parse(readFileSync(join(dir, 'a.json'), 'utf8'));
    assert.deepEqual(meta, { task_type: 'albert_pretraining', train_data_size: summary.instances, max_seq_length: 64, max_predictions_per_seq: 8 });

    const records = outs.flatMap((f) => [...readTFRecordsSync(f)]);
    assert.equal(records.length, summary.instances);
    assert.ok(records.length > 100);
    let ones = 0;
    for (const rec of records) {
      const ex = decodeExample(rec.data, `${rec.file} record ${rec.index}`);
      assert.deepEqual([...ex.keys()], Object.keys(EXPECTED));
      for (const [name, [kind, length]] of Object.entries(EXPECTED)) {
        const f = ex.get(name)!;
        assert.equal(f.kind, kind, name);
        assert.equal(f.kind !== 'none' && f.values.length, length, name);
      }
      const get = (name: string): number[] => {
        const f = ex.get(name)!;
        return f.kind === 'int64' ? f.values : [];
      };
      const ids = get('input_ids');
      const n = get('input_mask').filter((m) => m === 1).length;
      assert.equal(ids[0], 2, '[CLS] first');
      assert.equal(ids[n - 1], 3, '[SEP] last');
      assert.ok(ids.every((id) => id >= 0 && id < 100));
      ones += get('next_sentence_labels')[0];
    }
    assert.ok(ones > 0 && ones < records.length);
    // The gzip output holds the same records, and the training reader takes them.
    const gz = [...readTFRecordsSync(join(dir, 'b.tfrecord.gz'))];
    assert.equal(gz.length, records.length);
    assert.deepEqual(gz.filter((_, i) => i % 2 === 0).map((x) => Buffer.from(x.data)), [...readTFRecordsSync(outs[0])].map((x) => Buffer.from(x.data)));
    const ds = new PretrainingDataset([join(dir, 'b.tfrecord.gz')], { batchSize: 16, maxSeqLength: 64, maxPredictions: 8, vocabSize: 100, repeat: false });
    let batches = 0;
    for await (const b of ds) {
      assert.equal(b.input_ids.length, 16 * 64);
      batches++;
    }
    assert.equal(batches, Math.floor(records.length / 16));
  });

  it('reports bad inputs in one line and leaves existing outputs alone', async () => {
    const keep = join(dir, 'keep.tfrecord');
    writeFileSync(keep, 'precious');
    const base = ['--spm-model-file', model, '--max-seq-length', '64', '--dupe-factor', '1'];
    const [missing, noMatch, unwritable, badModel, badFloat, noModel] = await Promise.all([
      albert('create-pretraining-data', '--input-file', join(dir, 'nope.txt'), '--output-file', keep, ...base),
      albert('create-pretraining-data', '--input-file', join(dir, 'text', '*.md'), '--output-file', keep, ...base),
      albert('create-pretraining-data', '--input-file', join(dir, 'text', 'part-1.txt'), '--output-file', `${keep},${join(dir, 'no-dir', 'x.tfrecord')}`, ...base),
      albert('create-pretraining-data', '--input-file', join(dir, 'text', 'part-1.txt'), '--output-file', keep, '--spm-model-file', join(dir, 'text', 'part-1.txt')),
      albert('create-pretraining-data', '--input-file', join(dir, 'text', 'part-1.txt'), '--output-file', keep, ...base, '--masked-lm-prob', 'lots'),
      albert('create-pretraining-data', '--input-file', join(dir, 'text', 'part-1.txt'), '--output-file', keep),
    ]);
    assertOneLineError(missing, /--input-file: .*nope\.txt: no such file or directory/);
    assertOneLineError(noMatch, /--input-file: no file matches .*\*\.md/);
    assertOneLineError(unwritable, /cannot write .*no-dir\/x\.tfrecord: no such file or directory/);
    assertOneLineError(badModel, /part-1\.txt/);
    assertOneLineError(badFloat, /masked-lm-prob.*lots/);
    assertOneLineError(noModel, /--spm-model-file/);
    assert.equal(readFileSync(keep, 'utf8'), 'precious');
    assert.ok(!existsSync(join(dir, 'no-dir')));
    assert.deepEqual(readdirSync(dir).filter((f) => f.includes('.tmp-')), []);
  });
});
