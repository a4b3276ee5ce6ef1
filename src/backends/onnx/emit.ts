import type { DType } from '../../ir/dtype.ts';
import { UserError } from '../../ir/errors.ts';
import type { Graph, Value } from '../../ir/graph.ts';
import { canonDim, dimSymbols, type Dim } from '../../ir/shape.ts';
import type { Tensor } from '../../ir/tensor.ts';
import { lowerNode, type OnnxAttr, type OnnxEmitter } from './lowering.ts';
// Registers every op's lowering, so that any graph emitModel is given can be lowered.
import './lowerings/index.ts';
import { onnx } from './proto.ts';
import { float32TensorProto, onnxElemType, tensorProto } from './tensor-proto.ts';

export const DEFAULT_OPSET = 17;

type NodeProto = InstanceType<typeof onnx.NodeProto>;
type TensorProtoT = InstanceType<typeof onnx.TensorProto>;

export interface EmitOptions {
  /** Parameters become initializers (inference) or graph inputs (gradient/training graphs). */
  paramsAs: 'inputs' | 'initializers';
  /** Weights for initializers, by graph input name (required when paramsAs is 'initializers'). */
  weights?: (name: string, v: Value) => Float32Array;
  opset?: number;
  docString?: string;
  /** Extra key/value pairs stored in the model's metadata_props. */
  metadata?: Record<string, string>;
}

/**
 * Most bytes of initializers one model file may hold: protobuf messages are limited to 2 GiB, and
 * the graph itself needs room too. Weights beyond it would need ONNX external data, which this
 * emitter does not write.
 */
export const MAX_INITIALIZER_BYTES = 2 ** 31 - 2 ** 26;

/** Refuses, before any weight is made, a graph whose parameters do not fit in one ONNX file. */
export function checkInitializerSize(graph: Graph): void {
  let values = 0;
  for (const v of graph.inputs) {
    if (v.input!.role !== 'param') continue;
    values += v.shape.reduce<number>((a, d) => a * (typeof d === 'number' ? d : 1), 1);
  }
  const bytes = values * 4;
  if (bytes > MAX_INITIALIZER_BYTES) {
    const gb = (x: number): string => (x / 2 ** 30).toFixed(2);
    throw new UserError(
      `the model's ${values.toLocaleString('en-US')} float32 parameters take ${gb(bytes)} GiB, more than the ${gb(MAX_INITIALIZER_BYTES)} GiB one ONNX file can hold (protobuf's 2 GiB limit; external data is not supported): use a smaller config`,
    );
  }
}

/** Lowers an IR graph to an ONNX ModelProto (ir_version 8). */
export function emitModel(graph: Graph, opts: EmitOptions): InstanceType<typeof onnx.ModelProto> {
  if (opts.paramsAs === 'initializers') checkInitializerSize(graph);
  const e = new Emitter(graph, opts.opset ?? DEFAULT_OPSET);
  const initializers: TensorProtoT[] = [];
  const inputs: InstanceType<typeof onnx.ValueInfoProto>[] = [];
  for (const v of graph.inputs) {
    const info = v.input!;
    if (info.role === 'param' && opts.paramsAs === 'initializers') {
      if (!opts.weights) throw new Error('emitModel: initializers need weights');
      const data = opts.weights(info.name, v);
      const shape = v.shape.map((d) => {
        if (typeof d !== 'number') throw new UserError(`parameter ${info.name} has a symbolic dim ${d}`);
        return d;
      });
      if (v.dtype !== 'float32') throw new Error(`emitModel: initializer ${info.name} must be float32`);
      initializers.push(float32TensorProto(info.name, shape, data));
    } else {
      inputs.push(valueInfo(info.name, v.dtype, v.shape));
    }
  }
  for (const node of graph.nodes) {
    const ins = node.inputs.map((v) => e.nameOf(v));
    const outs = node.outputs.map((v) => e.nameOf(v));
    lowerNode(e, node, ins, outs);
  }
  const outputs = graph.outputs.map((o) => {
    const inner = e.nameOf(o.value);
    if (inner !== o.name) e.node('Identity', [inner], [o.name]);
    return valueInfo(o.name, o.value.dtype, o.value.shape);
  });
  // Types of intermediate values (we know them exactly, symbolic dims included): they make the
  // model self-describing for viewers and for `albert inspect model.onnx`.
  const outputNames = new Set(graph.outputs.map((o) => o.name));
  const valueInfos = graph.nodes.flatMap((n) =>
    n.outputs.filter((v) => !outputNames.has(e.nameOf(v))).map((v) => valueInfo(e.nameOf(v), v.dtype, v.shape)),
  );
  const g = onnx.GraphProto.create({
    name: graph.name,
    node: e.nodes,
    initializer: initializers,
    input: inputs,
    output: outputs,
    valueInfo: valueInfos,
  });
  return onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'albert-compiler',
    producerVersion: '0.1.0',
    docString: opts.docString ?? '',
    opsetImport: [
      onnx.OperatorSetIdProto.create({ domain: '', version: e.opset }),
      // onnxruntime's contrib ops (FastGelu, Gelu, ...) are all at version 1 of their domain.
      ...[...e.domains].map((domain) => onnx.OperatorSetIdProto.create({ domain, version: 1 })),
    ],
    graph: g,
    metadataProps: Object.entries(opts.metadata ?? {}).map(([key, value]) => onnx.StringStringEntryProto.create({ key, value })),
  });
}

