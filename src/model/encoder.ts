/**
 * The ALBERT encoder, written the way the original writes it (einsum projections, post-LN
 * blocks, factorized embeddings, G groups of K inner blocks shared across L layers).
 */
import type { Value } from '../ir/graph.ts';
import {
  add,
  attentionOp,
  cast,
  einsum,
  gather,
  iota,
  matmul,
  mul,
  reshape,
  slice,
  squeeze,
  sub,
  tanh,
} from '../ir/ops/index.ts';
import { activation, dropout as dropoutOp, layerNorm, softmax } from '../ir/composites.ts';
import { groupOfLayer } from './config.ts';
import type { ModelContext } from './builder-context.ts';

export interface EncoderInputs {
  /** int32 [batch, seq] (or any leading shape flattened by the caller). */
  inputIds: Value;
  inputMask: Value;
  segmentIds: Value;
}

export interface EncoderOutputs {
  /** [batch, seq, H] */
  sequenceOutput: Value;
  /** [batch, H] */
  pooledOutput: Value;
}

export function dropout(m: ModelContext, x: Value, rate: number): Value {
  if (!m.rng || rate === 0) return x;
  return dropoutOp(x, rate, m.rng, m.site());
}

/** tf.layers.dense on a [B, F, in] tensor, as the original's einsum "BFH,HO->BFO". */
export function dense3d(m: ModelContext, x: Value, prefix: string): Value {
  return add(einsum('BFH,HO->BFO', x, m.param(`${prefix}/kernel`)), m.param(`${prefix}/bias`));
}

/** tf.layers.dense on a [B, in] tensor. */
export function dense2d(m: ModelContext, x: Value, prefix: string): Value {
  return add(matmul(x, m.param(`${prefix}/kernel`)), m.param(`${prefix}/bias`));
}

export function buildEncoder(m: ModelContext, inputs: EncoderInputs): EncoderOutputs {
  const { cfg, graph: g } = m;
  const { inputIds, inputMask, segmentIds } = inputs;

  const embeddings = g.scope('embeddings', () => {
    const words = gather(m.param('bert/embeddings/word_embeddings'), inputIds);
    const types = gather(m.param('bert/embeddings/token_type_embeddings'), segmentIds);
    // Position ids 0..seq-1: the table is sliced to the run-time sequence length.
    const positions = gather(m.param('bert/embeddings/position_embeddings'), iota(inputIds, 1, 'int32'));
    const sum = add(add(words, types), positions);
    const normed = layerNorm(sum, m.param('bert/embeddings/LayerNorm/gamma'), m.param('bert/embeddings/LayerNorm/beta'), cfg.layerNormEps);
    return dropout(m, normed, cfg.hiddenDropoutProb);
  });

  let h = g.scope('encoder/embedding_hidden_mapping_in', () => dense3d(m, embeddings, 'bert/encoder/embedding_hidden_mapping_in'));

  // (1 - mask) * -10000 added to the attention scores, broadcast over heads and queries.
  const adder = g.scope('encoder/attention_mask', () => {
    const maskF = cast(inputMask, m.dtype);
    const m4 = reshape(maskF, [maskF.shape[0], 1, 1, maskF.shape[1]]);
    return mul(sub(1, m4), -10000);
  });

  for (let layer = 0; layer < cfg.numHiddenLayers; layer++) {
    const group = groupOfLayer(cfg, layer);
    for (let inner = 0; inner < cfg.innerGroupNum; inner++) {
      const prefix = `bert/encoder/transformer/group_${group}/inner_group_${inner}`;
      h = g.scope(`encoder/layer_${layer}/inner_${inner}`, () => block(m, h, adder, prefix));
    }
  }

  const pooled = g.scope('pooler', () => {
    const first = squeeze(slice(h, [0], [1], [1]), [1]);
    return tanh(dense2d(m, first, 'bert/pooler/dense'));
  });
  return { sequenceOutput: h, pooledOutput: pooled };
}

/**
 * softmax(q.k * scale + mask) . v over the heads: one Attention op (a fused kernel where the
 * backend has one) unless dropout applies to the probabilities, which sits inside it.
 */
function attention(m: ModelContext, q: Value, k: Value, v: Value, adder: Value, scale: number): Value {
  const rate = m.cfg.attentionProbsDropoutProb;
  if (!m.rng || rate === 0) return attentionOp(q, k, v, adder, scale);
  const probs = dropout(m, softmax(add(mul(einsum('BTNH,BFNH->BNFT', k, q), scale), adder)), rate);
  return einsum('BNFT,BTNH->BFNH', probs, v);
}

/** One post-LayerNorm transformer block: self-attention then the feed-forward network. */
function block(m: ModelContext, x: Value, adder: Value, prefix: string): Value {
  const { cfg, graph: g } = m;
  const H = cfg.hiddenSize;
  const N = cfg.numAttentionHeads;
  const D = H / N;
  const attnOut = g.scope('attention', () => {
    const proj = (name: string): Value => {
      const kernel = reshape(m.param(`${prefix}/attention_1/self/${name}/kernel`), [H, N, D]);
      const bias = reshape(m.param(`${prefix}/attention_1/self/${name}/bias`), [N, D]);
      return add(einsum('BFH,HND->BFND', x, kernel), bias);
    };
    const q = proj('query');
    const k = proj('key');
    const v = proj('value');
    const context = attention(m, q, k, v, adder, 1 / Math.sqrt(D));
    const outKernel = reshape(m.param(`${prefix}/attention_1/output/dense/kernel`), [N, D, H]);
    const projected = add(einsum('BFND,NDH->BFH', context, outKernel), m.param(`${prefix}/attention_1/output/dense/bias`));
    const dropped = dropout(m, projected, cfg.hiddenDropoutProb);
    return layerNorm(add(dropped, x), m.param(`${prefix}/LayerNorm/gamma`), m.param(`${prefix}/LayerNorm/beta`), cfg.layerNormEps);
  });
  return g.scope('ffn', () => {
    const inter = activation(dense3d(m, attnOut, `${prefix}/ffn_1/intermediate/dense`), cfg.hiddenAct);
    const out = dropout(m, dense3d(m, inter, `${prefix}/ffn_1/intermediate/output/dense`), cfg.hiddenDropoutProb);
    return layerNorm(add(out, attnOut), m.param(`${prefix}/LayerNorm_1/gamma`), m.param(`${prefix}/LayerNorm_1/beta`), cfg.layerNormEps);
  });
}
