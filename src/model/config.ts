/**
 * ALBERT model configuration: parsing of the original albert_config.json and HuggingFace
 * config.json, validation, presets and writing either layout back out.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../ir/errors.ts';

/**
 * Activation names, normalised so that one name means one function whatever file it came from.
 * The two formats disagree on "gelu":
 *   - the original albert_config.json "gelu" is the tanh approximation
 *     0.5x(1+tanh(sqrt(2/pi)(x+0.044715x^3))), which HF calls "gelu_new";
 *   - HF config.json "gelu" is the exact erf form.
 * So: original "gelu" -> 'gelu_new'; HF "gelu" -> 'gelu_exact'; HF "gelu_new", "gelu_fast" and
 * "gelu_pytorch_tanh" (all tanh forms) -> 'gelu_new'. 'gelu' itself is kept in the union so that
 * code can name it, but the parser never produces it.
 */
export type HiddenAct = 'gelu' | 'gelu_new' | 'gelu_exact' | 'relu' | 'tanh';

export interface AlbertConfig {
  vocabSize: number;
  embeddingSize: number;
  hiddenSize: number;
  numHiddenLayers: number;
  numHiddenGroups: number;
  numAttentionHeads: number;
  intermediateSize: number;
  innerGroupNum: number;
  hiddenAct: HiddenAct;
  hiddenDropoutProb: number;
  attentionProbsDropoutProb: number;
  maxPositionEmbeddings: number;
  typeVocabSize: number;
  initializerRange: number;
  layerNormEps: number;
  classifierDropoutProb: number;
}

/** JSON key of each field; both file layouts use the same snake_case names. */
const JSON_KEY: Record<keyof AlbertConfig, string> = {
  vocabSize: 'vocab_size',
  embeddingSize: 'embedding_size',
  hiddenSize: 'hidden_size',
  numHiddenLayers: 'num_hidden_layers',
  numHiddenGroups: 'num_hidden_groups',
  numAttentionHeads: 'num_attention_heads',
  intermediateSize: 'intermediate_size',
  innerGroupNum: 'inner_group_num',
  hiddenAct: 'hidden_act',
  hiddenDropoutProb: 'hidden_dropout_prob',
  attentionProbsDropoutProb: 'attention_probs_dropout_prob',
  maxPositionEmbeddings: 'max_position_embeddings',
  typeVocabSize: 'type_vocab_size',
  initializerRange: 'initializer_range',
  layerNormEps: 'layer_norm_eps',
  classifierDropoutProb: 'classifier_dropout_prob',
};

const INT_FIELDS = [
  'vocabSize', 'embeddingSize', 'hiddenSize', 'numHiddenLayers', 'numHiddenGroups',
  'numAttentionHeads', 'intermediateSize', 'innerGroupNum', 'maxPositionEmbeddings', 'typeVocabSize',
] as const;
/**
 * The largest value each integer field may take. The released models are far below these
 * (xxlarge: hidden 4096, intermediate 16384, 64 heads, 12 layers, vocabulary 30000, 512
 * positions); the bounds leave ample headroom while refusing sizes that no machine, no ONNX file
 * (2 GB protobuf limit) and no int32 index can hold, before anything is allocated. The total
 * parameter size is checked again when a model file is written (emitModel).
 */
const MAX_INT: Record<(typeof INT_FIELDS)[number], number> = {
  vocabSize: 1_000_000,
  embeddingSize: 65_536,
  hiddenSize: 65_536,
  numHiddenLayers: 1_024,
  numHiddenGroups: 1_024,
  numAttentionHeads: 1_024,
  intermediateSize: 262_144,
  innerGroupNum: 64,
  maxPositionEmbeddings: 65_536,
  typeVocabSize: 1_024,
};
/** Fields with a lower bound above 1: a sequence holds at least [CLS] and [SEP]. */
const MIN_INT: Partial<Record<(typeof INT_FIELDS)[number], number>> = { maxPositionEmbeddings: 2 };
const PROB_FIELDS = ['hiddenDropoutProb', 'attentionProbsDropoutProb', 'classifierDropoutProb'] as const;
const POSITIVE_FIELDS = ['initializerRange', 'layerNormEps'] as const;
const ACTS: readonly HiddenAct[] = ['gelu', 'gelu_new', 'gelu_exact', 'relu', 'tanh'];

