/**
 * Reader for TensorFlow checkpoints in the tensor bundle format (TF >= 1.x "V2" checkpoints,
 * the format of the original ALBERT releases): `<prefix>.index`, a LevelDB table mapping each
 * tensor name to a BundleEntryProto (dtype, shape, shard, offset, size, masked CRC-32C), and
 * `<prefix>.data-SSSSS-of-NNNNN` shards holding the raw little-endian tensor bytes.
 *
 * Only the wanted tensors' bytes are read (positioned reads): xxlarge data files with optimizer
 * slots run to gigabytes, and a loader usually wants the weights alone.
 */
import { closeSync, existsSync, fstatSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import { endianness } from 'node:os';
import { basename, isAbsolute, join } from 'node:path';
import protobuf from 'protobufjs';
import { UserError } from '../../ir/errors.ts';
import { crc32c, hex32, unmaskCrc32c } from '../../util/crc32c.ts';
import { decodeBfloat16, decodeFloat16 } from './float16.ts';
import { readTable } from './sstable.ts';
import type { WeightDType, WeightTensor } from './types.ts';

// Release tarballs hold TF checkpoints; loaders find the extractor next to the reader.
export { extractTarGz } from './tar.ts';

// The messages a bundle index holds, as TensorFlow defines them (tensor_bundle.proto,
// tensor_shape.proto, tensor_slice.proto, versions.proto); only the fields read here.
// dtype is an int32 rather than the DataType enum so unknown codes reach our own message.
const BUNDLE_PROTO = `
syntax = "proto3";
message VersionDef { int32 producer = 1; int32 min_consumer = 2; repeated int32 bad_consumers = 3; }
message BundleHeaderProto { int32 num_shards = 1; int32 endianness = 2; VersionDef version = 3; }
message TensorShapeProto {
  message Dim { int64 size = 1; string name = 2; }
  repeated Dim dim = 2;
  bool unknown_rank = 3;
}
message TensorSliceProto {
  message Extent { int64 start = 1; int64 length = 2; }
  repeated Extent extent = 1;
}
message BundleEntryProto {
  int32 dtype = 1;
  TensorShapeProto shape = 2;
  int32 shard_id = 3;
  int64 offset = 4;
  int64 size = 5;
  fixed32 crc32c = 6;
  repeated TensorSliceProto slices = 7;
}
`;
const root = protobuf.parse(BUNDLE_PROTO).root;
const HeaderType = root.lookupType('BundleHeaderProto');
const EntryType = root.lookupType('BundleEntryProto');
const TO_OBJECT: protobuf.IConversionOptions = { longs: String, defaults: true, arrays: true };

/** protobufjs objects of the two messages, 64-bit integers as decimal strings. */
interface HeaderObject {
  numShards: number;
  endianness: number;
  version: { producer: number; minConsumer: number } | null;
}
interface EntryObject {
  dtype: number;
  shape: { dim: { size: string }[]; unknownRank: boolean } | null;
  shardId: number;
  offset: string;
  size: string;
  crc32c: number;
  slices: unknown[];
}

/** The bundle format version this reader implements (TF's kTensorBundleVersion). */
const BUNDLE_VERSION = 1;
/** TF 2's object-graph bookkeeping (a DT_STRING tensor), not a weight: left out unless asked for. */
const OBJECT_GRAPH_KEY = '_CHECKPOINTABLE_OBJECT_GRAPH';

interface DTypeInfo {
  dtype: WeightDType;
  bytes: number;
}
const TF_DTYPES: Record<number, DTypeInfo> = {
  1: { dtype: 'float32', bytes: 4 },
  2: { dtype: 'float64', bytes: 8 },
  3: { dtype: 'int32', bytes: 4 },
  4: { dtype: 'uint8', bytes: 1 },
  6: { dtype: 'int8', bytes: 1 },
  9: { dtype: 'int64', bytes: 8 },
  10: { dtype: 'bool', bytes: 1 },
  14: { dtype: 'bfloat16', bytes: 2 },
  19: { dtype: 'float16', bytes: 2 },
};
/** DataType names (types.proto) for the messages about types we do not read. */
const TF_DTYPE_NAMES = [
  'DT_INVALID', 'DT_FLOAT', 'DT_DOUBLE', 'DT_INT32', 'DT_UINT8', 'DT_INT16', 'DT_INT8', 'DT_STRING',
  'DT_COMPLEX64', 'DT_INT64', 'DT_BOOL', 'DT_QINT8', 'DT_QUINT8', 'DT_QINT32', 'DT_BFLOAT16',
  'DT_QINT16', 'DT_QUINT16', 'DT_UINT16', 'DT_COMPLEX128', 'DT_HALF', 'DT_RESOURCE', 'DT_VARIANT',
  'DT_UINT32', 'DT_UINT64',
];

interface BundleEntry {
  name: string;
  tfDtype: number;
  shape: number[];
  shard: number;
  offset: number;
  size: number;
  /** Unmasked CRC-32C of the tensor bytes. */
  crc: number;
  sliced: boolean;
}

interface Bundle {
  prefix: string;
  indexFile: string;
  numShards: number;
  entries: BundleEntry[];
}

function pad5(n: number): string {
  return String(n).padStart(5, '0');
}

export function dataShardPath(prefix: string, shard: number, numShards: number): string {
  return `${prefix}.data-${pad5(shard)}-of-${pad5(numShards)}`;
}

/** Accepts a prefix, one of its files (x.index, x.data-00000-of-00001) or a model directory. */
function resolvePrefix(spec: string): string {
  const m = /^(.*)\.(index|data-\d{5}-of-\d{5})$/.exec(spec);
  if (m && existsSync(spec) && !statSync(spec).isDirectory()) return m[1];
  if (existsSync(spec) && statSync(spec).isDirectory()) {
    const p = findCheckpointPrefix(spec);
    if (!p) throw new UserError(`${spec}: directory holds no TensorFlow checkpoint (no "checkpoint" file and no *.index file)`);
    return p;
  }
  return spec;
}

function safeInt(s: string, what: () => string): number {
  const v = Number(s);
  if (!Number.isSafeInteger(v) || v < 0) throw new UserError(`${what()}: ${s} is not a valid non-negative size`);
  return v;
}

function decodeMessage<T>(type: protobuf.Type, bytes: Uint8Array, what: () => string): T {
  try {
    return type.toObject(type.decode(bytes), TO_OBJECT) as T;
  } catch (e) {
    throw new UserError(`${what()}: malformed ${type.name} (${(e as Error).message})`);
  }
}

function openBundle(spec: string): Bundle {
  const prefix = resolvePrefix(spec);
  const indexFile = `${prefix}.index`;
  let bytes: Buffer;
  try {
    bytes = readFileSync(indexFile);
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : (e as Error).message;
    throw new UserError(`${indexFile}: cannot read the checkpoint index (${why}); a TensorFlow checkpoint is <prefix>.index plus <prefix>.data-* files`);
  }
  const table = readTable(bytes, indexFile);
  if (table.length === 0 || table[0].key.length !== 0) {
    throw new UserError(`${indexFile}: no bundle header (the entry with the empty key); not a TensorFlow tensor bundle`);
  }
  const header = decodeMessage<HeaderObject>(HeaderType, table[0].value, () => `${indexFile}: bundle header`);
  if (header.endianness !== 0) throw new UserError(`${indexFile}: bundle header: big-endian tensor data is not supported`);
  if (header.version && header.version.minConsumer > BUNDLE_VERSION) {
    throw new UserError(`${indexFile}: bundle header: format version needs a reader of version ${header.version.minConsumer} (this one reads ${BUNDLE_VERSION})`);
  }
  if (!Number.isInteger(header.numShards) || header.numShards < 1) {
    throw new UserError(`${indexFile}: bundle header: num_shards ${header.numShards} must be at least 1`);
  }

  const entries: BundleEntry[] = [];
  for (const { key, value } of table.slice(1)) {
    // Slices of a partitioned variable sit under keys that start with a 0 byte (TF's encoded
    // name + slice); the full variable's own entry lists them and is refused when read.
    if (key[0] === 0) continue;
    const name = Buffer.from(key).toString('utf8');
    const at = () => `${indexFile}: entry "${name}"`;
    const e = decodeMessage<EntryObject>(EntryType, value, at);
    if (e.shape?.unknownRank) throw new UserError(`${at()}: shape of unknown rank`);
    const shape = (e.shape?.dim ?? []).map((d, i) => {
      const v = Number(d.size);
      if (!Number.isSafeInteger(v) || v < 0) throw new UserError(`${at()}: shape dimension ${i} is ${d.size}`);
      return v;
    });
    if (e.shardId < 0 || e.shardId >= header.numShards) {
      throw new UserError(`${at()}: shard_id ${e.shardId} is outside the bundle's ${header.numShards} shard(s)`);
    }
    entries.push({
      name,
      tfDtype: e.dtype,
      shape,
      shard: e.shardId,
      offset: safeInt(e.offset, () => `${at()}: offset`),
      size: safeInt(e.size, () => `${at()}: size`),
      crc: unmaskCrc32c(e.crc32c),
      sliced: e.slices.length > 0,
    });
  }
  return { prefix, indexFile, numShards: header.numShards, entries };
}

/** The dtype of an entry albert can read, or a UserError saying why not. */
function supportedDtype(bundle: Bundle, e: BundleEntry): DTypeInfo {
  const info = TF_DTYPES[e.tfDtype];
  if (info) return info;
  const at = `${bundle.indexFile}: entry "${e.name}"`;
  const known = TF_DTYPE_NAMES[e.tfDtype];
  if (known === undefined) throw new UserError(`${at}: unknown dtype code ${e.tfDtype}`);
  throw new UserError(`${at}: dtype ${known} is not supported (albert reads numeric tensors: float, half, bfloat16, double, int8/32/64, uint8, bool)`);
}

/** Tensors of a TF checkpoint: name, dtype and shape, in the index's (sorted) order. */
export function listTfCheckpoint(prefix: string): { name: string; dtype: WeightDType; shape: number[] }[] {
  const bundle = openBundle(prefix);
  return bundle.entries
    .filter((e) => e.name !== OBJECT_GRAPH_KEY)
    .map((e) => ({ name: e.name, dtype: supportedDtype(bundle, e).dtype, shape: e.shape }));
}

/** Reads `size` bytes at `offset`, in chunks (one read(2) call moves at most ~2 GB). */
function readAt(fd: number, offset: number, size: number): Uint8Array | null {
  const buf = new Uint8Array(size);
  const CHUNK = 1 << 26;
  for (let done = 0; done < size; ) {
    const n = readSync(fd, buf, done, Math.min(CHUNK, size - done), offset + done);
    if (n === 0) return null;
    done += n;
  }
  return buf;
}

function decodeTensor(info: DTypeInfo, bytes: Uint8Array): WeightTensor['data'] {
  // `bytes` owns a fresh, aligned ArrayBuffer, so typed views need no copy.
  switch (info.dtype) {
    case 'float32':
      return new Float32Array(bytes.buffer, 0, bytes.length / 4);
    case 'float64':
      return new Float64Array(bytes.buffer, 0, bytes.length / 8);
    case 'int32':
      return new Int32Array(bytes.buffer, 0, bytes.length / 4);
    case 'int64':
      return new BigInt64Array(bytes.buffer, 0, bytes.length / 8);
    case 'float16':
      return decodeFloat16(bytes);
    case 'bfloat16':
      return decodeBfloat16(bytes);
    case 'bool':
    case 'int8':
    case 'uint8':
      return bytes;
  }
}

/**
 * Reads the tensors of a TF checkpoint (all of them, or those `names` accepts; TF 2's
 * object-graph entry only when asked for by name). Floats come back as Float32Array (float16 and
 * bfloat16 widened, `dtype` says what was stored), float64 as Float64Array, int32 as Int32Array,
 * int64 (global_step) as BigInt64Array, bool/int8/uint8 as raw bytes. Each tensor's CRC-32C is
 * checked. `prefix` may also be the .index file or a directory (see findCheckpointPrefix).
 */
export function readTfCheckpoint(prefix: string, opts: { names?: (name: string) => boolean } = {}): Map<string, WeightTensor> {
  if (endianness() !== 'LE') throw new Error('TF checkpoint reading assumes a little-endian host');
  const bundle = openBundle(prefix);
  const wanted = bundle.entries.filter((e) => (opts.names ? opts.names(e.name) : e.name !== OBJECT_GRAPH_KEY));
  const plan = wanted.map((e) => {
    const at = `${bundle.indexFile}: entry "${e.name}"`;
    const info = supportedDtype(bundle, e);
    if (e.sliced) throw new UserError(`${at}: partitioned variable (saved as slices); albert does not read partitioned checkpoints`);
    const numel = e.shape.reduce((a, b) => a * b, 1);
    if (e.size !== numel * info.bytes) {
      throw new UserError(`${at}: size ${e.size} bytes does not match ${info.dtype} [${e.shape.join(', ')}] (${numel * info.bytes} bytes)`);
    }
    return { e, info };
  });

  const fds = new Map<number, { fd: number; file: string; bytes: number }>();
  const shardOf = (shard: number) => {
    let s = fds.get(shard);
    if (!s) {
      const file = dataShardPath(bundle.prefix, shard, bundle.numShards);
      let fd: number;
      try {
        fd = openSync(file, 'r');
      } catch (e) {
        const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : (e as Error).message;
        throw new UserError(`${file}: cannot read data shard ${shard} of ${bundle.numShards} named by ${bundle.indexFile} (${why})`);
      }
      s = { fd, file, bytes: fstatSync(fd).size };
      fds.set(shard, s);
    }
    return s;
  };

  const out = new Map<string, WeightTensor>();
  try {
    for (const { e, info } of plan) {
      const s = shardOf(e.shard);
      const where = `${s.file}: tensor "${e.name}" at offset ${e.offset} (${e.size} bytes)`;
      if (e.offset + e.size > s.bytes) throw new UserError(`${where} ends past the shard's ${s.bytes} bytes: truncated or corrupt`);
      const bytes = readAt(s.fd, e.offset, e.size);
      if (!bytes) throw new UserError(`${where}: the file ended early while reading`);
      const actual = crc32c(bytes);
      if (actual !== e.crc) {
        throw new UserError(`${where}: checksum mismatch (index says CRC-32C ${hex32(e.crc)}, data has ${hex32(actual)}): the data file is corrupt`);
      }
      out.set(e.name, { dtype: info.dtype, shape: e.shape, data: decodeTensor(info, bytes) });
    }
  } finally {
    for (const { fd } of fds.values()) closeSync(fd);
  }
  return out;
}

/** Undoes the C-style escapes of a text-format proto string (TF's CEscape of UTF-8 bytes). */
function unescapeTextProto(s: string): string {
  const bytes: number[] = [];
  const simple: Record<string, number> = { n: 10, r: 13, t: 9, '"': 34, "'": 39, '\\': 92 };
  for (let i = 0; i < s.length; i++) {
    if (s[i] !== '\\') {
      bytes.push(...Buffer.from(s[i], 'utf8'));
      continue;
    }
    const c = s[++i];
    const oct = /^[0-7]{1,3}/.exec(s.slice(i, i + 3));
    const hexEsc = c === 'x' ? /^[0-9a-fA-F]{1,2}/.exec(s.slice(i + 1, i + 3)) : null;
    if (oct) {
      bytes.push(parseInt(oct[0], 8) & 0xff);
      i += oct[0].length - 1;
    } else if (hexEsc) {
      bytes.push(parseInt(hexEsc[0], 16));
      i += hexEsc[0].length;
    } else {
      bytes.push(simple[c] ?? c.charCodeAt(0));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/**
 * The checkpoint prefix in a TF model directory: the "checkpoint" state file's
 * model_checkpoint_path when its .index exists (an absolute path from the training machine is
 * also tried as a name inside `dir`); else "model.ckpt-best" (the name in the ALBERT releases)
 * or the only *.index file. Null when the directory holds no checkpoint; a UserError when it
 * holds several and nothing says which.
 */
export function findCheckpointPrefix(dir: string): string | null {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    throw new UserError(`${dir}: cannot read checkpoint directory (${(e as Error).message})`);
  }
  if (names.includes('checkpoint')) {
    const text = readFileSync(join(dir, 'checkpoint'), 'utf8');
    const m = /^\s*model_checkpoint_path\s*:\s*"((?:[^"\\]|\\.)*)"/m.exec(text);
    if (m) {
      const p = unescapeTextProto(m[1]);
      const candidates = isAbsolute(p) ? [p, join(dir, basename(p))] : [join(dir, p)];
      for (const c of candidates) if (existsSync(`${c}.index`)) return c;
    }
  }
  const prefixes = names.filter((n) => n.endsWith('.index')).map((n) => n.slice(0, -'.index'.length)).sort();
  if (prefixes.includes('model.ckpt-best')) return join(dir, 'model.ckpt-best');
  if (prefixes.length === 1) return join(dir, prefixes[0]);
  if (prefixes.length === 0) return null;
  throw new UserError(`${dir}: several checkpoints (${prefixes.join(', ')}) and no "checkpoint" file naming one; pass the prefix of the one to use`);
}
