import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  PRESET_NAMES, groupOfLayer, loadAlbertConfig, parseAlbertConfig, presetConfig, toHfJson, toOriginalJson,
  type AlbertConfig,
} from '../../src/model/config.ts';
import { UserError } from '../../src/ir/errors.ts';

/** The albert_base v2 albert_config.json as released, unused keys included. */
const ORIGINAL_BASE = {
  attention_probs_dropout_prob: 0,
  hidden_act: 'gelu',
  hidden_dropout_prob: 0,
  embedding_size: 128,
  hidden_size: 768,
  initializer_range: 0.02,
  intermediate_size: 3072,
  max_position_embeddings: 512,
  num_attention_heads: 12,
  num_hidden_layers: 12,
  num_hidden_groups: 1,
  net_structure_type: 0,
  gap_size: 0,
  num_memory_blocks: 0,
  inner_group_num: 1,
  down_scale_factor: 1,
  type_vocab_size: 2,
  vocab_size: 30000,
};

const HF_BASE = {
  architectures: ['AlbertForMaskedLM'],
  attention_probs_dropout_prob: 0,
  bos_token_id: 2,
  classifier_dropout_prob: 0.1,
  embedding_size: 128,
  eos_token_id: 3,
  hidden_act: 'gelu_new',
  hidden_dropout_prob: 0,
  hidden_size: 768,
  initializer_range: 0.02,
  inner_group_num: 1,
  intermediate_size: 3072,
  layer_norm_eps: 1e-12,
  max_position_embeddings: 512,
  model_type: 'albert',
  num_attention_heads: 12,
  num_hidden_groups: 1,
  num_hidden_layers: 12,
  pad_token_id: 0,
  type_vocab_size: 2,
  vocab_size: 30000,
};

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'albert-config-'));
}

function throwsUser(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof UserError, `expected UserError, got ${String(e)}`);
    assert.match(e.message, pattern);
    assert.ok(!e.message.includes('\n'));
    return true;
  });
}

test('presets load with the released sizes', () => {
  for (const name of ['tiny', 'base', 'large', 'xlarge', 'xxlarge']) assert.ok(PRESET_NAMES.includes(name));
  for (const size of ['base', 'large', 'xlarge', 'xxlarge']) {
    for (const v of ['v1', 'v2']) assert.ok(PRESET_NAMES.includes(`${size}-${v}`));
  }
  const base = loadAlbertConfig('base');
  assert.deepEqual(base, loadAlbertConfig('base-v2'));
  assert.equal(base.hiddenSize, 768);
  assert.equal(base.vocabSize, 30000);
  assert.equal(base.embeddingSize, 128);
  assert.equal(base.hiddenDropoutProb, 0);
  assert.equal(base.hiddenAct, 'gelu_new');
  assert.equal(loadAlbertConfig('base-v1').hiddenDropoutProb, 0.1);
  assert.equal(loadAlbertConfig('large-v1').attentionProbsDropoutProb, 0.1);
  assert.equal(loadAlbertConfig('xxlarge-v1').hiddenDropoutProb, 0);
  const xl = loadAlbertConfig('xlarge');
  assert.equal(xl.hiddenSize / xl.numAttentionHeads, 128);
  const xxl = loadAlbertConfig('xxlarge');
  assert.deepEqual([xxl.hiddenSize, xxl.numHiddenLayers, xxl.numAttentionHeads, xxl.intermediateSize], [4096, 12, 64, 16384]);
  const tiny = loadAlbertConfig('tiny');
  assert.deepEqual([tiny.vocabSize, tiny.embeddingSize, tiny.hiddenSize, tiny.numHiddenLayers], [128, 16, 32, 2]);
});

test('presets are copies', () => {
  const a = presetConfig('base') as AlbertConfig;
  a.hiddenSize = 1;
  assert.equal(loadAlbertConfig('base').hiddenSize, 768);
});

test('overrides apply and are validated', () => {
  const cfg = loadAlbertConfig('tiny', { numHiddenGroups: 2, hiddenDropoutProb: 0.1 });
  assert.equal(cfg.numHiddenGroups, 2);
  assert.equal(cfg.hiddenDropoutProb, 0.1);
  throwsUser(() => loadAlbertConfig('tiny', { numHiddenGroups: 3 }), /tiny \(with overrides\): num_hidden_groups/);
});