/** Defaults for keys either layout may omit (HF's defaults; the original uses the same values). */
const DEFAULTS: Partial<Record<keyof AlbertConfig, number | string>> = {
  numHiddenGroups: 1,
  innerGroupNum: 1,
  hiddenAct: 'gelu_new',
  hiddenDropoutProb: 0,
  attentionProbsDropoutProb: 0,
  maxPositionEmbeddings: 512,
  typeVocabSize: 2,
  initializerRange: 0.02,
  layerNormEps: 1e-12,
  classifierDropoutProb: 0.1,
};

/** HF's AlbertConfig defaults embedding_size to 128; the original files always carry it. */
const HF_DEFAULTS: Partial<Record<keyof AlbertConfig, number | string>> = { ...DEFAULTS, embeddingSize: 128 };

function show(v: unknown): string {
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v); // JSON.stringify says null
  return v === undefined ? 'nothing' : JSON.stringify(v);
}

/** A number too large for a double (JSON.parse reads 1e400 as Infinity) or NaN from an override. */
function nonFinite(v: unknown): boolean {
  return typeof v === 'number' && !Number.isFinite(v);
}

function normaliseAct(name: unknown, hf: boolean): unknown {
  switch (name) {
    case 'gelu': return hf ? 'gelu_exact' : 'gelu_new';
    case 'gelu_fast':
    case 'gelu_pytorch_tanh': return 'gelu_new';
    default: return name;
  }
}

/**
 * Checks every field of a would-be config. Values arrive as unknown because they come from
 * JSON or from command-line overrides; messages name the JSON key, which is what users edit.
 */
function checkConfig(raw: Record<keyof AlbertConfig, unknown>, source: string): AlbertConfig {
  const fail = (msg: string): never => {
    throw new UserError(`${source}: ${msg}`);
  };
  for (const f of [...INT_FIELDS, ...PROB_FIELDS, ...POSITIVE_FIELDS]) {
    if (nonFinite(raw[f])) fail(`${JSON_KEY[f]} is not a finite number (got ${show(raw[f])}: too large for a number, or not one)`);
  }
  for (const f of INT_FIELDS) {
    const v = raw[f];
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) {
      return fail(`${JSON_KEY[f]} must be a positive integer (got ${show(v)})`);
    }
    const min = MIN_INT[f] ?? 1;
    if (v < min || v > MAX_INT[f]) fail(`${JSON_KEY[f]} must be an integer in ${min}..${MAX_INT[f]} (got ${v})`);
  }
  for (const f of PROB_FIELDS) {
    const v = raw[f];
    if (typeof v !== 'number' || !(v >= 0 && v < 1)) fail(`${JSON_KEY[f]} must be a number in [0, 1) (got ${show(v)})`);
  }
  for (const f of POSITIVE_FIELDS) {
    const v = raw[f];
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) fail(`${JSON_KEY[f]} must be a positive number (got ${show(v)})`);
  }
  if (typeof raw.hiddenAct !== 'string' || !ACTS.includes(raw.hiddenAct as HiddenAct)) {
    fail(`unknown hidden_act ${show(raw.hiddenAct)} (expected gelu, gelu_new, gelu_fast, gelu_pytorch_tanh, gelu_exact, relu or tanh)`);
  }
  const cfg = raw as AlbertConfig; // every field checked above
  if (cfg.hiddenAct === 'gelu') cfg.hiddenAct = 'gelu_new'; // only reachable through overrides
  if (cfg.hiddenSize % cfg.numAttentionHeads !== 0) {
    fail(`hidden_size ${cfg.hiddenSize} is not divisible by num_attention_heads ${cfg.numAttentionHeads}`);
  }
  if (cfg.numHiddenGroups > cfg.numHiddenLayers) {
    fail(`num_hidden_groups must be 1..num_hidden_layers (${cfg.numHiddenLayers}) (got ${cfg.numHiddenGroups})`);
  }
  return cfg;
}

