/** What the real-MPI tests share: why they cannot run here, if they cannot. */
import { createRequire } from 'node:module';
import { findOnPath } from '../../src/dist/launch.ts';

/** Why the real-MPI tests skip here (printed with the skip), or undefined when they can run. */
export function mpiSkipReason(): string | undefined {
  if (findOnPath('mpirun') === undefined) return 'mpirun is not on PATH (apt-get install openmpi-bin to run the MPI tests)';
  try {
    createRequire(import.meta.url)('koffi');
  } catch {
    return 'koffi (optional dependency) is not installed';
  }
  return undefined;
}
