import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onnx } from '../../src/backends/onnx/proto.ts';
import { emitModel, encodeModel } from '../../src/backends/onnx/emit.ts';
import { UserError } from '../../src/ir/errors.ts';
import { Graph } from '../../src/ir/graph.ts';
import * as ops from '../../src/ir/ops/index.ts';
import { analyzeOnnx, onnxGraphModel, readOnnxFile, renderDot, renderHtml, renderJson, renderText } from '../../src/inspect/index.ts';
import { assertWellFormedDot } from './helpers.ts';

const FLOAT = 1;

function vi(name: string, shape: (number | string)[]): InstanceType<typeof onnx.ValueInfoProto> {
  return onnx.ValueInfoProto.create({
    name,
    type: { tensorType: { elemType: FLOAT, shape: { dim: shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  });
}

function init(name: string, dims: number[]): InstanceType<typeof onnx.TensorProto> {
  const n = dims.reduce((a, b) => a * b, 1);
  return onnx.TensorProto.create({ name, dims, dataType: FLOAT, rawData: new Uint8Array(4 * n) });
}

function node(opType: string, input: string[], output: string[], attribute: InstanceType<typeof onnx.AttributeProto>[] = []) {
  return onnx.NodeProto.create({ opType, input, output, name: `${opType}_${output[0]}`, attribute });
}

function writeModel(dir: string, graph: Parameters<typeof onnx.GraphProto.create>[0], manifest?: unknown): string {
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'hand',
    opsetImport: [{ domain: '', version: 17 }],
    graph: onnx.GraphProto.create(graph),
  });
  const path = join(dir, 'model.onnx');
  writeFileSync(path, onnx.ModelProto.encode(model).finish());
  if (manifest) writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
  return path;
}

const tmp = (): string => mkdtempSync(join(tmpdir(), 'albert-inspect-'));

describe('inspect of ONNX files', () => {
  it('reports ops, parameters (with the manifest), I/O and MatMul/Gemm FLOPs', () => {
    const gemmAttr = onnx.AttributeProto.create({ name: 'transB', type: onnx.AttributeProto.AttributeType.INT, i: 1 });
    const path = writeModel(
      tmp(),
      {
        name: 'hand',
        input: [vi('A', ['batch', 4]), vi('P', [3]), vi('C', [2, 5])],
        initializer: [init('W', [4, 3]), init('B2', [3, 5])],
        node: [node('MatMul', ['A', 'W'], ['H']), node('Add', ['H', 'P'], ['Y']), node('Gemm', ['C', 'B2'], ['G'], [gemmAttr])],
        output: [vi('Y', ['batch', 3]), vi('G', [2, 3])],
      },
      {
        parameters: [
          { input: 'P', hfName: 'p.bias', shape: [3], transposed: false },
          { input: 'W', hfName: 'w.weight', shape: [4, 3], transposed: true },
        ],
      },
    );
    const file = readOnnxFile(path);
    const r = analyzeOnnx(file, { batchSize: 8 });
    assert.equal(r.nodes, 3);
    assert.equal(r.opset, 17);
    assert.deepEqual(r.ops.map((o) => [o.op, o.count, o.flops]).sort(), [['Add', 1, null], ['Gemm', 1, 60], ['MatMul', 1, 192]]);
    // MatMul 2*8*4*3, Gemm with transB 2*2*5*3.
    assert.equal(r.flops.total, 252);
    assert.equal(r.parameters.count, 12 + 15 + 3);
    assert.deepEqual(
      r.parameters.rows.map((p) => [p.name, p.source, p.hfName]),
      [['W', 'initializer', 'w.weight'], ['B2', 'initializer', undefined], ['P', 'input', 'p.bias']],
    );
    assert.deepEqual(r.inputs.map((i) => [i.name, i.role, i.shape]), [['A', 'input', ['batch', 4]], ['P', 'param', [3]], ['C', 'input', [2, 5]]]);
    assert.deepEqual(r.outputs.map((o) => o.name), ['Y', 'G']);
    assert.equal(r.memory, null);
    assert.match(r.listing, /%G = Gemm\{transB=1\}\(%C, %B2\)/);
    assert.match(r.listing, /%W : float32\[4, 3\] initializer/);

    const model = onnxGraphModel(file, { batchSize: 8 });
    JSON.parse(renderJson(r, model));
    assert.match(renderText(r), /FLOPs\s+252 FLOP/);
    assert.match(renderHtml(r, model), /<td>Gemm<\/td>/);
    // Parameters are P (listed by the manifest), then the initializers W and B2.
    assert.deepEqual(model.params.map((p) => [p.name, p.hfName, p.used]), [['P', 'p.bias', true], ['W', 'w.weight', true], ['B2', undefined, true]]);
    assert.deepEqual(model.nodes.map((n) => n.flops), [192, null, 60]);
    // With the graph model the report has memory figures; H has no shape in the file and is left out, saying so.
    const withMemory = analyzeOnnx(file, { batchSize: 8 }, model).memory!;
    assert.equal(withMemory.peakLiveBytes, 8 * 3 * 4 + 2 * 3 * 4); // Y [8, 3] and G [2, 3], live to the end
    assert.match(withMemory.note, /1 of 3 node outputs have none/);
    const dot = renderDot(model);
    assertWellFormedDot(dot);
    assert.match(dot, /"p0@0" \[label="P\\nfloat32\[3\]", shape=box/);
    assert.match(dot, /"p1@0" -> "n0"/);
  });

  it('says FLOPs are unavailable rather than guessing', () => {
    const graph = {
      name: 'noshapes',
      input: [vi('A', ['batch', 4])],
      initializer: [init('W', [4, 3])],
      node: [node('Relu', ['A'], ['R']), node('MatMul', ['R', 'W'], ['Y'])],
      output: [vi('Y', ['batch', 3])],
    };
    const without = analyzeOnnx(readOnnxFile(writeModel(tmp(), graph)));
    assert.equal(without.flops.total, null);
    assert.match(without.flops.note, /^unavailable: .*MatMul/);
    // With value_info for R the MatMul's operands are known.
    const withInfo = analyzeOnnx(readOnnxFile(writeModel(tmp(), { ...graph, valueInfo: [vi('R', ['batch', 4])] })), { batchSize: 2 });
    assert.equal(withInfo.flops.total, 2 * 2 * 4 * 3);
    const einsum = analyzeOnnx(readOnnxFile(writeModel(tmp(), { ...graph, node: [node('Einsum', ['A', 'W'], ['Y'])] })));
    assert.equal(einsum.flops.total, null);
    assert.match(einsum.flops.note, /Einsum/);
  });

  it('reads what our emitter writes', () => {
    const g = new Graph('dense');
    const x = g.input('x', 'float32', ['batch', 4]);
    const w = g.input('w', 'float32', [4, 3], { role: 'param' });
    g.output('y', ops.relu(ops.matmul(x, w)));
    const dir = tmp();
    const path = join(dir, 'model.onnx');
    writeFileSync(path, encodeModel(emitModel(g, { paramsAs: 'initializers', weights: () => new Float32Array(12) })));
    const r = analyzeOnnx(readOnnxFile(path), { batchSize: 5 });
    assert.equal(r.producer, 'albert-compiler 0.1.0');
    assert.equal(r.parameters.count, 12);
    assert.deepEqual(Object.fromEntries(r.ops.map((o) => [o.op, o.count])), { MatMul: 1, Relu: 1 });
    assert.equal(r.flops.total, 2 * 5 * 4 * 3);
  });

  it('turns unreadable files into user errors', () => {
    const dir = tmp();
    assert.throws(() => readOnnxFile(join(dir, 'missing.onnx')), (e) => e instanceof UserError && /cannot read/.test(e.message));
    const junk = join(dir, 'junk.onnx');
    writeFileSync(junk, new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f]));
    assert.throws(() => readOnnxFile(junk), UserError);
    const path = writeModel(dir, { name: 'm', node: [] }, { parameters: 'nope' });
    assert.throws(() => readOnnxFile(path), (e) => e instanceof UserError && /manifest.json: "parameters" must be an array/.test(e.message));
  });
});
