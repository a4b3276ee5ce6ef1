/**
 * tf.train.Example, the record format of TFRecord data sets (tensorflow/core/example/
 * example.proto and feature.proto):
 *
 *   message Example  { Features features = 1; }
 *   message Features { map<string, Feature> feature = 1; }
 *   message Feature  { oneof kind { BytesList bytes_list = 1; FloatList float_list = 2; Int64List int64_list = 3; } }
 *   message BytesList { repeated bytes value = 1; }
 *   message FloatList { repeated float value = 1 [packed = true]; }
 *   message Int64List { repeated int64 value = 1 [packed = true]; }
 *
 * Encoding uses protobufjs's Writer and writes what TensorFlow writes (packed lists, map entries
 * as key = 1, value = 2). Decoding is a small reader of our own over the wire format: it takes
 * packed and unpacked lists alike (both are valid encodings of a repeated scalar), skips unknown
 * fields, and turns int64 values into plain numbers directly; protobufjs's reflection would hand
 * out Long objects and build an object graph per record, which the batch reader does not need.
 */
import protobuf from 'protobufjs';
import { UserError } from '../ir/errors.ts';

export type Feature =
  | { kind: 'bytes'; values: Uint8Array[] }
  | { kind: 'float'; values: Float32Array }
  | { kind: 'int64'; values: number[] }
  /** A Feature with no list set (TensorFlow reads it as an empty list of any type). */
  | { kind: 'none' };

/** Feature name -> feature, in the order they were written or read. */
export type Example = Map<string, Feature>;

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LDELIM = 2;
const WIRE_FIXED32 = 5;

function tag(field: number, wire: number): number {
  return (field << 3) | wire;
}

/** Serialises an Example (features in the order given). */
export function encodeExample(features: Example | Record<string, Feature>): Uint8Array {
  const entries = features instanceof Map ? [...features] : Object.entries(features);
  const w = protobuf.Writer.create();
  w.uint32(tag(1, WIRE_LDELIM)).fork(); // Example.features
  for (const [name, feature] of entries) {
    w.uint32(tag(1, WIRE_LDELIM)).fork(); // one map entry
    w.uint32(tag(1, WIRE_LDELIM)).string(name);
    w.uint32(tag(2, WIRE_LDELIM)).fork(); // Feature
    switch (feature.kind) {
      case 'bytes':
        w.uint32(tag(1, WIRE_LDELIM)).fork();
        for (const v of feature.values) w.uint32(tag(1, WIRE_LDELIM)).bytes(v);
        w.ldelim();
        break;
      case 'float':
        w.uint32(tag(2, WIRE_LDELIM)).fork();
        if (feature.values.length > 0) {
          w.uint32(tag(1, WIRE_LDELIM)).fork();
          for (const v of feature.values) w.float(v);
          w.ldelim();
        }
        w.ldelim();
        break;
      case 'int64':
        w.uint32(tag(3, WIRE_LDELIM)).fork();
        if (feature.values.length > 0) {
          w.uint32(tag(1, WIRE_LDELIM)).fork();
          for (const v of feature.values) {
            if (!Number.isSafeInteger(v)) throw new RangeError(`feature "${name}": int64 value ${v} is not a safe integer`);
            w.int64(v);
          }
          w.ldelim();
        }
        w.ldelim();
        break;
      case 'none':
        break;
    }
    w.ldelim();
    w.ldelim();
  }
  w.ldelim();
  return w.finish();
}

/** A position in a message being decoded; `where` names the record for messages. */
class WireReader {
  pos: number;
  constructor(
    readonly buf: Uint8Array,
    start: number,
    readonly end: number,
    readonly where: string,
  ) {
    this.pos = start;
  }

  fail(what: string): never {
    throw new UserError(`${this.where}: not a valid tf.train.Example: ${what}`);
  }