test('original albert_config.json: unused keys ignored, gelu is the tanh form', () => {
  const dir = tmp();
  const file = join(dir, 'albert_config.json');
  writeFileSync(file, JSON.stringify(ORIGINAL_BASE));
  const cfg = loadAlbertConfig(file);
  assert.deepEqual(cfg, loadAlbertConfig('base'));
  // A directory resolves to the config inside it.
  assert.deepEqual(loadAlbertConfig(dir), cfg);
  assert.equal(parseAlbertConfig({ ...ORIGINAL_BASE, hidden_act: 'relu' }, 'x').hiddenAct, 'relu');
});

test('HF config.json: gelu is exact, gelu_new and friends are tanh', () => {
  const dir = tmp();
  writeFileSync(join(dir, 'config.json'), JSON.stringify(HF_BASE));
  const cfg = loadAlbertConfig(dir);
  assert.deepEqual(cfg, loadAlbertConfig('base'));
  assert.equal(parseAlbertConfig({ ...HF_BASE, hidden_act: 'gelu' }, 'c').hiddenAct, 'gelu_exact');
  assert.equal(parseAlbertConfig({ ...HF_BASE, hidden_act: 'gelu_fast' }, 'c').hiddenAct, 'gelu_new');
  assert.equal(parseAlbertConfig({ ...HF_BASE, hidden_act: 'gelu_pytorch_tanh' }, 'c').hiddenAct, 'gelu_new');
  // Detected without model_type too, by layer_norm_eps.
  const { model_type: _m, architectures: _a, ...bare } = HF_BASE;
  assert.equal(parseAlbertConfig({ ...bare, hidden_act: 'gelu' }, 'c').hiddenAct, 'gelu_exact');
  // HF defaults embedding_size to 128 and the optional keys.
  const minimal = parseAlbertConfig(
    { model_type: 'albert', vocab_size: 10, hidden_size: 8, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 4 },
    'c',
  );
  assert.equal(minimal.embeddingSize, 128);
  assert.equal(minimal.layerNormEps, 1e-12);
  assert.equal(minimal.classifierDropoutProb, 0.1);
  assert.equal(minimal.typeVocabSize, 2);
  assert.equal(minimal.maxPositionEmbeddings, 512);
});

test('toOriginalJson and toHfJson round-trip', () => {
  for (const act of ['gelu_new', 'gelu_exact', 'relu', 'tanh'] as const) {
    const cfg = { ...loadAlbertConfig('tiny'), hiddenAct: act, numHiddenGroups: 2 };
    assert.deepEqual(parseAlbertConfig(toHfJson(cfg), 'hf'), cfg);
    assert.deepEqual(parseAlbertConfig(toOriginalJson(cfg), 'orig'), cfg);
  }
  const cfg = loadAlbertConfig('base');
  assert.equal(toOriginalJson(cfg).hidden_act, 'gelu');
  assert.equal(toHfJson(cfg).hidden_act, 'gelu_new');
  assert.equal(toHfJson({ ...cfg, hiddenAct: 'gelu_exact' }).hidden_act, 'gelu');
  assert.equal(toHfJson(cfg).model_type, 'albert');
  assert.equal(toHfJson(cfg).layer_norm_eps, 1e-12);
  assert.equal('layer_norm_eps' in toOriginalJson(cfg), false);
  assert.equal(toOriginalJson(cfg).down_scale_factor, 1);
});

test('groupOfLayer = floor(l * G / L)', () => {
  const g2 = { ...loadAlbertConfig('tiny'), numHiddenLayers: 4, numHiddenGroups: 2 };
  assert.deepEqual([0, 1, 2, 3].map((l) => groupOfLayer(g2, l)), [0, 0, 1, 1]);
  const g3 = { ...loadAlbertConfig('base'), numHiddenGroups: 3 };
  assert.deepEqual(
    Array.from({ length: 12 }, (_, l) => groupOfLayer(g3, l)),
    [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2],
  );
  assert.ok(Array.from({ length: 12 }, (_, l) => groupOfLayer(loadAlbertConfig('base'), l)).every((g) => g === 0));
  assert.throws(() => groupOfLayer(g2, 4), RangeError);
});

