/**
 * The parameter table: every trainable tensor of the model with its original TF name (also the
 * graph input name), its HuggingFace name, shape, initialiser and weight-decay flag. The graph
 * builder creates inputs from it; checkpoint readers and writers map names and layouts with it.
 */
import { UserError } from '../ir/errors.ts';
import type { ParamInit } from '../ir/graph.ts';
import type { AlbertConfig } from './config.ts';

export const HEAD_NAMES = ['encoder', 'pretraining', 'mlm', 'classifier', 'squad', 'squad2', 'multiple-choice'] as const;
export type HeadName = (typeof HEAD_NAMES)[number];

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

const ZEROS: ParamInit = { kind: 'zeros' };
const ONES: ParamInit = { kind: 'ones' };

function decays(name: string): boolean {
  return !/LayerNorm|layer_norm|bias/.test(name);
}

/** A tensor HF stores in the same layout (embedding tables, output_weights, biases). */
function plain(name: string, hfName: string, shape: number[], init: ParamInit): ParamSpec {
  return { name, hfName, shape, transposed: false, init, decay: decays(name) };
}

/** tf.layers.dense: kernel [in,out] (HF weight [out,in]) and bias [out]. */
function dense(cfg: AlbertConfig, tf: string, hf: string, inDim: number, outDim: number, bias = true): ParamSpec[] {
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

function layerNorm(tf: string, hf: string, dim: number): ParamSpec[] {
  return [plain(`${tf}/gamma`, `${hf}.weight`, [dim], ONES), plain(`${tf}/beta`, `${hf}.bias`, [dim], ZEROS)];
}

/** Embeddings, the E->H projection, the G*K distinct transformer blocks and the pooler. */
export function encoderParams(cfg: AlbertConfig): ParamSpec[] {
  const { vocabSize: V, embeddingSize: E, hiddenSize: H, intermediateSize: I } = cfg;
  const normal: ParamInit = { kind: 'truncated_normal', stddev: cfg.initializerRange };
  const specs: ParamSpec[] = [
    plain('bert/embeddings/word_embeddings', 'albert.embeddings.word_embeddings.weight', [V, E], normal),
    plain('bert/embeddings/position_embeddings', 'albert.embeddings.position_embeddings.weight', [cfg.maxPositionEmbeddings, E], normal),
    plain('bert/embeddings/token_type_embeddings', 'albert.embeddings.token_type_embeddings.weight', [cfg.typeVocabSize, E], normal),
    ...layerNorm('bert/embeddings/LayerNorm', 'albert.embeddings.LayerNorm', E),
    // The original skips this projection when E == H; we always have it, as HF does, so one
    // parameter set fits every config (an original E == H checkpoint would need an identity here).
    ...dense(cfg, 'bert/encoder/embedding_hidden_mapping_in', 'albert.encoder.embedding_hidden_mapping_in', E, H),
  ];
  for (let g = 0; g < cfg.numHiddenGroups; g++) {
    for (let k = 0; k < cfg.innerGroupNum; k++) {
      const tf = `bert/encoder/transformer/group_${g}/inner_group_${k}`;
      const hf = `albert.encoder.albert_layer_groups.${g}.albert_layers.${k}`;
      for (const qkv of ['query', 'key', 'value']) {
        specs.push(...dense(cfg, `${tf}/attention_1/self/${qkv}`, `${hf}.attention.${qkv}`, H, H));
      }
      specs.push(
        ...dense(cfg, `${tf}/attention_1/output/dense`, `${hf}.attention.dense`, H, H),
        ...layerNorm(`${tf}/LayerNorm`, `${hf}.attention.LayerNorm`, H),
        ...dense(cfg, `${tf}/ffn_1/intermediate/dense`, `${hf}.ffn`, H, I),
        ...dense(cfg, `${tf}/ffn_1/intermediate/output/dense`, `${hf}.ffn_output`, I, H),
        ...layerNorm(`${tf}/LayerNorm_1`, `${hf}.full_layer_layer_norm`, H),
      );
    }
  }
  specs.push(...dense(cfg, 'bert/pooler/dense', 'albert.pooler', H, H));
  return specs;
}

/** MLM transform and output bias; the decoder weight is tied to the word embeddings. */
function mlmParams(cfg: AlbertConfig): ParamSpec[] {
  const bias = plain('cls/predictions/output_bias', 'predictions.bias', [cfg.vocabSize], ZEROS);
  bias.hfAliases = ['predictions.decoder.bias'];
  return [
    ...dense(cfg, 'cls/predictions/transform/dense', 'predictions.dense', cfg.hiddenSize, cfg.embeddingSize),
    ...layerNorm('cls/predictions/transform/LayerNorm', 'predictions.LayerNorm', cfg.embeddingSize),
    bias,
  ];
}

/**
 * A [n,H] output_weights + [n] output_bias pair, the layout the original uses for SOP and task
 * heads (logits = x . W^T + b); HF's nn.Linear weight has the same layout, so no transpose.
 */
function outputLayer(cfg: AlbertConfig, tf: string, hf: string, n: number): ParamSpec[] {
  const normal: ParamInit = { kind: 'truncated_normal', stddev: cfg.initializerRange };
  return [plain(`${tf}output_weights`, `${hf}.weight`, [n, cfg.hiddenSize], normal), plain(`${tf}output_bias`, `${hf}.bias`, [n], ZEROS)];
}

/**
 * The original run_squad_v2 head (start logits; end logits conditioned on the start's hidden
 * state; answerability classifier). HF has no such head, so the "squad_v2." HF-style names are
 * our own, used only when we write HF-layout files. answer_class/dense_1 has no bias in the
 * original (use_bias=False), so neither do we.
 */
function squad2Params(cfg: AlbertConfig): ParamSpec[] {
  const H = cfg.hiddenSize;
  return [
    ...dense(cfg, 'start_logits/dense', 'squad_v2.start_logits', H, 1),
    ...dense(cfg, 'end_logits/dense_0', 'squad_v2.end_logits.dense_0', 2 * H, H),
    ...layerNorm('end_logits/LayerNorm', 'squad_v2.end_logits.LayerNorm', H),
    ...dense(cfg, 'end_logits/dense_1', 'squad_v2.end_logits.dense_1', H, 1),
    ...dense(cfg, 'answer_class/dense_0', 'squad_v2.answer_class.dense_0', 2 * H, H),
    ...dense(cfg, 'answer_class/dense_1', 'squad_v2.answer_class.dense_1', H, 1, false),
  ];
}

export function isHeadName(name: string): name is HeadName {
  return (HEAD_NAMES as readonly string[]).includes(name);
}

/** Parameters of a head on top of the encoder (the pooler belongs to encoderParams). */
export function headParams(cfg: AlbertConfig, head: string, opts: { numLabels?: number } = {}): ParamSpec[] {
  if (!isHeadName(head)) throw new UserError(`unknown head "${head}" (expected one of ${HEAD_NAMES.join(', ')})`);
  switch (head) {
    case 'encoder':
      return [];
    case 'mlm':
      return mlmParams(cfg);
    case 'pretraining':
      return [...mlmParams(cfg), ...outputLayer(cfg, 'cls/seq_relationship/', 'sop_classifier.classifier', 2)];
    case 'classifier': {
      const n = opts.numLabels;
      if (n === undefined || !Number.isInteger(n) || n <= 0) {
        throw new UserError(`classifier head: number of labels must be a positive integer (got ${n})`);
      }
      return outputLayer(cfg, '', 'classifier', n);
    }
    case 'squad':
      return outputLayer(cfg, 'cls/squad/', 'qa_outputs', 2);
    case 'squad2':
      return squad2Params(cfg);
    case 'multiple-choice':
      return outputLayer(cfg, '', 'classifier', 1);
  }
}

/** Encoder plus head: the full parameter list of one model. */
export function modelParams(cfg: AlbertConfig, head: string, opts: { numLabels?: number } = {}): ParamSpec[] {
  return [...encoderParams(cfg), ...headParams(cfg, head, opts)];
}

export function countParams(specs: ParamSpec[]): number {
  return specs.reduce((sum, s) => sum + s.shape.reduce((a, b) => a * b, 1), 0);
}
