/**
 * The parameter table: every trainable tensor of the model with its original TF name (also the
 * graph input name), its HuggingFace name, shape, initialiser and weight-decay flag. The graph
 * builder creates inputs from it; checkpoint readers and writers map names and layouts with it.
 */
import type { ParamInit } from '../ir/graph.ts';
import type { AlbertConfig } from './config.ts';
import { dense, layerNorm, plain, type ParamSpec } from './param-spec.ts';
import { headDefinition } from './heads/registry.ts';

export type { ParamSpec } from './param-spec.ts';
export { HEAD_NAMES, isHeadName, type HeadName } from './heads/registry.ts';

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

/** Parameters of a head on top of the encoder (the pooler belongs to encoderParams). */
export function headParams(cfg: AlbertConfig, head: string, opts: { numLabels?: number } = {}): ParamSpec[] {
  return headDefinition(head).params(cfg, opts);
}

/** Encoder plus head: the full parameter list of one model. */
export function modelParams(cfg: AlbertConfig, head: string, opts: { numLabels?: number } = {}): ParamSpec[] {
  return [...encoderParams(cfg), ...headParams(cfg, head, opts)];
}

export function countParams(specs: ParamSpec[]): number {
  return specs.reduce((sum, s) => sum + s.shape.reduce((a, b) => a * b, 1), 0);
}
