/**
 * CUDA kernel coverage: onnxruntime places a node its CUDA provider has no kernel for on the CPU
 * provider, silently, with copies across inside every step. Every compiled graph's nodes are
 * checked against the provider's kernel table (src/backends/cuda/kernels.json, taken from
 * onnxruntime's docs/OperatorKernels.md), and the gaps found must be exactly the known ones.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compileModel, type CompileMode } from '../../src/compile.ts';
import { cudaKernelGaps, cudaKernelTable, type KernelRegistration } from '../../src/backends/cuda/coverage.ts';
import { onnx } from '../../src/backends/onnx/proto.ts';
import { HEADS, hasLoss } from '../../src/model/heads/registry.ts';
import { multiStepModel, trainingStepLoop } from '../../src/backends/onnx/multi-step.ts';

function registration(domain: string, op: string, opset: number): KernelRegistration | undefined {
  return cudaKernelTable().domains[domain]?.[op]?.kernels.find((k) => k.from <= opset && (k.to === null || opset <= k.to));
}

const T = onnx.TensorProto.DataType;

function tensorInfo(name: string, elemType: number): InstanceType<typeof onnx.ValueInfoProto> {
  return onnx.ValueInfoProto.create({ name, type: { tensorType: { elemType, shape: { dim: [{ dimValue: 4 }] } } } });
}

/** A Loop whose body holds a node CUDA has no kernel for: the body is checked as the graph is. */
function loopWithBody(): Uint8Array {
  const node = (opType: string, input: string[], output: string[], attribute: InstanceType<typeof onnx.AttributeProto>[] = []) =>
    onnx.NodeProto.create({ opType, input, output, name: output[0], attribute });
  const scalar = (elemType: number) => ({ tensorType: { elemType, shape: { dim: [] } } });
  const body = onnx.GraphProto.create({
    name: 'body',
    input: [{ name: 'i', type: scalar(T.INT64) }, { name: 'c', type: scalar(T.BOOL) }, tensorInfo('acc', T.FLOAT)],
    output: [{ name: 'c_out', type: scalar(T.BOOL) }, tensorInfo('acc_out', T.FLOAT)],
    node: [node('Identity', ['c'], ['c_out']), node('SoftmaxCrossEntropyLoss', ['acc', 'labels'], ['acc_out'])],
  });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'loop',
      input: [{ name: 'n', type: scalar(T.INT64) }, { name: 'go', type: scalar(T.BOOL) }, tensorInfo('x', T.FLOAT), tensorInfo('labels', T.INT64)],
      output: [tensorInfo('y', T.FLOAT)],
      node: [node('Loop', ['n', 'go', 'x'], ['y'], [onnx.AttributeProto.create({ name: 'body', type: onnx.AttributeProto.AttributeType.GRAPH, g: body })])],
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

describe('CUDA kernel table', () => {
  it('checks the bodies of control-flow nodes', () => {
    assert.deepEqual(cudaKernelGaps(loopWithBody()), [{ node: 'acc_out', domain: '', op: 'SoftmaxCrossEntropyLoss', reason: 'no kernel' }]);
  });

  it('holds the CUDA provider section of OperatorKernels.md, with its source', () => {
    const t = cudaKernelTable();
    assert.equal(t.source.repo, 'microsoft/onnxruntime');
    assert.match(t.source.commit, /^[0-9a-f]{40}$/);
    assert.ok(Object.keys(t.domains['']).length > 100 && Object.keys(t.domains['com.microsoft']).length > 30);
  });

  it('knows some facts', () => {
    assert.ok(registration('', 'MatMul', 17)?.types.T.includes('float'));
    assert.ok(registration('', 'LayerNormalization', 17)?.types.T.includes('float'));
    assert.ok(registration('com.microsoft', 'FastGelu', 1)?.types.T.includes('float'));
    // The loss CUDA lacks (the training build's SoftmaxCrossEntropyLossInternal is not listed).
    assert.equal(cudaKernelTable().domains['']['SoftmaxCrossEntropyLoss'], undefined);
    // No BitShift at all; Clip's integer kernels leave out int32.
    assert.equal(cudaKernelTable().domains['']['BitShift'], undefined);
    assert.ok(!registration('', 'Clip', 17)?.types.T.includes('int32'));
    // Opset ranges: LayerNormalization's U is float only from 17, float or double before.
    assert.deepEqual(registration('', 'LayerNormalization', 17)?.types.U, ['float']);
    assert.deepEqual(registration('', 'LayerNormalization', 16)?.types.U, ['double', 'float']);
  });

  it('reports a hand-built model\'s gaps, typing values the model does not describe', () => {
    const node = (opType: string, input: string[], output: string[], extra: Partial<InstanceType<typeof onnx.NodeProto>> = {}) =>
      onnx.NodeProto.create({ opType, input, output, name: output[0], ...extra });
    const model = onnx.ModelProto.create({
      irVersion: 8,
      opsetImport: [{ domain: '', version: 17 }],
      graph: {
        name: 'gaps',
        input: [tensorInfo('x', T.FLOAT), tensorInfo('labels', T.INT64), tensorInfo('n', T.INT64), tensorInfo('u', T.UINT32)],
        output: [tensorInfo('loss', T.FLOAT)],
        node: [
          node('MatMul', ['x', 'x'], ['mm']),
          node('SoftmaxCrossEntropyLoss', ['mm', 'labels'], ['loss']),
          // 'n32' has no value_info: its type comes from Cast's `to`, then flows through Clip's T.
          node('Cast', ['n'], ['n32'], { attribute: [{ name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: T.INT32 }] }),
          node('Clip', ['n32', '', ''], ['clipped']),
          node('BitShift', ['u', 'u'], ['shifted'], { attribute: [{ name: 'direction', type: onnx.AttributeProto.AttributeType.STRING, s: new TextEncoder().encode('RIGHT') }] }),
          node('Add', ['u', 'u'], ['sum']),
        ],
      },
    });
    const gaps = cudaKernelGaps(onnx.ModelProto.encode(model).finish());
    assert.deepEqual(gaps, [
      { node: 'loss', domain: '', op: 'SoftmaxCrossEntropyLoss', reason: 'no kernel' },
      { node: 'clipped', domain: '', op: 'Clip', reason: 'no T=int32 kernel for input 0' },
      { node: 'clipped', domain: '', op: 'Clip', reason: 'no T=int32 kernel for output 0' },
      { node: 'shifted', domain: '', op: 'BitShift', reason: 'no kernel' },
    ]);
  });
});

/**
 * The gaps every head's graphs have today, as domain|op|reason: none. A new gap fails the test (a
 * node that would run on the CPU inside a CUDA step); should one ever be accepted, list it here
 * with where it comes from. The two found when the table was added were lowered away: the
 * dropout hash's uint32 BitShift (now a Div by 2^k, lowerings/random.ts) and DimProduct's int64
 * ReduceProd (now in double, lowerings/reduce.ts).
 */
const KNOWN_GAPS = new Set<string>([]);

describe('CUDA kernel coverage of every compiled graph', () => {
  it('finds exactly the known gaps (none: no node falls back to the CPU)', () => {
    const found = new Map<string, { count: number; graphs: Set<string> }>();
    for (const def of HEADS) {
      const modes: CompileMode[] = hasLoss(def) ? ['infer', 'grad', 'train'] : ['infer'];
      for (const mode of modes) {
        // float32 at both fusion levels, and mixed precision (float16 products) with the fused kernels.
        for (const [fusion, mixedPrecision] of [['all', false], ['none', false], ['all', true]] as const) {
          const c = compileModel({ config: 'tiny', head: def.name, mode, fusion, mixedPrecision, numChoices: def.name === 'multiple-choice' ? 3 : undefined });
          const record = (model: Uint8Array, graph: string): void => {
            for (const g of cudaKernelGaps(model)) {
              const key = `${g.domain}|${g.op}|${g.reason}`;
              const entry = found.get(key) ?? { count: 0, graphs: new Set<string>() };
              entry.count++;
              entry.graphs.add(graph);
              found.set(key, entry);
            }
          };
          const name = `${def.name}/${mode}/${fusion}${mixedPrecision ? '/fp16' : ''}`;
          record(c.model, name);
          // Several steps per run: the step as the body of an ONNX Loop.
          if (mode === 'train') {
            const scale = mixedPrecision ? { growthInterval: 2000, max: 2 ** 64 } : undefined;
            const loop = multiStepModel(onnx.ModelProto.decode(c.model), trainingStepLoop(c.manifest.training!, c.manifest.inputs.map((i) => i.name), scale));
            record(onnx.ModelProto.encode(loop).finish(), `${name}/loop`);
          }
        }
      }
    }
    console.log('CUDA kernel gaps (domain|op|reason: nodes, graphs):');
    for (const [key, { count, graphs }] of [...found].sort(([a], [b]) => a.localeCompare(b))) {
      console.log(`  ${key}: ${count} nodes in ${graphs.size} graphs (${[...graphs].join(', ')})`);
    }
    const keys = new Set(found.keys());
    const unknown = [...keys].filter((k) => !KNOWN_GAPS.has(k));
    const gone = [...KNOWN_GAPS].filter((k) => !keys.has(k));
    assert.deepEqual(unknown, [], `new CUDA kernel gaps (a node would fall back to the CPU): ${unknown.join('; ')}`);
    assert.deepEqual(gone, [], `known CUDA kernel gaps no longer found (take them out of KNOWN_GAPS): ${gone.join('; ')}`);
  });
});