/**
 * Parses either layout. An HF config.json is recognised by model_type "albert" or by keys only HF
 * writes (architectures, layer_norm_eps); it matters only for the meaning of "gelu" and for the
 * embedding_size default. Unknown keys (the original's unused down_scale_factor,
 * net_structure_type, gap_size, num_memory_blocks, HF's token ids, ...) are ignored.
 */
export function parseAlbertConfig(json: unknown, source: string): AlbertConfig {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new UserError(`${source}: expected a JSON object with the model config`);
  }
  const obj = json as Record<string, unknown>;
  const hf = obj.model_type === 'albert' || 'architectures' in obj || 'layer_norm_eps' in obj;
  if (obj.model_type !== undefined && obj.model_type !== 'albert') {
    throw new UserError(`${source}: model_type is ${show(obj.model_type)}, not "albert"`);
  }
  // HF allows relative position embeddings; the model here has only absolute ones.
  const pet = obj.position_embedding_type;
  if (pet !== undefined && pet !== 'absolute') {
    throw new UserError(`${source}: position_embedding_type ${show(pet)} is not supported (only "absolute")`);
  }
  const defaults = hf ? HF_DEFAULTS : DEFAULTS;
  const raw = {} as Record<keyof AlbertConfig, unknown>;
  for (const field of Object.keys(JSON_KEY) as (keyof AlbertConfig)[]) {
    const v = obj[JSON_KEY[field]];
    raw[field] = v === undefined || v === null ? defaults[field] : v;
  }
  if (obj.hidden_act !== undefined) raw.hiddenAct = normaliseAct(obj.hidden_act, hf);
  return checkConfig(raw, source);
}

// ---- presets ----------------------------------------------------------------------------------

type Size = Pick<AlbertConfig, 'hiddenSize' | 'numHiddenLayers' | 'numAttentionHeads' | 'intermediateSize'>;
const SIZES: Record<'base' | 'large' | 'xlarge' | 'xxlarge', Size> = {
  base: { hiddenSize: 768, numHiddenLayers: 12, numAttentionHeads: 12, intermediateSize: 3072 },
  large: { hiddenSize: 1024, numHiddenLayers: 24, numAttentionHeads: 16, intermediateSize: 4096 },
  xlarge: { hiddenSize: 2048, numHiddenLayers: 24, numAttentionHeads: 16, intermediateSize: 8192 },
  xxlarge: { hiddenSize: 4096, numHiddenLayers: 12, numAttentionHeads: 64, intermediateSize: 16384 },
};

function released(size: Size, dropout: number): AlbertConfig {
  return {
    vocabSize: 30000, embeddingSize: 128, ...size, numHiddenGroups: 1, innerGroupNum: 1,
    hiddenAct: 'gelu_new', hiddenDropoutProb: dropout, attentionProbsDropoutProb: dropout,
    maxPositionEmbeddings: 512, typeVocabSize: 2, initializerRange: 0.02, layerNormEps: 1e-12,
    classifierDropoutProb: 0.1,
  };
}

const PRESETS: Record<string, AlbertConfig> = {
  // Small enough for unit tests; intermediate 37 is deliberately not a multiple of anything.
  tiny: {
    ...released({ hiddenSize: 32, numHiddenLayers: 2, numAttentionHeads: 4, intermediateSize: 37 }, 0),
    vocabSize: 128, embeddingSize: 16, maxPositionEmbeddings: 64,
  },
};
for (const [name, size] of Object.entries(SIZES)) {
  // v1 trained with dropout 0.1 except xxlarge; v2 turned dropout off everywhere.
  PRESETS[`${name}-v1`] = released(size, name === 'xxlarge' ? 0 : 0.1);
  PRESETS[`${name}-v2`] = released(size, 0);
  PRESETS[name] = released(size, 0); // a bare size name means the v2 release
}

export const PRESET_NAMES: readonly string[] = Object.keys(PRESETS);

/** A fresh copy of a preset, or undefined when there is no preset of that name. */
export function presetConfig(name: string): AlbertConfig | undefined {
  const p = Object.hasOwn(PRESETS, name) ? PRESETS[name] : undefined;
  return p && { ...p };
}

// ---- loading ----------------------------------------------------------------------------------

