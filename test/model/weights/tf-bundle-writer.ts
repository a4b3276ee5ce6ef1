/**
 * A minimal TensorFlow tensor-bundle writer, for tests only. It is written from the format
 * description alone and shares no code with src/model/weights (its own CRC-32C, varints and
 * protobuf encoding), so that a misreading of the format in the reader is not mirrored here.
 *
 * It builds the .index table the way LevelDB's/TF's TableBuilder does: sorted keys; data blocks
 * of prefix-compressed entries with a restart every `restartInterval` keys, cut when a block
 * reaches `blockSize`; index entries keyed by the shortest separator between blocks (and the
 * short successor of the last key), index block restart interval 1; an empty metaindex block;
 * a 5-byte trailer (compression type, masked CRC-32C) after each block; the 48-byte footer.
 */
import { writeFileSync } from 'node:fs';

/** TF DataType codes (types.proto). */
export const DT = {
  FLOAT: 1, DOUBLE: 2, INT32: 3, UINT8: 4, INT16: 5, INT8: 6, STRING: 7, INT64: 9, BOOL: 10, BFLOAT16: 14, HALF: 19,
} as const;

export interface BundleTensor {
  name: string;
  /** TF DataType code. */
  dtype: number;
  shape: number[];
  /** Raw little-endian tensor bytes, exactly as written to the data file. */
  bytes: Uint8Array;
  /** Data shard; default: round-robin over the shards in the order given. */
  shard?: number;
  /** Store this value in the entry's crc32c field instead of the right masked CRC. */
  crc32cField?: number;
  /** Give the entry a `slices` field, as TF does for a partitioned variable. */
  sliced?: boolean;
}

export interface BundleOptions {
  numShards?: number;
  /** Data block size target in bytes (LevelDB's default is 4096). */
  blockSize?: number;
  restartInterval?: number;
  /** Compression type byte stamped on every block (0 = none; 1 = snappy). */
  compressionType?: number;
  /** Leave out the bundle header entry (key ""). */
  omitHeader?: boolean;
}

export interface BundleLayout {
  indexFile: string;
  dataFiles: string[];
  /** Where each tensor's bytes went. */
  tensors: Map<string, { shard: number; offset: number; size: number }>;
  /** The keys of the index block (separators, not necessarily real tensor names). */
  indexKeys: string[];
}

// ---- CRC-32C, bit by bit (deliberately unlike the reader's table-driven one) ----

