/**
 * TFRecord files, TensorFlow's framing for a sequence of binary records (tf.io.TFRecordWriter,
 * tf.data.TFRecordDataset). Each record is
 *
 *   uint64 length (little-endian) | uint32 masked CRC-32C of those 8 bytes | data | uint32 masked CRC-32C of data
 *
 * A file may be GZIP-compressed as a whole (TensorFlow's compression_type "GZIP"); offsets in
 * messages and cursors then count bytes of the decompressed stream.
 *
 * Readers stream: files are read in chunks, never whole (except by the synchronous reader for
 * gzip files, see readTFRecordsSync), and every record's two checksums are verified, so a
 * flipped bit or a cut-off file is a one-line error naming the file and the record's offset
 * rather than a wrong batch. Writers stream to a temporary name and rename when closed, so a
 * reader never sees half a file.
 */
import { closeSync, createReadStream, createWriteStream, fstatSync, openSync, readSync, renameSync, writeSync } from 'node:fs';
import { open as openAsync } from 'node:fs/promises';
import { once } from 'node:events';
import { pipeline } from 'node:stream';
import { constants as bufferConstants } from 'node:buffer';
import { createGunzip, createGzip, gunzipSync, type Gzip } from 'node:zlib';
import type { WriteStream } from 'node:fs';
import { UserError } from '../ir/errors.ts';
import { crc32c, hex32, maskCrc32c } from '../util/crc32c.ts';
import { removeTemp } from '../util/atomic-write.ts';
import { fsReason } from '../util/fs-reason.ts';

export type TFRecordCompression = 'auto' | 'none' | 'gzip';

/** One record as a reader yields it. */
export interface TFRecord {
  /** The record's bytes: a view into the reader's chunk (copy it to keep it apart from the chunk). */
  data: Buffer;
  file: string;
  /** The record's number in its file, from 0. */
  index: number;
  /** Byte offset of the record's length field in the (decompressed) file. */
  offset: number;
  /** Byte offset just past the record, where the next one starts. */
  end: number;
}

export interface TFRecordReadOptions {
  /** 'auto' (the default): gzip when the file name ends in .gz. */
  compression?: TFRecordCompression;
  /** Check both CRCs of every record (default true). */
  verify?: boolean;
  /** Start at this byte offset of the (decompressed) file, which must be where a record starts (one file only). */
  startOffset?: number;
  /** The index of the record at startOffset, for messages and TFRecord.index. */
  startIndex?: number;
  /** Bytes per read (default 1 MiB). */
  chunkSize?: number;
}

const HEADER_BYTES = 12;
const FOOTER_BYTES = 4;
const DEFAULT_CHUNK = 1 << 20;
/** The largest record this reader accepts: one Node Buffer. */
const MAX_RECORD = Math.min(bufferConstants.MAX_LENGTH - HEADER_BYTES - FOOTER_BYTES, Number.MAX_SAFE_INTEGER);

export function isGzipFile(file: string, compression: TFRecordCompression = 'auto'): boolean {
  if (compression === 'gzip') return true;
  if (compression === 'none') return false;
  return /\.gz$/i.test(file);
}

/** A record with its framing: length, masked CRC of the length, data, masked CRC of the data. */
export function encodeTFRecord(data: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(HEADER_BYTES + data.length + FOOTER_BYTES);
  writeFrame(out, 0, data);
  return out;
}

function frameBytes(data: Uint8Array): number {
  return HEADER_BYTES + data.length + FOOTER_BYTES;
}

function writeFrame(out: Buffer, at: number, data: Uint8Array): void {
  out.writeUInt32LE(data.length >>> 0, at);
  out.writeUInt32LE(Math.floor(data.length / 4294967296), at + 4);
  out.writeUInt32LE(maskCrc32c(crc32c(out.subarray(at, at + 8))), at + 8);
  out.set(data, at + HEADER_BYTES);
  out.writeUInt32LE(maskCrc32c(crc32c(data)), at + HEADER_BYTES + data.length);
}

/** A one-line reason for a failed file operation, without the path Node repeats in its message. */
export { fsReason };

/**
 * Splits a byte stream into records. Bytes arrive in chunks (push); next() hands out whole
 * records, as views into a chunk where a record lies within one and as a copy of just that
 * record where it straddles two, so no chunk is copied whole.
 */
