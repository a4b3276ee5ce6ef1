import type { ParamInit } from '../ir/graph.ts';

/** A seeded generator (splitmix32 + Box-Muller) so freshly initialised models are reproducible. */
export class InitRng {
  private state: number;
  private spare: number | null = null;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  uniform(): number {
    this.state = (this.state + 0x9e3779b9) >>> 0;
    let z = this.state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    z = (z ^ (z >>> 16)) >>> 0;
    return (z + 0.5) / 4294967296;
  }
  normal(): number {
    if (this.spare !== null) {
      const s = this.spare;
      this.spare = null;
      return s;
    }
    const r = Math.sqrt(-2 * Math.log(this.uniform()));
    const t = 2 * Math.PI * this.uniform();
    this.spare = r * Math.sin(t);
    return r * Math.cos(t);
  }
}

/**
 * Initial values for one parameter: truncated normal (resampled beyond two standard
 * deviations, like tf.truncated_normal_initializer), zeros or ones.
 */
export function initialValues(init: ParamInit | undefined, size: number, rng: InitRng): Float32Array {
  const out = new Float32Array(size);
  if (!init || init.kind === 'zeros') return out;
  if (init.kind === 'ones') return out.fill(1);
  for (let i = 0; i < size; i++) {
    let x: number;
    do x = rng.normal();
    while (Math.abs(x) > 2);
    out[i] = x * init.stddev;
  }
  return out;
}
