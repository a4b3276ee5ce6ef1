import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { c as createTar } from 'tar';
import { UserError } from '../../../src/ir/errors.ts';
import { presetConfig, toOriginalJson, type AlbertConfig } from '../../../src/model/config.ts';
import { modelParams, type ParamSpec } from '../../../src/model/params.ts';
import {
  CheckpointMismatchError,
  formatLoadReport,
  guessHead,
  loadCheckpoint,
  loadConfigForCheckpoint,
  openCheckpoint,
} from '../../../src/model/weights/load.ts';
import { readSafetensors, writeSafetensors } from '../../../src/model/weights/safetensors.ts';
import { hfTensors, saveHfModel } from '../../../src/model/weights/save-hf.ts';
import type { WeightTensor } from '../../../src/model/weights/types.ts';
import { normal, rng } from '../../helpers/random.ts';
import { DT, writeTfBundle, type BundleTensor } from './tf-bundle-writer.ts';

const root = mkdtempSync(join(tmpdir(), 'albert-load-'));
let counter = 0;
const freshDir = (): string => {
  const d = join(root, String(counter++));
  mkdirSync(d);
  return d;
};

const tiny = presetConfig('tiny')!;

/** Distinct random values for every parameter, so a swapped or mis-transposed tensor shows. */
function randomValues(params: ParamSpec[], seed = 1): Map<string, Float32Array> {
  const r = rng(seed);
  return new Map(params.map((p) => [p.name, Float32Array.from({ length: p.shape.reduce((a, d) => a * d, 1) }, () => normal(r))]));
}

function assertSameValues(got: Map<string, Float32Array>, want: Map<string, Float32Array>, names: string[]): void {
  for (const n of names) assert.deepEqual(got.get(n), want.get(n), n);
}

/** A TF bundle of float32 tensors named as in the original (optionally with extra entries). */
function writeTfCheckpoint(prefix: string, params: ParamSpec[], values: Map<string, Float32Array>, extra: BundleTensor[] = []): void {
  const tensors: BundleTensor[] = params.map((p) => ({
    name: p.name,
    dtype: DT.FLOAT,
    shape: p.shape,
    bytes: new Uint8Array(values.get(p.name)!.slice().buffer),
  }));
  writeTfBundle(prefix, [...tensors, ...extra]);
}

function isOneLineUserError(pattern: RegExp): (e: unknown) => boolean {
  return (e: unknown) => {
    assert.ok(e instanceof UserError, `not a UserError: ${String(e)}`);
    assert.ok(!e.message.includes('\n'));
    assert.match(e.message, pattern);
    return true;
  };
}