class RecordFramer {
  private chunks: Buffer[] = [];
  /** Bytes of chunks[0] already consumed. */
  private head = 0;
  private available = 0;

  constructor(
    private readonly file: string,
    private readonly gzip: boolean,
    private readonly verify: boolean,
    /** Offset of the first unconsumed byte. */
    public offset: number,
    /** Index of the next record. */
    public index: number,
  ) {}

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.available += chunk.length;
  }

  private where(): string {
    return `${this.file}: record ${this.index} at byte offset ${this.offset}${this.gzip ? ' of the decompressed data' : ''}`;
  }

  /** The next whole record, or null when more bytes are needed for it. */
  next(): TFRecord | null {
    if (this.available < HEADER_BYTES) return null;
    const header = this.peek(HEADER_BYTES);
    const lo = header.readUInt32LE(0);
    const hi = header.readUInt32LE(4);
    if (this.verify) {
      const stored = header.readUInt32LE(8);
      const computed = maskCrc32c(crc32c(header.subarray(0, 8)));
      if (stored !== computed) {
        throw new UserError(`${this.where()}: corrupt length field (masked CRC-32C ${hex32(stored)} stored, ${hex32(computed)} computed)`);
      }
    }
    const length = hi * 4294967296 + lo;
    if (length > MAX_RECORD) throw new UserError(`${this.where()}: record length ${length} exceeds the ${MAX_RECORD} bytes this reader can hold`);
    const total = HEADER_BYTES + length + FOOTER_BYTES;
    if (this.available < total) return null;
    const frame = this.take(total);
    const data = frame.subarray(HEADER_BYTES, HEADER_BYTES + length);
    if (this.verify) {
      const stored = frame.readUInt32LE(HEADER_BYTES + length);
      const computed = maskCrc32c(crc32c(data));
      if (stored !== computed) {
        throw new UserError(`${this.where()}: corrupt data (${length} bytes; masked CRC-32C ${hex32(stored)} stored, ${hex32(computed)} computed)`);
      }
    }
    const record: TFRecord = { data, file: this.file, index: this.index, offset: this.offset, end: this.offset + total };
    this.offset += total;
    this.index += 1;
    return record;
  }

  /** Call at the end of the stream: leftover bytes are a cut-off record. */
  finish(): void {
    if (this.available === 0) return;
    let size = `its header alone is ${HEADER_BYTES} bytes`;
    if (this.available >= HEADER_BYTES) {
      const header = this.peek(8);
      size = `which frames ${HEADER_BYTES + header.readUInt32LE(4) * 4294967296 + header.readUInt32LE(0) + FOOTER_BYTES} bytes`;
    }
    throw new UserError(`${this.where()}: truncated: the file ends ${this.available} bytes into the record (${size})`);
  }

  /** The first n available bytes, contiguous, without consuming them. */
  private peek(n: number): Buffer {
    const first = this.chunks[0];
    if (first.length - this.head >= n) return first.subarray(this.head, this.head + n);
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    let at = this.head;
    for (let c = 0; filled < n; c++) {
      const chunk = this.chunks[c];
      const k = Math.min(chunk.length - at, n - filled);
      chunk.copy(out, filled, at, at + k);
      filled += k;
      at = 0;
    }
    return out;
  }

  /** Consumes the first n available bytes and returns them contiguous. */
  private take(n: number): Buffer {
    const first = this.chunks[0];
    let out: Buffer;
    if (first.length - this.head >= n) {
      out = first.subarray(this.head, this.head + n);
      this.head += n;
    } else {
      out = Buffer.allocUnsafe(n);
      let filled = 0;
      while (filled < n) {
        const chunk = this.chunks[0];
        const k = Math.min(chunk.length - this.head, n - filled);
        chunk.copy(out, filled, this.head, this.head + k);
        filled += k;
        this.head += k;
        if (this.head === chunk.length) {
          this.chunks.shift();
          this.head = 0;
        }
      }
    }
    if (this.chunks.length > 0 && this.head === this.chunks[0].length) {
      this.chunks.shift();
      this.head = 0;
    }
    this.available -= n;
    return out;
  }
}

function startOf(files: string[], opts: TFRecordReadOptions): { offset: number; index: number } {
  const offset = opts.startOffset ?? 0;
  const index = opts.startIndex ?? 0;
  if ((offset !== 0 || index !== 0) && files.length !== 1) throw new RangeError('startOffset/startIndex apply to a single file');
  if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(index) || index < 0) {
    throw new RangeError(`bad start position (offset ${offset}, index ${index})`);
  }
  return { offset, index };
}

