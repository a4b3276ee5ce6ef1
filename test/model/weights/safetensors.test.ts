import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../../../src/ir/errors.ts';
import { encodeBFloat16, encodeFloat16 } from '../../../src/model/weights/float16-encode.ts';
import { readSafetensors, readSafetensorsHeader, writeSafetensors } from '../../../src/model/weights/safetensors.ts';
import type { WeightTensor } from '../../../src/model/weights/types.ts';

const dir = mkdtempSync(join(tmpdir(), 'albert-safetensors-'));
let counter = 0;
const fresh = (name = 'x.safetensors'): string => join(dir, `${counter++}-${name}`);

/** A file from a header (object or raw text) and a data section, built by hand. */
function rawFile(header: unknown, data: Uint8Array | number = 0, opts: { lengthField?: bigint } = {}): string {
  const text = typeof header === 'string' ? header : JSON.stringify(header);
  const h = Buffer.from(text, 'utf8');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(opts.lengthField ?? BigInt(h.length));
  const body = typeof data === 'number' ? Buffer.alloc(data) : Buffer.from(data);
  const file = fresh();
  writeFileSync(file, Buffer.concat([len, h, body]));
  return file;
}

function u16(...xs: number[]): Uint8Array {
  return new Uint8Array(Uint16Array.from(xs).buffer);
}

/** Asserts a one-line UserError that names the file and matches `pattern`. */
function rejects(fn: () => unknown, file: string, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof UserError, `not a UserError: ${String(e)}`);
    assert.ok(!e.message.includes('\n'), e.message);
    assert.ok(e.message.includes(file), `message does not name ${file}: ${e.message}`);
    assert.match(e.message, pattern);
    return true;
  });
}

describe('safetensors reading', () => {
  it('decodes F16 and BF16 to float32 exactly (hand-computed values)', () => {
    // F16: 1, -2, 65504 (max), 2^-24 (smallest subnormal), 1/3 rounded, +inf, -inf, -0, 2^-14 (smallest normal)
    const f16 = u16(0x3c00, 0xc000, 0x7bff, 0x0001, 0x3555, 0x7c00, 0xfc00, 0x8000, 0x0400);
    // BF16: 1, -3, 3.140625, 2^-133 (subnormal), 0x7f7f = 3.3895313892515355e38
    const bf16 = u16(0x3f80, 0xc040, 0x4049, 0x0001, 0x7f7f);
    const file = rawFile(
      {
        h: { dtype: 'F16', shape: [3, 3], data_offsets: [0, 18] },
        b: { dtype: 'BF16', shape: [5], data_offsets: [18, 28] },
      },
      new Uint8Array([...f16, ...bf16]),
    );
    const { tensors } = readSafetensors(file);
    const h = tensors.get('h')!;
    assert.equal(h.dtype, 'float16');
    assert.deepEqual(h.shape, [3, 3]);
    assert.ok(h.data instanceof Float32Array);
    assert.deepEqual([...h.data], [1, -2, 65504, 2 ** -24, 0.333251953125, Infinity, -Infinity, -0, 2 ** -14]);
    assert.ok(Object.is(h.data[7], -0));
    const b = tensors.get('b')!;
    assert.equal(b.dtype, 'bfloat16');
    assert.deepEqual([...b.data], [1, -3, 3.140625, 2 ** -133, 3.3895313892515355e38]);
  });

  it('round-trips every dtype, with metadata', () => {
    const tensors: [string, WeightTensor][] = [
      ['f32', { dtype: 'float32', shape: [2, 3], data: Float32Array.from([1.5, -2, 3e-8, 0, 7, -1e30]) }],
      ['f64', { dtype: 'float64', shape: [2], data: Float64Array.from([Math.PI, -1e-300]) }],
      // Values exactly representable in 16 bits come back unchanged.
      ['f16', { dtype: 'float16', shape: [4], data: Float32Array.from([1, -0.5, 65504, 2 ** -24]) }],
      ['bf16', { dtype: 'bfloat16', shape: [3], data: Float32Array.from([1, -3, 3.140625]) }],
      ['i32', { dtype: 'int32', shape: [3], data: Int32Array.from([-2147483648, 0, 2147483647]) }],
      ['i64', { dtype: 'int64', shape: [2], data: BigInt64Array.from([-(2n ** 63n), 125000n]) }],
      ['bool', { dtype: 'bool', shape: [3], data: Uint8Array.from([1, 0, 1]) }],
      ['i8', { dtype: 'int8', shape: [2], data: Uint8Array.from([0xff, 0x7f]) }],
      ['u8', { dtype: 'uint8', shape: [2, 1], data: Uint8Array.from([0, 255]) }],
      ['scalar', { dtype: 'float32', shape: [], data: Float32Array.from([42]) }],
      ['empty', { dtype: 'float32', shape: [0, 4], data: new Float32Array(0) }],
    ];
    const file = fresh();
    writeSafetensors(file, tensors, { format: 'pt', note: 'ünïcode' });
    const back = readSafetensors(file);
    assert.deepEqual(back.metadata, { format: 'pt', note: 'ünïcode' });
    assert.deepEqual([...back.tensors.keys()].sort(), tensors.map(([n]) => n).sort());
    for (const [name, t] of tensors) {
      const got = back.tensors.get(name)!;
      assert.equal(got.dtype, t.dtype, name);
      assert.deepEqual(got.shape, t.shape, name);
      assert.equal(got.data.constructor, t.data.constructor, name);
      assert.deepEqual([...got.data], [...t.data], name);
    }
    // The header says what the file holds, in the format's own dtype names.
    const header = readSafetensorsHeader(file);
    const dtypes = Object.fromEntries(header.entries.map((e) => [e.name, e.fileDType]));
    assert.deepEqual(dtypes, { f32: 'F32', f64: 'F64', f16: 'F16', bf16: 'BF16', i32: 'I32', i64: 'I64', bool: 'BOOL', i8: 'I8', u8: 'U8', scalar: 'F32', empty: 'F32' });
  });

  it('reads only the tensors the filter accepts', () => {
    const file = fresh();
    writeSafetensors(file, [
      ['a', { dtype: 'float32', shape: [2], data: Float32Array.from([1, 2]) }],
      ['b', { dtype: 'int32', shape: [1], data: Int32Array.from([3]) }],
    ]);
    const seen: string[] = [];
    const { tensors } = readSafetensors(file, { names: (n) => (seen.push(n), n === 'b') });
    assert.deepEqual([...tensors.keys()], ['b']);
    assert.deepEqual(seen.sort(), ['a', 'b']);
  });
});

