/**
 * One entry of the parameter table (params.ts) and the builders the encoder and the heads
 * describe their tensors with: a plain tensor, a tf.layers.dense kernel/bias pair, a LayerNorm's
 * gamma/beta, and the original's [n, H] output layer.
 */
import type { ParamInit } from '../ir/graph.ts';
import type { AlbertConfig } from './config.ts';

export interface ParamSpec {
  /** Graph input name = original TF variable name; the tensor is stored in TF layout. */
  name: string;
  hfName: string;
  /** Other HF names holding the same tensor (HF saves the MLM bias twice). */
  hfAliases?: string[];
  /** Our (TF) layout. */
  shape: number[];
  /** True when HF stores the transpose: 2-D dense kernels ([in,out] here, [out,in] in HF). */
  transposed: boolean;
  init: ParamInit;
  /** False for LayerNorm parameters and biases, which the original optimisers exclude from decay. */
  decay: boolean;
}

export const ZEROS: ParamInit = { kind: 'zeros' };
export const ONES: ParamInit = { kind: 'ones' };

function decays(name: string): boolean {
  return !/LayerNorm|layer_norm|bias/.test(name);
}

/** A tensor HF stores in the same layout (embedding tables, output_weights, biases). */
export function plain(name: string, hfName: string, shape: number[], init: ParamInit): ParamSpec {
  return { name, hfName, shape, transposed: false, init, decay: decays(name) };
}

/** tf.layers.dense: kernel [in,out] (HF weight [out,in]) and bias [out]. */
export function dense(cfg: AlbertConfig, tf: string, hf: string, inDim: number, outDim: number, bias = true): ParamSpec[] {
  const kernel: ParamSpec = {
    name: `${tf}/kernel`,
    hfName: `${hf}.weight`,
    shape: [inDim, outDim],
    transposed: true,
    init: { kind: 'truncated_normal', stddev: cfg.initializerRange },
    decay: true,
  };
  return bias ? [kernel, plain(`${tf}/bias`, `${hf}.bias`, [outDim], ZEROS)] : [kernel];
}

export function layerNorm(tf: string, hf: string, dim: number): ParamSpec[] {
  return [plain(`${tf}/gamma`, `${hf}.weight`, [dim], ONES), plain(`${tf}/beta`, `${hf}.bias`, [dim], ZEROS)];
}

/**
 * A [n,H] output_weights + [n] output_bias pair, the layout the original uses for SOP and task
 * heads (logits = x . W^T + b); HF's nn.Linear weight has the same layout, so no transpose.
 */
export function outputLayer(cfg: AlbertConfig, tf: string, hf: string, n: number): ParamSpec[] {
  const normal: ParamInit = { kind: 'truncated_normal', stddev: cfg.initializerRange };
  return [plain(`${tf}output_weights`, `${hf}.weight`, [n, cfg.hiddenSize], normal), plain(`${tf}output_bias`, `${hf}.bias`, [n], ZEROS)];
}
