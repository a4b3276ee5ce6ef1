import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadAlbertConfig } from '../../src/model/config.ts';
import { HEAD_NAMES, countParams, encoderParams, headParams, modelParams, type ParamSpec } from '../../src/model/params.ts';
import { UserError } from '../../src/ir/errors.ts';

const base = loadAlbertConfig('base');

function allHeads(cfg = base): ParamSpec[][] {
  return HEAD_NAMES.map((h) => modelParams(cfg, h, { numLabels: 3 }));
}

test('base encoder and pretraining parameter counts match the released model', () => {
  assert.equal(countParams(encoderParams(base)), 11_683_584);
  assert.equal(countParams(modelParams(base, 'pretraining')), 11_813_810);
  // Sharing: the count does not depend on the number of layers.
  assert.equal(countParams(encoderParams({ ...base, numHiddenLayers: 24 })), 11_683_584);
});

test('groups and inner groups each get their own block', () => {
  const cfg = { ...loadAlbertConfig('tiny'), numHiddenLayers: 4, numHiddenGroups: 2, innerGroupNum: 2 };
  const specs = encoderParams(cfg);
  const names = specs.map((s) => s.name);
  const hf = specs.map((s) => s.hfName);
  assert.ok(names.includes('bert/encoder/transformer/group_1/inner_group_1/attention_1/self/query/kernel'));
  assert.ok(names.includes('bert/encoder/transformer/group_1/inner_group_1/LayerNorm_1/gamma'));
  assert.ok(hf.includes('albert.encoder.albert_layer_groups.1.albert_layers.1.attention.query.weight'));
  assert.ok(hf.includes('albert.encoder.albert_layer_groups.1.albert_layers.1.full_layer_layer_norm.bias'));
  const perBlock = 16; // q,k,v,out dense (8) + 2 LayerNorms (4) + 2 ffn dense (4)
  assert.equal(specs.filter((s) => s.name.includes('/transformer/')).length, 4 * perBlock);
});

test('names map to the documented checkpoint names', () => {
  const byName = new Map(modelParams(base, 'pretraining').map((s) => [s.name, s]));
  const expect: [string, string, number[]][] = [
    ['bert/embeddings/word_embeddings', 'albert.embeddings.word_embeddings.weight', [30000, 128]],
    ['bert/embeddings/position_embeddings', 'albert.embeddings.position_embeddings.weight', [512, 128]],
    ['bert/embeddings/token_type_embeddings', 'albert.embeddings.token_type_embeddings.weight', [2, 128]],
    ['bert/embeddings/LayerNorm/gamma', 'albert.embeddings.LayerNorm.weight', [128]],
    ['bert/encoder/embedding_hidden_mapping_in/kernel', 'albert.encoder.embedding_hidden_mapping_in.weight', [128, 768]],
    ['bert/encoder/transformer/group_0/inner_group_0/attention_1/output/dense/kernel', 'albert.encoder.albert_layer_groups.0.albert_layers.0.attention.dense.weight', [768, 768]],
    ['bert/encoder/transformer/group_0/inner_group_0/LayerNorm/beta', 'albert.encoder.albert_layer_groups.0.albert_layers.0.attention.LayerNorm.bias', [768]],
    ['bert/encoder/transformer/group_0/inner_group_0/ffn_1/intermediate/dense/kernel', 'albert.encoder.albert_layer_groups.0.albert_layers.0.ffn.weight', [768, 3072]],
    ['bert/encoder/transformer/group_0/inner_group_0/ffn_1/intermediate/output/dense/bias', 'albert.encoder.albert_layer_groups.0.albert_layers.0.ffn_output.bias', [768]],
    ['bert/pooler/dense/kernel', 'albert.pooler.weight', [768, 768]],
    ['cls/predictions/transform/dense/kernel', 'predictions.dense.weight', [768, 128]],
    ['cls/predictions/transform/LayerNorm/gamma', 'predictions.LayerNorm.weight', [128]],
    ['cls/predictions/output_bias', 'predictions.bias', [30000]],
    ['cls/seq_relationship/output_weights', 'sop_classifier.classifier.weight', [2, 768]],
    ['cls/seq_relationship/output_bias', 'sop_classifier.classifier.bias', [2]],
  ];
  for (const [tf, hf, shape] of expect) {
    const s = byName.get(tf);
    assert.ok(s, tf);
    assert.equal(s.hfName, hf);
    assert.deepEqual(s.shape, shape);
  }
  assert.deepEqual(byName.get('cls/predictions/output_bias')?.hfAliases, ['predictions.decoder.bias']);
  assert.equal(byName.get('cls/seq_relationship/output_weights')?.transposed, false);
});

