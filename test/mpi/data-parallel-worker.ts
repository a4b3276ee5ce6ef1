/**
 * One worker of the data-parallel test (test/mpi/data-parallel.test.ts starts two with mpirun):
 * trains the tiny pretraining model for a few updates with the Trainer over MPI and writes, on
 * each rank, its final parameters (raw float32, in the manifest's order) and the losses.
 *
 *   mpirun -np 2 --oversubscribe --bind-to none node --import tsx test/mpi/data-parallel-worker.ts OUT_PREFIX [--fp16]
 */
import { writeFileSync } from 'node:fs';
import { loadMpi } from '../../src/mpi/mpi.ts';
import { tinyTrainer } from '../train/helpers.ts';
import { workerBatches } from './data-parallel-worker-batches.ts';

const prefix = process.argv[2];
const mixedPrecision = process.argv.includes('--fp16');
const mpi = loadMpi();
mpi.init();
const trainer = await tinyTrainer({ collective: mpi, numWarmupSteps: 1, numTrainSteps: 10, mixedPrecision });
const losses: number[] = [];
for (let step = 0; step < 3; step++) {
  // Every worker builds every micro-batch of the update; the trainer takes its own.
  const res = await trainer.step(step, workerBatches(step, mpi.size));
  losses.push(res.loss);
}
const params = trainer.parameterValues();
const bytes = Buffer.concat(trainer.parameterNames.map((n) => Buffer.from(params.get(n)!.buffer, params.get(n)!.byteOffset, params.get(n)!.byteLength)));
writeFileSync(`${prefix}.rank${mpi.rank}.bin`, bytes);
writeFileSync(`${prefix}.rank${mpi.rank}.json`, JSON.stringify({ losses, names: trainer.parameterNames }));
mpi.finalize();
