import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { UserError } from '../../src/ir/errors.ts';
import { onnx } from '../../src/backends/onnx/proto.ts';
import { emitModel, encodeModel } from '../../src/backends/onnx/emit.ts';
import { buildModelGraph } from '../../src/compile.ts';
import type { AlbertConfig } from '../../src/model/config.ts';
import { EXPORT_HEADS, EXPORT_OUTPUTS, type ExportHead } from '../../src/export/export-graph.ts';
import { exportModel, writeExport, type ExportResult } from '../../src/export/export.ts';
import { AlbertTokenizer } from '../../src/text/albert-tokenizer.ts';
import { checkOnnxModel, onnxCheckerUnavailable } from '../helpers/onnx-checker.ts';
import type { ChildRequest, ChildResponse, ChildTensor } from './transformers-js-child.ts';
import { SENTENCES, tempDir, tinyConfig, trainSpm, writeCheckpoint, type SpmModel } from './fixtures.ts';

const CHILD = fileURLToPath(new URL('./transformers-js-child.ts', import.meta.url));
const root = tempDir('model');
let spm: SpmModel;
let cfg: AlbertConfig;
const NUM_LABELS: Partial<Record<ExportHead, number>> = { classifier: 3 };
const checkpoints = new Map<ExportHead, { dir: string; values: Map<string, Float32Array> }>();
const exports = new Map<ExportHead, ExportResult>();

function checkpointOf(head: ExportHead): { dir: string; values: Map<string, Float32Array> } {
  let c = checkpoints.get(head);
  if (!c) {
    c = writeCheckpoint(join(root, `ckpt-${head}`), cfg, head, { numLabels: NUM_LABELS[head], spm: spm.path, seed: 7 + checkpoints.size });
    checkpoints.set(head, c);
  }
  return c;
}

async function exported(head: ExportHead): Promise<ExportResult> {
  let r = exports.get(head);
  if (!r) {
    r = await exportModel({ initCheckpoint: checkpointOf(head).dir, head });
    exports.set(head, r);
  }
  return r;
}

/** A batch of token inputs with padding at the end of the second row and both segments used. */
function batch(shape: number[], seed: number): { ids: number[]; mask: number[]; types: number[] } {
  let s = seed;
  const r = (n: number): number => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return Math.floor((s / 4294967296) * n);
  };
  const seq = shape[shape.length - 1];
  const n = shape.reduce((a, d) => a * d, 1);
  const ids: number[] = [];
  const mask: number[] = [];
  const types: number[] = [];
  for (let i = 0; i < n; i++) {
    const pos = i % seq;
    const row = Math.floor(i / seq);
    ids.push(r(cfg.vocabSize));
    mask.push(row % 2 === 1 && pos >= seq - 2 ? 0 : 1);
    types.push(pos >= seq / 2 ? 1 : 0);
  }
  return { ids, mask, types };
}

/** Sessions without onnxruntime's warnings (the compiled MLM graph keeps an unused pooler). */
const session = (model: Uint8Array | string): Promise<ort.InferenceSession> =>
  typeof model === 'string' ? ort.InferenceSession.create(model, { logSeverityLevel: 3 }) : ort.InferenceSession.create(model, { logSeverityLevel: 3 });
