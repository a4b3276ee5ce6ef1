/**
 * Reading and writing the safetensors format (HuggingFace's weight files):
 *
 *   [8 bytes: header length N, little-endian u64] [N bytes: JSON header] [data section]
 *
 * The header maps each tensor name to {dtype, shape, data_offsets: [begin, end]} (offsets into
 * the data section) and may hold "__metadata__": {string: string}. The data section must be
 * indexed completely: tensors tile it without overlaps or holes, and the file ends where the
 * last tensor ends. The reference implementation (the Rust crate) rejects trailing bytes after
 * the last tensor, and so do we: a file longer than its header says is as suspect as a shorter
 * one (a concatenation, a botched copy), and accepting it would let two different files read
 * as the same weights.
 *
 * Reading is streamed: one small read for the header, then one positioned read per wanted
 * tensor straight into the array that is returned. Writing streams each tensor's bytes to a
 * temp file that is renamed into place at the end.
 */
import { closeSync, fstatSync, openSync, readSync, renameSync, writeSync } from 'node:fs';
import { endianness } from 'node:os';
import { UserError } from '../../ir/errors.ts';
import { removeTemp } from '../../util/atomic-write.ts';
import { fsReason } from '../../util/fs-reason.ts';
import { decodeBfloat16, decodeFloat16 } from './float16.ts';
import { encodeBFloat16, encodeFloat16 } from './float16-encode.ts';
import type { WeightDType, WeightTensor } from './types.ts';

/** Safetensors dtype names of the dtypes we read and write, with their element sizes. */
const FILE_DTYPES = {
  F32: { dtype: 'float32', size: 4 },
  F16: { dtype: 'float16', size: 2 },
  BF16: { dtype: 'bfloat16', size: 2 },
  F64: { dtype: 'float64', size: 8 },
  I32: { dtype: 'int32', size: 4 },
  I64: { dtype: 'int64', size: 8 },
  BOOL: { dtype: 'bool', size: 1 },
  I8: { dtype: 'int8', size: 1 },
  U8: { dtype: 'uint8', size: 1 },
} as const satisfies Record<string, { dtype: WeightDType; size: number }>;
export type SafetensorsDType = keyof typeof FILE_DTYPES;

const FILE_DTYPE_OF: Record<WeightDType, SafetensorsDType> = {
  float32: 'F32', float16: 'F16', bfloat16: 'BF16', float64: 'F64', int32: 'I32', int64: 'I64', bool: 'BOOL', int8: 'I8', uint8: 'U8',
};

/** The limit the reference implementation puts on the header (it guards against absurd lengths). */
export const MAX_HEADER_BYTES = 100_000_000;
/** readSync takes at most 2 GiB - 1 per call; bigger tensors are read in pieces. */
const READ_CHUNK = 1 << 30;

export interface SafetensorsEntry {
  name: string;
  fileDType: SafetensorsDType;
  dtype: WeightDType;
  shape: number[];
  /** Offsets into the data section, as in the header. */
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  path: string;
  /** Byte offset of the data section in the file (8 + header length). */
  dataStart: number;
  dataBytes: number;
  /** In the order of their data offsets. */
  entries: SafetensorsEntry[];
  metadata: Record<string, string>;
}

function checkHostEndianness(): void {
  // Typed arrays use the host's byte order and the format is little-endian.
  if (endianness() !== 'LE') throw new Error('safetensors I/O needs a little-endian host');
}