  /** A varint of at most 32 significant bits (tags, lengths). */
  uint32(): number {
    let result = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (this.pos >= this.end) this.fail('a varint runs past the end of its message');
      const b = this.buf[this.pos++];
      result += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) {
        if (result > 0xffffffff) this.fail('a length or tag exceeds 32 bits');
        return result;
      }
    }
    // Longer varints (negative int32 values written as 10 bytes) are not lengths or tags.
    this.fail('a length or tag varint is longer than 5 bytes');
  }

  /** An int64 varint as its two's-complement 32-bit halves. */
  int64Halves(out: Uint32Array): void {
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) this.fail('a varint runs past the end of its message');
      const b = this.buf[this.pos++];
      const bits = b & 0x7f;
      if (i < 4) lo |= bits << (7 * i);
      else if (i === 4) {
        lo |= bits << 28;
        hi |= bits >>> 4;
      } else hi |= bits << (7 * i - 32);
      if (b < 0x80) {
        out[0] = lo >>> 0;
        out[1] = hi >>> 0;
        return;
      }
    }
    this.fail('a varint is longer than 10 bytes');
  }

  /** Moves past one field of the given wire type. */
  skip(wire: number): void {
    switch (wire) {
      case WIRE_VARINT:
        for (;;) {
          if (this.pos >= this.end) this.fail('a varint runs past the end of its message');
          if (this.buf[this.pos++] < 0x80) return;
        }
      case WIRE_FIXED64:
        this.advance(8);
        return;
      case WIRE_LDELIM:
        this.advance(this.uint32());
        return;
      case WIRE_FIXED32:
        this.advance(4);
        return;
      default:
        this.fail(`unsupported wire type ${wire}`);
    }
  }

  advance(n: number): void {
    if (this.pos + n > this.end) this.fail('a field runs past the end of its message');
    this.pos += n;
  }

  /** The bounds of a length-delimited field's payload (the reader moves past it). */
  sub(): [number, number] {
    const n = this.uint32();
    const start = this.pos;
    this.advance(n);
    return [start, this.pos];
  }
}

const halves = new Uint32Array(2);