describe('saveHfModel', () => {
  it('writes config.json, model.safetensors (HF names and layout) and spiece.model', () => {
    const params = modelParams(tiny, 'pretraining');
    const values = randomValues(params);
    const dir = freshDir();
    const spm = join(dir, 'x.model');
    writeFileSync(spm, 'not really a model');
    const out = join(dir, 'hf');
    const saved = saveHfModel(out, tiny, params, values, { spmModelFile: spm });
    assert.equal(saved.architecture, 'AlbertForPreTraining');
    assert.deepEqual(readdirSync(out).sort(), ['config.json', 'model.safetensors', 'spiece.model']);
    assert.equal(readFileSync(join(out, 'spiece.model'), 'utf8'), 'not really a model');
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    assert.deepEqual(config.architectures, ['AlbertForPreTraining']);
    assert.equal(config.model_type, 'albert');
    assert.equal(config.hidden_size, tiny.hiddenSize);
    assert.equal(config.hidden_act, 'gelu_new');

    const { tensors, metadata } = readSafetensors(join(out, 'model.safetensors'));
    assert.equal(metadata.format, 'pt'); // transformers refuses files without it
    assert.ok(!tensors.has('predictions.decoder.weight'), 'the tied decoder weight is not written');
    assert.deepEqual(tensors.get('predictions.decoder.bias'), tensors.get('predictions.bias'));
    // ffn kernel: ours [H, I], HF [I, H] with HF[o][i] == ours[i][o].
    const ours = values.get('bert/encoder/transformer/group_0/inner_group_0/ffn_1/intermediate/dense/kernel')!;
    const hf = tensors.get('albert.encoder.albert_layer_groups.0.albert_layers.0.ffn.weight')!;
    const [H, I] = [tiny.hiddenSize, tiny.intermediateSize];
    assert.deepEqual(hf.shape, [I, H]);
    for (const [i, o] of [[0, 0], [1, 0], [0, 1], [H - 1, I - 1], [5, 30]]) assert.equal(hf.data[o * H + i], ours[i * I + o]);
    // Not transposed: embeddings and the [2, H] SOP output weights.
    assert.deepEqual(tensors.get('sop_classifier.classifier.weight')!.data, values.get('cls/seq_relationship/output_weights'));
    assert.deepEqual(tensors.get('albert.embeddings.word_embeddings.weight')!.shape, [tiny.vocabSize, tiny.embeddingSize]);
    assert.equal(tensors.size, params.length + 1);
  });

  it('names the HF class for each head and writes the labels of a classifier', () => {
    const arch = (head: string, numLabels?: number, h?: 'multiple-choice'): string =>
      saveHfModel(freshDir(), tiny, modelParams(tiny, head, { numLabels }), randomValues(modelParams(tiny, head, { numLabels })), { head: h }).architecture;
    assert.equal(arch('mlm'), 'AlbertForMaskedLM');
    assert.equal(arch('squad'), 'AlbertForQuestionAnswering');
    assert.equal(arch('encoder'), 'AlbertModel');
    assert.equal(arch('squad2'), 'AlbertModel');
    assert.equal(arch('multiple-choice', undefined, 'multiple-choice'), 'AlbertForMultipleChoice');
    const dir = freshDir();
    const params = modelParams(tiny, 'classifier', { numLabels: 3 });
    saveHfModel(dir, tiny, params, randomValues(params));
    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    assert.deepEqual(config.architectures, ['AlbertForSequenceClassification']);
    assert.deepEqual(config.id2label, { 0: 'LABEL_0', 1: 'LABEL_1', 2: 'LABEL_2' });
  });

  it('leaves the directory as it was when a file cannot be written', () => {
    const params = modelParams(tiny, 'encoder');
    const dir = freshDir();
    writeFileSync(join(dir, 'config.json'), 'old');
    assert.throws(
      () => saveHfModel(dir, tiny, params, randomValues(params), { spmModelFile: join(dir, 'missing.model') }),
      isOneLineUserError(/cannot copy the SentencePiece model .*missing\.model: ENOENT/),
    );
    assert.deepEqual(readdirSync(dir), ['config.json']);
    assert.equal(readFileSync(join(dir, 'config.json'), 'utf8'), 'old');
    const short = randomValues(params);
    short.set('bert/pooler/dense/bias', new Float32Array(3));
    assert.throws(() => saveHfModel(dir, tiny, params, short), isOneLineUserError(/"bert\/pooler\/dense\/bias" has 3 values/));
  });
});

