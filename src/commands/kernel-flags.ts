/**
 * How composite ops (layer norm, softmax, GELU, attention) become kernels: `--fusion` /
 * `--no-fuse` (fused onnxruntime kernels or primitives) and, for training, `--recompute`. Shared
 * by every command that compiles a graph.
 */
import { Flags } from '@oclif/core';
import { FUSION_LEVELS, RECOMPUTE_MODES, type FusionLevel, type KernelOptions, type RecomputeMode } from '../backends/onnx/fusion.ts';
import { parseDevice } from '../backends/device.ts';
import type { ExecutionOptions } from '../backends/target.ts';

export function fusionFlags(defaultLevel: FusionLevel) {
  return {
    fusion: Flags.string({
      options: [...FUSION_LEVELS],
      exclusive: ['no-fuse'],
      description: `fused kernels: all (onnxruntime's LayerNormalization, Softmax, FastGelu/Gelu, MultiHeadAttention), standard (plain ONNX opset 17 only), none (primitives only) (default ${defaultLevel})`,
    }),
    'no-fuse': Flags.boolean({ default: false, exclusive: ['fusion'], description: 'compile layer norm, softmax, GELU and attention to primitive ops (same as --fusion none): for debugging, and runtimes without those kernels' }),
  };
}

/** The fusion flags plus `--recompute`, for commands that compile training or gradient graphs. */
export function kernelFlags() {
  return {
    ...fusionFlags('all'),
    recompute: Flags.string({
      options: [...RECOMPUTE_MODES],
      description: 'what the backward pass recomputes instead of keeping: attention (its probabilities, [batch, heads, seq, seq] per layer: less memory; needs --fusion all, where it is the default) or none',
    }),
    fp16: Flags.boolean({
      default: false,
      description: 'mixed precision: matrix products, attention and GELU in float16 with float32 master weights, layer norms, softmax and losses; training uses dynamic loss scaling (an overflowing step is skipped and the scale halved). For GPUs (cuda, webgpu); on the CPU it is slower',
    }),
  };
}

/** The level the flags ask for; undefined leaves the command's default. */
export function fusionOf(flags: { fusion?: string; 'no-fuse'?: boolean }): FusionLevel | undefined {
  if (flags['no-fuse']) return 'none';
  return flags.fusion as FusionLevel | undefined;
}

/** The kernel choices and the precision the flags ask for (compileModel and ExecutionOptions take both). */
export function kernelsOf(flags: { fusion?: string; 'no-fuse'?: boolean; recompute?: string; fp16?: unknown }): KernelOptions & { mixedPrecision?: boolean } {
  return { fusion: fusionOf(flags), recompute: flags.recompute as RecomputeMode | undefined, ...(flags.fp16 === true ? { mixedPrecision: true } : {}) };
}

/** `--steps-per-run` for the training commands. */
export const stepsPerRunFlag = Flags.integer({
  min: 1,
  description: 'optimizer steps per onnxruntime session run (an ONNX Loop over stacked batches; parameters and optimizer state stay inside onnxruntime between them): for CUDA, where each run moves them over PCIe; same results as 1 (with --fp16 the loss scale moves inside the loop). --grad-accum 1, cpu or cuda',
});

/** `--device` for the training commands: where the step runs. */
export const deviceFlag = Flags.string({
  default: 'cpu',
  description: 'where the training step runs: cpu, webgpu (parameters and optimizer state stay on the device between steps) or cuda[:N]; `albert doctor` says which work here',
});

export function executionOf(flags: { fusion?: string; 'no-fuse'?: boolean; recompute?: string; device?: string; fp16?: unknown; 'steps-per-run'?: unknown }): ExecutionOptions {
  const steps = flags['steps-per-run'];
  return { ...kernelsOf(flags), ...(flags.device ? { device: parseDevice(flags.device) } : {}), ...(typeof steps === 'number' && steps > 1 ? { stepsPerRun: steps } : {}) };
}