/** The int64 in `halves` as a number; values beyond +-2^53 are refused rather than rounded. */
function int64Number(r: WireReader, feature: string): number {
  const lo = halves[0];
  const hi = halves[1];
  if (hi <= 0x1fffff) return hi * 4294967296 + lo;
  if (hi >= 0xffe00000) {
    // Negative: the value is -(2^64 - (hi:lo)).
    const nlo = (~lo + 1) >>> 0;
    const nhi = (~hi + (nlo === 0 ? 1 : 0)) >>> 0;
    return -(nhi * 4294967296 + nlo);
  }
  return r.fail(`feature "${feature}": an int64 value lies beyond +-2^53, which a JavaScript number cannot hold exactly`);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Parses a serialised Example. `where` names the record in error messages (file and record);
 * a malformed message is a UserError saying what is wrong.
 */
export function decodeExample(bytes: Uint8Array, where = 'record'): Example {
  const features: Example = new Map();
  const r = new WireReader(bytes, 0, bytes.length, where);
  while (r.pos < r.end) {
    const t = r.uint32();
    if (t >>> 3 === 1 && (t & 7) === WIRE_LDELIM) {
      // Several occurrences of an embedded message merge: their map entries add up.
      const [s, e] = r.sub();
      decodeFeatures(new WireReader(bytes, s, e, where), features);
    } else r.skip(t & 7);
  }
  return features;
}

function decodeFeatures(r: WireReader, features: Example): void {
  while (r.pos < r.end) {
    const t = r.uint32();
    if (t >>> 3 !== 1 || (t & 7) !== WIRE_LDELIM) {
      r.skip(t & 7);
      continue;
    }
    const [s, e] = r.sub();
    const entry = new WireReader(r.buf, s, e, r.where);
    let name = '';
    let valueAt: [number, number] | null = null;
    while (entry.pos < entry.end) {
      const et = entry.uint32();
      if (et === tag(1, WIRE_LDELIM)) {
        const [ks, ke] = entry.sub();
        try {
          name = utf8.decode(r.buf.subarray(ks, ke));
        } catch {
          entry.fail('a feature name is not UTF-8');
        }
      } else if (et === tag(2, WIRE_LDELIM)) valueAt = entry.sub();
      else entry.skip(et & 7);
    }
    // A map entry without a value holds the default, an empty Feature; a repeated key replaces the earlier one.
    features.set(name, valueAt ? decodeFeature(new WireReader(r.buf, valueAt[0], valueAt[1], r.where), name) : { kind: 'none' });
  }
}

function decodeFeature(r: WireReader, name: string): Feature {
  let feature = { kind: 'none' } as Feature;
  while (r.pos < r.end) {
    const t = r.uint32();
    const field = t >>> 3;
    if ((t & 7) !== WIRE_LDELIM || field < 1 || field > 3) {
      r.skip(t & 7);
      continue;
    }
    const [s, e] = r.sub();
    const list = new WireReader(r.buf, s, e, r.where);
    // Members of a oneof: a later one replaces an earlier one of another kind, the same kind merges.
    if (field === 1) {
      const values: Uint8Array[] = feature.kind === 'bytes' ? feature.values : [];
      decodeBytesList(list, values);
      feature = { kind: 'bytes', values };
    } else if (field === 2) {
      const values = decodeFloatList(list);
      feature = { kind: 'float', values: Float32Array.from(feature.kind === 'float' ? [...feature.values, ...values] : values) };
    } else {
      const values: number[] = feature.kind === 'int64' ? feature.values : [];
      decodeInt64List(list, name, values);
      feature = { kind: 'int64', values };
    }
  }
  return feature;
}

function decodeBytesList(r: WireReader, out: Uint8Array[]): void {
  while (r.pos < r.end) {
    const t = r.uint32();
    if (t === tag(1, WIRE_LDELIM)) {
      const [s, e] = r.sub();
      out.push(r.buf.slice(s, e));
    } else r.skip(t & 7);
  }
}

function decodeFloatList(r: WireReader): number[] {
  const out: number[] = [];
  const view = new DataView(r.buf.buffer, r.buf.byteOffset, r.buf.byteLength);
  while (r.pos < r.end) {
    const t = r.uint32();
    if (t === tag(1, WIRE_LDELIM)) {
      const [s, e] = r.sub();
      if ((e - s) % 4 !== 0) r.fail('a packed float list is not a multiple of 4 bytes');
      for (let p = s; p < e; p += 4) out.push(view.getFloat32(p, true));
    } else if (t === tag(1, WIRE_FIXED32)) {
      const p = r.pos;
      r.advance(4);
      out.push(view.getFloat32(p, true));
    } else r.skip(t & 7);
  }
  return out;
}

/** Appends the values of an Int64List, packed or not, to `out`. */
function decodeInt64List(r: WireReader, name: string, out: number[]): void {
  const buf = r.buf;
  while (r.pos < r.end) {
    const t = r.uint32();
    if (t === tag(1, WIRE_LDELIM)) {
      const [s, e] = r.sub();
      const packed = new WireReader(buf, s, e, r.where);
      // Token ids are small: values of up to four bytes (< 2^28) are read inline, the rest in halves.
      while (packed.pos < e) {
        const p = packed.pos;
        const b0 = buf[p];
        if (b0 < 0x80) {
          out.push(b0);
          packed.pos = p + 1;
          continue;
        }
        if (p + 1 < e && buf[p + 1] < 0x80) {
          out.push((b0 & 0x7f) | (buf[p + 1] << 7));
          packed.pos = p + 2;
          continue;
        }
        if (p + 2 < e && buf[p + 1] >= 0x80 && buf[p + 2] < 0x80) {
          out.push((b0 & 0x7f) | ((buf[p + 1] & 0x7f) << 7) | (buf[p + 2] << 14));
          packed.pos = p + 3;
          continue;
        }
        packed.int64Halves(halves);
        out.push(int64Number(packed, name));
      }
    } else if (t === tag(1, WIRE_VARINT)) {
      r.int64Halves(halves);
      out.push(int64Number(r, name));
    } else r.skip(t & 7);
  }
}

export function int64Feature(values: ArrayLike<number>): Feature {
  return { kind: 'int64', values: Array.from(values) };
}

export function floatFeature(values: ArrayLike<number>): Feature {
  return { kind: 'float', values: Float32Array.from(values) };
}

export function bytesFeature(values: (Uint8Array | string)[]): Feature {
  return { kind: 'bytes', values: values.map((v) => (typeof v === 'string' ? new TextEncoder().encode(v) : v)) };
}