describe('loadCheckpoint from HF files', () => {
  it('loads back exactly what saveHfModel wrote (directory and file), transposes undone', async () => {
    const params = modelParams(tiny, 'pretraining');
    const values = randomValues(params, 2);
    const dir = freshDir();
    saveHfModel(dir, tiny, params, values);
    for (const [spec, format] of [[dir, 'hf-dir'], [join(dir, 'model.safetensors'), 'safetensors']] as const) {
      const { values: got, report } = await loadCheckpoint(spec, params);
      assert.equal(report.format, format);
      assert.equal(report.source, spec);
      assert.deepEqual(report.loaded, params.map((p) => p.name));
      assert.deepEqual(report.missing, []);
      assert.deepEqual(report.unexpected, []); // predictions.decoder.bias is an alias, not unused
      assertSameValues(got, values, params.map((p) => p.name));
      assert.equal(got.size, params.length);
    }
  });

  it('loads AlbertModel files (no "albert." prefix), initialises and reports missing head parameters', async () => {
    const encoder = modelParams(tiny, 'encoder');
    const values = randomValues(encoder, 3);
    const tensors = new Map([...hfTensors(encoder, values)].map(([n, t]) => [n.replace(/^albert\./, ''), t]));
    // Buffers and tied copies older HF saves carry are skipped silently; anything else is reported.
    tensors.set('embeddings.position_ids', { dtype: 'int64', shape: [1, 4], data: BigInt64Array.from([0n, 1n, 2n, 3n]) });
    tensors.set('predictions.decoder.weight', { dtype: 'float32', shape: [1], data: new Float32Array(1) });
    tensors.set('some_other.weight', { dtype: 'float16', shape: [2], data: Float32Array.from([1, 2]) });
    const file = join(freshDir(), 'model.safetensors');
    writeSafetensors(file, tensors);

    const params = modelParams(tiny, 'pretraining');
    const logs: string[] = [];
    const a = await loadCheckpoint(file, params, { seed: 7, log: (l) => logs.push(l) });
    const b = await loadCheckpoint(file, params, { seed: 7 });
    const c = await loadCheckpoint(file, params, { seed: 8 });
    assertSameValues(a.values, values, encoder.map((p) => p.name));
    const encoderNames = new Set(encoder.map((p) => p.name));
    const head = params.map((p) => p.name).filter((n) => !encoderNames.has(n));
    assert.equal(head.length, 7);
    assert.deepEqual(a.report.missing, head);
    assert.deepEqual(a.report.unexpected, ['some_other.weight']);
    assert.match(logs.join('\n'), /7 parameters not in .*model\.safetensors: initialised \(seed 7\)/);
    // Initialised per the table: truncated normal (|x| <= 2 stddev), zeros, ones; seeded.
    const dense = a.values.get('cls/predictions/transform/dense/kernel')!;
    assert.ok(dense.every((x) => Math.abs(x) <= 2 * tiny.initializerRange) && dense.some((x) => x !== 0));
    assert.ok(a.values.get('cls/predictions/output_bias')!.every((x) => x === 0));
    assert.ok(a.values.get('cls/predictions/transform/LayerNorm/gamma')!.every((x) => x === 1));
    assert.deepEqual(a.values.get('cls/seq_relationship/output_weights'), b.values.get('cls/seq_relationship/output_weights'));
    assert.notDeepEqual(a.values.get('cls/seq_relationship/output_weights'), c.values.get('cls/seq_relationship/output_weights'));

    const lines = formatLoadReport(a.report);
    assert.match(lines[0], new RegExp(`^loaded ${encoder.length} of ${params.length} parameters from .*model\\.safetensors \\(safetensors\\)$`));
    assert.match(lines[1], /not in the checkpoint, initialised: cls\/predictions\/transform\/dense\/kernel, .*\(1 more\)$/);
    assert.match(lines[2], /in the checkpoint, not used: some_other\.weight$/);
  });

  it('rejects shapes that do not fit the config, listing the first few', async () => {
    const params = modelParams(tiny, 'mlm');
    const dir = freshDir();
    saveHfModel(dir, tiny, params, randomValues(params));
    const other: AlbertConfig = { ...tiny, hiddenSize: 48, vocabSize: 100 };
    await assert.rejects(loadCheckpoint(dir, modelParams(other, 'mlm')), (e: unknown) => {
      assert.ok(e instanceof CheckpointMismatchError);
      assert.ok(!e.message.includes('\n'));
      assert.match(e.message, /tensors do not fit the model config: "albert\.embeddings\.word_embeddings\.weight" is \[128, 16\], expected \[100, 16\]; "albert\.encoder\.embedding_hidden_mapping_in\.weight" is \[32, 16\], expected \[48, 16\]; .*; and \d+ more \(a checkpoint for another config\?/);
      assert.ok(e.mismatched.length > 10);
      return true;
    });
  });

  it('refuses a checkpoint holding none of the parameters, and specs that are no checkpoint', async () => {
    const file = join(freshDir(), 'bert.safetensors');
    writeSafetensors(file, [['bert.embeddings.word_embeddings.weight', { dtype: 'float32', shape: [1], data: new Float32Array(1) }]]);
    await assert.rejects(loadCheckpoint(file, modelParams(tiny, 'encoder')), isOneLineUserError(/none of the model's parameters is in this checkpoint \(it holds 1 tensors, e\.g\. "bert\.embeddings/));
    const dir = freshDir();
    await assert.rejects(loadCheckpoint(dir, []), isOneLineUserError(/no checkpoint in this directory/));
    writeFileSync(join(dir, 'pytorch_model.bin'), 'x');
    await assert.rejects(loadCheckpoint(dir, []), isOneLineUserError(/pytorch_model\.bin .*safetensors/));
    await assert.rejects(loadCheckpoint(join(dir, 'nothing'), []), isOneLineUserError(/checkpoint .*nothing not found/));
    const ints = join(freshDir(), 'model.safetensors');
    writeSafetensors(ints, [['predictions.bias', { dtype: 'int32', shape: [tiny.vocabSize], data: new Int32Array(tiny.vocabSize) }]]);
    await assert.rejects(loadCheckpoint(ints, modelParams(tiny, 'mlm')), isOneLineUserError(/"predictions\.bias" has dtype int32/));
  });

  it('reads float16 and bfloat16 checkpoints as float32', async () => {
    const params = modelParams(tiny, 'encoder');
    const values = randomValues(params, 4);
    const half = new Map([...hfTensors(params, values)].map(([n, t]): [string, WeightTensor] => [n, { ...t, dtype: n.includes('embeddings') ? 'bfloat16' : 'float16' }]));
    const file = join(freshDir(), 'half.safetensors');
    writeSafetensors(file, half);
    const { values: got } = await loadCheckpoint(file, params);
    const w = 'bert/encoder/transformer/group_0/inner_group_0/attention_1/self/query/kernel';
    const err = got.get(w)!.reduce((m, x, i) => Math.max(m, Math.abs(x - values.get(w)![i]) / Math.max(Math.abs(values.get(w)![i]), 2 ** -14)), 0);
    assert.ok(err > 0 && err <= 2 ** -11, `float16 relative error ${err}`);
  });

  it('loads a sharded model.safetensors.index.json', async () => {
    const params = modelParams(tiny, 'mlm');
    const values = randomValues(params, 5);
    const dir = freshDir();
    const all = [...hfTensors(params, values)];
    const half = Math.floor(all.length / 2);
    writeSafetensors(join(dir, 'model-00001-of-00002.safetensors'), all.slice(0, half));
    writeSafetensors(join(dir, 'model-00002-of-00002.safetensors'), all.slice(half));
    const weightMap = Object.fromEntries(all.map(([n], i) => [n, i < half ? 'model-00001-of-00002.safetensors' : 'model-00002-of-00002.safetensors']));
    writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: weightMap }));
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ model_type: 'albert', vocab_size: 128, hidden_size: 32, num_hidden_layers: 2, num_attention_heads: 4, intermediate_size: 37, embedding_size: 16, max_position_embeddings: 64 }));
    const { values: got, report } = await loadCheckpoint(dir, params);
    assert.equal(report.format, 'hf-dir');
    assert.deepEqual(report.unexpected, []);
    assertSameValues(got, values, params.map((p) => p.name));
  });
});

