/**
 * TensorBoard event files: what `--tensorboard DIR` writes, so `tensorboard --logdir DIR` plots a
 * run's losses, metrics, learning rate and gradient norm.
 *
 * The format is TFRecord framing (src/data/tfrecord.ts: length, masked CRC-32C of the length,
 * data, masked CRC-32C of the data) around `tensorflow.Event` protos:
 *
 *   Event   { double wall_time = 1; int64 step = 2; oneof { string file_version = 3;
 *             Summary summary = 5; SessionLog session_log = 7; } }
 *   Summary { repeated Value value = 1; }   Value { string tag = 1; float simple_value = 2; }
 *   SessionLog { SessionStatus status = 1; }   (START = 1)
 *
 * The first event of a file says `file_version: "brain.Event:2"`. The few messages are encoded by
 * hand (a dozen lines) rather than through protobufjs reflection: nothing to load, and the bytes
 * are plain to check against the .proto above.
 *
 * Every run (a resumed one included) writes a new file, `events.out.tfevents.<unix seconds>.<host>`,
 * appended record by record so TensorBoard sees a live run and a kill loses at most the record
 * being written (readers stop at a truncated last record). A resumed run starts its file with a
 * SessionLog START at the step it resumes from: TensorBoard then drops the points the killed run
 * logged after that step (they are logged again), as it does for TensorFlow's own restarts.
 */
import { appendFileSync, existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { encodeTFRecord, fsReason } from '../data/tfrecord.ts';
import { OptionError } from '../util/errors.ts';
import { MakeDirError, makeDir } from '../util/make-dir.ts';

/** Protocol buffer wire format, only what Event needs. */
class ProtoWriter {
  private bytes: number[] = [];

  private varint(v: bigint): void {
    let x = BigInt.asUintN(64, v);
    while (x >= 0x80n) {
      this.bytes.push(Number(x & 0x7fn) | 0x80);
      x >>= 7n;
    }
    this.bytes.push(Number(x));
  }

  private tag(field: number, wire: number): void {
    this.varint(BigInt((field << 3) | wire));
  }

  int64(field: number, v: number): this {
    this.tag(field, 0);
    this.varint(BigInt(v));
    return this;
  }

  double(field: number, v: number): this {
    this.tag(field, 1);
    const b = Buffer.alloc(8);
    b.writeDoubleLE(v);
    this.bytes.push(...b);
    return this;
  }

  float(field: number, v: number): this {
    this.tag(field, 5);
    const b = Buffer.alloc(4);
    b.writeFloatLE(v);
    this.bytes.push(...b);
    return this;
  }

  bytesField(field: number, data: Uint8Array): this {
    this.tag(field, 2);
    this.varint(BigInt(data.length));
    this.bytes.push(...data);
    return this;
  }

  string(field: number, s: string): this {
    return this.bytesField(field, Buffer.from(s, 'utf8'));
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }
}

export const FILE_VERSION = 'brain.Event:2';

/** An Event carrying `file_version` (the first record of every events file). */
export function fileVersionEvent(wallTime: number): Uint8Array {
  return new ProtoWriter().double(1, wallTime).int64(2, 0).string(3, FILE_VERSION).finish();
}

/** An Event carrying a Summary of scalars (tag -> value, float32 as TensorBoard keeps them). */
export function scalarsEvent(wallTime: number, step: number, scalars: [string, number][]): Uint8Array {
  const summary = new ProtoWriter();
  for (const [tag, v] of scalars) summary.bytesField(1, new ProtoWriter().string(1, tag).float(2, v).finish());
  return new ProtoWriter().double(1, wallTime).int64(2, step).bytesField(5, summary.finish()).finish();
}

/** An Event carrying SessionLog { status: START }: a (re)start at `step`. */
export function sessionStartEvent(wallTime: number, step: number): Uint8Array {
  return new ProtoWriter().double(1, wallTime).int64(2, step).bytesField(7, new ProtoWriter().int64(1, 1).finish()).finish();
}

/** Appends events to a new events file in `dir` (created when missing). */
export class TensorBoardWriter {
  readonly path: string;

  /** Opens a new events file; `resumeStep` > 0 marks a resumed run (see the file comment). */
  constructor(dir: string, resumeStep = 0) {
    try {
      makeDir(dir);
    } catch (e) {
      if (!(e instanceof MakeDirError)) throw e;
      throw new OptionError(`cannot write {tensorboard} ${dir}: ${e.reason}`);
    }
    const base = join(dir, `events.out.tfevents.${Math.floor(Date.now() / 1000)}.${hostname()}`);
    // Two runs started in the same second (a quick resume) must not share a file.
    let path = base;
    for (let i = 1; existsSync(path); i++) path = `${base}.${i}`;
    this.path = path;
    const now = Date.now() / 1000;
    this.append(fileVersionEvent(now));
    if (resumeStep > 0) this.append(sessionStartEvent(now, resumeStep));
  }

  /** Scalars at `step`; nothing is written for an empty list. */
  scalars(step: number, scalars: [string, number][]): void {
    if (scalars.length > 0) this.append(scalarsEvent(Date.now() / 1000, step, scalars));
  }

  private append(event: Uint8Array): void {
    try {
      appendFileSync(this.path, encodeTFRecord(event));
    } catch (e) {
      throw new OptionError(`cannot write {tensorboard} ${this.path}: ${fsReason(e)}`);
    }
  }
}
