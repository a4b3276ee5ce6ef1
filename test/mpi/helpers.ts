/** What the real-MPI tests share: why they cannot run here, if they cannot. */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import type { TestContext } from 'node:test';
import { readSafetensors } from '../../src/model/weights/safetensors.ts';
import { findOnPath } from '../../src/mpi/launch.ts';

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

/** Every tensor of the model file `got` within `tol` x (its largest |value|, at least 1e-3) of `want`'s. */
export function assertModelsClose(got: string, want: string, tol = 1e-6): void {
  const [a, b] = [readSafetensors(got).tensors, readSafetensors(want).tensors];
  assert.deepEqual([...a.keys()].sort(), [...b.keys()].sort());
  for (const [name, v] of b) {
    const [w, g] = [v.data as Float32Array, a.get(name)!.data as Float32Array];
    let scale = 1e-3;
    for (const x of w) scale = Math.max(scale, Math.abs(x));
    for (let i = 0; i < w.length; i++) assert.ok(Math.abs(g[i] - w[i]) <= tol * scale, `${name}[${i}]: ${g[i]} vs ${w[i]}`);
  }
}

/** Skips `t`, printing why, where the real-MPI tests cannot run; true when skipped. */
export function skippedWithoutMpi(t: TestContext): boolean {
  const why = mpiSkipReason();
  if (why === undefined) return false;
  console.log(`mpi: skipped, ${why}`);
  t.skip(why);
  return true;
}
