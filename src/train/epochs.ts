/**
 * Training data held in memory (fine-tuning sets) as the loop reads it: shuffled anew every
 * epoch by a seeded generator, so the cursor (epoch, position) is the whole state of the stream.
 */
import { DataRng } from '../data/random.ts';
import { UserError } from '../util/errors.ts';
import type { BatchSource } from './task.ts';

/** Where the training stream is: the epoch (its permutation is seeded by seed and epoch) and the next position in it. */
interface EpochCursor {
  epoch: number;
  position: number;
}

function permutation(n: number, seed: number, epoch: number): Uint32Array {
  const rng = new DataRng([((seed >>> 0) ^ 0x9e3779b9) >>> 0, epoch >>> 0, 0x85ebca6b, 1]);
  const p = new Uint32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = rng.below(i + 1);
    const t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  return p;
}

function parseCursor(c: unknown): EpochCursor {
  const o = c as Partial<EpochCursor> | null;
  if (!o || !Number.isSafeInteger(o.epoch) || !Number.isSafeInteger(o.position) || o.epoch! < 0 || o.position! < 0) {
    throw new UserError(`dataset cursor: expected {"epoch": n, "position": n}, got ${JSON.stringify(c)}`);
  }
  return { epoch: o.epoch!, position: o.position! };
}

/**
 * `count` examples as an endless stream of shuffled epochs, `batchSize` at a time (a batch may
 * span two epochs); `gather` makes a batch of the given example indices. The cursor (epoch and
 * position) puts a resumed stream exactly where it was.
 */
export function shuffledEpochs<B>(count: number, batchSize: number, seed: number, cursor: unknown, gather: (rows: number[]) => B): BatchSource<B> {
  let { epoch, position } = cursor === null || cursor === undefined ? { epoch: 0, position: 0 } : parseCursor(cursor);
  if (position > count) throw new UserError(`dataset cursor: position ${position} is past the ${count} training examples`);
  let order = permutation(count, seed, epoch);
  return {
    async next() {
      const rows: number[] = [];
      while (rows.length < batchSize) {
        if (position === count) {
          epoch += 1;
          position = 0;
          order = permutation(count, seed, epoch);
        }
        rows.push(order[position++]);
      }
      return gather(rows);
    },
    cursor: () => ({ epoch, position }),
    close: async () => {},
  };
}