function readConfigFile(file: string): AlbertConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UserError(`${file}: cannot read config file (${(e as Error).message})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new UserError(`${file}: invalid JSON (${(e as Error).message})`);
  }
  return parseAlbertConfig(json, file);
}

/** Picks the config file inside a checkpoint directory; the original's name wins if both exist. */
function configFileIn(dir: string): string {
  for (const name of ['albert_config.json', 'config.json']) {
    const f = join(dir, name);
    if (existsSync(f)) return f;
  }
  throw new UserError(`${dir}: directory has no albert_config.json or config.json`);
}

/**
 * Loads a config from a preset name, a JSON file, or a directory holding albert_config.json or
 * config.json; then applies overrides (e.g. from command-line flags) and re-validates.
 */
export function loadAlbertConfig(spec: string, overrides?: Partial<AlbertConfig>): AlbertConfig {
  let cfg = presetConfig(spec);
  let source = spec;
  if (!cfg) {
    if (!existsSync(spec)) {
      throw new UserError(
        `unknown model config "${spec}": not a file or directory, and not a preset (${PRESET_NAMES.join(', ')})`,
      );
    }
    source = statSync(spec).isDirectory() ? configFileIn(spec) : spec;
    cfg = readConfigFile(source);
  }
  const defined = Object.entries(overrides ?? {}).filter(([, v]) => v !== undefined);
  if (defined.length === 0) return cfg;
  return checkConfig({ ...cfg, ...Object.fromEntries(defined) }, `${source} (with overrides)`);
}

/** Layer l uses parameter group floor(l * G / L), as in the original. */
export function groupOfLayer(cfg: AlbertConfig, layer: number): number {
  if (!Number.isInteger(layer) || layer < 0 || layer >= cfg.numHiddenLayers) {
    throw new RangeError(`layer ${layer} out of range 0..${cfg.numHiddenLayers - 1}`);
  }
  return Math.floor((layer * cfg.numHiddenGroups) / cfg.numHiddenLayers);
}

// ---- writing ----------------------------------------------------------------------------------

export type ConfigJson = Record<string, string | number>;

/**
 * The original albert_config.json layout (key order as released, unused keys included so the
 * original code reads it unchanged). It has no layer_norm_eps or classifier_dropout_prob (the
 * original hard-codes them), so those are dropped. The original knows only the tanh gelu; an
 * exact-gelu config is written as "gelu_exact", which parseAlbertConfig reads back but the
 * original TF code would reject.
 */
export function toOriginalJson(cfg: AlbertConfig): ConfigJson {
  const act = cfg.hiddenAct === 'gelu_new' || cfg.hiddenAct === 'gelu' ? 'gelu' : cfg.hiddenAct;
  return {
    attention_probs_dropout_prob: cfg.attentionProbsDropoutProb,
    hidden_act: act,
    hidden_dropout_prob: cfg.hiddenDropoutProb,
    embedding_size: cfg.embeddingSize,
    hidden_size: cfg.hiddenSize,
    initializer_range: cfg.initializerRange,
    intermediate_size: cfg.intermediateSize,
    max_position_embeddings: cfg.maxPositionEmbeddings,
    num_attention_heads: cfg.numAttentionHeads,
    num_hidden_layers: cfg.numHiddenLayers,
    num_hidden_groups: cfg.numHiddenGroups,
    net_structure_type: 0,
    gap_size: 0,
    num_memory_blocks: 0,
    inner_group_num: cfg.innerGroupNum,
    down_scale_factor: 1,
    type_vocab_size: cfg.typeVocabSize,
    vocab_size: cfg.vocabSize,
  };
}

/** The HF config.json layout; activation names mapped back to HF's meaning of them. */
export function toHfJson(cfg: AlbertConfig): ConfigJson {
  const act = cfg.hiddenAct === 'gelu_exact' ? 'gelu' : cfg.hiddenAct === 'gelu' ? 'gelu_new' : cfg.hiddenAct;
  const out: ConfigJson = { model_type: 'albert' };
  for (const field of Object.keys(JSON_KEY) as (keyof AlbertConfig)[]) out[JSON_KEY[field]] = cfg[field];
  out.hidden_act = act;
  return out;
}