describe('safetensors writing', () => {
  it('writes exactly the bytes the format prescribes', () => {
    const file = fresh();
    writeSafetensors(file, new Map([['w', { dtype: 'float32', shape: [2], data: Float32Array.from([1, -2]) }]]));
    const json = '{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}';
    const padded = json + ' '.repeat((8 - (json.length % 8)) % 8);
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(padded.length));
    const data = Buffer.from(Float32Array.from([1, -2]).buffer);
    assert.deepEqual(readFileSync(file), Buffer.concat([len, Buffer.from(padded), data]));
  });

  it('is deterministic: sorted names, 8-byte-aligned data, same bytes for the same tensors', () => {
    const a: [string, WeightTensor] = ['b.weight', { dtype: 'float32', shape: [3], data: Float32Array.from([1, 2, 3]) }];
    const b: [string, WeightTensor] = ['a.bias', { dtype: 'float16', shape: [1], data: Float32Array.from([0.5]) }];
    const c: [string, WeightTensor] = ['A.x', { dtype: 'int64', shape: [1], data: BigInt64Array.from([7n]) }];
    const f1 = fresh();
    const f2 = fresh();
    writeSafetensors(f1, [a, b, c], { z: '1', a: '2' });
    writeSafetensors(f2, new Map([c, a, b]), { a: '2', z: '1' });
    assert.deepEqual(readFileSync(f1), readFileSync(f2));
    const header = readSafetensorsHeader(f1);
    assert.equal(header.dataStart % 8, 0);
    assert.deepEqual(header.entries.map((e) => e.name), ['A.x', 'a.bias', 'b.weight']);
    // No temp files left behind.
    assert.deepEqual(readdirSync(dir).filter((f) => f.includes('.tmp-')), []);
  });

  it('rounds float32 to half and bfloat16 to nearest, ties to even (as numpy does)', () => {
    const x = Float32Array.from([1 + 2 ** -11, 1 + 3 * 2 ** -11, 65520, 65519, 2 ** -25, 3 * 2 ** -25, 1.5 * 2 ** -24, -0, 1e-8, 0.1, -0.3333, NaN, -Infinity]);
    // Expected bit patterns from numpy's float32 -> float16 cast.
    assert.deepEqual([...encodeFloat16(x)], [0x3c00, 0x3c02, 0x7c00, 0x7bff, 0x0000, 0x0002, 0x0002, 0x8000, 0x0000, 0x2e66, 0xb555, 0x7e00, 0xfc00]);
    // bfloat16 keeps the top 16 bits: 1 + 2^-8 is a tie (-> 1), 1 + 3 * 2^-8 rounds up to 1 + 2^-6.
    const y = Float32Array.from([1 + 2 ** -8, 1 + 3 * 2 ** -8, -2, 3.4028234663852886e38, NaN]);
    assert.deepEqual([...encodeBFloat16(y)], [0x3f80, 0x3f82, 0xc000, 0x7f80, 0x7fc0]);
  });

  it('refuses data that does not fit its dtype or shape, leaving nothing behind', () => {
    const file = fresh();
    rejects(() => writeSafetensors(file, [['t', { dtype: 'float32', shape: [3], data: new Float32Array(2) }]]), file, /"t": 2 values for shape \[3\]/);
    rejects(() => writeSafetensors(file, [['t', { dtype: 'int32', shape: [2], data: new Float32Array(2) }]]), file, /"t": dtype int32 needs Int32Array/);
    rejects(() => writeSafetensors(file, [['__metadata__', { dtype: 'int32', shape: [1], data: new Int32Array(1) }]]), file, /reserved/);
    assert.equal(existsSync(file), false);
    assert.deepEqual(readdirSync(dir).filter((f) => f.includes('.tmp-')), []);
  });
});