function show(v: unknown): string {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/** Reads exactly `length` bytes at `position` into `into`, or fails naming what came up short. */
function readFully(fd: number, into: Uint8Array, position: number, what: () => string): void {
  let done = 0;
  while (done < into.length) {
    const n = readSync(fd, into, done, Math.min(into.length - done, READ_CHUNK), position + done);
    if (n === 0) throw new UserError(`${what()}: file ends after ${position + done} bytes`);
    done += n;
  }
}

function parseEntry(file: string, name: string, raw: unknown, dataBytes: number): SafetensorsEntry {
  const fail = (msg: string): never => {
    throw new UserError(`${file}: header entry ${show(name)}: ${msg}`);
  };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail(`expected an object with dtype, shape and data_offsets (got ${show(raw)})`);
  const obj = raw as Record<string, unknown>;
  const fileDType = obj.dtype;
  if (typeof fileDType !== 'string' || !Object.hasOwn(FILE_DTYPES, fileDType)) {
    fail(`unsupported dtype ${show(fileDType)} (expected one of ${Object.keys(FILE_DTYPES).join(', ')})`);
  }
  const info = FILE_DTYPES[fileDType as SafetensorsDType];
  const shape = obj.shape;
  if (!Array.isArray(shape) || !shape.every(isCount)) fail(`shape must be an array of non-negative integers (got ${show(shape)})`);
  const dims = shape as number[];
  const offsets = obj.data_offsets;
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount) || offsets[0] > offsets[1]) {
    fail(`data_offsets must be [begin, end] with 0 <= begin <= end (got ${show(offsets)})`);
  }
  const [begin, end] = offsets as [number, number];
  const numel = dims.reduce((a, d) => a * d, 1);
  const bytes = numel * info.size;
  if (!Number.isSafeInteger(bytes)) fail(`shape ${show(dims)} is too large`);
  if (end - begin !== bytes) {
    fail(`data_offsets [${begin}, ${end}] hold ${end - begin} bytes but ${fileDType} ${show(dims)} needs ${bytes}`);
  }
  if (end > dataBytes) {
    fail(`data_offsets [${begin}, ${end}] exceed the file's ${dataBytes}-byte data section (truncated file?)`);
  }
  return { name, fileDType: fileDType as SafetensorsDType, dtype: info.dtype, shape: dims, begin, end };
}

function parseMetadata(file: string, raw: unknown): Record<string, string> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new UserError(`${file}: header "__metadata__" must be an object of strings (got ${show(raw)})`);
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (typeof v !== 'string') throw new UserError(`${file}: header "__metadata__" entry ${show(k)} must be a string (got ${show(v)})`);
    out[k] = v;
  }
  return out;
}

/** Tensors must tile the data section: sorted by offset, each begins where the last ended. */
function checkCoverage(file: string, entries: SafetensorsEntry[], dataBytes: number): void {
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end || (a.name < b.name ? -1 : 1));
  let pos = 0;
  let prev: SafetensorsEntry | undefined;
  for (const e of entries) {
    if (e.begin < pos) {
      throw new UserError(`${file}: header entry ${show(e.name)}: data_offsets [${e.begin}, ${e.end}] overlap ${show(prev!.name)} [${prev!.begin}, ${prev!.end}]`);
    }
    if (e.begin > pos) {
      throw new UserError(`${file}: header entry ${show(e.name)}: data_offsets [${e.begin}, ${e.end}] leave bytes ${pos}..${e.begin} of the data section unused`);
    }
    pos = e.end;
    prev = e;
  }
  if (pos < dataBytes) {
    throw new UserError(`${file}: ${dataBytes - pos} bytes after the last tensor's data (the header indexes ${pos} of ${dataBytes} data bytes)`);
  }
}