test('validation errors name the source and the field', () => {
  const bad = (patch: Record<string, unknown>) => () => parseAlbertConfig({ ...ORIGINAL_BASE, ...patch }, 'albert_config.json');
  throwsUser(bad({ hidden_size: 'abc' }), /^albert_config\.json: hidden_size must be a positive integer \(got "abc"\)$/);
  throwsUser(bad({ vocab_size: 0 }), /^albert_config\.json: vocab_size must be a positive integer \(got 0\)$/);
  throwsUser(bad({ intermediate_size: 3.5 }), /intermediate_size must be a positive integer \(got 3\.5\)/);
  throwsUser(bad({ vocab_size: undefined }), /vocab_size must be a positive integer \(got nothing\)/);
  throwsUser(bad({ hidden_size: 770 }), /^albert_config\.json: hidden_size 770 is not divisible by num_attention_heads 12$/);
  throwsUser(bad({ num_hidden_groups: 13 }), /num_hidden_groups must be 1\.\.num_hidden_layers \(12\) \(got 13\)/);
  throwsUser(bad({ num_hidden_groups: 0 }), /num_hidden_groups must be a positive integer \(got 0\)/);
  throwsUser(bad({ hidden_dropout_prob: 1 }), /hidden_dropout_prob must be a number in \[0, 1\) \(got 1\)/);
  throwsUser(bad({ attention_probs_dropout_prob: -0.1 }), /attention_probs_dropout_prob must be a number in \[0, 1\)/);
  throwsUser(bad({ initializer_range: 0 }), /initializer_range must be a positive number \(got 0\)/);
  throwsUser(bad({ hidden_act: 'swish' }), /^albert_config\.json: unknown hidden_act "swish"/);
  throwsUser(() => parseAlbertConfig([1, 2], 'x.json'), /^x\.json: expected a JSON object/);
  throwsUser(() => parseAlbertConfig({ ...HF_BASE, model_type: 'bert' }, 'config.json'), /model_type is "bert"/);
  throwsUser(
    () => parseAlbertConfig({ ...HF_BASE, position_embedding_type: 'relative_key' }, 'config.json'),
    /position_embedding_type "relative_key" is not supported/,
  );
});

test('sizes are bounded: too large for ONNX or any machine is refused up front, naming the key', () => {
  const bad = (patch: Record<string, unknown>) => () => parseAlbertConfig({ ...ORIGINAL_BASE, ...patch }, 'albert_config.json');
  throwsUser(bad({ vocab_size: 2e9 }), /^albert_config\.json: vocab_size must be an integer in 1\.\.1000000 \(got 2000000000\)$/);
  throwsUser(bad({ num_hidden_layers: 1e6, num_hidden_groups: 1 }), /^albert_config\.json: num_hidden_layers must be an integer in 1\.\.1024 \(got 1000000\)$/);
  throwsUser(bad({ hidden_size: 2 ** 20 }), /hidden_size must be an integer in 1\.\.65536/);
  throwsUser(bad({ intermediate_size: 1e7 }), /intermediate_size must be an integer in 1\.\.262144/);
  throwsUser(bad({ num_attention_heads: 4096 }), /num_attention_heads must be an integer in 1\.\.1024/);
  throwsUser(bad({ embedding_size: 1e6 }), /embedding_size must be an integer in 1\.\.65536/);
  throwsUser(bad({ max_position_embeddings: 1e7 }), /max_position_embeddings must be an integer in 2\.\.65536 \(got 10000000\)/);
  throwsUser(bad({ max_position_embeddings: 1 }), /max_position_embeddings must be an integer in 2\.\.65536 \(got 1\)/);
  // The released models, xxlarge included, are well inside.
  for (const name of PRESET_NAMES) assert.doesNotThrow(() => loadAlbertConfig(name, { vocabSize: 30000 }));
});

test('a number too large for a double (1e400 reads as Infinity) is named as such, not "null"', () => {
  const dir = tmp();
  const file = join(dir, 'albert_config.json');
  writeFileSync(file, JSON.stringify(ORIGINAL_BASE).replace(/"vocab_size":\d+/, '"vocab_size":1e400'));
  throwsUser(() => loadAlbertConfig(file), /albert_config\.json: vocab_size is not a finite number \(got Infinity/);
  writeFileSync(file, JSON.stringify(ORIGINAL_BASE).replace(/"initializer_range":[\d.]+/, '"initializer_range":1e999'));
  throwsUser(() => loadAlbertConfig(file), /initializer_range is not a finite number \(got Infinity/);
  throwsUser(() => loadAlbertConfig('tiny', { hiddenDropoutProb: NaN }), /hidden_dropout_prob is not a finite number \(got NaN/);
});

test('file errors name the file; unknown presets list the presets', () => {
  const dir = tmp();
  const broken = join(dir, 'broken.json');
  writeFileSync(broken, '{ "vocab_size": ');
  throwsUser(() => loadAlbertConfig(broken), new RegExp(`^${broken.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: invalid JSON`));
  throwsUser(() => loadAlbertConfig(join(dir, 'missing.json')), /missing\.json": not a file or directory/);
  throwsUser(() => loadAlbertConfig('huge'), /unknown model config "huge".*preset \(tiny, .*base.*xxlarge-v2/);
  throwsUser(() => loadAlbertConfig(dir), /directory has no albert_config\.json or config\.json/);
});
