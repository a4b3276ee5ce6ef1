/**
 * TEST-ONLY deterministic crash points. The resume tests must kill `albert pretrain` with
 * SIGKILL at exact moments (in the middle of a step, in the middle of writing a checkpoint), which
 * a timer outside the process cannot hit reliably. Setting
 *
 *   ALBERT_TEST_KILL_AT=<point>:<step>     e.g. mid-checkpoint:4, mid-step:3, after-checkpoint:2
 *
 * makes the process SIGKILL itself when it reaches that point for that global step (with
 * `@<rank>` appended, only that data-parallel worker: mid-step:3@1). Nothing is
 * flushed or cleaned up: it is exactly a `kill -9` at that line. Not a user feature; unset in
 * normal use, where killPoint() is one comparison.
 */
export type KillPoint =
  /** Between the micro-steps / after the session run of step N, before its result is adopted. */
  | 'mid-step'
  /** Writing checkpoint N: the weights are in the temporary directory, the rest is not. */
  | 'mid-checkpoint'
  /** Checkpoint N is in place; pruning and the `best` copy have not happened. */
  | 'after-checkpoint'
  /** Copying checkpoint N to `best`, half done. */
  | 'mid-best';

const SPEC = process.env.ALBERT_TEST_KILL_AT;

/** This process's MPI rank as the launcher announced it (Open MPI, or MPICH/Intel's PMI). */
const RANK = process.env.OMPI_COMM_WORLD_RANK ?? process.env.PMI_RANK;

export function killPoint(point: KillPoint, step: number): void {
  if (SPEC === undefined) return;
  const [where, rank] = SPEC.split('@');
  if (where !== `${point}:${step}` || (rank !== undefined && rank !== RANK)) return;
  process.kill(process.pid, 'SIGKILL');
}
