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

export type FusionLevel = 'all' | 'standard' | 'none';

export const FUSION_LEVELS: readonly FusionLevel[] = ['all', 'standard', 'none'];

const STANDARD_KERNELS = new Set(['LayerNorm', 'Softmax', 'LogSoftmax']);
const CONTRIB_KERNELS = new Set(['Gelu', 'Attention']);

export function emitsFused(level: FusionLevel, op: OpDef<unknown>): boolean {
  if (level === 'none') return false;
  return STANDARD_KERNELS.has(op.name) || (level === 'all' && CONTRIB_KERNELS.has(op.name));
}

/** The pass that leaves only the composites this level emits fused. */
export function legalizeForOnnx(level: FusionLevel): Pass {
  const inner = decomposePass((op) => emitsFused(level, op));
  return { name: 'legalize-onnx', run: inner.run };
}
