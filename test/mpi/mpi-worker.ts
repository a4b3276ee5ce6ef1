/**
 * One rank of the real-MPI tests (test/mpi/mpi.test.ts starts two with mpirun). It checks what a
 * single rank can check itself with node:assert (a failure exits non-zero and fails the job) and
 * prints one line `RESULT {json}` with what needs both ranks or two runs to judge: digests of
 * all-reduced random data.
 *
 *   mpirun -np 2 --oversubscribe --bind-to none node --import tsx test/mpi/mpi-worker.ts [--seed N] [--no-finalize]
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { loadMpi } from '../../src/mpi/mpi.ts';
import { rng } from '../helpers/random.ts';

const args = process.argv.slice(2);
const seed = Number(args[args.indexOf('--seed') + 1] || 7);
const finalizeAtEnd = !args.includes('--no-finalize');

const mpi = loadMpi();
mpi.init();
const { rank, size } = mpi;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const digest = (a: ArrayBufferView): string => createHash('sha256').update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength)).digest('hex');

/** Rank r's random contribution: the same numbers on every rank and every run for (seed, r). */
function randomData(r: number, n: number): Float32Array {
  const next = rng(seed * 1000 + r);
  return Float32Array.from({ length: n }, () => next() * 2 - 1);
}

/** With two ranks the sum is one correctly rounded float32 addition, whatever the algorithm. */
function expectedPairSum(n: number): Float32Array {
  const a = randomData(0, n);
  const b = randomData(1, n);
  return a.map((x, i) => Math.fround(x + b[i]));
}

const result: Record<string, unknown> = { rank, size, localRank: mpi.localRank, localSize: mpi.localSize, flavour: mpi.flavour, threadLevel: mpi.threadLevel };

// Exact sums: small integers and quarters are exact in float32 and float64 whatever the order.
{
  const n = 4099;
  const f32 = Float32Array.from({ length: n }, (_, i) => ((rank + 1) * (i % 1000)) / 4);
  mpi.allreduceSum(f32);
  const ranks = (size * (size + 1)) / 2;
  for (let i = 0; i < n; i++) assert.equal(f32[i], (ranks * (i % 1000)) / 4, `float32 sum at ${i}`);
  const f64 = Float64Array.from({ length: n }, (_, i) => (rank + 1) * i * 2 ** -30 + 1e6 * (rank + 1));
  mpi.allreduceSum(f64);
  for (let i = 0; i < n; i++) assert.equal(f64[i], ranks * i * 2 ** -30 + 1e6 * ranks, `float64 sum at ${i}`);
  const i32 = Int32Array.from({ length: 17 }, (_, i) => (rank + 1) * (i - 8));
  mpi.allreduceSum(i32);
  assert.deepEqual([...i32], Array.from({ length: 17 }, (_, i) => ranks * (i - 8)));
}

// Random data, sync then async on the same input: digests for the test to compare across ranks
// and runs; with two ranks also the exact expected bytes.
const RANDOM_N = 100_003;
{
  const sync = randomData(rank, RANDOM_N);
  mpi.allreduceSum(sync);
  result.syncDigest = digest(sync);
  if (size === 2) assert.ok(Buffer.from(sync.buffer).equals(Buffer.from(expectedPairSum(RANDOM_N).buffer)), 'sync all-reduce is fround(a + b)');
}
{
  const data = randomData(rank, RANDOM_N);
  // Rank 1 comes late, so rank 0's call waits in MPI: its event loop must keep running meanwhile.
  if (rank === 1) await sleep(400);
  let ticks = 0;
  const timer = setInterval(() => ticks++, 10);
  const started = performance.now();
  const done = mpi.allreduceSumAsync(data);
  assert.throws(() => mpi.barrier(), /asynchronous all-reduce is still running/, 'a sync call while the async one runs is refused');
  await done;
  clearInterval(timer);
  result.asyncWaitMs = Math.round(performance.now() - started);
  result.asyncTicks = ticks;
  if (rank === 0) assert.ok(ticks >= 5, `event loop ran ${ticks} times during a ${result.asyncWaitMs} ms async all-reduce`);
  result.asyncDigest = digest(data);
  assert.equal(result.asyncDigest, result.syncDigest, 'async gives the bytes of sync');
  // Queued calls: three in a row without awaiting each, summed in order.
  const xs = [1, 2, 3].map((k) => new Float64Array([k * (rank + 1)]));
  await Promise.all(xs.map((x) => mpi.allreduceSumAsync(x)));
  const ranks = (size * (size + 1)) / 2;
  assert.deepEqual(xs.map((x) => x[0]), [ranks, 2 * ranks, 3 * ranks]);
}

