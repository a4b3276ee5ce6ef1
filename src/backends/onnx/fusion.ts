/**
 * Which composite ops the ONNX backend emits as fused kernels, by level:
 *   all      - onnxruntime's: ONNX LayerNormalization/Softmax/LogSoftmax (opset 17) and the
 *              com.microsoft contrib kernels (FastGelu, Gelu, MultiHeadAttention); the default for
 *              our own sessions;
 *   standard - plain opset 17 only, for other ONNX consumers (exports);
 *   none     - every composite decomposed into primitives (`--no-fuse`: debugging, and runtimes
 *              that lack even those).
 */
import type { OpDef } from '../../ir/op.ts';
import { decomposePass } from '../../passes/decompose.ts';
import type { Pass } from '../../passes/pass.ts';
import { OptionError } from '../../util/errors.ts';

export type FusionLevel = 'all' | 'standard' | 'none';

/**
 * What a training graph recomputes in its backward pass instead of keeping from the forward:
 *   attention - the attention probabilities ([batch, heads, seq, seq] per layer): the fused
 *               attention kernel does not keep them, the backward recomputes them from q and k
 *               (needs fusion 'all'; the default there);
 *   none      - nothing: attention is written in primitives before differentiation, so the
 *               backward reads the forward's probabilities (the default of the other levels).
 */
export type RecomputeMode = 'none' | 'attention';

export const RECOMPUTE_MODES: readonly RecomputeMode[] = ['none', 'attention'];

/** How composite ops become kernels: the fused-kernel level and what training recomputes. */
export interface KernelOptions {
  fusion?: FusionLevel;
  recompute?: RecomputeMode;
}

export const FUSION_LEVELS: readonly FusionLevel[] = ['all', 'standard', 'none'];

const STANDARD_KERNELS = new Set(['LayerNorm', 'Softmax', 'LogSoftmax']);
const CONTRIB_KERNELS = new Set(['Gelu', 'Attention']);

export function emitsFused(level: FusionLevel, op: OpDef<unknown>): boolean {
  if (level === 'none') return false;
  return STANDARD_KERNELS.has(op.name) || (level === 'all' && CONTRIB_KERNELS.has(op.name));
}

/**
 * The levels to compile with: fusion 'all' unless asked, and recomputation of attention exactly
 * where the fused kernel provides it. Asking to recompute attention without that kernel is an
 * error: the decomposed forward keeps the probabilities, and CSE would merge the backward's
 * recomputation into them, silently.
 */
export function resolveKernels(k: KernelOptions = {}): Required<KernelOptions> {
  const fusion = k.fusion ?? 'all';
  const recompute = k.recompute ?? (fusion === 'all' ? 'attention' : 'none');
  if (!FUSION_LEVELS.includes(fusion)) throw new OptionError(`{fusion} ${String(fusion)}: expected one of ${FUSION_LEVELS.join(', ')}`);
  if (!RECOMPUTE_MODES.includes(recompute)) throw new OptionError(`{recompute} ${String(recompute)}: expected one of ${RECOMPUTE_MODES.join(', ')}`);
  if (recompute === 'attention' && fusion !== 'all') {
    throw new OptionError(`{recompute} attention needs {fusion} all: only the fused attention kernel leaves the probabilities to be recomputed (with ${fusion} they are kept)`);
  }
  return { fusion, recompute };
}

/**
 * Before differentiation, for recompute 'none': attention written in primitives, so that the
 * backward pass reads the forward's probabilities instead of recomputing them.
 */
export function keepAttentionProbabilities(): Pass {
  const inner = decomposePass((op) => op.name !== 'Attention');
  return { name: 'decompose-attention', run: inner.run };
}

/** The pass that leaves only the composites this level emits fused. */
export function legalizeForOnnx(level: FusionLevel): Pass {
  const inner = decomposePass((op) => emitsFused(level, op));
  return { name: 'legalize-onnx', run: inner.run };
}