test('no duplicate names, TF or HF, for any head', () => {
  for (const specs of allHeads({ ...base, numHiddenGroups: 2, innerGroupNum: 2 })) {
    assert.equal(new Set(specs.map((s) => s.name)).size, specs.length);
    const hf = specs.flatMap((s) => [s.hfName, ...(s.hfAliases ?? [])]);
    assert.equal(new Set(hf).size, hf.length);
  }
});

test('transposed only for 2-D dense kernels; init and decay follow the name', () => {
  for (const specs of allHeads()) {
    for (const s of specs) {
      assert.equal(s.transposed, s.name.endsWith('/kernel'), s.name);
      if (s.transposed) assert.equal(s.shape.length, 2);
      assert.equal(s.decay, !/LayerNorm|bias/.test(s.name), s.name);
      const expected = s.name.endsWith('/gamma') ? 'ones' : s.name.endsWith('/beta') || /bias$/.test(s.name) ? 'zeros' : 'truncated_normal';
      assert.equal(s.init.kind, expected, s.name);
      if (s.init.kind === 'truncated_normal') assert.equal(s.init.stddev, 0.02);
    }
  }
  // Embeddings are decayed, as in the original.
  assert.equal(encoderParams(base)[0].decay, true);
});

test('task heads', () => {
  const H = base.hiddenSize;
  assert.deepEqual(headParams(base, 'encoder'), []);
  assert.deepEqual(headParams(base, 'mlm').map((s) => s.name), [
    'cls/predictions/transform/dense/kernel', 'cls/predictions/transform/dense/bias',
    'cls/predictions/transform/LayerNorm/gamma', 'cls/predictions/transform/LayerNorm/beta', 'cls/predictions/output_bias',
  ]);
  const cls = headParams(base, 'classifier', { numLabels: 3 });
  assert.deepEqual(cls.map((s) => [s.name, s.hfName, s.shape]), [
    ['output_weights', 'classifier.weight', [3, H]],
    ['output_bias', 'classifier.bias', [3]],
  ]);
  assert.deepEqual(headParams(base, 'squad').map((s) => [s.name, s.hfName, s.shape]), [
    ['cls/squad/output_weights', 'qa_outputs.weight', [2, H]],
    ['cls/squad/output_bias', 'qa_outputs.bias', [2]],
  ]);
  assert.deepEqual(headParams(base, 'multiple-choice').map((s) => [s.name, s.shape]), [
    ['output_weights', [1, H]],
    ['output_bias', [1]],
  ]);
  const v2 = new Map(headParams(base, 'squad2').map((s) => [s.name, s]));
  assert.deepEqual(v2.get('start_logits/dense/kernel')?.shape, [H, 1]);
  assert.equal(v2.get('start_logits/dense/kernel')?.hfName, 'squad_v2.start_logits.weight');
  assert.deepEqual(v2.get('end_logits/dense_0/kernel')?.shape, [2 * H, H]);
  assert.equal(v2.get('end_logits/dense_0/kernel')?.hfName, 'squad_v2.end_logits.dense_0.weight');
  assert.equal(v2.get('end_logits/LayerNorm/gamma')?.hfName, 'squad_v2.end_logits.LayerNorm.weight');
  assert.deepEqual(v2.get('answer_class/dense_0/kernel')?.shape, [2 * H, H]);
  assert.deepEqual(v2.get('answer_class/dense_1/kernel')?.shape, [H, 1]);
  assert.equal(v2.has('answer_class/dense_1/bias'), false); // use_bias=False in the original
  assert.equal(v2.size, 11);
});

test('head errors', () => {
  assert.throws(() => headParams(base, 'ner'), (e: unknown) =>
    e instanceof UserError && /unknown head "ner" \(expected one of encoder, pretraining, mlm, classifier, squad, squad2, multiple-choice\)/.test(e.message));
  for (const n of [undefined, 0, -1, 1.5]) {
    assert.throws(() => headParams(base, 'classifier', { numLabels: n }), (e: unknown) =>
      e instanceof UserError && /classifier head: number of labels must be a positive integer/.test(e.message));
  }
});