function readHeaderFd(fd: number, path: string): SafetensorsHeader {
  const file = path;
  const stat = fstatSync(fd);
  if (!stat.isFile()) throw new UserError(`${file}: not a file`);
  const size = stat.size;
  if (size < 8) throw new UserError(`${file}: not a safetensors file (${size} bytes, shorter than the 8-byte header length)`);
  const lenBytes = new Uint8Array(8);
  readFully(fd, lenBytes, 0, () => file);
  const headerLen = new DataView(lenBytes.buffer).getBigUint64(0, true);
  if (headerLen > BigInt(MAX_HEADER_BYTES)) {
    throw new UserError(`${file}: header length ${headerLen} exceeds the ${MAX_HEADER_BYTES}-byte limit (not a safetensors file?)`);
  }
  const n = Number(headerLen);
  if (8 + n > size) throw new UserError(`${file}: header length ${n} runs past the end of the ${size}-byte file`);
  const headerBytes = new Uint8Array(n);
  readFully(fd, headerBytes, 8, () => file);
  let json: unknown;
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
    if (!text.startsWith('{')) throw new Error('does not start with "{"');
    json = JSON.parse(text);
  } catch (e) {
    throw new UserError(`${file}: header is not valid JSON (${(e as Error).message})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new UserError(`${file}: header must be a JSON object`);
  const dataStart = 8 + n;
  const dataBytes = size - dataStart;
  let metadata: Record<string, string> = {};
  const entries: SafetensorsEntry[] = [];
  for (const [name, raw] of Object.entries(json)) {
    if (name === '__metadata__') metadata = parseMetadata(file, raw);
    else entries.push(parseEntry(file, name, raw, dataBytes));
  }
  checkCoverage(file, entries, dataBytes);
  return { path, dataStart, dataBytes, entries, metadata };
}

function withFd<T>(path: string, flags: string, fn: (fd: number) => T): T {
  let fd: number;
  try {
    fd = openSync(path, flags);
  } catch (e) {
    throw new UserError(`${path}: cannot open (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  try {
    return fn(fd);
  } finally {
    closeSync(fd);
  }
}

/** The validated header: names, dtypes, shapes and offsets, without reading any tensor data. */
export function readSafetensorsHeader(path: string): SafetensorsHeader {
  return withFd(path, 'r', (fd) => readHeaderFd(fd, path));
}

/** `bytes` owns a whole, fresh ArrayBuffer, so typed arrays over it are aligned. */
function decode(entry: SafetensorsEntry, bytes: Uint8Array): WeightTensor['data'] {
  const buf = bytes.buffer;
  switch (entry.fileDType) {
    case 'F32': return new Float32Array(buf);
    case 'F64': return new Float64Array(buf);
    case 'I32': return new Int32Array(buf);
    case 'I64': return new BigInt64Array(buf);
    case 'F16': return decodeFloat16(bytes);
    case 'BF16': return decodeBfloat16(bytes);
    case 'BOOL':
    case 'I8':
    case 'U8': return bytes;
  }
}

/**
 * Reads the tensors `names` accepts (all by default). F16 and BF16 are decoded to float32 (the
 * dtype still says what the file held); ints to Int32Array/BigInt64Array; BOOL, I8 and U8 are
 * returned as their raw bytes.
 */
export function readSafetensors(
  path: string,
  opts: { names?: (name: string) => boolean } = {},
): { tensors: Map<string, WeightTensor>; metadata: Record<string, string> } {
  checkHostEndianness();
  return withFd(path, 'r', (fd) => {
    const header = readHeaderFd(fd, path);
    const tensors = new Map<string, WeightTensor>();
    for (const e of header.entries) {
      if (opts.names && !opts.names(e.name)) continue;
      // A fresh buffer per tensor: the typed array over it is aligned and owns its memory.
      const bytes = new Uint8Array(new ArrayBuffer(e.end - e.begin));
      readFully(fd, bytes, header.dataStart + e.begin, () => `${path}: tensor ${show(e.name)}`);
      tensors.set(e.name, { dtype: e.dtype, shape: [...e.shape], data: decode(e, bytes) });
    }
    return { tensors, metadata: header.metadata };
  });
}

// ---- writing ----------------------------------------------------------------------------------

type DataClass = typeof Float32Array | typeof Float64Array | typeof Int32Array | typeof BigInt64Array | typeof Uint8Array;
const ARRAY_OF: Record<WeightDType, DataClass> = {
  float32: Float32Array, float16: Float32Array, bfloat16: Float32Array, float64: Float64Array,
  int32: Int32Array, int64: BigInt64Array, bool: Uint8Array, int8: Uint8Array, uint8: Uint8Array,
};

/** Checks that a tensor's data fits its dtype and shape; returns its size in the file. */
function checkTensor(path: string, name: string, t: WeightTensor): number {
  const fail = (msg: string): never => {
    throw new UserError(`cannot write ${path}: tensor ${show(name)}: ${msg}`);
  };
  if (!Object.hasOwn(FILE_DTYPE_OF, t.dtype)) fail(`unknown dtype ${show(t.dtype)}`);
  if (!Array.isArray(t.shape) || !t.shape.every(isCount)) fail(`shape must be non-negative integers (got ${show(t.shape)})`);
  const numel = t.shape.reduce((a, d) => a * d, 1);
  if (t.data.length !== numel) fail(`${t.data.length} values for shape ${show(t.shape)} (${numel} elements)`);
  const d = t.data;
  // Float data may be given in either precision; everything else must come as it is stored.
  const isFloat = t.dtype === 'float32' || t.dtype === 'float16' || t.dtype === 'bfloat16' || t.dtype === 'float64';
  const ok = isFloat ? d instanceof Float32Array || d instanceof Float64Array : d instanceof ARRAY_OF[t.dtype];
  if (!ok) fail(`dtype ${t.dtype} needs ${ARRAY_OF[t.dtype].name} data (got ${d.constructor.name})`);
  return numel * FILE_DTYPES[FILE_DTYPE_OF[t.dtype]].size;
}

function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** The bytes to store for one (checked) tensor. */
function encode(t: WeightTensor): Uint8Array {
  const d = t.data;
  switch (t.dtype) {
    case 'float32':
      return bytesOf(d instanceof Float32Array ? d : Float32Array.from(d as Float64Array));
    case 'float64':
      return bytesOf(d instanceof Float64Array ? d : Float64Array.from(d as Float32Array));
    case 'float16':
    case 'bfloat16': {
      const f = d instanceof Float32Array ? d : Float32Array.from(d as Float64Array);
      return bytesOf(t.dtype === 'float16' ? encodeFloat16(f) : encodeBFloat16(f));
    }
    default:
      return bytesOf(d);
  }
}

/**
 * Writes a safetensors file: tensors in sorted name order (so equal inputs give equal bytes),
 * header padded with spaces so the data section starts 8-byte aligned. Streams to a temp file
 * next to `path` and renames it into place.
 */
export function writeSafetensors(
  path: string,
  tensors: Iterable<[string, WeightTensor]>,
  metadata?: Record<string, string>,
): void {
  checkHostEndianness();
  const byName = new Map<string, WeightTensor>();
  for (const [name, t] of tensors) {
    if (name === '__metadata__') throw new UserError(`cannot write ${path}: "__metadata__" is reserved and cannot name a tensor`);
    if (byName.has(name)) throw new UserError(`cannot write ${path}: tensor ${show(name)} given twice`);
    byName.set(name, t);
  }
  const names = [...byName.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw new UserError(`cannot write ${path}: metadata ${show(k)} must be a string`);
    }
    header.__metadata__ = Object.fromEntries(Object.entries(metadata).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }
  // Shapes and dtypes are checked here, before anything is written.
  let offset = 0;
  for (const name of names) {
    const t = byName.get(name)!;
    const bytes = checkTensor(path, name, t);
    header[name] = { dtype: FILE_DTYPE_OF[t.dtype], shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  const jsonBytes = new TextEncoder().encode(json).length;
  json += ' '.repeat((8 - (jsonBytes % 8)) % 8);
  const headerBytes = new TextEncoder().encode(json);
  const prefix = new Uint8Array(8);
  new DataView(prefix.buffer).setBigUint64(0, BigInt(headerBytes.length), true);

  const tmp = `${path}.tmp-${process.pid}`;
  let fd: number;
  try {
    fd = openSync(tmp, 'w');
  } catch (e) {
    throw new UserError(`cannot write ${path}: ${fsReason(e)}`);
  }
  try {
    const put = (b: Uint8Array): void => {
      let done = 0;
      while (done < b.length) done += writeSync(fd, b, done, Math.min(b.length - done, READ_CHUNK));
    };
    try {
      put(prefix);
      put(headerBytes);
      for (const name of names) put(encode(byName.get(name)!));
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    // A full disk, a failed close or rename: the temporary file goes with the failure.
    removeTemp(tmp);
    throw new UserError(`cannot write ${path}: ${fsReason(e)}`);
  }
}