function pastEnd(file: string, offset: number, size: number, gzip: boolean): UserError {
  return new UserError(`${file}: start offset ${offset} lies past the end of the ${gzip ? 'decompressed data' : 'file'} (${size} bytes)`);
}

function gzipError(file: string, e: unknown): UserError {
  if (e instanceof UserError) return e;
  const err = e as NodeJS.ErrnoException;
  if (err.code && err.code.startsWith('Z_')) return new UserError(`${file}: bad gzip data: ${err.message}`);
  return new UserError(`${file}: cannot read: ${fsReason(e)}`);
}

/**
 * Reads the records of one or more files in order, synchronously. Plain files are read in
 * chunks; a gzip file is decompressed whole into memory first (Node has no synchronous
 * streaming inflate), so prefer readTFRecords for large compressed files.
 */
export function* readTFRecordsSync(files: string | string[], opts: TFRecordReadOptions = {}): Generator<TFRecord> {
  const list = typeof files === 'string' ? [files] : files;
  const start = startOf(list, opts);
  const verify = opts.verify ?? true;
  const chunkSize = opts.chunkSize ?? DEFAULT_CHUNK;
  for (const file of list) {
    const gzip = isGzipFile(file, opts.compression);
    const framer = new RecordFramer(file, gzip, verify, start.offset, start.index);
    if (gzip) {
      let data: Buffer;
      try {
        data = gunzipSync(readFileOrThrow(file));
      } catch (e) {
        throw gzipError(file, e);
      }
      if (start.offset > data.length) throw pastEnd(file, start.offset, data.length, true);
      framer.push(data.subarray(start.offset));
      for (let r = framer.next(); r; r = framer.next()) yield r;
      framer.finish();
      continue;
    }
    const fd = openOrThrow(file);
    try {
      const size = fstatSync(fd).size;
      if (start.offset > size) throw pastEnd(file, start.offset, size, false);
      let position = start.offset;
      for (;;) {
        const chunk = Buffer.allocUnsafe(chunkSize);
        let n: number;
        try {
          n = readSync(fd, chunk, 0, chunkSize, position);
        } catch (e) {
          throw new UserError(`${file}: cannot read: ${fsReason(e)}`);
        }
        if (n === 0) break;
        position += n;
        framer.push(n === chunkSize ? chunk : chunk.subarray(0, n));
        for (let r = framer.next(); r; r = framer.next()) yield r;
      }
      framer.finish();
    } finally {
      closeSync(fd);
    }
  }
}

function openOrThrow(file: string): number {
  try {
    return openSync(file, 'r');
  } catch (e) {
    throw new UserError(`${file}: cannot open: ${fsReason(e)}`);
  }
}

function readFileOrThrow(file: string): Buffer {
  const fd = openOrThrow(file);
  try {
    const size = fstatSync(fd).size;
    const out = Buffer.allocUnsafe(size);
    let filled = 0;
    while (filled < size) {
      const n = readSync(fd, out, filled, size - filled, filled);
      if (n === 0) break;
      filled += n;
    }
    return out.subarray(0, filled);
  } finally {
    closeSync(fd);
  }
}

/** Reads the records of one or more files in order, streaming (gzip files too). */
export async function* readTFRecords(files: string | string[], opts: TFRecordReadOptions = {}): AsyncGenerator<TFRecord> {
  const list = typeof files === 'string' ? [files] : files;
  const start = startOf(list, opts);
  const verify = opts.verify ?? true;
  const chunkSize = opts.chunkSize ?? DEFAULT_CHUNK;
  for (const file of list) {
    const gzip = isGzipFile(file, opts.compression);
    const framer = new RecordFramer(file, gzip, verify, start.offset, start.index);
    if (gzip) {
      yield* gunzipRecords(file, framer, start.offset, chunkSize);
      continue;
    }
    let handle;
    try {
      handle = await openAsync(file, 'r');
    } catch (e) {
      throw new UserError(`${file}: cannot open: ${fsReason(e)}`);
    }
    try {
      const size = (await handle.stat()).size;
      if (start.offset > size) throw pastEnd(file, start.offset, size, false);
      let position = start.offset;
      for (;;) {
        const chunk = Buffer.allocUnsafe(chunkSize);
        let n: number;
        try {
          n = (await handle.read(chunk, 0, chunkSize, position)).bytesRead;
        } catch (e) {
          throw new UserError(`${file}: cannot read: ${fsReason(e)}`);
        }
        if (n === 0) break;
        position += n;
        framer.push(n === chunkSize ? chunk : chunk.subarray(0, n));
        for (let r = framer.next(); r; r = framer.next()) yield r;
      }
      framer.finish();
    } finally {
      await handle.close();
    }
  }
}

