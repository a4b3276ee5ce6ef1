/**
 * One worker of the data-parallel test (test/dist/data-parallel.test.ts starts two with mpirun):
 * trains the tiny pretraining model for a few updates with the Trainer over MPI and writes, on
 * each rank, its final parameters (raw float32, in the manifest's order) and the losses.
 *
 *   mpirun -np 2 --oversubscribe --bind-to none node --import tsx test/dist/data-parallel-worker.ts OUT_PREFIX [--fp16]
 */
import { writeFileSync } from 'node:fs';
import { loadMpi } from '../../src/dist/mpi.ts';
import { presetConfig } from '../../src/model/config.ts';
import { InitRng, initialValues } from '../../src/model/init.ts';
import { modelParams } from '../../src/model/params.ts';
import { pretrainingBatches } from '../../src/tasks/pretraining/task.ts';
import { Trainer } from '../../src/train/trainer.ts';
import { countingBatch, PRED, SEQ } from '../train/helpers.ts';

const prefix = process.argv[2];
const mixedPrecision = process.argv.includes('--fp16');
const mpi = loadMpi();
mpi.init();
const cfg = presetConfig('tiny')!;
const trainer = await Trainer.create(
  { config: cfg, graph: { head: 'pretraining', maxPredictions: PRED }, maxSeqLength: SEQ, optimizer: 'lamb', learningRate: 0.01, numWarmupSteps: 1, numTrainSteps: 10, seed: 7, threads: 1, gradAccum: 1, collective: mpi, execution: { mixedPrecision } },
  pretrainingBatches,
);
const r = new InitRng(3);
trainer.setState(new Map(modelParams(cfg, 'pretraining').map((s) => [s.name, initialValues(s.init, s.shape.reduce((a, d) => a * d, 1), r)])));
const losses: number[] = [];
for (let step = 0; step < 3; step++) {
  // Every worker builds every micro-batch of the update; the trainer takes its own.
  const micro = Array.from({ length: mpi.size }, (_, i) => countingBatch(3 + i, 100 + step * mpi.size + i));
  const res = await trainer.step(step, micro);
  losses.push(res.loss);
}
const params = trainer.parameterValues();
const bytes = Buffer.concat(trainer.parameterNames.map((n) => Buffer.from(params.get(n)!.buffer, params.get(n)!.byteOffset, params.get(n)!.byteLength)));
writeFileSync(`${prefix}.rank${mpi.rank}.bin`, bytes);
writeFileSync(`${prefix}.rank${mpi.rank}.json`, JSON.stringify({ losses, names: trainer.parameterNames }));
mpi.finalize();
