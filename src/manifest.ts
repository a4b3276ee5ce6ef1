/**
 * What a compiled model declares about itself (manifest.json): its inputs, outputs and
 * parameters, and for training graphs how the loop drives it. Shared by the compiler, which
 * writes it, and everything that runs a compiled model (the training loop, `albert run`), which
 * reads it; it depends on nothing but types.
 */
import type { AlbertConfig } from './model/config.ts';
import type { OptimizerInfo } from './passes/optimizer.ts';
import type { AccumulationTotal } from './train-graph/loss-share.ts';

export type CompileMode = 'infer' | 'grad' | 'train';

export interface ManifestTensor {
  name: string;
  dtype: string;
  shape: (number | string)[];
}

export interface ManifestParameter {
  input: string;
  hfName: string;
  shape: number[];
  /** True when the HF tensor is the transpose of ours (2-D dense kernels). */
  transposed: boolean;
}

export interface Manifest {
  format: 'albert-compiler/manifest@1';
  head: string;
  mode: CompileMode;
  config: AlbertConfig;
  opset: number;
  maxSeqLength: number;
  inputs: ManifestTensor[];
  outputs: ManifestTensor[];
  parameters: ManifestParameter[];
  parametersAs: 'inputs' | 'initializers';
  /**
   * Training graphs only: the optimizer settings, the scalar inputs, every trained parameter
   * with its slots and the outputs holding their next values, the frozen parameters, and
   * `handoff` (output -> input pairs the loop feeds back after each run).
   */
  training?: TrainingManifest;
  /** The gradients stage of a split (data-parallel) training step. */
  gradientStage?: GradientStageManifest;
}

/**
 * The first half of a data-parallel step: forward and backward of one micro-batch's loss share,
 * whose gradients every worker sums over its micro-batches before the all-reduce; the update
 * stage (a TrainingManifest without losses) applies the reduced sums.
 */
export interface GradientStageManifest {
  losses: string[];
  metrics: string[];
  /** Inputs the loop computes over every micro-batch of the update, all workers together. */
  totals: AccumulationTotal[];
  lossShare: string;
  dropout: { seed: string; step: string } | null;
  /** The output holding each trained parameter's gradient (times the loss scale, if any). */
  gradients: { param: string; output: string }[];
  frozen: string[];
  /** Mixed precision: the loss scale input (the update stage divides it out). */
  lossScale: string | null;
}

export interface AccumulationInfo {
  steps: number;
  microStep: string;
  /** Inputs the loop computes over all K micro-batches of one update and feeds to each of them. */
  totals: AccumulationTotal[];
  /** The micro-batch's share of the big batch's loss (the one differentiated); summed over the K micro-steps it is the big batch's loss. */
  lossShare: string;
}

export interface TrainingManifest extends OptimizerInfo {
  /** Loss outputs, as in the gradient graph (for the micro-batch of this run). */
  losses: string[];
  accumulation: AccumulationInfo | null;
  /**
   * Dropout's RNG inputs when the model has dropout: masks are a function of (seed, step, site,
   * element), so the loop feeds a new step on every run (every micro-step too) for fresh masks.
   */
  dropout: { seed: string; step: string } | null;
}