export function crc32cBitwise(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

function masked(crc: number): number {
  return (((crc >>> 15) | (crc << 17)) + 0xa282ead8) >>> 0;
}

// ---- byte helpers ----

class Bytes {
  readonly out: number[] = [];
  varint(v: number | bigint): this {
    let x = BigInt(v);
    if (x < 0n) x += 1n << 64n; // protobuf int64: two's complement, 10 bytes
    do {
      let b = Number(x & 0x7fn);
      x >>= 7n;
      if (x > 0n) b |= 0x80;
      this.out.push(b);
    } while (x > 0n);
    return this;
  }
  fixed32(v: number): this {
    this.out.push(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff);
    return this;
  }
  raw(b: Uint8Array | number[]): this {
    for (const x of b) this.out.push(x);
    return this;
  }
  get length(): number {
    return this.out.length;
  }
  bytes(): Uint8Array {
    return Uint8Array.from(this.out);
  }
}

// ---- protobuf, by hand: tag = field << 3 | wire type (0 varint, 2 length-delimited, 5 fixed32) ----

function pbVarint(b: Bytes, field: number, v: number | bigint): void {
  if (BigInt(v) !== 0n) b.varint(field << 3).varint(v); // proto3 leaves zeros out
}
function pbMessage(b: Bytes, field: number, msg: Uint8Array): void {
  b.varint((field << 3) | 2).varint(msg.length).raw(msg);
}

function headerProto(numShards: number): Uint8Array {
  const version = new Bytes();
  pbVarint(version, 1, 1); // producer = 1
  const b = new Bytes();
  pbVarint(b, 1, numShards);
  // endianness (2) = LITTLE = 0: omitted
  pbMessage(b, 3, version.bytes());
  return b.bytes();
}

function entryProto(t: BundleTensor, shard: number, offset: number, crcField: number): Uint8Array {
  const shape = new Bytes();
  for (const d of t.shape) {
    const dim = new Bytes();
    pbVarint(dim, 1, d);
    pbMessage(shape, 2, dim.bytes());
  }
  const b = new Bytes();
  pbVarint(b, 1, t.dtype);
  pbMessage(b, 2, shape.bytes());
  pbVarint(b, 3, shard);
  pbVarint(b, 4, offset);
  pbVarint(b, 5, t.bytes.length);
  b.varint((6 << 3) | 5).fixed32(crcField);
  if (t.sliced) {
    // One TensorSliceProto covering dimension 0 fully: extent { length: shape[0] }.
    const extent = new Bytes();
    pbVarint(extent, 2, t.shape[0] ?? 1);
    const slice = new Bytes();
    pbMessage(slice, 1, extent.bytes());
    pbMessage(b, 7, slice.bytes());
  }
  return b.bytes();
}

// ---- the table ----

class BlockBuilder {
  private buf = new Bytes();
  private restarts = [0];
  private counter = 0;
  private last: Uint8Array = new Uint8Array(0);
  constructor(private readonly restartInterval: number) {}
  add(key: Uint8Array, value: Uint8Array): void {
    let shared = 0;
    if (this.counter < this.restartInterval) {
      while (shared < key.length && shared < this.last.length && key[shared] === this.last[shared]) shared++;
    } else {
      this.restarts.push(this.buf.length);
      this.counter = 0;
    }
    this.buf.varint(shared).varint(key.length - shared).varint(value.length).raw(key.subarray(shared)).raw(value);
    this.last = key;
    this.counter++;
  }
  get empty(): boolean {
    return this.buf.length === 0;
  }
  get estimatedSize(): number {
    return this.buf.length + 4 * this.restarts.length + 4;
  }
  finish(): Uint8Array {
    for (const r of this.restarts) this.buf.fixed32(r);
    this.buf.fixed32(this.restarts.length);
    return this.buf.bytes();
  }
}

function shortestSeparator(start: Uint8Array, limit: Uint8Array): Uint8Array {
  let i = 0;
  const n = Math.min(start.length, limit.length);
  while (i < n && start[i] === limit[i]) i++;
  if (i < n && start[i] < 0xff && start[i] + 1 < limit[i]) {
    const sep = start.slice(0, i + 1);
    sep[i]++;
    return sep;
  }
  return start;
}

function shortSuccessor(key: Uint8Array): Uint8Array {
  for (let i = 0; i < key.length; i++) {
    if (key[i] !== 0xff) {
      const s = key.slice(0, i + 1);
      s[i]++;
      return s;
    }
  }
  return key;
}

function compare(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

/** A LevelDB table of the given entries (sorted here); returns the file bytes and index keys. */
export function buildTable(
  entries: { key: Uint8Array; value: Uint8Array }[],
  opts: { blockSize?: number; restartInterval?: number; compressionType?: number } = {},
): { bytes: Uint8Array; indexKeys: Uint8Array[] } {
  const blockSize = opts.blockSize ?? 4096;
  const restartInterval = opts.restartInterval ?? 16;
  const type = opts.compressionType ?? 0;
  const file = new Bytes();
  const writeBlock = (contents: Uint8Array): Bytes => {
    const handle = new Bytes().varint(file.length).varint(contents.length);
    const withType = new Uint8Array(contents.length + 1);
    withType.set(contents);
    withType[contents.length] = type;
    file.raw(withType).fixed32(masked(crc32cBitwise(withType)));
    return handle;
  };

  const sorted = [...entries].sort((a, b) => compare(a.key, b.key));
  const index = new BlockBuilder(1);
  const indexKeys: Uint8Array[] = [];
  let data = new BlockBuilder(restartInterval);
  let pending: Bytes | null = null;
  let lastKey: Uint8Array = new Uint8Array(0);
  const addIndex = (key: Uint8Array, handle: Bytes) => {
    index.add(key, handle.bytes());
    indexKeys.push(key);
  };
  for (const { key, value } of sorted) {
    if (pending) {
      addIndex(shortestSeparator(lastKey, key), pending);
      pending = null;
    }
    data.add(key, value);
    lastKey = key;
    if (data.estimatedSize >= blockSize) {
      pending = writeBlock(data.finish());
      data = new BlockBuilder(restartInterval);
    }
  }
  if (!data.empty) pending = writeBlock(data.finish());
  const metaHandle = writeBlock(new BlockBuilder(restartInterval).finish());
  if (pending) addIndex(shortSuccessor(lastKey), pending);
  const indexHandle = writeBlock(index.finish());

  const footer = new Bytes().raw(metaHandle.out).raw(indexHandle.out);
  while (footer.length < 40) footer.raw([0]);
  footer.fixed32(0x8b80fb57).fixed32(0xdb477524); // magic 0xdb4775248b80fb57, little-endian
  file.raw(footer.out);
  return { bytes: file.bytes(), indexKeys };
}

function pad5(n: number): string {
  return String(n).padStart(5, '0');
}

/** Writes `${prefix}.index` and its data shards. */
export function writeTfBundle(prefix: string, tensors: BundleTensor[], opts: BundleOptions = {}): BundleLayout {
  const numShards = opts.numShards ?? 1;
  // Shards as lists of chunks, so tests can write tensors of hundreds of MB.
  const shards = Array.from({ length: numShards }, () => ({ chunks: [] as Uint8Array[], length: 0 }));
  const layout: BundleLayout['tensors'] = new Map();
  const enc = new TextEncoder();
  const entries: { key: Uint8Array; value: Uint8Array }[] = [];
  if (!opts.omitHeader) entries.push({ key: new Uint8Array(0), value: headerProto(numShards) });
  tensors.forEach((t, i) => {
    const shard = t.shard ?? i % numShards;
    const offset = shards[shard].length;
    shards[shard].chunks.push(t.bytes);
    shards[shard].length += t.bytes.length;
    layout.set(t.name, { shard, offset, size: t.bytes.length });
    const crc = t.crc32cField ?? masked(crc32cBitwise(t.bytes));
    entries.push({ key: enc.encode(t.name), value: entryProto(t, shard, offset, crc) });
  });
  const table = buildTable(entries, opts);
  const indexFile = `${prefix}.index`;
  writeFileSync(indexFile, table.bytes);
  const dataFiles = shards.map((s, i) => {
    const f = `${prefix}.data-${pad5(i)}-of-${pad5(numShards)}`;
    writeFileSync(f, Buffer.concat(s.chunks));
    return f;
  });
  const dec = new TextDecoder();
  return { indexFile, dataFiles, tensors: layout, indexKeys: table.indexKeys.map((k) => dec.decode(k)) };
}

/** The little-endian bytes of a typed array (a copy). */
export function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength));
}