describe('loadCheckpoint from TF checkpoints', () => {
  it('loads a TF prefix, its files, a directory and a TF-Hub "module/" export; skips optimizer slots', async () => {
    const params = modelParams(tiny, 'pretraining');
    const values = randomValues(params, 6);
    const dir = freshDir();
    const prefix = join(dir, 'model.ckpt-1000');
    const slot = (name: string): BundleTensor => ({ name, dtype: DT.FLOAT, shape: [1], bytes: new Uint8Array(4) });
    writeTfCheckpoint(prefix, params, values, [
      { name: 'global_step', dtype: DT.INT64, shape: [], bytes: new Uint8Array(8) },
      slot('bert/pooler/dense/bias/adam_m'),
      slot('bert/pooler/dense/bias/adam_v'),
      slot('bert/pooler/dense/kernel/lamb_m'),
      slot('bert/pooler/dense/kernel/lamb_v'),
      slot('some/extra/variable'),
    ]);
    writeFileSync(join(dir, 'albert_config.json'), JSON.stringify(toOriginalJson(tiny)));
    for (const [spec, format] of [
      [prefix, 'tf-checkpoint'],
      [`${prefix}.index`, 'tf-checkpoint'],
      [`${prefix}.data-00000-of-00001`, 'tf-checkpoint'],
      [dir, 'tf-dir'],
    ] as const) {
      const { values: got, report } = await loadCheckpoint(spec, params);
      assert.equal(report.format, format, spec);
      assert.deepEqual(report.missing, []);
      assert.deepEqual(report.unexpected, ['some/extra/variable']);
      assertSameValues(got, values, params.map((p) => p.name));
    }
    assert.deepEqual(loadConfigForCheckpoint(prefix), tiny);
    assert.deepEqual(loadConfigForCheckpoint(dir), tiny);

    const hub = join(freshDir(), 'variables');
    writeTfCheckpoint(hub, params.map((p) => ({ ...p, name: `module/${p.name}` })), new Map([...values].map(([n, v]) => [`module/${n}`, v])));
    const { values: got } = await loadCheckpoint(hub, params);
    assertSameValues(got, values, params.map((p) => p.name));
  });

  it('derives an identity projection for an original E == H checkpoint, which has none', async () => {
    const cfg: AlbertConfig = { ...tiny, embeddingSize: tiny.hiddenSize };
    const params = modelParams(cfg, 'encoder');
    const values = randomValues(params, 7);
    const prefix = join(freshDir(), 'model.ckpt');
    writeTfCheckpoint(prefix, params.filter((p) => !p.name.includes('embedding_hidden_mapping_in')), values);
    const { values: got, report } = await loadCheckpoint(prefix, params);
    assert.deepEqual(report.missing, []);
    assert.match(report.notes[0], /identity projection/);
    const k = got.get('bert/encoder/embedding_hidden_mapping_in/kernel')!;
    const H = cfg.hiddenSize;
    assert.ok(k.every((x, i) => x === (i % (H + 1) === 0 ? 1 : 0)));
    assert.ok(got.get('bert/encoder/embedding_hidden_mapping_in/bias')!.every((x) => x === 0));
  });

  it('converts a TF checkpoint to HF layout and back with identical values', async () => {
    const params = modelParams(tiny, 'squad');
    const values = randomValues(params, 8);
    const prefix = join(freshDir(), 'model.ckpt-5');
    writeTfCheckpoint(prefix, params, values);
    const { values: fromTf } = await loadCheckpoint(prefix, params);
    const out = freshDir();
    saveHfModel(out, tiny, params, fromTf);
    const { values: fromHf } = await loadCheckpoint(out, params);
    assertSameValues(fromHf, values, params.map((p) => p.name));
  });
});