// Broadcast from either root, of several element types and odd lengths.
{
  const f = rank === 1 ? Float32Array.from({ length: 333 }, (_, i) => i * 0.5 - 7) : new Float32Array(333);
  mpi.bcast(f, 1 % size);
  assert.deepEqual([...f], Array.from({ length: 333 }, (_, i) => i * 0.5 - 7));
  const bytes = rank === 0 ? Uint8Array.from({ length: 1001 }, (_, i) => (i * 37) & 255) : new Uint8Array(1001);
  mpi.bcast(bytes, 0);
  assert.deepEqual([...bytes], Array.from({ length: 1001 }, (_, i) => (i * 37) & 255));
  // A view into the middle of a larger buffer: only its bytes move.
  const big = new Int32Array(10).fill(rank === 0 ? 5 : -1);
  mpi.bcast(big.subarray(2, 6), 0);
  assert.deepEqual([...big], rank === 0 ? Array(10).fill(5) : [-1, -1, 5, 5, 5, 5, -1, -1, -1, -1]);
}

// All-gather: equal and unequal lengths, an empty contribution.
{
  const same = mpi.allgather(Uint8Array.from({ length: 16 }, (_, i) => rank * 16 + i));
  assert.equal(same.length, size);
  same.forEach((b, r) => assert.deepEqual([...b], Array.from({ length: 16 }, (_, i) => r * 16 + i)));
  const lengthOf = (r: number): number => (r === 0 ? 0 : 10 * r + 3);
  const uneven = mpi.allgather(new Uint8Array(lengthOf(rank)).fill(rank + 1));
  uneven.forEach((b, r) => assert.deepEqual([...b], Array(lengthOf(r)).fill(r + 1)));
}

// Barrier: rank 0 cannot leave it before rank 1 arrives 300 ms late.
{
  if (rank === 1) await sleep(300);
  const t0 = performance.now();
  mpi.barrier();
  result.barrierWaitMs = Math.round(performance.now() - t0);
  if (rank === 0) assert.ok(performance.now() - t0 >= 200, `barrier returned after ${result.barrierWaitMs} ms`);
}

// A second binding with 4 KiB pieces (MPI is already initialised; it joins the same job) and no
// launcher variables, so its local rank comes from MPI_Comm_split_type.
{
  const small = loadMpi({ maxChunkBytes: 4096, env: {} });
  small.init();
  result.splitLocal = [small.localRank, small.localSize];
  const f32 = Float32Array.from({ length: 10_003 }, (_, i) => (rank + 1) * (i % 512));
  small.allreduceSum(f32);
  const ranks = (size * (size + 1)) / 2;
  for (let i = 0; i < f32.length; i++) assert.equal(f32[i], ranks * (i % 512), `chunked float32 sum at ${i}`);
  const f64 = Float64Array.from({ length: 1537 }, (_, i) => (rank + 1) * i);
  await small.allreduceSumAsync(f64);
  for (let i = 0; i < f64.length; i++) assert.equal(f64[i], ranks * i, `chunked async float64 sum at ${i}`);
  const rnd = randomData(rank, RANDOM_N);
  small.allreduceSum(rnd);
  result.chunkedDigest = digest(rnd);
  const bytes = rank === 0 ? Uint8Array.from({ length: 10_001 }, (_, i) => (i * 13) & 255) : new Uint8Array(10_001);
  small.bcast(bytes, 0);
  assert.deepEqual([...bytes], Array.from({ length: 10_001 }, (_, i) => (i * 13) & 255));
  const lengthOf = (r: number): number => 5000 + 1111 * r;
  const gathered = small.allgather(Uint8Array.from({ length: lengthOf(rank) }, (_, i) => (i + rank) & 255));
  gathered.forEach((b, r) => assert.deepEqual([...b], Array.from({ length: lengthOf(r) }, (_, i) => (i + r) & 255)));
}

process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
if (finalizeAtEnd) mpi.finalize();