describe('safetensors validation: one-line errors naming the file and the field', () => {
  const ok = { dtype: 'F32', shape: [2], data_offsets: [0, 8] };

  it('rejects files too short, header lengths out of range and invalid JSON', () => {
    const short = fresh();
    writeFileSync(short, Buffer.from([1, 2, 3]));
    rejects(() => readSafetensors(short), short, /shorter than the 8-byte header length/);
    const past = rawFile({ w: ok }, 8, { lengthField: 10_000n });
    rejects(() => readSafetensors(past), past, /header length 10000 runs past the end of the \d+-byte file/);
    const huge = rawFile({ w: ok }, 8, { lengthField: 2n ** 62n });
    rejects(() => readSafetensors(huge), huge, /exceeds the 100000000-byte limit/);
    const bad = rawFile('{"w": {"dtype": "F32",', 8);
    rejects(() => readSafetensors(bad), bad, /header is not valid JSON/);
    const notObject = rawFile('[1, 2]', 0);
    rejects(() => readSafetensors(notObject), notObject, /header is not valid JSON|must be a JSON object/);
  });

  it('rejects bad entries: dtype, shape, offsets, sizes, metadata', () => {
    const cases: [unknown, number, RegExp][] = [
      [{ w: { ...ok, dtype: 'F8_E4M3' } }, 8, /"w": unsupported dtype "F8_E4M3"/],
      [{ w: { ...ok, dtype: 7 } }, 8, /"w": unsupported dtype 7/],
      [{ w: { ...ok, shape: 2 } }, 8, /"w": shape must be an array of non-negative integers \(got 2\)/],
      [{ w: { ...ok, shape: [-2] } }, 8, /"w": shape must be an array of non-negative integers/],
      [{ w: { ...ok, shape: [2.5] } }, 8, /"w": shape must be an array/],
      [{ w: { ...ok, data_offsets: [0] } }, 8, /"w": data_offsets must be \[begin, end\]/],
      [{ w: { ...ok, data_offsets: [8, 0] } }, 8, /"w": data_offsets must be \[begin, end\] with 0 <= begin <= end/],
      [{ w: { ...ok, shape: [3] } }, 8, /"w": data_offsets \[0, 8\] hold 8 bytes but F32 \[3\] needs 12/],
      [{ w: 'x' }, 8, /"w": expected an object/],
      [{ w: ok, __metadata__: { format: 1 } }, 8, /"__metadata__" entry "format" must be a string/],
      [{ w: ok, __metadata__: [] }, 8, /"__metadata__" must be an object/],
    ];
    for (const [header, bytes, pattern] of cases) {
      const file = rawFile(header, bytes);
      rejects(() => readSafetensorsHeader(file), file, pattern);
    }
  });

  it('rejects offsets outside the data section, overlaps, holes and trailing bytes', () => {
    const outside = rawFile({ w: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, 8);
    rejects(() => readSafetensors(outside), outside, /"w": data_offsets \[0, 16\] exceed the file's 8-byte data section/);
    const overlap = rawFile({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, 12);
    rejects(() => readSafetensors(overlap), overlap, /"b": data_offsets \[4, 12\] overlap "a" \[0, 8\]/);
    const hole = rawFile({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] } }, 12);
    rejects(() => readSafetensors(hole), hole, /"b": data_offsets \[8, 12\] leave bytes 4\.\.8 of the data section unused/);
    const lateStart = rawFile({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, 8);
    rejects(() => readSafetensors(lateStart), lateStart, /"a": .* leave bytes 0\.\.4/);
    // Trailing bytes: the reference implementation rejects them, and so do we.
    const trailing = rawFile({ w: ok }, 9);
    rejects(() => readSafetensors(trailing), trailing, /1 bytes after the last tensor's data/);
  });

  it('rejects a truncated file, naming the tensor that is cut off', () => {
    const file = fresh();
    writeSafetensors(file, [
      ['a', { dtype: 'float32', shape: [4], data: new Float32Array(4) }],
      ['b', { dtype: 'float32', shape: [4], data: new Float32Array(4) }],
    ]);
    truncateSync(file, readFileSync(file).length - 3);
    rejects(() => readSafetensors(file), file, /"b": data_offsets \[16, 32\] exceed the file's 29-byte data section \(truncated file\?\)/);
    rejects(() => readSafetensors(join(dir, 'nope.safetensors')), 'nope.safetensors', /cannot open \(ENOENT\)/);
    rejects(() => readSafetensors(dir), dir, /not a file/);
  });
});
