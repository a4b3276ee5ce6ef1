/**
 * Data-parallel training under `mpirun -np 2`: two workers with one micro-batch each equal one
 * worker accumulating both (within 1e-6 of each tensor's scale), the masked-LM weights differing
 * between the workers' batches (their denominators are global); the parameters are the same bytes
 * on both ranks and run after run. Skipped, with the reason, where mpirun or koffi is missing.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { skippedWithoutMpi } from './helpers.ts';
import { presetConfig } from '../../src/model/config.ts';
import { modelParams } from '../../src/model/params.ts';
import { tinyTrainer } from '../train/helpers.ts';
import { workerBatches } from './data-parallel-worker-batches.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function twoWorkers(prefix: string, extra: string[] = []): Promise<{ code: number | null; stderr: string }> {
  const args = ['-np', '2', '--oversubscribe', '--bind-to', 'none'];
  if (process.getuid?.() === 0) args.push('--allow-run-as-root');
  args.push('-x', 'OMPI_MCA_coll_tuned_use_dynamic_rules=1', '-x', 'OMPI_MCA_coll_tuned_allreduce_algorithm=4');
  args.push(process.execPath, '--import', 'tsx', 'test/mpi/data-parallel-worker.ts', prefix, ...extra);
  return new Promise((resolve, reject) => {
    const child = spawn('mpirun', args, { cwd: ROOT, env: process.env });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.on('data', () => {});
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

/** One worker accumulating both workers' micro-batches: the reference. */
async function oneWorker(mixedPrecision: boolean): Promise<{ params: Map<string, Float32Array>; names: string[]; losses: number[] }> {
  const trainer = await tinyTrainer({ gradAccum: 2, numWarmupSteps: 1, numTrainSteps: 10, mixedPrecision });
  const losses: number[] = [];
  for (let step = 0; step < 3; step++) losses.push((await trainer.step(step, workerBatches(step, 2))).loss);
  return { params: trainer.parameterValues(), names: trainer.parameterNames, losses };
}

function readRank(prefix: string, rank: number, names: string[], shapes: Map<string, number>): { bytes: Buffer; params: Map<string, Float32Array>; losses: number[] } {
  const bytes = readFileSync(`${prefix}.rank${rank}.bin`);
  const meta = JSON.parse(readFileSync(`${prefix}.rank${rank}.json`, 'utf8')) as { losses: number[]; names: string[] };
  assert.deepEqual(meta.names, names);
  const all = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  const params = new Map<string, Float32Array>();
  let off = 0;
  for (const n of names) {
    params.set(n, all.subarray(off, off + shapes.get(n)!));
    off += shapes.get(n)!;
  }
  return { bytes, params, losses: meta.losses };
}

describe('data-parallel training under mpirun -np 2', { timeout: 180_000 }, () => {
  for (const fp16 of [false, true]) {
    it(`${fp16 ? 'mixed precision: ' : ''}2 workers equal 1 worker with grad-accum 2, the same bytes on both ranks and run after run`, async (t) => {
      if (skippedWithoutMpi(t)) return;
      const dir = mkdtempSync(join(tmpdir(), 'albert-dp-'));
      const extra = fp16 ? ['--fp16'] : [];
      const [a, b] = [join(dir, 'a'), join(dir, 'b')];
      const runA = await twoWorkers(a, extra);
      assert.equal(runA.code, 0, runA.stderr);
      const runB = await twoWorkers(b, extra);
      assert.equal(runB.code, 0, runB.stderr);
      const ref = await oneWorker(fp16);
      const shapes = new Map(modelParams(presetConfig('tiny')!, 'pretraining').map((s) => [s.name, s.shape.reduce((x, d) => x * d, 1)]));
      const [a0, a1, b0] = [readRank(a, 0, ref.names, shapes), readRank(a, 1, ref.names, shapes), readRank(b, 0, ref.names, shapes)];
      assert.ok(a0.bytes.equals(a1.bytes), 'both ranks hold the same parameters');
      assert.ok(a0.bytes.equals(b0.bytes), 'a second run gives the same bytes');
      a0.losses.forEach((l, i) => assert.ok(Math.abs(l - ref.losses[i]) <= 1e-6 * Math.abs(ref.losses[i]), `loss ${i}: ${l} vs ${ref.losses[i]}`));
      for (const [name, want] of ref.params) {
        const got = a0.params.get(name)!;
        let scale = 1e-3;
        for (const v of want) scale = Math.max(scale, Math.abs(v));
        for (let i = 0; i < want.length; i++) assert.ok(Math.abs(got[i] - want[i]) <= 1e-6 * scale, `${name}[${i}]: ${got[i]} vs ${want[i]}`);
      }
    });
  }
});