async function* gunzipRecords(file: string, framer: RecordFramer, startOffset: number, chunkSize: number): AsyncGenerator<TFRecord> {
  const source = createReadStream(file, { highWaterMark: chunkSize });
  const gunzip = createGunzip({ chunkSize: Math.max(chunkSize, 64 * 1024) });
  source.on('error', (e) => gunzip.destroy(e));
  source.pipe(gunzip);
  // Bytes before startOffset are decompressed and dropped: gzip has no random access.
  let skip = startOffset;
  try {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      let c = chunk;
      if (skip > 0) {
        if (c.length <= skip) {
          skip -= c.length;
          continue;
        }
        c = c.subarray(skip);
        skip = 0;
      }
      framer.push(c);
      for (let r = framer.next(); r; r = framer.next()) yield r;
    }
  } catch (e) {
    throw gzipError(file, e);
  } finally {
    source.destroy();
    gunzip.destroy();
  }
  if (skip > 0) throw pastEnd(file, startOffset, startOffset - skip, true);
  framer.finish();
}

/** Where a record starts in a file, as a cursor remembers it. */
export interface TFRecordLocation {
  offset: number;
  index: number;
}

/**
 * Reads the records that start at the given offsets of one file (in the order asked, checksums
 * verified): positioned reads in a plain file, one decompressing pass in a gzip file.
 */
export async function readTFRecordsAt(file: string, locations: TFRecordLocation[], opts: TFRecordReadOptions = {}): Promise<Buffer[]> {
  if (locations.length === 0) return [];
  const verify = opts.verify ?? true;
  const gzip = isGzipFile(file, opts.compression);
  const out = new Array<Buffer>(locations.length);
  if (gzip) {
    const order = locations.map((_, i) => i).sort((a, b) => locations[a].offset - locations[b].offset);
    const first = locations[order[0]];
    let k = 0;
    for await (const r of readTFRecords(file, { ...opts, startOffset: first.offset, startIndex: first.index })) {
      while (k < order.length && locations[order[k]].offset === r.offset) out[order[k++]] = Buffer.from(r.data);
      if (k === order.length) break;
      if (locations[order[k]].offset < r.end) {
        throw new UserError(`${file}: no record starts at byte offset ${locations[order[k]].offset} of the decompressed data`);
      }
    }
    if (k < order.length) throw new UserError(`${file}: no record starts at byte offset ${locations[order[k]].offset} of the decompressed data`);
    return out;
  }
  const fd = openOrThrow(file);
  try {
    const size = fstatSync(fd).size;
    locations.forEach((loc, i) => {
      if (loc.offset + HEADER_BYTES > size) throw pastEnd(file, loc.offset, size, false);
      const framer = new RecordFramer(file, false, verify, loc.offset, loc.index);
      const header = Buffer.allocUnsafe(HEADER_BYTES);
      readSync(fd, header, 0, HEADER_BYTES, loc.offset);
      framer.push(header);
      if (framer.next() !== null) throw new Error('unreachable: a header alone is no record');
      const length = header.readUInt32LE(4) * 4294967296 + header.readUInt32LE(0);
      const rest = Buffer.allocUnsafe(Math.min(length + FOOTER_BYTES, Math.max(0, size - loc.offset - HEADER_BYTES)));
      if (rest.length > 0) readSync(fd, rest, 0, rest.length, loc.offset + HEADER_BYTES);
      framer.push(rest);
      const record = framer.next();
      if (!record) framer.finish();
      out[i] = record!.data;
    });
  } finally {
    closeSync(fd);
  }
  return out;
}

export interface TFRecordWriteOptions {
  /** 'auto' (the default): gzip when the file name ends in .gz. */
  compression?: TFRecordCompression;
  /** Bytes staged in memory between writes to the file (default 1 MiB). */
  bufferSize?: number;
}

