/**
 * What the launcher told this process through its environment, read without loading koffi or
 * MPI: training asks `launchedByMpi()` first and loads the MPI binding only when it says yes, so a
 * plain single-process run never touches the optional dependency.
 *
 * Launchers and what they set (each rank gets its own copy):
 * - Open MPI's mpirun (4.x: ORTE, 5.x: PRRTE): OMPI_COMM_WORLD_SIZE/RANK/LOCAL_RANK/LOCAL_SIZE;
 *   5.x also PMIX_RANK.
 * - MPICH's and Intel MPI's Hydra (mpiexec/mpirun): PMI_SIZE, PMI_RANK, MPI_LOCALRANKID,
 *   MPI_LOCALNRANKS.
 * - Slurm's srun: SLURM_STEP_ID, SLURM_PROCID, SLURM_STEP_NUM_TASKS, SLURM_LOCALID; with its PMI-2
 *   plugin also PMI_SIZE/PMI_RANK, with its PMIx plugin PMIX_RANK. Without either plugin MPI
 *   cannot find its peers and every task starts alone (the binding checks this after init).
 */

type Env = Record<string, string | undefined>;

function int(env: Env, name: string): number | undefined {
  const v = env[name];
  if (v === undefined || !/^\s*\d+\s*$/.test(v)) return undefined;
  return Number(v);
}

/** srun's task count for this job step; undefined outside a step (a batch script is not one). */
function slurmStepTasks(env: Env): number | undefined {
  if (env.SLURM_STEP_ID === undefined || env.SLURM_PROCID === undefined) return undefined;
  return int(env, 'SLURM_STEP_NUM_TASKS') ?? int(env, 'SLURM_NTASKS');
}

/**
 * True when an MPI launcher (mpirun/mpiexec, or srun with more than one task) started this
 * process, so the world size and rank are to come from the MPI library.
 */
export function launchedByMpi(env: Env = process.env): boolean {
  if (
    env.OMPI_COMM_WORLD_SIZE !== undefined ||
    env.PMI_SIZE !== undefined ||
    env.PMI_RANK !== undefined ||
    env.PMIX_RANK !== undefined ||
    env.MPI_LOCALNRANKS !== undefined
  ) {
    return true;
  }
  // A one-task srun step is a plain run: there is nobody to reduce with.
  const tasks = slurmStepTasks(env);
  return tasks !== undefined && tasks > 1;
}

/**
 * The world size the launcher announced, to compare with what MPI reports after init: srun
 * without a PMI plugin gives each task a world of one, which would silently train N unrelated
 * models. Launcher variables come before Slurm's: under `mpirun` inside an allocation the ranks
 * inherit the Slurm step of the daemons, whose task count is the node count.
 */
export function launcherWorldSize(env: Env = process.env): number | undefined {
  return int(env, 'OMPI_COMM_WORLD_SIZE') ?? int(env, 'PMI_SIZE') ?? (env.PMIX_RANK !== undefined ? undefined : slurmStepTasks(env));
}

/** Rank among the processes on this node, and how many there are, when the launcher says so. */
export function launcherLocal(env: Env = process.env): { localRank: number; localSize: number } | undefined {
  const pairs: Array<[string, string]> = [
    ['OMPI_COMM_WORLD_LOCAL_RANK', 'OMPI_COMM_WORLD_LOCAL_SIZE'],
    ['MPI_LOCALRANKID', 'MPI_LOCALNRANKS'],
  ];
  for (const [rankName, sizeName] of pairs) {
    const localRank = int(env, rankName);
    const localSize = int(env, sizeName);
    if (localRank !== undefined && localSize !== undefined && localRank < localSize) return { localRank, localSize };
  }
  // Slurm gives SLURM_LOCALID but its per-node task count only in a compressed list
  // ("2(x3),1"); the binding asks MPI (a shared-memory split) instead.
  return undefined;
}
