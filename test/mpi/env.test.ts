/** What the launchers' environment variables say, read without MPI (src/mpi/env.ts). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { launchedByMpi, launcherLocal, launcherWorldSize } from '../../src/mpi/env.ts';

// What each launcher puts in a rank's environment (a subset, with the values of rank 1 of 2).
const OPENMPI = { OMPI_COMM_WORLD_SIZE: '2', OMPI_COMM_WORLD_RANK: '1', OMPI_COMM_WORLD_LOCAL_RANK: '1', OMPI_COMM_WORLD_LOCAL_SIZE: '2' };
const HYDRA = { PMI_SIZE: '2', PMI_RANK: '1', MPI_LOCALRANKID: '1', MPI_LOCALNRANKS: '2' };
const SRUN = { SLURM_JOB_ID: '42', SLURM_STEP_ID: '0', SLURM_PROCID: '1', SLURM_LOCALID: '1', SLURM_STEP_NUM_TASKS: '2', SLURM_NTASKS: '2' };
const SRUN_PMIX = { ...SRUN, PMIX_RANK: '1', PMIX_NAMESPACE: 'slurm.pmix.42.0' };
// A batch script: the job's variables, but no step of its own.
const SBATCH = { SLURM_JOB_ID: '42', SLURM_NTASKS: '2', SLURM_PROCID: '0' };

describe('launchedByMpi', () => {
  it('is true under mpirun (Open MPI), mpiexec (Hydra), srun with several tasks, with or without PMIx', () => {
    assert.equal(launchedByMpi(OPENMPI), true);
    assert.equal(launchedByMpi(HYDRA), true);
    assert.equal(launchedByMpi(SRUN), true);
    assert.equal(launchedByMpi(SRUN_PMIX), true);
    assert.equal(launchedByMpi({ PMIX_RANK: '0' }), true, 'Open MPI 5 / PRRTE');
  });

  it('is false for a plain run, a batch script, and a one-task srun step', () => {
    assert.equal(launchedByMpi({ PATH: '/usr/bin', HOME: '/root' }), false);
    assert.equal(launchedByMpi(SBATCH), false);
    assert.equal(launchedByMpi({ ...SRUN, SLURM_STEP_NUM_TASKS: '1', SLURM_NTASKS: '1' }), false);
  });
});

describe('launcherWorldSize', () => {
  it("reads mpirun's, Hydra's and srun's announced size", () => {
    assert.equal(launcherWorldSize(OPENMPI), 2);
    assert.equal(launcherWorldSize(HYDRA), 2);
    assert.equal(launcherWorldSize({ ...SRUN, SLURM_STEP_NUM_TASKS: '8' }), 8);
    assert.equal(launcherWorldSize({ PATH: '/usr/bin' }), undefined);
  });

  it("prefers mpirun's size to the Slurm step mpirun's daemons run in", () => {
    // mpirun inside an allocation starts one daemon per node with srun: the ranks inherit that
    // step (here 2 nodes) while the world has 8 ranks.
    assert.equal(launcherWorldSize({ ...SRUN, SLURM_STEP_NUM_TASKS: '2', OMPI_COMM_WORLD_SIZE: '8' }), 8);
  });

  it('announces nothing under PMIx without a size variable, and ignores values that are not numbers', () => {
    assert.equal(launcherWorldSize(SRUN_PMIX), undefined);
    assert.equal(launcherWorldSize({ OMPI_COMM_WORLD_SIZE: 'two' }), undefined);
  });
});

describe('launcherLocal', () => {
  it("reads Open MPI's and Hydra's local rank and size", () => {
    assert.deepEqual(launcherLocal(OPENMPI), { localRank: 1, localSize: 2 });
    assert.deepEqual(launcherLocal(HYDRA), { localRank: 1, localSize: 2 });
  });

  it('leaves srun (no local size) and inconsistent values to MPI', () => {
    assert.equal(launcherLocal(SRUN), undefined);
    assert.equal(launcherLocal({ OMPI_COMM_WORLD_LOCAL_RANK: '3', OMPI_COMM_WORLD_LOCAL_SIZE: '2' }), undefined);
    assert.equal(launcherLocal({}), undefined);
  });
});