/**
 * Writes records to `<path>.tmp-<pid>` and renames it to `path` on close(), so the file at
 * `path` is either the old one or complete. abort() removes the temporary file.
 */
export class TFRecordWriter {
  readonly path: string;
  private readonly tmp: string;
  private readonly gzip: Gzip | null = null;
  private fd: number | null;
  private failure: unknown = null;
  private done: Promise<void> | null = null;
  private stage: Buffer;
  private staged = 0;
  private closed = false;
  /** Records written so far. */
  count = 0;
  /** Uncompressed bytes written so far. */
  bytes = 0;

  private constructor(path: string, opts: TFRecordWriteOptions) {
    this.path = path;
    this.tmp = `${path}.tmp-${process.pid}`;
    this.stage = Buffer.allocUnsafe(opts.bufferSize ?? DEFAULT_CHUNK);
    try {
      this.fd = openSync(this.tmp, 'w');
    } catch (e) {
      throw new UserError(`cannot write ${path}: ${fsReason(e)}`);
    }
    if (isGzipFile(path, opts.compression)) {
      const gzip = createGzip();
      const sink: WriteStream = createWriteStream(this.tmp, { fd: this.fd });
      this.fd = null; // the stream owns and closes it
      this.gzip = gzip;
      this.done = new Promise<void>((resolve, reject) => {
        pipeline(gzip, sink, (e) => (e ? reject(e) : resolve()));
      });
      // Failures surface through write()/close(); keep an early one from being unhandled.
      this.done.catch((e: unknown) => {
        this.failure ??= e;
      });
    }
  }

  /** Opens `path` for writing (its temporary name, that is): an unwritable place fails here, at once. */
  static open(path: string, opts: TFRecordWriteOptions = {}): TFRecordWriter {
    return new TFRecordWriter(path, opts);
  }

  /**
   * Appends one record. Await it: it waits when the compressor is behind. A failed write (a full
   * disk) removes the temporary file: the writer is then closed.
   */
  async write(data: Uint8Array): Promise<void> {
    if (this.closed) throw new Error(`TFRecordWriter for ${this.path} is closed`);
    try {
      await this.append(data);
    } catch (e) {
      this.abort();
      throw e;
    }
  }

  private async append(data: Uint8Array): Promise<void> {
    const n = frameBytes(data);
    if (this.staged + n > this.stage.length) {
      await this.flush();
      if (n > this.stage.length) {
        await this.sink(encodeTFRecord(data));
        this.count += 1;
        this.bytes += n;
        return;
      }
    }
    writeFrame(this.stage, this.staged, data);
    this.staged += n;
    this.count += 1;
    this.bytes += n;
  }

  private async flush(): Promise<void> {
    if (this.staged === 0) return;
    const chunk = Buffer.from(this.stage.subarray(0, this.staged));
    this.staged = 0;
    await this.sink(chunk);
  }

  private async sink(chunk: Buffer): Promise<void> {
    this.check();
    if (this.gzip) {
      if (!this.gzip.write(chunk)) {
        try {
          await once(this.gzip, 'drain');
        } catch (e) {
          this.failure ??= e;
        }
      }
      this.check();
      return;
    }
    try {
      for (let at = 0; at < chunk.length; ) at += writeSync(this.fd!, chunk, at, chunk.length - at);
    } catch (e) {
      this.failure = e;
      this.check();
    }
  }

  private check(): void {
    if (this.failure) throw new UserError(`cannot write ${this.path}: ${fsReason(this.failure)}`);
  }

  /** Writes what is staged, closes the file and renames it into place. */
  async close(): Promise<void> {
    if (this.closed) return;
    try {
      await this.flush();
      this.closed = true;
      if (this.gzip) {
        this.gzip.end();
        try {
          await this.done;
        } catch (e) {
          this.failure ??= e;
        }
        this.check();
      } else {
        closeSync(this.fd!);
        this.fd = null;
      }
      renameSync(this.tmp, this.path);
    } catch (e) {
      this.abort();
      throw e instanceof UserError ? e : new UserError(`cannot write ${this.path}: ${fsReason(e)}`);
    }
  }

  /** Drops the temporary file; the file at `path` is left as it was. */
  abort(): void {
    this.closed = true;
    if (this.fd !== null) {
      try {
        closeSync(this.fd);
      } catch {
        // already closed: nothing to release
      }
      this.fd = null;
    }
    this.gzip?.destroy();
    removeTemp(this.tmp);
  }
}
