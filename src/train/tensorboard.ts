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
 * The first event of a file says `file_version: "brain.Event:2"`. The few messages are written
 * with protobufjs's Writer field by field (no .proto to load), so the bytes are plain to check
 * against the messages above.
 *
 * Every run (a resumed one included) writes a new file, `events.out.tfevents.<unix seconds>.<host>`,
 * appended record by record so TensorBoard sees a live run and a kill loses at most the record
 * being written (readers stop at a truncated last record). A resumed run starts its file with a
 * SessionLog START at the step it resumes from: TensorBoard then drops the points the killed run
 * logged after that step (they are logged again), as it does for TensorFlow's own restarts.
 */
import { appendFileSync, existsSync } from 'node:fs';
import protobuf from 'protobufjs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { encodeTFRecord, fsReason } from '../data/tfrecord.ts';
import { OptionError } from '../util/errors.ts';
import { MakeDirError, makeDir } from '../util/make-dir.ts';

/** Field keys ((field << 3) | wire type) of the messages above. */
const KEY = {
  wallTime: (1 << 3) | 1,
  step: (2 << 3) | 0,
  fileVersion: (3 << 3) | 2,
  summary: (5 << 3) | 2,
  sessionLog: (7 << 3) | 2,
  summaryValue: (1 << 3) | 2,
  tag: (1 << 3) | 2,
  simpleValue: (2 << 3) | 5,
  status: (1 << 3) | 0,
} as const;

/** An Event's wall time and step, the start of every event. */
function event(wallTime: number, step: number): protobuf.Writer {
  return protobuf.Writer.create().uint32(KEY.wallTime).double(wallTime).uint32(KEY.step).int64(step);
}

export const FILE_VERSION = 'brain.Event:2';

/** An Event carrying `file_version` (the first record of every events file). */
export function fileVersionEvent(wallTime: number): Uint8Array {
  return event(wallTime, 0).uint32(KEY.fileVersion).string(FILE_VERSION).finish();
}

/** An Event carrying a Summary of scalars (tag -> value, float32 as TensorBoard keeps them). */
export function scalarsEvent(wallTime: number, step: number, scalars: [string, number][]): Uint8Array {
  const w = event(wallTime, step).uint32(KEY.summary).fork();
  for (const [tag, v] of scalars) w.uint32(KEY.summaryValue).fork().uint32(KEY.tag).string(tag).uint32(KEY.simpleValue).float(v).ldelim();
  return w.ldelim().finish();
}

/** An Event carrying SessionLog { status: START }: a (re)start at `step`. */
export function sessionStartEvent(wallTime: number, step: number): Uint8Array {
  return event(wallTime, step).uint32(KEY.sessionLog).fork().uint32(KEY.status).int32(1).ldelim().finish();
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