const int64 = (xs: number[], dims: number[]): ort.Tensor => new ort.Tensor('int64', BigInt64Array.from(xs, (x) => BigInt(x)), dims);
const int32 = (xs: number[], dims: number[]): ort.Tensor => new ort.Tensor('int32', Int32Array.from(xs), dims);

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('albert export', () => {
  before(() => {
    spm = trainSpm(root);
    cfg = tinyConfig(spm.pieces);
  });

  for (const head of EXPORT_HEADS) {
    it(`${head}: int64 HF inputs, HF output names, no Einsum, the compiled infer graph's outputs`, async () => {
      const r = await exported(head);
      const model = onnx.ModelProto.decode(r.model);
      const g = model.graph!;
      const [inputs, outputs, nodes, initializers] = [g.input ?? [], g.output ?? [], g.node ?? [], g.initializer ?? []];
      const tokenDims = head === 'multiple-choice' ? ['batch', 4, 'seq'] : ['batch', 'seq'];
      const expectedInputs = ['input_ids', 'attention_mask', 'token_type_ids', ...(head === 'squad2' ? ['p_mask'] : [])];
      assert.deepEqual(inputs.map((i) => i.name), expectedInputs);
      for (const i of inputs.slice(0, 3)) {
        const t = i.type!.tensorType!;
        assert.equal(t.elemType, onnx.TensorProto.DataType.INT64, i.name!);
        assert.deepEqual(t.shape!.dim!.map((d) => (d.dimParam ? d.dimParam : Number(d.dimValue))), tokenDims);
      }
      assert.deepEqual(outputs.map((o) => o.name), [...EXPORT_OUTPUTS[head]]);
      assert.ok(!nodes.some((n) => n.opType === 'Einsum'), 'an Einsum is left');
      assert.deepEqual(r.report.missing, []);
      // Only what the head reads is an initializer: an MLM export has no pooler, as HF's has none.
      assert.equal(initializers.some((t) => t.name === 'bert/pooler/dense/kernel'), head !== 'mlm' && head !== 'squad' && head !== 'squad2');

      // The same weights through src/compile.ts's infer graph (int32 inputs, our names).
      const { values } = checkpointOf(head);
      const compiledGraph = buildModelGraph({ config: cfg, head, mode: 'infer', numLabels: NUM_LABELS[head] });
      const compiled = encodeModel(emitModel(compiledGraph, { paramsAs: 'initializers', weights: (name) => values.get(name)! }));
      const dims = head === 'multiple-choice' ? [2, 4, 9] : [2, 9];
      const b = batch(dims, 3);
      const pMask = new ort.Tensor('float32', Float32Array.from({ length: 18 }, (_, i) => (i % 9 < 3 ? 1 : 0)), [2, 9]);
      const extra: Record<string, ort.Tensor> = head === 'squad2' ? { p_mask: pMask } : {};
      const [a, c] = await Promise.all([session(r.model), session(compiled)]);
      const got = await a.run({ input_ids: int64(b.ids, dims), attention_mask: int64(b.mask, dims), token_type_ids: int64(b.types, dims), ...extra });
      const want = await c.run({ input_ids: int32(b.ids, dims), input_mask: int32(b.mask, dims), segment_ids: int32(b.types, dims), ...extra });
      for (const name of EXPORT_OUTPUTS[head]) {
        assert.deepEqual(got[name].dims, want[name].dims, name);
        assert.ok(maxAbsDiff(got[name].data as Float32Array, want[name].data as Float32Array) <= 1e-4, name);
      }
    });
  }

  it('keeps Einsum with keepEinsum', async () => {
    const kept = await exportModel({ initCheckpoint: checkpointOf('mlm').dir, head: 'mlm', keepEinsum: true });
    assert.ok((onnx.ModelProto.decode(kept.model).graph?.node ?? []).some((n) => n.opType === 'Einsum'));
  });

  // Skipped, with the reason printed, only where python3-onnx is missing (.ci/run installs it).
  it('passes onnx.checker (full_check) with and without Einsum', { skip: onnxCheckerUnavailable() ?? false }, async () => {
    const kept = await exportModel({ initCheckpoint: checkpointOf('mlm').dir, head: 'mlm', keepEinsum: true });
    for (const head of ['mlm', 'squad2', 'multiple-choice'] as const) checkOnnxModel((await exported(head)).model);
    checkOnnxModel(kept.model);
  });

  it('writes the HF/optimum layout, and the same bytes every time', async () => {
    const a = join(root, 'out-a');
    const b = join(root, 'out-b');
    writeExport(await exportModel({ initCheckpoint: checkpointOf('classifier').dir }), a);
    writeExport(await exportModel({ initCheckpoint: checkpointOf('classifier').dir }), b);
    const files = ['config.json', 'onnx/model.onnx', 'special_tokens_map.json', 'spiece.model', 'tokenizer.json', 'tokenizer_config.json'];
    assert.deepEqual([...readdirSync(a), ...readdirSync(join(a, 'onnx')).map((f) => `onnx/${f}`)].filter((f) => f !== 'onnx').sort(), files);
    for (const f of files) assert.ok(readFileSync(join(a, f)).equals(readFileSync(join(b, f))), `${f} differs between two exports`);
    assert.ok(readFileSync(join(a, 'spiece.model')).equals(readFileSync(spm.path)));
    const config = JSON.parse(readFileSync(join(a, 'config.json'), 'utf8'));
    assert.equal(config.model_type, 'albert');
    assert.deepEqual(config.architectures, ['AlbertForSequenceClassification']);
    assert.deepEqual(config.id2label, { 0: 'LABEL_0', 1: 'LABEL_1', 2: 'LABEL_2' });
    assert.equal(config.vocab_size, cfg.vocabSize);
    assert.equal(config.max_position_embeddings, cfg.maxPositionEmbeddings);
    assert.deepEqual([config.pad_token_id, config.bos_token_id, config.eos_token_id], [0, 2, 3]);
    assert.deepEqual(config.albert_compiler, { head: 'classifier', opset: 17 });

    // Without a SentencePiece model the export has no tokenizer files, and an earlier export's go.
    const bare = writeCheckpoint(join(root, 'ckpt-bare'), cfg, 'encoder').dir;
    const log: string[] = [];
    writeExport(await exportModel({ initCheckpoint: bare, log: (l) => log.push(l) }), a);
    assert.deepEqual(readdirSync(a).sort(), ['config.json', 'onnx']);
    assert.ok(log.some((l) => /no SentencePiece model next to .*--spm-model-file/.test(l)), log.join('\n'));
  });

  it('loads offline in transformers.js, whose tokens and logits equal ours', async () => {
    const dir = join(root, 'web', 'albert-mlm');
    writeExport(await exported('mlm'), dir);
    const clsDir = join(root, 'web', 'albert-cls');
    writeExport(await exported('classifier'), clsDir);
    const texts = SENTENCES.slice(0, 6);
    const pairs: [string, string][] = [[SENTENCES[0], 'hello world'], ['NASA', 'and IBM']];
    const request: ChildRequest = { mlm: dir, texts, classifier: clsDir, pairs };
    const out = execFileSync(process.execPath, ['--import', 'tsx', CHILD, JSON.stringify(request)], { encoding: 'utf8', maxBuffer: 64 << 20 });
    const theirs = JSON.parse(out) as ChildResponse;

    const ours = AlbertTokenizer.fromSpmFile(join(dir, 'spiece.model'));
    const exportSession = await session(join(dir, 'onnx', 'model.onnx'));
    const { values } = checkpointOf('mlm');
    const compiled = await session(
      encodeModel(emitModel(buildModelGraph({ config: cfg, head: 'mlm', mode: 'infer' }), { paramsAs: 'initializers', weights: (name) => values.get(name)! })),
    );
    for (const [i, text] of texts.entries()) {
      const e = ours.encodePair(text, null, 64);
      const n = e.inputMask.reduce((s, x) => s + x, 0);
      const ids = e.inputIds.slice(0, n);
      assert.deepEqual(theirs.mlm[i].ids, ids, text);
      const dims = [1, n];
      const direct = await exportSession.run({ input_ids: int64(ids, dims), attention_mask: int64(e.inputMask.slice(0, n), dims), token_type_ids: int64(e.segmentIds.slice(0, n), dims) });
      const viaCompile = await compiled.run({ input_ids: int32(ids, dims), input_mask: int32(e.inputMask.slice(0, n), dims), segment_ids: int32(e.segmentIds.slice(0, n), dims) });
      assert.deepEqual(theirs.mlm[i].logits.dims, [1, n, cfg.vocabSize]);
      assert.ok(maxAbsDiff(theirs.mlm[i].logits.data, direct.logits.data as Float32Array) <= 1e-4, text);
      assert.ok(maxAbsDiff(theirs.mlm[i].logits.data, viaCompile.logits.data as Float32Array) <= 1e-4, text);
    }
    // A padded pair batch through the classifier: token_type_ids and attention_mask matter.
    const c = theirs.classifier!;
    const tok = c.inputIds.dims;
    pairs.forEach(([a, b], row) => {
      const e = ours.encodePair(a, b, tok[1]);
      const slice = (t: ChildTensor): number[] => t.data.slice(row * tok[1], (row + 1) * tok[1]);
      assert.deepEqual(slice(c.inputIds), e.inputIds);
      assert.deepEqual(slice(c.attentionMask), e.inputMask);
      assert.deepEqual(slice(c.tokenTypeIds), e.segmentIds);
    });
    assert.ok(c.tokenTypeIds.data.includes(1) && c.attentionMask.data.includes(0), 'the batch has no second segment or no padding');
    const clsSession = await session(join(clsDir, 'onnx', 'model.onnx'));
    const direct = await clsSession.run({ input_ids: int64(c.inputIds.data, tok), attention_mask: int64(c.attentionMask.data, tok), token_type_ids: int64(c.tokenTypeIds.data, tok) });
    assert.deepEqual(c.logits.dims, [2, 3]);
    assert.ok(maxAbsDiff(c.logits.data, direct.logits.data as Float32Array) <= 1e-4);
  });

  it('initialises and reports the parameters a checkpoint lacks', async () => {
    const r = await exportModel({ initCheckpoint: checkpointOf('mlm').dir, head: 'classifier', numLabels: 2 });
    assert.deepEqual(r.report.missing.sort(), ['output_bias', 'output_weights']);
    assert.ok(r.report.unexpected.some((n) => n.startsWith('predictions.')));
    // A pretraining-style MLM checkpoint exports its MLM head by default.
    assert.equal((await exportModel({ initCheckpoint: checkpointOf('mlm').dir })).head, 'mlm');
  });

  it('reports bad requests in one line naming the option (as the library spells it) or file', async () => {
    const oneLine = (pattern: RegExp) => (e: unknown) => e instanceof UserError && !e.message.includes('\n') && pattern.test(e.message);
    const ckpt = checkpointOf('mlm').dir;
    await assert.rejects(exportModel({ initCheckpoint: ckpt, opset: 18 }), oneLine(/^opset 18 is not supported \(supported: 17\)/));
    await assert.rejects(exportModel({ initCheckpoint: ckpt, head: 'pretraining' }), oneLine(/^head pretraining cannot be exported.*with head mlm$/));
    await assert.rejects(exportModel({ initCheckpoint: ckpt, head: 'classifier' }), oneLine(/no classifier layer.*: pass numLabels$/));
    await assert.rejects(exportModel({ initCheckpoint: ckpt, head: 'mlm', numLabels: 3 }), oneLine(/^numLabels applies to head classifier only/));
    const missing = join(root, 'nope.model');
    await assert.rejects(exportModel({ initCheckpoint: ckpt, spmModelFile: missing }), oneLine(new RegExp(`^spmModelFile ${missing}: no such file`)));
    const notSpm = join(root, 'not-spm.model');
    writeFileSync(notSpm, 'hello');
    await assert.rejects(exportModel({ initCheckpoint: ckpt, spmModelFile: notSpm }), oneLine(/not-spm\.model: not a SentencePiece model/));
    await assert.rejects(exportModel({ initCheckpoint: join(root, 'absent') }), oneLine(/absent not found/));
    const file = join(root, 'a-file');
    writeFileSync(file, 'x');
    assert.throws(() => writeExport(exports.get('mlm')!, file), oneLine(/a-file is a file/));
    assert.equal(readFileSync(file, 'utf8'), 'x');
    assert.ok(!existsSync(join(root, 'absent')));
  });
});