describe('loadCheckpoint from archives, configs and heads', () => {
  it('loads a .tar.gz of a checkpoint directory and removes what it extracted', async () => {
    const params = modelParams(tiny, 'pretraining');
    const values = randomValues(params, 9);
    const base = freshDir();
    mkdirSync(join(base, 'albert_tiny'));
    writeTfCheckpoint(join(base, 'albert_tiny', 'model.ckpt-best'), params, values);
    writeFileSync(join(base, 'albert_tiny', 'albert_config.json'), JSON.stringify(toOriginalJson(tiny)));
    const archive = join(base, 'albert_tiny.tar.gz');
    createTar({ gzip: true, file: archive, cwd: base, sync: true }, ['albert_tiny']);
    assert.deepEqual(loadConfigForCheckpoint(archive), tiny);
    const logs: string[] = [];
    const { values: got, report } = await loadCheckpoint(archive, params, { log: (l) => logs.push(l) });
    assert.equal(report.format, 'tar.gz');
    assertSameValues(got, values, params.map((p) => p.name));
    const tmp = /extracting .* to (.*)$/.exec(logs[0])![1];
    assert.equal(existsSync(tmp), false, 'the extracted copy is removed');

    const empty = join(base, 'empty.tgz');
    createTar({ gzip: true, file: empty, cwd: base, sync: true }, ['albert_tiny/albert_config.json']);
    await assert.rejects(loadCheckpoint(empty, params), isOneLineUserError(/empty\.tgz: no checkpoint inside/));
  });

  it('finds the config stored with a checkpoint, or none', () => {
    const dir = freshDir();
    assert.equal(loadConfigForCheckpoint(dir), null);
    const params = modelParams(tiny, 'encoder');
    saveHfModel(dir, tiny, params, randomValues(params));
    assert.deepEqual(loadConfigForCheckpoint(dir), tiny);
    assert.deepEqual(loadConfigForCheckpoint(join(dir, 'model.safetensors')), tiny);
    writeFileSync(join(dir, 'config.json'), '{"hidden_size": ');
    assert.throws(() => loadConfigForCheckpoint(dir), isOneLineUserError(/config\.json: invalid JSON/));
  });

  it('guesses the head a checkpoint holds', async () => {
    const guess = async (head: string, numLabels?: number): Promise<ReturnType<typeof guessHead>> => {
      const params = modelParams(tiny, head, { numLabels });
      const dir = freshDir();
      saveHfModel(dir, tiny, params, randomValues(params), { head: head === 'multiple-choice' ? head : undefined });
      const ckpt = await openCheckpoint(dir);
      try {
        return guessHead(ckpt);
      } finally {
        ckpt.close();
      }
    };
    assert.deepEqual(await guess('pretraining'), { head: 'pretraining' });
    assert.deepEqual(await guess('mlm'), { head: 'mlm' });
    assert.deepEqual(await guess('encoder'), { head: 'encoder' });
    assert.deepEqual(await guess('squad'), { head: 'squad' });
    assert.deepEqual(await guess('squad2'), { head: 'squad2' });
    assert.deepEqual(await guess('classifier', 3), { head: 'classifier', numLabels: 3 });
    assert.deepEqual(await guess('multiple-choice'), { head: 'multiple-choice' });
  });
});
