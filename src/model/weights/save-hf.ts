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
import { copyFileSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../../ir/errors.ts';
import { toHfJson, type AlbertConfig } from '../config.ts';
import type { HeadName, ParamSpec } from '../params.ts';
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
}

/** The HF model class for the parameters present, most specific first. */
export function hfArchitecture(params: ParamSpec[], head?: HeadName): string {
  const has = (prefix: string): boolean => params.some((p) => p.hfName.startsWith(prefix));
  if (has('sop_classifier.')) return 'AlbertForPreTraining';
  if (has('predictions.')) return 'AlbertForMaskedLM';
  if (has('qa_outputs.')) return 'AlbertForQuestionAnswering';
  if (has('classifier.')) return head === 'multiple-choice' ? 'AlbertForMultipleChoice' : 'AlbertForSequenceClassification';
  // The original SQuAD 2.0 head has no HF class: HF loads the encoder and ignores the rest.
  return 'AlbertModel';
}

type HfConfigJson = Record<string, string | number | string[] | Record<string, string | number>>;

function configJson(cfg: AlbertConfig, params: ParamSpec[], architecture: string): HfConfigJson {
  const out: HfConfigJson = { architectures: [architecture], ...toHfJson(cfg), torch_dtype: 'float32' };
  if (architecture === 'AlbertForSequenceClassification') {
    Object.assign(out, classifierLabelFields(params.find((p) => p.hfName === 'classifier.weight')!.shape[0]));
  }
  return out;
}

/**
 * config.json fields of an n-label classifier. HF takes num_labels from id2label: without it a
 * 3-label head would not load (default 2); one label means regression.
 */
export function classifierLabelFields(n: number): { id2label: Record<string, string>; label2id: Record<string, number>; problem_type?: 'regression' } {
  const labels = Array.from({ length: n }, (_, i) => `LABEL_${i}`);
  return {
    id2label: Object.fromEntries(labels.map((l, i) => [String(i), l])),
    label2id: Object.fromEntries(labels.map((l, i) => [l, i])),
    ...(n === 1 ? { problem_type: 'regression' as const } : {}),
  };
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
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new UserError(`cannot create output directory ${dir}: ${(e as Error).message}`);
  }
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
    stage('config.json', (tmp) => writeFileSync(tmp, `${JSON.stringify(configJson(cfg, params, architecture), null, 2)}\n`));
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
    for (const [tmp] of staged) rmSync(tmp, { force: true });
    if (e instanceof UserError) throw e;
    throw new UserError(`cannot write ${dir}: ${(e as Error).message}`);
  }
  return { files: staged.map(([, f]) => f), architecture, tensors: tensors.size };
}
