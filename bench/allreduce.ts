/**
 * All-reduce benchmark (figures, not assertions): the sum over ranks of one buffer the size of
 * ALBERT-base's gradients (every parameter of base with the pretraining heads, float32), as data
 * parallel training does once per step, through src/mpi/mpi.ts. Sync and async (koffi worker
 * thread) calls, median and best of the repetitions, the algorithm bandwidth 2(N-1)/N x bytes /
 * time (what each rank sends and receives in a ring), the load average, and the share of a
 * training step that the all-reduce would take. Run it under mpirun, with the ring all-reduce
 * that `albert pretrain --workers N` selects:
 *
 *   mpirun -np 2 --oversubscribe --bind-to none --allow-run-as-root -x OMPI_MCA_coll_tuned_use_dynamic_rules=1 -x OMPI_MCA_coll_tuned_allreduce_algorithm=4 node --import tsx bench/allreduce.ts [--reps 10] [--step-seconds 3.59]
 *
 * (--allow-run-as-root only as root.) A repetition's time is the slowest rank's (each rank
 * enters after a barrier). --step-seconds is the training step to compare with; the default is
 * BENCHMARKS.md's ALBERT-base 8x128 LAMB step on the idle machine (3.59 s, all cores).
 */
import { createHash } from 'node:crypto';
import { loadavg } from 'node:os';
import { presetConfig } from '../src/model/config.ts';
import { countParams, modelParams } from '../src/model/params.ts';
import { loadMpi, type Mpi } from '../src/mpi/mpi.ts';

function argFlag(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const reps = Number(argFlag('--reps') ?? 10);
const stepSeconds = Number(argFlag('--step-seconds') ?? 3.59);
const load0 = loadavg();

const mpi = loadMpi();
mpi.init();
const config = presetConfig('base');
if (!config) throw new Error('no base preset');
const params = countParams(modelParams(config, 'pretraining'));
const bytes = params * 4;

// Gradient-like values: small, signed, different on each rank.
const original = new Float32Array(params);
let s = 12345 + mpi.rank * 7919;
for (let i = 0; i < params; i++) {
  s = (Math.imul(s, 1103515245) + 12345) >>> 0;
  original[i] = (s / 2 ** 32 - 0.5) * 1e-3;
}
const grads = new Float32Array(params);

/** Every rank's numbers, by rank (the benchmark's own use of allgather). */
function gathered(mpi: Mpi, values: Float64Array): Float64Array[] {
  return mpi.allgather(new Uint8Array(values.buffer)).map((b) => new Float64Array(b.slice().buffer));
}

async function timeReps(kind: 'sync' | 'async'): Promise<{ ms: number[]; ticks: number; same: boolean }> {
  const times = new Float64Array(reps);
  let ticks = 0;
  let digest = '';
  // One warm-up repetition (connections, page faults), not counted.
  for (let r = -1; r < reps; r++) {
    grads.set(original);
    mpi.barrier();
    const t0 = performance.now();
    if (kind === 'sync') mpi.allreduceSum(grads);
    else {
      const timer = setInterval(() => ticks++, 1);
      await mpi.allreduceSumAsync(grads);
      clearInterval(timer);
    }
    if (r >= 0) times[r] = performance.now() - t0;
    if (r === reps - 1) digest = createHash('sha256').update(new Uint8Array(grads.buffer)).digest('hex');
  }
  const all = gathered(mpi, times);
  const slowest = Array.from({ length: reps }, (_, r) => Math.max(...all.map((t) => t[r])));
  const digests = mpi.allgather(new TextEncoder().encode(digest)).map((b) => new TextDecoder().decode(b));
  return { ms: slowest, ticks, same: digests.every((d) => d === digests[0]) };
}

const sync = await timeReps('sync');
const async_ = await timeReps('async');

if (mpi.rank === 0) {
  const n = mpi.size;
  const median = (xs: number[]): number => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  };
  const gbps = (ms: number): string => ((2 * (n - 1)) / n * bytes / (ms / 1000) / 1e9).toFixed(2);
  const line = (name: string, r: { ms: number[]; same: boolean }): string => {
    const med = median(r.ms);
    const min = Math.min(...r.ms);
    return `${name.padEnd(6)} median ${med.toFixed(1)} ms, best ${min.toFixed(1)} ms, ${gbps(med)} GB/s (best ${gbps(min)}), ${(100 * med / 1000 / stepSeconds).toFixed(1)}% of a ${stepSeconds} s step, identical bytes on all ranks: ${r.same ? 'yes' : 'NO'}`;
  };
  const load1 = loadavg();
  console.log(`${mpi.libraryVersion.split(/[,\n]/)[0]}, ${n} ranks (thread level ${mpi.threadLevel}), ${params.toLocaleString('en-US')} float32 gradients = ${(bytes / 1e6).toFixed(1)} MB, ${reps} repetitions`);
  console.log(line('sync', sync));
  console.log(line('async', async_));
  console.log(`event loop ticks during the async all-reduces (1 ms timer): ${async_.ticks} over ${async_.ms.reduce((a, b) => a + b, 0).toFixed(0)} ms`);
  console.log(`per-repetition ms (slowest rank), sync: ${sync.ms.map((t) => t.toFixed(1)).join(' ')}; async: ${async_.ms.map((t) => t.toFixed(1)).join(' ')}`);
  console.log(`load average ${load0.map((l) => l.toFixed(2)).join(' ')} at the start, ${load1.map((l) => l.toFixed(2)).join(' ')} at the end`);
}
mpi.finalize();
