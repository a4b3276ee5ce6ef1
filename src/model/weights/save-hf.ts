/**
 * Writes a model as a HuggingFace model directory: config.json, model.safetensors and, when
 * given, spiece.model, so that `AlbertFor*.from_pretrained(dir)` (and loadCheckpoint) read it.
 *
 * What HF's own save_pretrained puts in model.safetensors, and so what we write:
 *  - every parameter under its HF name, dense kernels transposed to nn.Linear's [out, in];
 *  - the MLM output bias as "predictions.bias" and also "predictions.decoder.bias" (HF ties the
 *    two; writing both keeps loaders that do not tie them correct, at V floats of cost);
 *  - NOT "predictions.decoder.weight": it is tied to the word embeddings and HF drops tied
 *    copies when it saves safetensors (and re-ties on load);
 *  - metadata {"format": "pt"}: transformers refuses safetensors files without it.
 */
import { copyFileSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../../ir/errors.ts';
import { removeTemp } from '../../util/atomic-write.ts';
import { fsReason } from '../../util/fs-reason.ts';
import { makeDir } from '../../util/make-dir.ts';
import { toHfJson, type AlbertConfig } from '../config.ts';
import type { HeadName, ParamSpec } from '../params.ts';
import { headDefinition, paramsAsCheckpoint, recogniseHead } from '../heads/registry.ts';
import { writeSafetensors } from './safetensors.ts';
import { transpose2d } from './transpose.ts';
import type { WeightTensor } from './types.ts';

export interface SaveHfOptions {
  /** A SentencePiece model to copy in as spiece.model (the name HF's AlbertTokenizer looks for). */
  spmModelFile?: string;
  /** Extra safetensors metadata (e.g. where the weights came from). */
  extraMetadata?: Record<string, string>;
  /**
   * The head, where the parameters alone cannot tell: a [1, H] classifier is a regression
   * classifier or a multiple-choice scorer.
   */
  head?: HeadName;
  /**
   * What a sequence classifier's outputs mean (default: LABEL_0..LABEL_{n-1}, regression for one
   * output). Only for a model that saves as AlbertForSequenceClassification.
   */
  labels?: ClassifierLabels;
}

/** HF's PretrainedConfig.problem_type values. */
export const CLASSIFIER_PROBLEM_TYPES = ['single_label_classification', 'multi_label_classification', 'regression'] as const;
export type ClassifierProblemType = (typeof CLASSIFIER_PROBLEM_TYPES)[number];

/**
 * The labels of a sequence classifier, as config.json records them:
 *  - `{ names }`: one name per output, by index (e.g. ["entailment", "neutral", "contradiction"]);
 *    problemType defaults to single_label_classification (softmax over the outputs, at least 2);
 *    multi_label_classification is a sigmoid per output, regression a raw score per output;
 *  - `{ regression: true }`: one output, a real-valued score named LABEL_0 (STS-B).
 * A ClassifierLabelInfo (what readClassifierLabels returns) is a `{ names, problemType }`.
 */
export type ClassifierLabels = { names: readonly string[]; problemType?: ClassifierProblemType } | { regression: true };

/** A classifier's labels read back from config.json (readClassifierLabels). */
export interface ClassifierLabelInfo {
  /** Label names by output index (id2label sorted by index). */
  names: string[];
  /** problem_type, or what HF assumes without one: regression for one label, else single-label. */
  problemType: ClassifierProblemType;
  /** problemType === 'regression': the outputs are raw scores, not logits of classes. */
  regression: boolean;
}

/** The config.json fields that carry a classifier's labels. */
export interface ClassifierLabelFields {
  num_labels?: number;
  id2label: Record<string, string>;
  label2id: Record<string, number>;
  problem_type?: ClassifierProblemType;
}

/**
 * The HF model class of the head whose parameters are present (recognised as in a checkpoint;
 * `head` settles what the parameters cannot: a [1, H] classifier that is a multiple-choice scorer).
 */
export function hfArchitecture(params: ParamSpec[], head?: HeadName): string {
  const recognised = recogniseHead(paramsAsCheckpoint(params, head ? [headDefinition(head).hf.architecture] : []));
  return headDefinition(recognised.head).hf.architecture;
}

type HfConfigJson = Record<string, string | number | string[] | Record<string, string | number>>;

function configJson(cfg: AlbertConfig, params: ParamSpec[], architecture: string, labels?: ClassifierLabels): HfConfigJson {
  const out: HfConfigJson = { architectures: [architecture], ...toHfJson(cfg), torch_dtype: 'float32' };
  if (architecture === 'AlbertForSequenceClassification') {
    Object.assign(out, classifierLabelFields(params.find((p) => p.hfName === 'classifier.weight')!.shape[0], labels));
  } else if (labels !== undefined) {
    throw new UserError(`cannot save the model: labels apply to a sequence classifier, and the model is ${architecture}`);
  }
  return out;
}

/**
 * config.json fields of an n-output classifier, as HF's AlbertForSequenceClassification
 * save_pretrained writes them. HF takes num_labels from id2label: without it a 3-label head
 * would not load (default 2). Without `labels`: LABEL_i, and regression for one output (what
 * HF assumes of num_labels 1). With them: num_labels, our names and problem_type too.
 */
export function classifierLabelFields(n: number, labels?: ClassifierLabels): ClassifierLabelFields {
  if (labels === undefined) {
    const generic = Array.from({ length: n }, (_, i) => `LABEL_${i}`);
    return {
      id2label: Object.fromEntries(generic.map((l, i) => [String(i), l])),
      label2id: Object.fromEntries(generic.map((l, i) => [l, i])),
      ...(n === 1 ? { problem_type: 'regression' as const } : {}),
    };
  }
  const { names, problemType } = 'names' in labels ? { names: [...labels.names], problemType: labels.problemType ?? 'single_label_classification' } : { names: ['LABEL_0'], problemType: 'regression' as const };
  const bad = (why: string): UserError => new UserError(`cannot save the model: ${why}`);
  if (!CLASSIFIER_PROBLEM_TYPES.includes(problemType)) throw bad(`unknown problem type "${String(problemType)}" (expected ${CLASSIFIER_PROBLEM_TYPES.join(', ')})`);
  if (names.length !== n) throw bad(`${names.length} label name${names.length === 1 ? '' : 's'} for a classifier with ${n} output${n === 1 ? '' : 's'}`);
  if (problemType === 'single_label_classification' && n < 2) throw bad('a single-label classifier needs at least 2 labels (one output is a regression score: labels { regression: true })');
  const seen = new Map<string, number>();
  names.forEach((name, i) => {
    if (typeof name !== 'string' || name === '') throw bad(`label ${i} must be a non-empty string (got ${JSON.stringify(name)})`);
    if (seen.has(name)) throw bad(`labels ${seen.get(name)} and ${i} are both named ${JSON.stringify(name)}`);
    seen.set(name, i);
  });
  return {
    num_labels: n,
    id2label: Object.fromEntries(names.map((l, i) => [String(i), l])),
    label2id: Object.fromEntries(names.map((l, i) => [l, i])),
    problem_type: problemType,
  };
}

/**
 * The labels recorded in a config.json's parsed JSON (`path` names it in errors), or null when
 * it has no id2label. id2label must map "0".."n-1" to distinct non-empty names; num_labels, when
 * present, must agree; problem_type must be one of HF's.
 */
export function classifierLabelsFromJson(json: Record<string, unknown>, path: string): ClassifierLabelInfo | null {
  const raw = json.id2label;
  if (raw === undefined || raw === null) return null;
  const field = `${path}: "id2label"`;
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new UserError(`${field} must be an object mapping "0".."n-1" to label names (got ${JSON.stringify(raw)})`);
  const entries = Object.entries(raw as Record<string, unknown>);
  if (entries.length === 0) throw new UserError(`${field} is empty: a classifier has at least one label`);
  const names: string[] = new Array<string>(entries.length);
  for (const [key, name] of entries) {
    const index = /^(0|[1-9]\d*)$/.test(key) ? Number(key) : -1;
    if (index < 0 || index >= entries.length) throw new UserError(`${field} has the key ${JSON.stringify(key)}: expected the indices "0".."${entries.length - 1}"`);
    if (typeof name !== 'string' || name === '') throw new UserError(`${field}["${key}"] must be a non-empty string (got ${JSON.stringify(name)})`);
    names[index] = name;
  }
  const first = new Map<string, number>();
  names.forEach((name, i) => {
    if (first.has(name)) throw new UserError(`${field} names ${JSON.stringify(name)} twice ("${first.get(name)}" and "${i}")`);
    first.set(name, i);
  });
  const numLabels = json.num_labels;
  if (numLabels !== undefined && numLabels !== names.length) {
    throw new UserError(`${path}: "num_labels" is ${JSON.stringify(numLabels)} but "id2label" has ${names.length} label${names.length === 1 ? '' : 's'}`);
  }
  const given = json.problem_type;
  if (given !== undefined && given !== null && !CLASSIFIER_PROBLEM_TYPES.includes(given as ClassifierProblemType)) {
    throw new UserError(`${path}: "problem_type" must be one of ${CLASSIFIER_PROBLEM_TYPES.join(', ')} (got ${JSON.stringify(given)})`);
  }
  const problemType: ClassifierProblemType = (given as ClassifierProblemType | null | undefined) ?? (names.length === 1 ? 'regression' : 'single_label_classification');
  return { names, problemType, regression: problemType === 'regression' };
}

/**
 * The labels in `dir`/config.json (an HF model or `albert export` directory), or null when
 * there is no config.json or it has no id2label. A malformed one is a one-line UserError
 * naming the file and field.
 */
export function readClassifierLabels(dir: string): ClassifierLabelInfo | null {
  const path = join(dir, 'config.json');
  if (!existsSync(path)) return null;
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new UserError(`${path}: ${e instanceof SyntaxError ? 'invalid JSON' : 'cannot read it'} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new UserError(`${path}: expected a JSON object`);
  return classifierLabelsFromJson(json as Record<string, unknown>, path);
}

/** The parameters under their HF names and layout (aliases included), checked against the table. */
export function hfTensors(params: ParamSpec[], values: Map<string, Float32Array>): Map<string, WeightTensor> {
  const out = new Map<string, WeightTensor>();
  for (const p of params) {
    const v = values.get(p.name);
    const numel = p.shape.reduce((a, d) => a * d, 1);
    if (!v) throw new UserError(`cannot save the model: no value for parameter "${p.name}"`);
    if (v.length !== numel) throw new UserError(`cannot save the model: parameter "${p.name}" has ${v.length} values, its shape [${p.shape.join(', ')}] needs ${numel}`);
    let t: WeightTensor = { dtype: 'float32', shape: [...p.shape], data: v };
    if (p.transposed) {
      const [rows, cols] = p.shape;
      t = { dtype: 'float32', shape: [cols, rows], data: transpose2d(v, rows, cols) };
    }
    for (const name of [p.hfName, ...(p.hfAliases ?? [])]) {
      if (out.has(name)) throw new UserError(`cannot save the model: two parameters map to the HF name "${name}"`);
      out.set(name, t);
    }
  }
  return out;
}

/**
 * Writes config.json, model.safetensors (and spiece.model) to `dir`. Each file goes to a temp
 * name first; the renames happen only once all of them are written, so a failure leaves what
 * was in `dir` before.
 */
export function saveHfModel(
  dir: string,
  cfg: AlbertConfig,
  params: ParamSpec[],
  values: Map<string, Float32Array>,
  opts: SaveHfOptions = {},
): { files: string[]; architecture: string; tensors: number } {
  const tensors = hfTensors(params, values);
  const architecture = hfArchitecture(params, opts.head);
  // Built (and the labels checked) before anything is written.
  const config = `${JSON.stringify(configJson(cfg, params, architecture, opts.labels), null, 2)}\n`;
  makeDir(dir, 'output directory');
  const suffix = `.partial-${process.pid}`;
  const staged: [string, string][] = [];
  const stage = (name: string, write: (tmp: string) => void): void => {
    const final = join(dir, name);
    const tmp = `${final}${suffix}`;
    staged.push([tmp, final]);
    write(tmp);
  };
  try {
    stage('model.safetensors', (tmp) =>
      writeSafetensors(tmp, tensors, { ...opts.extraMetadata, format: 'pt' }),
    );
    stage('config.json', (tmp) => writeFileSync(tmp, config));
    if (opts.spmModelFile !== undefined) {
      const spm = opts.spmModelFile;
      stage('spiece.model', (tmp) => {
        try {
          copyFileSync(spm, tmp);
        } catch (e) {
          throw new UserError(`cannot copy the SentencePiece model ${spm}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
        }
      });
    }
    for (const [tmp, final] of staged) renameSync(tmp, final);
  } catch (e) {
    for (const [tmp] of staged) removeTemp(tmp);
    if (e instanceof UserError) throw e;
    throw new UserError(`cannot write ${dir}: ${fsReason(e)}`);
  }
  return { files: staged.map(([, f]) => f), architecture, tensors: tensors.size };
}
