/**
 * Reader for the LevelDB "table" (SSTable) format, the format of a TensorFlow checkpoint's
 * .index file. A table is a run of blocks, each followed by a 5-byte trailer (compression type,
 * masked CRC-32C of contents + type), then a 48-byte footer: the metaindex and index block
 * handles as varint64 (offset, size) pairs, zero padded to 40 bytes, and the 8-byte magic
 * 0xdb4775248b80fb57 (little-endian). The index block maps a separator key to each data block;
 * a block holds prefix-compressed entries (varint shared, non-shared and value lengths, the key
 * suffix, the value) followed by its restart offsets (uint32) and their count (uint32).
 *
 * Index keys are only separators (TF's builder shortens them), never looked up as real keys:
 * the reader walks every data block in index order and returns all entries, which is all a
 * checkpoint index (a few KB to a few MB) needs.
 */
import { UserError } from '../../ir/errors.ts';
import { crc32c, hex32, unmaskCrc32c } from '../../util/crc32c.ts';

export interface TableEntry {
  key: Uint8Array;
  value: Uint8Array;
}

const FOOTER_LENGTH = 48;
const HANDLES_LENGTH = 40; // two BlockHandles of at most 20 bytes each, zero padded
const TRAILER_LENGTH = 5;
const MAGIC_LO = 0x8b80fb57;
const MAGIC_HI = 0xdb477524;
const NO_COMPRESSION = 0;
const SNAPPY_COMPRESSION = 1;

interface BlockHandle {
  offset: number;
  size: number;
}

/**
 * Decodes a varint at `pos` (at most `maxBytes` bytes, before `end`). Returns the value and the
 * position after it, or null when it runs past `end`, is too long or is not a safe integer.
 */
