/**
 * `--fusion` / `--no-fuse`: which composite ops (layer norm, softmax, GELU) are compiled to fused
 * onnxruntime kernels. Shared by every command that compiles a graph.
 */
import { Flags } from '@oclif/core';
import { FUSION_LEVELS, type FusionLevel } from '../backends/onnx/fusion.ts';

export function fusionFlags(defaultLevel: FusionLevel) {
  return {
    fusion: Flags.string({
      options: [...FUSION_LEVELS],
      exclusive: ['no-fuse'],
      description: `fused kernels: all (onnxruntime's LayerNormalization, Softmax, FastGelu/Gelu), standard (plain ONNX opset 17 only), none (primitives only) (default ${defaultLevel})`,
    }),
    'no-fuse': Flags.boolean({ default: false, exclusive: ['fusion'], description: 'compile layer norm, softmax and GELU to primitive ops (same as --fusion none): for debugging, and runtimes without those kernels' }),
  };
}

/** The level the flags ask for; undefined leaves the command's default. */
export function fusionOf(flags: { fusion?: string; 'no-fuse'?: boolean }): FusionLevel | undefined {
  if (flags['no-fuse']) return 'none';
  return flags.fusion as FusionLevel | undefined;
}
