/**
 * The MPI binding in a real job: `mpirun -np 2` starts test/mpi/mpi-worker.ts twice over (two
 * runs, same seed). The worker checks what one rank can (exact sums of float32, float64 and int32,
 * async all-reduce with the event loop running, queued async calls, bcast, all-gather of equal and
 * unequal lengths, barrier, a binding with 4 KiB pieces and the shared-memory split for the local
 * rank) and prints digests; here the digests are compared across ranks and across runs. Skipped,
 * with the reason, where mpirun or koffi is missing.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { skippedWithoutMpi } from './helpers.ts';
import { loadMpi } from '../../src/mpi/mpi.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));



interface RankResult {
  rank: number;
  size: number;
  localRank: number;
  localSize: number;
  flavour: string;
  threadLevel: number;
  syncDigest: string;
  asyncDigest: string;
  chunkedDigest: string;
  asyncTicks: number;
  barrierWaitMs: number;
  splitLocal: [number, number];
}

interface Job {
  code: number | null;
  stderr: string;
  results: RankResult[];
}

function mpirun(workerArgs: string[]): Promise<Job> {
  const args = ['-np', '2', '--oversubscribe', '--bind-to', 'none'];
  if (process.getuid?.() === 0) args.push('--allow-run-as-root');
  // The ring all-reduce, as `--workers` sets it, for bytes that do not depend on the message size.
  args.push('-x', 'OMPI_MCA_coll_tuned_use_dynamic_rules=1', '-x', 'OMPI_MCA_coll_tuned_allreduce_algorithm=4');
  args.push(process.execPath, '--import', 'tsx', 'test/mpi/mpi-worker.ts', ...workerArgs);
  return new Promise((resolve, reject) => {
    const child = spawn('mpirun', args, { cwd: ROOT, env: process.env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const results = stdout
        .split('\n')
        .filter((l) => l.startsWith('RESULT '))
        .map((l) => JSON.parse(l.slice(7)) as RankResult)
        .sort((a, b) => a.rank - b.rank);
      resolve({ code, stderr, results });
    });
  });
}

// Both jobs are started once and shared by the tests below.
let first: Promise<Job> | undefined;
let second: Promise<Job> | undefined;
const firstJob = (): Promise<Job> => (first ??= mpirun(['--seed', '11']));
// The second run leaves MPI_Finalize to the binding's exit hook.
const secondJob = (): Promise<Job> => (second ??= firstJob().then(() => mpirun(['--seed', '11', '--no-finalize'])));

function completed(job: Job): RankResult[] {
  assert.equal(job.code, 0, `mpirun failed:\n${job.stderr}`);
  assert.equal(job.results.length, 2, `expected a result from each rank:\n${job.stderr}`);
  return job.results;
}

describe('MPI binding under mpirun -np 2', { timeout: 60_000 }, () => {
  it('loads the installed library as Open MPI (from its version string)', (t) => {
    if (skippedWithoutMpi(t)) return;
    const mpi = loadMpi();
    assert.equal(mpi.flavour, 'openmpi');
    assert.match(mpi.libraryVersion, /^Open MPI v\d/);
  });

  it('gives each rank its rank, the world size, the local rank (launcher and shared-memory split) and the serialized thread level', async (t) => {
    if (skippedWithoutMpi(t)) return;
    const results = completed(await firstJob());
    assert.deepEqual(
      results.map((r) => [r.rank, r.size, r.localRank, r.localSize, r.splitLocal, r.flavour]),
      [
        [0, 2, 0, 2, [0, 2], 'openmpi'],
        [1, 2, 1, 2, [1, 2], 'openmpi'],
      ],
    );
    for (const r of results) assert.ok(r.threadLevel >= 2, `thread level ${r.threadLevel}`);
  });

  it('passes the exact sums, async, bcast, all-gather, barrier and chunked checks on both ranks', async (t) => {
    if (skippedWithoutMpi(t)) return;
    const results = completed(await firstJob());
    // The worker asserts these itself; here: it got to the end, and waited where it had to.
    assert.ok(results[0].asyncTicks >= 5, `rank 0's event loop ran ${results[0].asyncTicks} times while its all-reduce waited`);
    assert.ok(results[0].barrierWaitMs >= 200, `rank 0 left the barrier after ${results[0].barrierWaitMs} ms`);
  });

  it('gives both ranks the same reduced bytes for random data, sync, async and in 4 KiB pieces', async (t) => {
    if (skippedWithoutMpi(t)) return;
    const [a, b] = completed(await firstJob());
    assert.match(a.syncDigest, /^[0-9a-f]{64}$/);
    assert.deepEqual([a.syncDigest, a.asyncDigest, a.chunkedDigest, b.syncDigest, b.asyncDigest, b.chunkedDigest], Array(6).fill(a.syncDigest));
  });

  it('gives the same bytes run after run, and finalizes at exit when the program does not', async (t) => {
    if (skippedWithoutMpi(t)) return;
    const [a] = completed(await firstJob());
    const job = await secondJob();
    const [c, d] = completed(job);
    assert.deepEqual([c.syncDigest, d.syncDigest, c.asyncDigest, d.asyncDigest], Array(4).fill(a.syncDigest));
    assert.doesNotMatch(job.stderr, /without calling "finalize"|exiting improperly/);
  });
});
