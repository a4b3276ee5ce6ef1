/**
 * Batches of pretraining Examples from TFRecord files, for the training loop.
 *
 * Order: each epoch reads the files one after another, in an order shuffled per epoch (from the
 * seed and the epoch number), and passes the records through a shuffle buffer as tf.data's
 * shuffle does: the buffer is kept full, and each record handed out is a uniformly random one
 * of those in it, its slot refilled from the files. With repeat, the stream runs on into the
 * next epoch without draining the buffer (tf.data's repeat().shuffle()); without repeat, the
 * buffer drains at the end and a last partial batch is dropped, as the original's
 * drop_remainder=True does. shuffle: false reads the files in the order given.
 *
 * Resuming: cursor() is a small JSON-able object (the next record's file and byte offset, the
 * epoch, the generator state and the places of the records sitting in the buffer). A dataset
 * built with that cursor reads those records again and continues with exactly the batches the
 * first one would have produced next.
 *
 * Every record is checked when it is read (see decodePretrainingRecord): a feature missing, of
 * the wrong dtype or length, or out of range is a one-line error naming the file and record.
 */
import { basename } from 'node:path';
import { statSync } from 'node:fs';
import { UserError } from '../../ir/errors.ts';
import { decodePretrainingRecord, PRETRAINING_INT_FEATURES, pretrainingFeatureLengths, type PackedPretrainingRecord, type PretrainingSizes } from './data/features.ts';
import { DataRng } from '../../data/random.ts';
import { fsReason, readTFRecords, readTFRecordsAt, type TFRecord, type TFRecordCompression } from '../../data/tfrecord.ts';

export interface PretrainingDatasetOptions {
  batchSize: number;
  /** The padded sequence length every record must have (max_seq_length). */
  maxSeqLength: number;
  /** The padded number of masked positions every record must have (max_predictions_per_seq). */
  maxPredictions: number;
  /** Shuffle file order and records (default true). */
  shuffle?: boolean;
  /** Seed of the shuffles (default 12345). */
  seed?: number;
  /** Start over after the last file, endlessly (default true). */
  repeat?: boolean;
  /** Records in the shuffle buffer (default 10,000; memory about 12 x max_seq_length bytes each, and a cursor lists them all). */
  shuffleBuffer?: number;
  /** When given, token ids must lie below it. */
  vocabSize?: number;
  compression?: TFRecordCompression;
  /** Continue where a saved cursor left off. */
  cursor?: DatasetCursor;
}

/** One batch, keyed by the original feature names, each [batchSize x length] row-major. */
export interface PretrainingBatch {
  input_ids: Int32Array;
  input_mask: Int32Array;
  segment_ids: Int32Array;
  masked_lm_positions: Int32Array;
  masked_lm_ids: Int32Array;
  masked_lm_weights: Float32Array;
  next_sentence_labels: Int32Array;
}

/** Where a dataset stands; JSON-serialisable. */
export interface DatasetCursor {
  version: 1;
  /** File names (base names) in the order the dataset was given them, to check the cursor fits. */
  files: string[];
  seed: number;
  shuffle: boolean;
  shuffleBuffer: number;
  /** The epoch being read (from 0). */
  epoch: number;
  /** Position in this epoch's file order of the file being read. */
  filePos: number;
  /** Byte offset and index, in that file, of the next record to read. */
  offset: number;
  index: number;
  /** State of the generator that picks records out of the buffer. */
  rng: number[];
  /** The records in the shuffle buffer, slot by slot: [file number, byte offset, record index]. */
  buffer: [number, number, number][];
  /** Batches handed out so far. */
  batches: number;
}

interface Entry {
  record: PackedPretrainingRecord;
  file: number;
  offset: number;
  index: number;
}

const DEFAULT_SEED = 12345;
const DEFAULT_BUFFER = 10_000;

export class PretrainingDataset implements AsyncIterable<PretrainingBatch> {
  readonly files: string[];
  readonly batchSize: number;
  readonly sizes: PretrainingSizes;
  readonly shuffle: boolean;
  readonly repeat: boolean;
  readonly seed: number;
  readonly shuffleBuffer: number;
  private readonly vocabSize: number | undefined;
  private readonly compression: TFRecordCompression | undefined;
  private readonly lengths: ReturnType<typeof pretrainingFeatureLengths>;

  private epoch = 0;
  private fileOrder: number[];
  private filePos = 0;
  private offset = 0;
  private index = 0;
  private reader: AsyncIterator<TFRecord> | null = null;
  private readonly rng: DataRng;
  private buffer: Entry[] = [];
  private pending: [number, number, number][] | null = null;
  private batches = 0;
  private emptyEpochs = 0;
  private recordsThisEpoch = 0;
  private ended = false;

