import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { UserError } from '../../src/ir/errors.ts';
import { crc32c } from '../../src/util/crc32c.ts';
import { encodeTFRecord, readTFRecords, readTFRecordsAt, readTFRecordsSync, TFRecordWriter } from '../../src/data/tfrecord.ts';
import { rng } from '../helpers/random.ts';

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'albert-tfrecord-'));
}

/** Records of assorted sizes: empty, tiny, and larger than the small read chunks used below. */
function sampleRecords(seed: number, n: number): Buffer[] {
  const r = rng(seed);
  return Array.from({ length: n }, (_, i) => {
    const len = i === 0 ? 0 : i % 7 === 3 ? 3000 + Math.floor(r() * 2000) : Math.floor(r() * 60);
    return Buffer.from(Array.from({ length: len }, () => Math.floor(r() * 256)));
  });
}

async function writeFile(path: string, records: Uint8Array[]): Promise<void> {
  const w = TFRecordWriter.open(path, { bufferSize: 4096 });
  for (const rec of records) await w.write(rec);
  await w.close();
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/** Runs f, which must throw a one-line UserError matching every pattern. */
async function rejectsOneLine(f: () => unknown, ...patterns: RegExp[]): Promise<string> {
  let message = '';
  try {
    await f();
  } catch (e) {
    assert.ok(e instanceof UserError, `expected a UserError, got ${String((e as Error)?.stack ?? e)}`);
    message = e.message;
  }
  assert.notEqual(message, '', 'expected an error');
  assert.ok(!message.includes('\n'), message);
  for (const p of patterns) assert.match(message, p);
  return message;
}

describe('TFRecord framing', () => {
  it('frames a record as length, masked CRC of the length, data, masked CRC of the data', () => {
    const data = Buffer.from('hello');
    const rec = encodeTFRecord(data);
    assert.equal(rec.length, 8 + 4 + 5 + 4);
    assert.equal(rec.readBigUInt64LE(0), 5n);
    const mask = (c: number): number => (((c >>> 15) | (c << 17)) + 0xa282ead8) >>> 0;
    assert.equal(rec.readUInt32LE(8), mask(crc32c(rec.subarray(0, 8))));
    assert.deepEqual(rec.subarray(12, 17), data);
    assert.equal(rec.readUInt32LE(17), mask(crc32c(data)));
    // The empty record: eight zero bytes of length, their CRC, no data, the CRC of nothing (masked 0).
    const empty = encodeTFRecord(new Uint8Array(0));
    assert.equal(empty.length, 16);
    assert.equal(empty.readUInt32LE(12), 0xa282ead8);
  });
});

describe('TFRecord files', () => {
  it('round-trips records through the writer and the sync and async readers, over several files', async () => {
    const dir = tmp();
    const a = sampleRecords(1, 40);
    const b = sampleRecords(2, 25);
    await writeFile(join(dir, 'a.tfrecord'), a);
    await writeFile(join(dir, 'b.tfrecord'), b);
    const files = [join(dir, 'a.tfrecord'), join(dir, 'b.tfrecord')];
    for (const chunkSize of [7, 100, 1 << 20]) {
      const sync = [...readTFRecordsSync(files, { chunkSize })];
      const async = await collect(readTFRecords(files, { chunkSize }));
      for (const got of [sync, async]) {
        assert.deepEqual(got.map((r) => Buffer.from(r.data)), [...a, ...b], `chunk ${chunkSize}`);
        assert.deepEqual(got.map((r) => r.index), [...a.keys(), ...b.keys()]);
        assert.equal(got[0].offset, 0);
        assert.equal(got[1].offset, 16);
        assert.equal(got[41].file, files[1]);
        for (let i = 1; i < a.length; i++) assert.equal(got[i].offset, got[i - 1].end);
      }
    }
    // A file is the concatenation of its framed records.
    assert.deepEqual(readFileSync(files[0]), Buffer.concat(a.map((d) => encodeTFRecord(d))));
    // Reading from a record's offset continues from there.
    const all = [...readTFRecordsSync(files[0])];
    const from = [...readTFRecordsSync(files[0], { startOffset: all[10].offset, startIndex: 10, chunkSize: 9 })];
    assert.deepEqual(from.map((r) => [r.index, r.offset]), all.slice(10).map((r) => [r.index, r.offset]));
    const at = await readTFRecordsAt(files[0], [all[12], all[3], all[39]]);
    assert.deepEqual(at, [a[12], a[3], a[39]]);
    await rejectsOneLine(() => readTFRecordsAt(files[0], [{ offset: 5, index: 0 }]), /a\.tfrecord: record 0 at byte offset 5: corrupt length field/);
    await rejectsOneLine(() => [...readTFRecordsSync(files[0], { startOffset: 1e9 })], /a\.tfrecord: start offset 1000000000 lies past the end of the file/);
  });

  it('writes and reads GZIP-compressed files (by the .gz name or by the option)', async () => {
    const dir = tmp();
    const recs = sampleRecords(3, 30);
    await writeFile(join(dir, 'x.tfrecord.gz'), recs);
    const raw = readFileSync(join(dir, 'x.tfrecord.gz'));
    assert.deepEqual([raw[0], raw[1]], [0x1f, 0x8b], 'a gzip stream');
    const sync = [...readTFRecordsSync(join(dir, 'x.tfrecord.gz'))];
    const async = await collect(readTFRecords(join(dir, 'x.tfrecord.gz'), { chunkSize: 64 }));
    assert.deepEqual(sync.map((r) => Buffer.from(r.data)), recs);
    assert.deepEqual(async.map((r) => Buffer.from(r.data)), recs);
    // A gzip file under another name, as TensorFlow's compression_type="GZIP" reads it.
    writeFileSync(join(dir, 'y.tfrecord'), gzipSync(Buffer.concat(recs.map((d) => encodeTFRecord(d)))));
    const named = await collect(readTFRecords(join(dir, 'y.tfrecord'), { compression: 'gzip' }));
    assert.deepEqual(named.map((r) => Buffer.from(r.data)), recs);
    const offsets = sync.map((r) => r.offset);
    const from = await collect(readTFRecords(join(dir, 'x.tfrecord.gz'), { startOffset: offsets[7], startIndex: 7, chunkSize: 50 }));
    assert.deepEqual(from.map((r) => Buffer.from(r.data)), recs.slice(7));
    assert.deepEqual(await readTFRecordsAt(join(dir, 'x.tfrecord.gz'), [sync[20], sync[2]]), [recs[20], recs[2]]);
    // An offset where no record starts fails on the checksum of what it finds there.
    await rejectsOneLine(() => readTFRecordsAt(join(dir, 'x.tfrecord.gz'), [{ offset: 5, index: 0 }]), /x\.tfrecord\.gz: record 0 at byte offset 5 of the decompressed data: corrupt length field/);
    await rejectsOneLine(() => collect(readTFRecords(join(dir, 'x.tfrecord.gz'), { startOffset: 1e9 })), /start offset 1000000000 lies past the end of the decompressed data/);
    // A cut-off gzip stream is a one-line error naming the file.
    writeFileSync(join(dir, 'cut.gz'), raw.subarray(0, raw.length - 20));
    await rejectsOneLine(() => collect(readTFRecords(join(dir, 'cut.gz'))), /cut\.gz/);
    await rejectsOneLine(() => [...readTFRecordsSync(join(dir, 'cut.gz'))], /cut\.gz/);
  });

  it('rejects a flipped byte in the length, its CRC, the data or the data CRC, naming the file and the record offset', async () => {
    const dir = tmp();
    const recs = [Buffer.from('first record'), Buffer.from('second record, the one we break'), Buffer.from('third')];
    const good = Buffer.concat(recs.map((d) => encodeTFRecord(d)));
    const second = 16 + recs[0].length; // byte offset of the second record
    const cases: [string, number, RegExp][] = [
      ['length', second + 1, /corrupt length field/],
      ['length CRC', second + 9, /corrupt length field/],
      ['data', second + 12 + 5, /corrupt data/],
      ['data CRC', second + 12 + recs[1].length + 2, /corrupt data/],
    ];
    for (const [what, at, pattern] of cases) {
      const bad = Buffer.from(good);
      bad[at] ^= 0x10;
      const file = join(dir, `flip-${what.replace(' ', '-')}.tfrecord`);
      writeFileSync(file, bad);
      const where = new RegExp(`flip-${what.replace(' ', '-')}\\.tfrecord: record 1 at byte offset ${second}:`);
      await rejectsOneLine(() => [...readTFRecordsSync(file)], where, pattern);
      await rejectsOneLine(() => collect(readTFRecords(file, { chunkSize: 5 })), where, pattern);
      // Without verification a flipped data byte goes through (the length's does not parse sensibly).
      if (what === 'data') assert.equal([...readTFRecordsSync(file, { verify: false })].length, 3);
    }
  });

  it('rejects a truncated file at the cut-off record, and a missing file, in one line', async () => {
    const dir = tmp();
    const recs = [Buffer.alloc(100, 1), Buffer.alloc(200, 2)];
    const good = Buffer.concat(recs.map((d) => encodeTFRecord(d)));
    for (const cut of [116 + 5, 116 + 12 + 50, good.length - 1]) {
      const file = join(dir, `cut-${cut}.tfrecord`);
      writeFileSync(file, good.subarray(0, cut));
      const msg = await rejectsOneLine(() => [...readTFRecordsSync(file)], new RegExp(`cut-${cut}\\.tfrecord: record 1 at byte offset 116: truncated`));
      await rejectsOneLine(() => collect(readTFRecords(file)), /truncated/);
      assert.match(msg, new RegExp(`ends ${cut - 116} bytes into the record`));
    }
    await rejectsOneLine(() => [...readTFRecordsSync(join(dir, 'nope.tfrecord'))], /nope\.tfrecord: cannot open: no such file/);
    await rejectsOneLine(() => collect(readTFRecords(join(dir, 'nope.tfrecord'))), /nope\.tfrecord: cannot open/);
    await rejectsOneLine(() => readTFRecordsAt(join(dir, `cut-${good.length - 1}.tfrecord`), [{ offset: 116, index: 1 }]), /record 1 at byte offset 116: truncated/);
  });

  it('writes through a temporary name: an unwritable place fails at open, abort leaves the old file', async () => {
    const dir = tmp();
    await rejectsOneLine(() => TFRecordWriter.open(join(dir, 'no-such-dir', 'x.tfrecord')), /cannot write .*no-such-dir\/x\.tfrecord: no such file or directory/);
    const path = join(dir, 'keep.tfrecord');
    writeFileSync(path, 'old');
    const w = TFRecordWriter.open(path);
    await w.write(Buffer.from('new'));
    assert.equal(readFileSync(path, 'utf8'), 'old', 'nothing at the final name until close');
    w.abort();
    assert.equal(readFileSync(path, 'utf8'), 'old');
    const g = TFRecordWriter.open(join(dir, 'z.gz'));
    await g.write(Buffer.from('x'));
    g.abort();
    assert.deepEqual(readdirSync(dir).sort(), ['keep.tfrecord']);
    const ok = TFRecordWriter.open(path);
    await ok.write(Buffer.from('new'));
    await ok.close();
    assert.equal(ok.count, 1);
    assert.deepEqual([...readTFRecordsSync(path)].map((r) => r.data.toString()), ['new']);
    assert.ok(!existsSync(`${path}.tmp-${process.pid}`));
  });
});
