import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import protobuf from 'protobufjs';
import { UserError } from '../../src/ir/errors.ts';
import { bytesFeature, decodeExample, encodeExample, floatFeature, int64Feature, type Example, type Feature } from '../../src/data/example.ts';

// TensorFlow's example.proto/feature.proto, for protobufjs's reflection codec: an independent
// encoder/decoder to check ours against. The second package writes the lists unpacked.
const PROTO = (packed: boolean): string => `
syntax = "proto3";
message BytesList { repeated bytes value = 1; }
message FloatList { repeated float value = 1 [packed = ${packed}]; }
message Int64List { repeated int64 value = 1 [packed = ${packed}]; }
message Feature { oneof kind { BytesList bytes_list = 1; FloatList float_list = 2; Int64List int64_list = 3; } }
message Features { map<string, Feature> feature = 1; }
message Example { Features features = 1; }
`;
// resolveAll() settles the field options: without it protobufjs 7.5 writes every list unpacked.
const Packed = protobuf.parse(PROTO(true)).root.resolveAll().lookupType('Example');
const Unpacked = protobuf.parse(PROTO(false)).root.resolveAll().lookupType('Example');

interface PlainFeature {
  bytesList?: { value: Uint8Array[] };
  floatList?: { value: number[] };
  int64List?: { value: (number | { toNumber(): number })[] };
}

function toReference(ex: Example): object {
  const feature: Record<string, PlainFeature> = {};
  for (const [k, f] of ex) {
    if (f.kind === 'bytes') feature[k] = { bytesList: { value: f.values } };
    else if (f.kind === 'float') feature[k] = { floatList: { value: [...f.values] } };
    else if (f.kind === 'int64') feature[k] = { int64List: { value: f.values } };
    else feature[k] = {};
  }
  return { features: { feature } };
}

function fromReference(msg: protobuf.Message): Record<string, unknown> {
  const obj = msg.toJSON() as { features?: { feature?: Record<string, { bytesList?: { value?: string[] }; floatList?: { value?: number[] }; int64List?: { value?: string[] } }> } };
  const out: Record<string, unknown> = {};
  for (const [k, f] of Object.entries(obj.features?.feature ?? {})) {
    if (f.bytesList) out[k] = (f.bytesList.value ?? []).map((b) => Buffer.from(b, 'base64').toString('latin1'));
    else if (f.floatList) out[k] = f.floatList.value ?? [];
    else if (f.int64List) out[k] = (f.int64List.value ?? []).map(Number);
    else out[k] = null;
  }
  return out;
}

function plain(ex: Example): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, f] of ex) {
    if (f.kind === 'bytes') out[k] = f.values.map((b) => Buffer.from(b).toString('latin1'));
    else if (f.kind === 'float') out[k] = [...f.values];
    else if (f.kind === 'int64') out[k] = f.values;
    else out[k] = null;
  }
  return out;
}

const sample: Example = new Map<string, Feature>([
  ['input_ids', int64Feature([2, 17, 29999, 3, 0, 0])],
  ['negative', int64Feature([-1, -2147483648, 2147483647, -(2 ** 53 - 1), 2 ** 53 - 1, 0])],
  ['masked_lm_weights', floatFeature([1, 0.5, -3.25, 0, 1e-30])],
  ['text', bytesFeature(['héllo', '', new Uint8Array([0, 255, 7])])],
  ['empty_int', int64Feature([])],
  ['empty_float', floatFeature([])],
  ['ünïcode name', int64Feature([7])],
]);

describe('tf.train.Example', () => {
  it('round-trips every feature kind through our encoder and decoder', () => {
    const back = decodeExample(encodeExample(sample));
    assert.deepEqual([...back.keys()], [...sample.keys()]);
    assert.deepEqual(plain(back), plain(sample));
    assert.equal(back.get('masked_lm_weights')!.kind, 'float');
  });

  it('writes what protobufjs reflection (TensorFlow\'s schema) reads, packed', () => {
    const bytes = encodeExample(sample);
    assert.deepEqual(fromReference(Packed.decode(bytes)), plain(sample));
    // Packed encoding: the reference encoder produces the same bytes (same field order).
    const ref = Packed.encode(Packed.fromObject(toReference(sample))).finish();
    assert.deepEqual(Buffer.from(ref), Buffer.from(bytes));
  });

  it('reads packed and unpacked lists alike, and merges repeated occurrences', () => {
    const unpacked = Unpacked.encode(Unpacked.fromObject(toReference(sample))).finish();
    const packed = Packed.encode(Packed.fromObject(toReference(sample))).finish();
    assert.notDeepEqual(Buffer.from(unpacked), Buffer.from(packed), 'the encodings differ');
    assert.deepEqual(plain(decodeExample(unpacked)), plain(sample));
    // Two Example.features fields (as concatenating two serialised Examples gives) merge their maps.
    const a = encodeExample(new Map([['a', int64Feature([1])]]));
    const b = encodeExample(new Map([['b', floatFeature([2])]]));
    assert.deepEqual(plain(decodeExample(Buffer.concat([a, b]))), { a: [1], b: [2] });
  });

  it('skips unknown fields and reads an empty Feature as kind "none"', () => {
    // Example { features { feature { key: "x" value { } } } } plus an unknown varint field 5 at top level.
    const w = protobuf.Writer.create();
    w.uint32((5 << 3) | 0).uint64(123);
    w.uint32((1 << 3) | 2).fork().uint32((1 << 3) | 2).fork().uint32((1 << 3) | 2).string('x').uint32((2 << 3) | 2).fork().ldelim().ldelim().ldelim();
    const ex = decodeExample(w.finish());
    assert.deepEqual([...ex], [['x', { kind: 'none' }]]);
  });

  it('rejects malformed bytes and int64 values beyond 2^53 with one-line errors naming the record', () => {
    const bytes = encodeExample(sample);
    for (const cut of [1, 5, bytes.length - 1]) {
      assert.throws(() => decodeExample(bytes.subarray(0, cut), 'f.tfrecord: record 4'), (e: unknown) => e instanceof UserError && /^f\.tfrecord: record 4: not a valid tf\.train\.Example: /.test(e.message));
    }
    const big = Packed.encode(Packed.fromObject({ features: { feature: { big: { int64List: { value: ['9007199254740993'] } } } } })).finish();
    assert.throws(() => decodeExample(big, 'r'), /r: not a valid tf\.train\.Example: feature "big": an int64 value lies beyond \+-2\^53/);
    assert.throws(() => encodeExample(new Map([['x', int64Feature([2 ** 60])]])), RangeError);
  });
});