export function encodeModel(model: InstanceType<typeof onnx.ModelProto>): Uint8Array {
  return onnx.ModelProto.encode(model).finish();
}

function valueInfo(name: string, dtype: DType, shape: readonly Dim[]): InstanceType<typeof onnx.ValueInfoProto> {
  return onnx.ValueInfoProto.create({
    name,
    type: onnx.TypeProto.create({
      tensorType: onnx.TypeProto.Tensor.create({
        elemType: onnxElemType(dtype),
        shape: onnx.TensorShapeProto.create({
          dim: shape.map((d) => {
            const c = canonDim(d);
            return typeof c === 'number' ? { dimValue: c } : { dimParam: c };
          }),
        }),
      }),
    }),
  });
}

function toAttribute(name: string, a: OnnxAttr): InstanceType<typeof onnx.AttributeProto> {
  const T = onnx.AttributeProto.AttributeType;
  if ('i' in a) return onnx.AttributeProto.create({ name, type: T.INT, i: a.i });
  if ('f' in a) return onnx.AttributeProto.create({ name, type: T.FLOAT, f: a.f });
  if ('s' in a) return onnx.AttributeProto.create({ name, type: T.STRING, s: new TextEncoder().encode(a.s) });
  if ('ints' in a) return onnx.AttributeProto.create({ name, type: T.INTS, ints: a.ints });
  if ('floats' in a) return onnx.AttributeProto.create({ name, type: T.FLOATS, floats: a.floats });
  return onnx.AttributeProto.create({ name, type: T.TENSOR, t: tensorProto('', a.t) });
}

class Emitter implements OnnxEmitter {
  readonly nodes: NodeProto[] = [];
  private names = new Map<Value, string>();
  private used = new Set<string>();
  private consts = new Map<string, string>();
  private shapes = new Map<string, string>();
  private counter = 0;
  /** Op domains other than the default one that some node uses. */
  readonly domains = new Set<string>();

  constructor(
    private graph: Graph,
    readonly opset: number,
  ) {
    for (const v of graph.inputs) this.claim(v, v.input!.name);
    // Graph outputs take their own names where the value is not an input or already named.
    for (const o of graph.outputs) if (!this.names.has(o.value) && !this.used.has(o.name)) this.claim(o.value, o.name);
  }

  private claim(v: Value, name: string): void {
    this.names.set(v, name);
    this.used.add(name);
  }

  nameOf(v: Value): string {
    let n = this.names.get(v);
    if (!n) {
      n = this.fresh(v.producer ? v.producer.op.name.toLowerCase() : 'v');
      this.names.set(v, n);
    }
    return n;
  }

  fresh(hint: string): string {
    let n: string;
    do n = `${hint}_${this.counter++}`;
    while (this.used.has(n));
    this.used.add(n);
    return n;
  }

