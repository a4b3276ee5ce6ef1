import type { OpDef } from '../ir/op.ts';
import type { Pass } from './pass.ts';
import { rewrite, type RewriteRule } from './rewrite.ts';

/**
 * The rule that replaces a composite op (one with a `decompose`) by its primitive form, unless
 * the target keeps it as a fused kernel. The rewrite driver checks the types, revisits what a
 * decomposition builds (should it make composites itself) and sweeps what nothing reads (a
 * LayerNorm's statistics when no backward pass uses them).
 */
export function decomposeRule(keep: (op: OpDef<unknown>) => boolean = () => false): RewriteRule {
  return {
    name: 'decompose',
    apply: (n) => (n.op.decompose && !keep(n.op) ? n.op.decompose(n as never) : null),
  };
}

export function decomposeComposites(g: Parameters<typeof rewrite>[0], keep?: (op: OpDef<unknown>) => boolean): boolean {
  return rewrite(g, [decomposeRule(keep)]);
}

/** The pass form; `keep` names the composite ops the backend emits as they are. */
export function decomposePass(keep?: (op: OpDef<unknown>) => boolean): Pass {
  return { name: 'decompose', run: (g) => decomposeComposites(g, keep) };
}
