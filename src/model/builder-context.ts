import type { Graph, Value } from '../ir/graph.ts';
import { UserError } from '../ir/errors.ts';
import type { AlbertConfig } from './config.ts';
import type { ParamSpec } from './params.ts';

/** Random-number inputs of a training graph: dropout masks are a function of (seed, step, site). */
export interface DropoutRng {
  seed: Value;
  step: Value;
}

/**
 * What the encoder and head builders share: the graph, the config, the declared parameters by
 * their (TF) name, whether dropout is active, and a counter giving every dropout site its id.
 */
export class ModelContext {
  private params = new Map<string, Value>();
  private nextSite = 0;
  constructor(
    readonly graph: Graph,
    readonly cfg: AlbertConfig,
    readonly rng: DropoutRng | null,
    /** float32 for real models; float64 for gradient checks against finite differences. */
    readonly dtype: 'float32' | 'float64' = 'float32',
  ) {}

  declare(specs: ParamSpec[]): void {
    for (const s of specs) {
      const v = this.graph.input(s.name, this.dtype, s.shape, {
        role: 'param',
        hfName: s.hfName,
        transposed: s.transposed,
        init: s.init,
      });
      this.params.set(s.name, v);
    }
  }

  param(name: string): Value {
    const v = this.params.get(name);
    if (!v) throw new UserError(`model: parameter ${name} is not declared`);
    return v;
  }

  /** A fresh dropout site id (distinct sites get independent masks). */
  site(): number {
    return this.nextSite++;
  }
}
