/**
 * Test data for the training loop: TFRecord files of pretraining Examples (the real format,
 * written with the project's writer) for the tiny config, with structure a model can learn:
 * each sequence counts up from a random start (mod 120, ids 5..124), so a masked token follows
 * from its neighbours; segment B continues A, and a swapped pair (label 1) is out of order.
 */
import { join } from 'node:path';
import { encodeExample } from '../../src/data/example.ts';
import { pretrainingExample, type TrainingInstance } from '../../src/tasks/pretraining/data/features.ts';
import { TFRecordWriter } from '../../src/data/tfrecord.ts';
import { emptyPretrainingBatch, type PretrainingBatch } from '../../src/tasks/pretraining/dataset.ts';
import { rng } from '../helpers/random.ts';
import { presetConfig } from '../../src/model/config.ts';
import { InitRng, initialValues } from '../../src/model/init.ts';
import { modelParams } from '../../src/model/params.ts';
import { pretrainingBatches } from '../../src/tasks/pretraining/task.ts';
import { Trainer, type TrainerOptions } from '../../src/train/trainer.ts';
import { albertWith, ROOT, type Run } from '../helpers/cli.ts';
export type { Run };

export const SEQ = 32;
export const PRED = 4;

export function countingInstance(r: () => number): TrainingInstance {
  const len = SEQ - 4 - Math.floor(r() * 6);
  const start = Math.floor(r() * 120);
  const tok = (i: number): number => 5 + ((start + i) % 120);
  const aLen = 3 + Math.floor(r() * (len - 6));
  const a = Array.from({ length: aLen }, (_, i) => tok(i));
  const b = Array.from({ length: len - aLen }, (_, i) => tok(aLen + i));
  const swap = r() < 0.5;
  const [first, second] = swap ? [b, a] : [a, b];
  const ids = [2, ...first, 3, ...second, 3];
  const original = Int32Array.from(ids);
  const candidates = ids.map((_, i) => i).filter((i) => ids[i] > 4);
  const positions: number[] = [];
  while (positions.length < PRED - (r() < 0.3 ? 1 : 0)) {
    const p = candidates[Math.floor(r() * candidates.length)];
    if (!positions.includes(p)) positions.push(p);
  }
  positions.sort((x, y) => x - y);
  const inputIds = Int32Array.from(ids);
  for (const p of positions) inputIds[p] = 4;
  return {
    inputIds,
    segmentBStart: first.length + 2,
    tokenBoundary: new Uint8Array(ids.length).fill(1),
    maskedLmPositions: Int32Array.from(positions),
    maskedLmIds: Int32Array.from(positions, (p) => original[p]),
    nextSentenceLabel: swap ? 1 : 0,
  };
}

/** Writes `records` examples to `path` (record `poison`, if given, with a NaN masked-LM weight); returns the path. */
export async function writeCountingRecords(path: string, records: number, seed: number, poison?: number): Promise<string> {
  const r = rng(seed);
  const w = TFRecordWriter.open(path);
  for (let i = 0; i < records; i++) {
    const example = pretrainingExample(countingInstance(r), { maxSeqLength: SEQ, maxPredictionsPerSeq: PRED });
    if (i === poison) example.set('masked_lm_weights', { kind: 'float', values: Float32Array.of(NaN, 1, 1, 0) });
    await w.write(encodeExample(example));
  }
  await w.close();
  return path;
}

export const BIN = join(ROOT, 'bin', 'run.js');

/** Runs `albert ...` as a user would. */
export function albert(args: string[], env: Record<string, string> = {}, timeout = 120_000): Promise<Run> {
  return albertWith(args, { env, timeoutMs: timeout });
}

/** The flags of a tiny pretraining run; a flag in `extra` replaces its default. */
export function tinyFlags(train: string, out: string, extra: string[] = []): string[] {
  const defaults: [string, string][] = [
    ['--albert-config-file', 'tiny'],
    ['--train-batch-size', '8'],
    ['--max-seq-length', String(SEQ)],
    ['--max-predictions-per-seq', String(PRED)],
    ['--learning-rate', '0.01'],
    ['--num-warmup-steps', '2'],
    ['--threads', '1'],
  ];
  const kept = defaults.filter(([flag]) => !extra.includes(flag)).flat();
  return ['pretrain', '--input-file', train, '--output-dir', out, '--do-train', ...kept, ...extra];
}

/** A batch of `B` counting examples; masked-LM weights vary between rows. */
export function countingBatch(B: number, seed: number): PretrainingBatch {
  const r = rng(seed);
  const b = emptyPretrainingBatch(B, SEQ, PRED);
  for (let i = 0; i < B; i++) {
    const x = countingInstance(r);
    b.input_ids.set(x.inputIds, i * SEQ);
    b.input_mask.fill(1, i * SEQ, i * SEQ + x.inputIds.length);
    b.segment_ids.fill(1, i * SEQ + x.segmentBStart, i * SEQ + x.inputIds.length);
    b.masked_lm_positions.set(x.maskedLmPositions, i * PRED);
    b.masked_lm_ids.set(x.maskedLmIds, i * PRED);
    b.masked_lm_weights.fill(1, i * PRED, i * PRED + x.maskedLmPositions.length);
    b.next_sentence_labels[i] = x.nextSentenceLabel;
  }
  return b;
}

/**
 * A Trainer of the tiny pretraining step (LAMB, lr 0.01, seed 7, one thread) with fresh weights
 * from InitRng(3): the common start of the device, mixed-precision and data-parallel tests.
 */
export async function tinyTrainer(
  o: Partial<Pick<TrainerOptions, 'gradAccum' | 'lossScale' | 'collective' | 'numWarmupSteps' | 'numTrainSteps'>> & { device?: 'cpu' | 'webgpu' | 'cuda'; mixedPrecision?: boolean; dropout?: number } = {},
): Promise<Trainer<PretrainingBatch>> {
  const { device = 'cpu', mixedPrecision = false, dropout = 0, ...rest } = o;
  const cfg = { ...presetConfig('tiny')!, hiddenDropoutProb: dropout };
  const tr = await Trainer.create(
    { config: cfg, graph: { head: 'pretraining', maxPredictions: PRED }, maxSeqLength: SEQ, optimizer: 'lamb', learningRate: 0.01, numWarmupSteps: 0, numTrainSteps: 100, seed: 7, threads: 1, ...rest, execution: { device: { name: device }, mixedPrecision } },
    pretrainingBatches,
  );
  const r = new InitRng(3);
  tr.setState(new Map(modelParams(cfg, 'pretraining').map((s) => [s.name, initialValues(s.init, s.shape.reduce((a, d) => a * d, 1), r)])));
  return tr;
}