  constructor(files: string[], opts: PretrainingDatasetOptions) {
    if (files.length === 0) throw new UserError('no TFRecord files given');
    for (const f of files) {
      let ok = false;
      try {
        ok = statSync(f).isFile();
      } catch (e) {
        throw new UserError(`${f}: ${fsReason(e)}`);
      }
      if (!ok) throw new UserError(`${f}: not a file`);
    }
    const positive = (v: number, name: string): number => {
      if (!Number.isInteger(v) || v < 1) throw new UserError(`${name} must be a positive integer; got ${v}`);
      return v;
    };
    this.files = [...files];
    this.batchSize = positive(opts.batchSize, 'batch size');
    this.sizes = { maxSeqLength: positive(opts.maxSeqLength, 'max_seq_length'), maxPredictionsPerSeq: positive(opts.maxPredictions, 'max_predictions_per_seq') };
    this.shuffle = opts.shuffle ?? true;
    this.repeat = opts.repeat ?? true;
    this.seed = opts.seed ?? DEFAULT_SEED;
    if (!Number.isSafeInteger(this.seed)) throw new UserError(`seed must be an integer; got ${this.seed}`);
    this.shuffleBuffer = this.shuffle ? positive(opts.shuffleBuffer ?? DEFAULT_BUFFER, 'shuffle buffer') : 1;
    this.vocabSize = opts.vocabSize;
    this.compression = opts.compression;
    this.lengths = pretrainingFeatureLengths(this.sizes);
    this.rng = new DataRng(this.seed);
    this.fileOrder = this.orderOf(0);
    if (opts.cursor) this.restore(opts.cursor);
  }

  /** The file order of an epoch: the files as given, or shuffled by (seed, epoch). */
  private orderOf(epoch: number): number[] {
    const order = this.files.map((_, i) => i);
    if (this.shuffle) new DataRng(this.seed + (epoch + 1) * 4294967296).shuffle(order);
    return order;
  }

  private restore(c: DatasetCursor): void {
    const bad = (what: string): never => {
      throw new UserError(`dataset cursor: ${what}`);
    };
    if (c?.version !== 1) bad(`unknown version ${String(c?.version)}`);
    const names = this.files.map((f) => basename(f));
    // The cursor comes from a file people can edit: a wrong type is an error naming the field, not a TypeError.
    if (!Array.isArray(c.files)) bad('field "files" is not a list of file names');
    if (c.files.length !== names.length || c.files.some((f, i) => f !== names[i])) {
      bad(`saved for files [${c.files.join(', ')}], not [${names.join(', ')}]`);
    }
    if (c.seed !== this.seed) bad(`saved with seed ${c.seed}, the dataset has ${this.seed}`);
    if (c.shuffle !== this.shuffle) bad(`saved with shuffle ${c.shuffle}, the dataset has ${this.shuffle}`);
    if (c.shuffleBuffer !== this.shuffleBuffer) bad(`saved with a shuffle buffer of ${c.shuffleBuffer}, the dataset has ${this.shuffleBuffer}`);
    const int = (v: unknown, max = Number.MAX_SAFE_INTEGER): boolean => Number.isSafeInteger(v) && (v as number) >= 0 && (v as number) <= max;
    if (!int(c.epoch) || !int(c.filePos, this.files.length) || !int(c.offset) || !int(c.index) || !int(c.batches)) bad('a position field is not a non-negative integer');
    if (!Array.isArray(c.buffer) || c.buffer.length > this.shuffleBuffer || c.buffer.some((e) => !Array.isArray(e) || e.length !== 3 || !int(e[0], this.files.length - 1) || !int(e[1]) || !int(e[2]))) {
      bad('the buffer entries are not [file, offset, index] triples within the dataset');
    }
    try {
      this.rng.setState(c.rng);
    } catch {
      bad('the generator state is not four uint32 words');
    }
    this.epoch = c.epoch;
    this.fileOrder = this.orderOf(c.epoch);
    this.filePos = c.filePos;
    this.offset = c.offset;
    this.index = c.index;
    this.batches = c.batches;
    // Records the start already counts: an epoch boundary right after this is not an empty epoch.
    this.recordsThisEpoch = c.offset > 0 || c.filePos > 0 ? 1 : 0;
    this.pending = c.buffer.map((e) => [e[0], e[1], e[2]]);
  }

  /** Reads the records a restored cursor's buffer held, in slot order. */
  private async refill(slots: [number, number, number][]): Promise<void> {
    const byFile = new Map<number, number[]>();
    slots.forEach(([file], slot) => {
      const list = byFile.get(file) ?? [];
      list.push(slot);
      byFile.set(file, list);
    });
    const entries = new Array<Entry>(slots.length);
    for (const [file, list] of byFile) {
      const locations = list.map((slot) => ({ offset: slots[slot][1], index: slots[slot][2] }));
      const data = await readTFRecordsAt(this.files[file], locations, { compression: this.compression });
      list.forEach((slot, k) => {
        const { offset, index } = locations[k];
        entries[slot] = { record: this.decode(data[k], file, offset, index), file, offset, index };
      });
    }
    this.buffer = entries;
  }

  private decode(data: Uint8Array, file: number, offset: number, index: number): PackedPretrainingRecord {
    return decodePretrainingRecord(data, `${this.files[file]}: record ${index} at byte offset ${offset}`, this.sizes, this.vocabSize);
  }

