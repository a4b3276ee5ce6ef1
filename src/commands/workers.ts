/**
 * Data-parallel training from the command line: `mpirun -np N albert pretrain ...` (or srun) joins
 * the MPI job the launcher started; `--workers N` outside a launcher re-runs the same command
 * line under mpirun on this machine. MPI (koffi and libmpi) is loaded only in those cases.
 */
import { Flags } from '@oclif/core';
import { availableParallelism } from 'node:os';
import type { Workers } from '../train/data-parallel.ts';
import type { ProgressSink } from '../train/progress.ts';

export const workersFlag = Flags.integer({
  min: 1,
  description: 'data-parallel workers on this machine: re-runs the command under mpirun with N processes (threads split between them); under mpirun or srun the launcher decides instead',
});

/**
 * The workers of this run: MPI joined when a launcher started us (undefined for a lone process).
 * With `--workers N` (N > 1) and no launcher, runs the command under mpirun and exits with its code.
 */
export async function joinWorkers(flags: { workers?: number }): Promise<Workers | undefined> {
  const { launchedByMpi } = await import('../mpi/env.ts');
  if (launchedByMpi()) {
    const { loadMpi } = await import('../mpi/mpi.ts');
    const mpi = loadMpi();
    mpi.init();
    return mpi.size > 1 ? mpi : undefined;
  }
  if (flags.workers !== undefined && flags.workers > 1) {
    const { runUnderMpirun } = await import('../mpi/launch.ts');
    const code = await runUnderMpirun({
      workers: flags.workers,
      argv: process.argv.slice(2),
      node: process.execPath,
      execArgv: process.execArgv,
      script: process.argv[1],
      cores: availableParallelism(),
      isRoot: process.getuid?.() === 0,
      env: process.env,
    });
    process.exit(code);
  }
  return undefined;
}

/** Worker 0 reports; the others stay quiet (their notes would repeat its own). */
export function quietUnlessLeader(workers: Workers | undefined, sink: ProgressSink): ProgressSink {
  if (!workers || workers.rank === 0) return sink;
  const nothing = (): void => {};
  return { start: nothing, step: nothing, eval: nothing, checkpoint: nothing, note: nothing, summary: nothing, stop: nothing, saveOnInterrupt: sink.saveOnInterrupt };
}
