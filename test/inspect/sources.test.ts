/**
 * `albert inspect` says the same about one model whatever form it is given in: --config/--head,
 * the model.onnx `albert compile` wrote, and the directory `albert export` wrote. Parameter counts
 * agree (what the graph uses), and the ONNX files are drawn in the IR's scope boxes.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { onnx } from '../../src/backends/onnx/proto.ts';
import { buildModelGraph, compileModel, writeCompiled } from '../../src/compile.ts';
import { exportModel, writeExport } from '../../src/export/export.ts';
import { analyzeGraph, analyzeOnnx, irGraphModel, onnxGraphModel, readOnnxFile, type GraphModel } from '../../src/inspect/index.ts';
import { presetConfig } from '../../src/model/config.ts';
import { albert } from '../helpers/cli.ts';
import { tempDir, writeCheckpoint } from '../export/fixtures.ts';

/** The scope paths a model's nodes sit in (its boxes), synthetic groups left out. */
function scopePaths(m: GraphModel): Set<string> {
  return new Set(m.scopes.filter((s) => s.path && !s.synthetic).map((s) => s.path));
}

describe('inspect of one model as a config, a compiled file and an export', () => {
  const root = tempDir('inspect');
  let compiled: string;
  let exported: string;

  before(async () => {
    compiled = join(root, 'compiled');
    writeCompiled(compileModel({ config: 'tiny', head: 'mlm', mode: 'infer' }), compiled);
    const ckpt = writeCheckpoint(join(root, 'ckpt'), presetConfig('tiny')!, 'mlm').dir;
    exported = join(root, 'export');
    writeExport(await exportModel({ initCheckpoint: ckpt, head: 'mlm' }), exported);
  });

  it('counts the same parameters: the ones the graph uses', () => {
    const graph = buildModelGraph({ config: 'tiny', head: 'mlm', mode: 'infer' });
    const fromConfig = analyzeGraph(graph);
    const file = readOnnxFile(join(compiled, 'model.onnx'));
    const fromFile = analyzeOnnx(file, {}, onnxGraphModel(file));
    const dir = readOnnxFile(exported);
    const fromExport = analyzeOnnx(dir, {}, onnxGraphModel(dir));
    // The MLM graph declares the pooler but reads it nowhere: compile keeps it as initializers,
    // export drops it; neither counts it.
    assert.ok(graph.params().some((v) => v.input!.name.startsWith('bert/pooler/') && v.uses.length === 0));
    assert.ok(fromFile.notes.some((n) => /bert\/pooler\/dense\/kernel/.test(n)), fromFile.notes.join('; '));
    assert.ok(fromConfig.parameters.count > 0);
    assert.equal(fromFile.parameters.count, fromConfig.parameters.count);
    assert.equal(fromExport.parameters.count, fromConfig.parameters.count);
    assert.deepEqual(fromExport.parameters.rows.map((p) => p.name).sort(), fromConfig.parameters.rows.map((p) => p.name).sort());
    // The export directory has no manifest: the HF names come from the graph rebuilt from its config.json.
    assert.ok(fromExport.parameters.rows.every((p) => p.hfName), 'HF names of the export');
    assert.equal(fromExport.parameters.rows.find((p) => p.name === 'bert/embeddings/word_embeddings')?.hfName, 'albert.embeddings.word_embeddings.weight');
  });

  it("draws the files in the IR's scope boxes, the shared block once", () => {
    const ir = irGraphModel(buildModelGraph({ config: 'tiny', head: 'mlm', mode: 'infer' }));
    const file = onnxGraphModel(readOnnxFile(join(compiled, 'model.onnx')));
    const dir = onnxGraphModel(readOnnxFile(exported));
    assert.match(file.scopeNote!, /rebuilt from manifest\.json \(head mlm, mode infer, fusion all\)/);
    assert.match(dir.scopeNote!, /rebuilt from config\.json \(head mlm, fusion standard\)/);
    assert.deepEqual([...scopePaths(file)].sort(), [...scopePaths(ir)].sort());
    for (const m of [ir, file, dir]) {
      assert.ok(scopePaths(m).has('encoder/layer_0/inner_0/attention'), [...scopePaths(m)].join(' '));
      assert.deepEqual(m.folds.map((f) => f.label), ['layer_{0-1}/inner_0']);
    }
    // Every ONNX node is in a box (the export's input casts aside, which sit at the top).
    assert.deepEqual(file.scopes[0].nodes, []);
    assert.ok(dir.scopes[0].nodes.every((n) => dir.nodes[n].op === 'Cast'));
    // Activation memory: the file's value_info gives the IR's values; the peaks are close (the
    // file adds shape bookkeeping, and computes a few values differently).
    const peakIr = ir.memory!.peakBytes;
    const peakFile = file.memory!.peakBytes;
    assert.ok(Math.abs(peakFile - peakIr) / peakIr < 0.25, `${peakFile} vs ${peakIr}`);
  });

  it('takes scopes from node names that are paths, and says when it finds none', () => {
    const dir = join(root, 'named');
    mkdirSync(dir);
    const vi = (name: string) => onnx.ValueInfoProto.create({ name, type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 4 }] } } } });
    const model = onnx.ModelProto.create({
      irVersion: 8,
      opsetImport: [{ domain: '', version: 17 }],
      graph: onnx.GraphProto.create({
        name: 'named',
        input: [vi('x')],
        output: [vi('z')],
        node: [
          onnx.NodeProto.create({ opType: 'Relu', input: ['x'], output: ['y'], name: '/albert/encoder/layer.0/Relu' }),
          onnx.NodeProto.create({ opType: 'Neg', input: ['y'], output: ['z'], name: '/albert/pooler/Neg' }),
        ],
      }),
    });
    writeFileSync(join(dir, 'model.onnx'), onnx.ModelProto.encode(model).finish());
    const m = onnxGraphModel(readOnnxFile(join(dir, 'model.onnx')));
    assert.deepEqual(m.nodes.map((n) => m.scopes[n.scope].path), ['albert/encoder/layer.0', 'albert/pooler']);
    assert.equal(m.scopeNote, 'scopes from the node names');

    // Our file without its manifest: nothing to rebuild the graph from.
    const bare = join(root, 'bare');
    mkdirSync(bare);
    copyFileSync(join(compiled, 'model.onnx'), join(bare, 'model.onnx'));
    const b = onnxGraphModel(readOnnxFile(join(bare, 'model.onnx')));
    assert.match(b.scopeNote!, /name no scopes and there is no manifest\.json .* nodes are shown ungrouped/);
    assert.equal(b.scopes.length, 1);
  });

  it('albert inspect: --json and --format json are one document, for a directory too', async () => {
    const [a, b, c, d] = await Promise.all([
      albert('inspect', exported, '--json'),
      albert('inspect', exported, '--format', 'json'),
      albert('inspect', join(compiled, 'model.onnx'), '--json'),
      albert('inspect', '--config', 'tiny', '--head', 'mlm', '--json'),
    ]);
    for (const r of [a, b, c, d]) assert.equal(r.code, 0, r.stderr);
    assert.equal(a.stdout, b.stdout);
    const docs = [a, c, d].map((r) => JSON.parse(r.stdout));
    for (const doc of docs) {
      assert.equal(doc.graph.format, 'albert-inspect/graph@1');
      assert.equal(doc.graph.folds.length, 1);
    }
    assert.equal(docs[0].kind, 'onnx');
    assert.equal(docs[2].kind, 'ir');
    assert.deepEqual(new Set(docs.map((x) => x.parameters.count)).size, 1);
    const both = await albert('inspect', exported, '--json', '--format', 'text');
    assert.notEqual(both.code, 0);
    assert.match(both.stderr, /--json asks for --format json/);
  });
});