  /** The next record from the files, or null at the end (without repeat). */
  private async pull(): Promise<Entry | null> {
    for (;;) {
      if (this.ended) return null;
      if (this.filePos >= this.files.length) {
        if (!this.repeat) {
          this.ended = true;
          return null;
        }
        this.emptyEpochs = this.recordsThisEpoch === 0 ? this.emptyEpochs + 1 : 0;
        if (this.emptyEpochs >= 2) throw new UserError(`no records in ${this.files.join(', ')}`);
        this.epoch += 1;
        this.fileOrder = this.orderOf(this.epoch);
        this.filePos = 0;
        this.offset = 0;
        this.index = 0;
        this.recordsThisEpoch = 0;
      }
      const file = this.fileOrder[this.filePos];
      if (!this.reader) {
        this.reader = readTFRecords(this.files[file], { compression: this.compression, startOffset: this.offset, startIndex: this.index })[Symbol.asyncIterator]();
      }
      const r = await this.reader.next();
      if (r.done) {
        this.reader = null;
        this.filePos += 1;
        this.offset = 0;
        this.index = 0;
        continue;
      }
      const rec = r.value;
      this.offset = rec.end;
      this.index = rec.index + 1;
      this.recordsThisEpoch += 1;
      return { record: this.decode(rec.data, file, rec.offset, rec.index), file, offset: rec.offset, index: rec.index };
    }
  }

  /** The next record in shuffled order, or null when all are used (without repeat). */
  private async take(): Promise<Entry | null> {
    if (this.pending) {
      const slots = this.pending;
      this.pending = null;
      await this.refill(slots);
    }
    if (!this.shuffle) return this.pull();
    while (this.buffer.length < this.shuffleBuffer) {
      const e = await this.pull();
      if (!e) break;
      this.buffer.push(e);
    }
    if (this.buffer.length === 0) return null;
    const j = this.rng.below(this.buffer.length);
    const out = this.buffer[j];
    const last = this.buffer.pop()!;
    if (j < this.buffer.length) this.buffer[j] = last;
    return out;
  }

  /**
   * The next batch, or null when the data is used up (without repeat; a last partial batch is
   * dropped). A batch larger than the whole data set without repeat is a UserError.
   */
  async next(): Promise<PretrainingBatch | null> {
    const entries: Entry[] = [];
    while (entries.length < this.batchSize) {
      const e = await this.take();
      if (!e) break;
      entries.push(e);
    }
    if (entries.length < this.batchSize) {
      if (this.batches === 0) {
        throw new UserError(
          `batch size ${this.batchSize} exceeds the ${entries.length} record${entries.length === 1 ? '' : 's'} in ${this.files.join(', ')} (repeat is off)`,
        );
      }
      return null;
    }
    this.batches += 1;
    return this.assemble(entries);
  }

  private assemble(entries: Entry[]): PretrainingBatch {
    const B = entries.length;
    const L = this.sizes.maxSeqLength;
    const P = this.sizes.maxPredictionsPerSeq;
    const batch = emptyPretrainingBatch(B, L, P);
    entries.forEach((e, b) => {
      let at = 0;
      for (const name of PRETRAINING_INT_FEATURES) {
        const n = this.lengths[name];
        batch[name].set(e.record.ints.subarray(at, at + n), b * n);
        at += n;
      }
      batch.masked_lm_weights.set(e.record.weights, b * P);
    });
    return batch;
  }

  /** Where the dataset stands after the last batch handed out. */
  cursor(): DatasetCursor {
    return {
      version: 1,
      files: this.files.map((f) => basename(f)),
      seed: this.seed,
      shuffle: this.shuffle,
      shuffleBuffer: this.shuffleBuffer,
      epoch: this.epoch,
      filePos: this.filePos,
      offset: this.offset,
      index: this.index,
      rng: this.rng.state(),
      buffer: this.pending ? this.pending.map((e) => [...e] as [number, number, number]) : this.buffer.map((e) => [e.file, e.offset, e.index]),
      batches: this.batches,
    };
  }

  /** The epoch being read (from 0). */
  get currentEpoch(): number {
    return this.epoch;
  }

  /** Stops reading (closes the open file). */
  async close(): Promise<void> {
    const r = this.reader;
    this.reader = null;
    await r?.return?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<PretrainingBatch> {
    try {
      for (let b = await this.next(); b; b = await this.next()) yield b;
    } finally {
      await this.close();
    }
  }
}

/** A batch of `rows` examples of zeros (no tokens, no masked positions), to fill in. */
export function emptyPretrainingBatch(rows: number, maxSeqLength: number, maxPredictions: number): PretrainingBatch {
  const [B, L, P] = [rows, maxSeqLength, maxPredictions];
  return {
    input_ids: new Int32Array(B * L),
    input_mask: new Int32Array(B * L),
    segment_ids: new Int32Array(B * L),
    masked_lm_positions: new Int32Array(B * P),
    masked_lm_ids: new Int32Array(B * P),
    masked_lm_weights: new Float32Array(B * P),
    next_sentence_labels: new Int32Array(B),
  };
}