function readVarint(bytes: Uint8Array, pos: number, end: number, maxBytes: number): { value: number; next: number } | null {
  let value = 0;
  for (let i = 0; i < maxBytes && pos + i < end; i++) {
    const b = bytes[pos + i];
    value += (b & 0x7f) * 2 ** (7 * i);
    if ((b & 0x80) === 0) return Number.isSafeInteger(value) ? { value, next: pos + i + 1 } : null;
  }
  return null;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

function printable(key: Uint8Array): string {
  return JSON.stringify(Buffer.from(key).toString('latin1'));
}

/** Parses one table held whole in memory; `file` names it in errors. */
export function readTable(bytes: Uint8Array, file: string): TableEntry[] {
  const fail = (msg: string): never => {
    throw new UserError(`${file}: ${msg}`);
  };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < FOOTER_LENGTH) {
    fail(`${bytes.length} bytes, too short for a table footer (${FOOTER_LENGTH} bytes): truncated, or not a TensorFlow checkpoint index`);
  }
  const footer = bytes.length - FOOTER_LENGTH;
  const lo = view.getUint32(bytes.length - 8, true);
  const hi = view.getUint32(bytes.length - 4, true);
  if (lo !== MAGIC_LO || hi !== MAGIC_HI) {
    fail(
      `bad table magic number ${hex32(hi)}${hex32(lo).slice(2)} at offset ${bytes.length - 8} ` +
        `(expected 0xdb4775248b80fb57): truncated, or not a TensorFlow checkpoint index`,
    );
  }

  const handleAt = (pos: number, what: string): { handle: BlockHandle; next: number } => {
    const end = footer + HANDLES_LENGTH;
    const off = readVarint(bytes, pos, end, 10);
    const size = off && readVarint(bytes, off.next, end, 10);
    if (!off || !size) return fail(`footer at offset ${footer}: malformed ${what} block handle`);
    return { handle: { offset: off.value, size: size.value }, next: size.next };
  };
  const meta = handleAt(footer, 'metaindex');
  const index = handleAt(meta.next, 'index').handle;

  const readBlock = (h: BlockHandle, what: string): Uint8Array => {
    const where = `${what} at offset ${h.offset} (size ${h.size})`;
    if (h.offset + h.size + TRAILER_LENGTH > footer) {
      fail(`${where} ends past the ${footer} bytes before the footer: truncated or corrupt`);
    }
    const contents = bytes.subarray(h.offset, h.offset + h.size);
    const type = bytes[h.offset + h.size];
    const stored = unmaskCrc32c(view.getUint32(h.offset + h.size + 1, true));
    const actual = crc32c(bytes.subarray(h.offset, h.offset + h.size + 1));
    if (stored !== actual) fail(`${where}: checksum mismatch (stored CRC-32C ${hex32(stored)}, computed ${hex32(actual)}): the file is corrupt`);
    if (type === SNAPPY_COMPRESSION) {
      fail(`${where} is snappy-compressed; TensorFlow writes checkpoint indexes uncompressed and albert does not read compressed tables`);
    }
    if (type !== NO_COMPRESSION) fail(`${where} has unknown compression type ${type}`);
    return contents;
  };

  const parseBlock = (block: Uint8Array, blockOffset: number, what: string): TableEntry[] => {
    const where = `${what} at offset ${blockOffset}`;
    const bad = (msg: string): never => fail(`${where}: ${msg}`);
    if (block.length < 4) bad(`${block.length} bytes, too short for a block`);
    const bv = new DataView(block.buffer, block.byteOffset, block.byteLength);
    const numRestarts = bv.getUint32(block.length - 4, true);
    if (numRestarts > (block.length - 4) / 4) bad(`restart count ${numRestarts} does not fit in the block`);
    const restartsStart = block.length - 4 - 4 * numRestarts;
    const entries: TableEntry[] = [];
    const sharedAt = new Map<number, number>();
    let prev: Uint8Array = new Uint8Array(0);
    let pos = 0;
    while (pos < restartsStart) {
      const shared = readVarint(block, pos, restartsStart, 5);
      const nonShared = shared && readVarint(block, shared.next, restartsStart, 5);
      const valueLength = nonShared && readVarint(block, nonShared.next, restartsStart, 5);
      if (!shared || !nonShared || !valueLength) return bad(`malformed entry header at block offset ${pos}`);
      if (shared.value > prev.length) bad(`entry at block offset ${pos} shares ${shared.value} key bytes but the previous key has ${prev.length}`);
      const keyStart = valueLength.next;
      const valueEnd = keyStart + nonShared.value + valueLength.value;
      if (valueEnd > restartsStart) bad(`entry at block offset ${pos} runs past the entries' end (${restartsStart})`);
      const key = new Uint8Array(shared.value + nonShared.value);
      key.set(prev.subarray(0, shared.value));
      key.set(block.subarray(keyStart, keyStart + nonShared.value), shared.value);
      sharedAt.set(pos, shared.value);
      entries.push({ key, value: block.subarray(keyStart + nonShared.value, valueEnd) });
      prev = key;
      pos = valueEnd;
    }
    for (let i = 0; i < numRestarts; i++) {
      const r = bv.getUint32(restartsStart + 4 * i, true);
      // An empty block has the single restart 0; otherwise each restart starts a full key.
      if (!(entries.length === 0 && r === 0) && sharedAt.get(r) !== 0) bad(`restart point ${i} (${r}) is not the start of a full key`);
    }
    return entries;
  };

  readBlock(meta.handle, 'metaindex block'); // TF writes no filters; read only to check its CRC
  const indexEntries = parseBlock(readBlock(index, 'index block'), index.offset, 'index block');
  const all: TableEntry[] = [];
  for (const ie of indexEntries) {
    const h = readVarint(ie.value, 0, ie.value.length, 10);
    const s = h && readVarint(ie.value, h.next, ie.value.length, 10);
    if (!h || !s) return fail(`index block at offset ${index.offset}: malformed block handle for key ${printable(ie.key)}`);
    const handle = { offset: h.value, size: s.value };
    for (const e of parseBlock(readBlock(handle, 'data block'), handle.offset, 'data block')) {
      const last = all.at(-1);
      if (last && compareBytes(last.key, e.key) >= 0) {
        fail(`data block at offset ${handle.offset}: key ${printable(e.key)} is not after ${printable(last.key)}; the table is corrupt`);
      }
      all.push(e);
    }
  }
  return all;
}