  onnxType(d: DType): number {
    return onnxElemType(d);
  }

  node(opType: string, inputs: string[], outputs: number | string[] = 1, attrs: Record<string, OnnxAttr> = {}, domain = ''): string[] {
    const outs = typeof outputs === 'number' ? Array.from({ length: outputs }, () => this.fresh(opType.toLowerCase())) : outputs;
    if (domain !== '') this.domains.add(domain);
    this.nodes.push(
      onnx.NodeProto.create({
        opType,
        domain,
        input: inputs,
        output: outs,
        name: `${opType}_${this.nodes.length}`,
        attribute: Object.entries(attrs).map(([k, v]) => toAttribute(k, v)),
      }),
    );
    return outs;
  }

  constant(t: Tensor): string {
    const small = t.data.length <= 64;
    // String(-0) is "0": spell -0 out so that a -0 constant is not shared with a +0 one.
    const key = small ? `${t.dtype}|${t.shape.join(',')}|${Array.from(t.data, (x) => (Object.is(x, -0) ? '-0' : String(x))).join(',')}` : '';
    if (small && this.consts.has(key)) return this.consts.get(key)!;
    const [name] = this.node('Constant', [], [this.fresh('const')], { value: { t } });
    if (small) this.consts.set(key, name);
    return name;
  }

  /**
   * A 1-D int64 tensor holding `dims`. A symbolic dim is read at run time from the shape of a
   * graph input that carries its symbol (e.g. "seq" from input_ids' axis 1); products multiply.
   */
  shapeTensor(dims: readonly Dim[]): string {
    const canon = dims.map(canonDim);
    const key = canon.join(',');
    const hit = this.shapes.get(key);
    if (hit) return hit;
    let name: string;
    if (canon.every((d) => typeof d === 'number')) {
      name = this.constant({ dtype: 'int64', shape: [canon.length], data: Float64Array.from(canon as number[]) });
    } else {
      // Consecutive static dims go into one constant piece.
      const pieces: string[] = [];
      let run: number[] = [];
      const flush = (): void => {
        if (run.length) pieces.push(this.constant({ dtype: 'int64', shape: [run.length], data: Float64Array.from(run) }));
        run = [];
      };
      for (const d of canon) {
        if (typeof d === 'number') run.push(d);
        else {
          flush();
          pieces.push(this.symbolicDim(d));
        }
      }
      flush();
      name = pieces.length === 1 ? pieces[0] : this.node('Concat', pieces, 1, { axis: { i: 0 } })[0];
    }
    this.shapes.set(key, name);
    return name;
  }

  /** A [1] int64 tensor with the run-time value of a symbolic dim such as "12*batch*seq". */
  private symbolicDim(d: string): string {
    const key = `dim:${d}`;
    const hit = this.shapes.get(key);
    if (hit) return hit;
    let coef = 1;
    const factors: string[] = [];
    for (const part of d.split('*')) {
      if (/^\d+$/.test(part)) coef *= Number(part);
      else factors.push(this.symbolSource(part));
    }
    if (coef !== 1) factors.push(this.constant({ dtype: 'int64', shape: [1], data: Float64Array.from([coef]) }));
    let acc = factors[0];
    for (const f of factors.slice(1)) acc = this.node('Mul', [acc, f])[0];
    this.shapes.set(key, acc);
    return acc;
  }

  private symbolSource(sym: string): string {
    const key = `sym:${sym}`;
    const hit = this.shapes.get(key);
    if (hit) return hit;
    for (const v of this.graph.inputs) {
      const axis = v.shape.findIndex((d) => canonDim(d) === sym);
      if (axis >= 0) {
        const [s] = this.node('Shape', [v.input!.name], 1, { start: { i: axis }, end: { i: axis + 1 } });
        this.shapes.set(key, s);
        return s;
      }
    }
    const carriers = this.graph.inputs.filter((v) => v.shape.some((d) => dimSymbols(d).includes(sym)));
    throw new Error(`ONNX emission: no graph input carries symbolic dim "${sym}" on its own axis (${carriers.length} use it in products)`);
  }
}
