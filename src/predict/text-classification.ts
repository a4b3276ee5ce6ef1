/**
 * Text classification (`albert predict text-classification`): a fine-tuned sequence
 * classifier's scores for a text or a text pair, under the label names its config.json carries
 * (id2label, problem_type), from an `albert export --head classifier` directory or, when the
 * directory holds a checkpoint instead, from its classifier exported in memory.
 *
 * The input is encoded as the export's tokenizer.json encodes it (and as ALBERT's fine-tuning
 * examples were): [CLS] text [SEP], or [CLS] text [SEP] pair [SEP] with token_type_ids 0 up to
 * the first [SEP] and 1 after. Scores are the softmax of the logits for a single-label
 * classifier (as transformers.js's pipeline), a sigmoid per label for a multi-label one, and the
 * raw outputs for regression.
 */
import { readInputFile } from './input-file.ts';
import type { Executable } from '../backends/target.ts';
import { OptionError, UserError } from '../util/errors.ts';
import { classifierLabelsFromJson, type ClassifierLabelInfo, type ClassifierProblemType } from '../model/weights/save-hf.ts';
import type { AlbertTokenizer } from '../text/albert-tokenizer.ts';
import { layoutPair } from '../text/pair-layout.ts';
import { checkTokenInputs, declaredShape, loadPredictModel, softmax, tokenFeeds, topK, type PredictModelOptions } from './load-model.ts';

/** `model`: an `albert export --head classifier` directory, or a checkpoint with a classifier head. */
export type TextClassificationOptions = PredictModelOptions;

export interface TextInput {
  text: string;
  /** The second text of a sentence-pair task (segment 1). */
  textPair?: string | null;
  /** Where the input came from, for errors (e.g. "texts.tsv:3"). */
  where?: string;
}

export interface LabelScore {
  label: string;
  /** The label's index (the model's output). */
  index: number;
  /** Softmax probability (single-label), sigmoid (multi-label) or the raw output (regression). */
  score: number;
}

export interface TextClassificationResult {
  text: string;
  textPair: string | null;
  /** The model input: [CLS] text [SEP] (pair [SEP]). */
  ids: number[];
  tokenTypeIds: number[];
  pieces: string[];
  /** The model's outputs by label index. */
  logits: number[];
  /** Classification: the top k labels by descending score; regression: every output in label order. */
  scores: LabelScore[];
  runSeconds: number;
}

/** The checks on a request that need no model (commands run them before loading one). */
export function checkTopK(k: number | undefined): void {
  if (k !== undefined && (!Number.isInteger(k) || k < 1)) throw new OptionError(`{k} must be a positive integer (got ${k})`);
}

/**
 * The texts of an input file (`-`: stdin): one text per line, or text<TAB>pair. An empty
 * line or one with more than one tab is an error naming the file and line, so that output
 * line i always answers input line i.
 */
export function readTextInputs(input: string): TextInput[] {
  const { content, name } = readInputFile(input);
  const lines = content.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  if (lines.length === 0) throw new OptionError(`{input} ${name}: no texts (expected one text, or text<TAB>pair, per line)`);
  return lines.map((raw, i) => {
    const where = `${name}:${i + 1}`;
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const parts = line.split('\t');
    if (line.trim() === '') throw new UserError(`${where}: empty line (expected one text, or text<TAB>pair, per line)`);
    if (parts.length > 2) throw new UserError(`${where}: ${parts.length - 1} tabs (expected one text, or text<TAB>pair, per line)`);
    return { text: parts[0], textPair: parts.length === 2 ? parts[1] : null, where };
  });
}

/** [CLS] a [SEP] (b [SEP]) with token_type_ids; longer than maxLength is an error naming the input. */
export function encodeForClassification(tokenizer: AlbertTokenizer, input: TextInput, maxLength: number): { ids: number[]; tokenTypeIds: number[] } {
  for (const [name, id] of [['[CLS]', tokenizer.clsId], ['[SEP]', tokenizer.sepId]] as const) {
    if (id < 0) throw new UserError(`${tokenizer.spm.source}: the SentencePiece model has no ${name} piece, which the [CLS] text [SEP] pair [SEP] layout needs`);
  }
  const a = tokenizer.encode(input.text);
  const b = input.textPair ? tokenizer.encode(input.textPair) : [];
  const length = a.length + 2 + (b.length > 0 ? b.length + 1 : 0);
  if (length > maxLength) {
    const what = b.length > 0 ? 'the text pair is' : 'the text is';
    throw new UserError(`${input.where ? `${input.where}: ` : ''}${what} ${length} pieces long with [CLS] and [SEP]; the model takes at most ${maxLength} (max_position_embeddings)`);
  }
  const e = layoutPair(a, b, length, { clsId: tokenizer.clsId, sepId: tokenizer.sepId, padId: tokenizer.padId });
  return { ids: e.inputIds, tokenTypeIds: e.segmentIds };
}

/** The scores a classifier's logits mean under its problem type (see LabelScore). */
export function scoreLabels(logits: ArrayLike<number>, labels: ClassifierLabelInfo, k?: number): LabelScore[] {
  const n = logits.length;
  if (labels.problemType === 'regression') return labels.names.map((label, index) => ({ label, index, score: logits[index] }));
  const scores = labels.problemType === 'multi_label_classification' ? Float64Array.from({ length: n }, (_, i) => 1 / (1 + Math.exp(-logits[i]))) : softmax(logits);
  return topK(scores, n, Math.min(k ?? n, n)).map((index) => ({ label: labels.names[index], index, score: scores[index] }));
}

export class TextClassifier {
  private constructor(
    readonly source: string,
    readonly kind: 'export' | 'checkpoint',
    readonly tokenizer: AlbertTokenizer,
    private readonly session: Executable,
    /** Longest input the model takes (max_position_embeddings). */
    readonly maxLength: number,
    /** Label names by output index, and what the outputs mean. */
    readonly labels: ClassifierLabelInfo,
  ) {}

  get problemType(): ClassifierProblemType {
    return this.labels.problemType;
  }

  /** Loads an export directory, or exports a checkpoint's classifier in memory. */
  static async load(opts: TextClassificationOptions): Promise<TextClassifier> {
    // A checkpoint exports the head it holds: anything but a classifier is refused below.
    const m = await loadPredictModel(opts, undefined);
    if (m.exported) {
      const r = m.exported;
      if (r.head !== 'classifier' || !r.labels) {
        throw new UserError(`${m.source}: not a sequence classifier checkpoint (its head is ${r.head}): text-classification needs a fine-tuned classifier (AlbertForSequenceClassification)`);
      }
      if (r.report.missing.length > 0) {
        const shown = r.report.missing.slice(0, 3).join(', ');
        throw new UserError(`${m.source}: ${r.report.missing.length} parameters of the classifier are not in the checkpoint (${shown}${r.report.missing.length > 3 ? ', ...' : ''})`);
      }
      return new TextClassifier(m.source, m.kind, m.tokenizer, m.session, m.maxLength, r.labels);
    }
    const width = logitsWidth(m.session, m.modelPath);
    const config = m.configJson!;
    const labels = classifierLabelsFromJson(config.json, config.path) ?? {
      names: Array.from({ length: width }, (_, i) => `LABEL_${i}`),
      problemType: width === 1 ? 'regression' : 'single_label_classification',
      regression: width === 1,
    };
    if (labels.names.length !== width) {
      throw new UserError(`${config.path}: "id2label" has ${labels.names.length} label${labels.names.length === 1 ? '' : 's'} but the model's logits have ${width}`);
    }
    return new TextClassifier(m.source, m.kind, m.tokenizer, m.session, m.maxLength, labels);
  }

  /** The model input for a text or pair (see encodeForClassification). */
  encode(input: TextInput): { ids: number[]; tokenTypeIds: number[] } {
    return encodeForClassification(this.tokenizer, input, this.maxLength);
  }

  async predict(input: TextInput | string, k?: number): Promise<TextClassificationResult> {
    return (await this.predictAll([typeof input === 'string' ? { text: input } : input], k))[0];
  }

  /** Every input is encoded (and checked) before the first runs; each runs alone, unpadded. */
  async predictAll(inputs: readonly TextInput[], k?: number): Promise<TextClassificationResult[]> {
    checkTopK(k);
    const encoded = inputs.map((input) => this.encode(input));
    const results: TextClassificationResult[] = [];
    for (const [i, { ids, tokenTypeIds }] of encoded.entries()) {
      const t0 = performance.now();
      const out = await this.session.run(tokenFeeds(this.session, ids, tokenTypeIds));
      const runSeconds = (performance.now() - t0) / 1000;
      const logits = Array.from(out.logits.data as Float32Array);
      results.push({
        text: inputs[i].text,
        textPair: inputs[i].textPair ?? null,
        ids,
        tokenTypeIds,
        pieces: this.tokenizer.convertIdsToTokens(ids),
        logits,
        scores: scoreLabels(logits, this.labels, k),
        runSeconds,
      });
    }
    return results;
  }
}

/** Loads the model and classifies each input (top k labels, default all). */
export async function predictTextClassification(opts: TextClassificationOptions, inputs: readonly TextInput[], k?: number): Promise<TextClassificationResult[]> {
  checkTopK(k);
  return (await TextClassifier.load(opts)).predictAll(inputs, k);
}

/** The number of labels from the model's "logits" output; a model without a [batch, labels] one is not a classifier. */
function logitsWidth(session: Executable, path: string): number {
  checkTokenInputs(session, path, 'a sequence classifier export');
  const hint = 'text-classification needs a sequence classifier export (an export of the classifier head)';
  if (!session.outputNames.includes('logits')) {
    throw new UserError(`${path}: has no "logits" output (outputs: ${session.outputNames.join(', ')}): ${hint}`);
  }
  const ids = declaredShape(session.inputMetadata, 'input_ids');
  if (ids && ids.length !== 2) throw new UserError(`${path}: input "input_ids" is not [batch, seq]: ${hint}`);
  const shape = declaredShape(session.outputMetadata, 'logits') ?? [];
  const width = shape.length === 2 ? shape[1] : undefined;
  if (typeof width !== 'number') throw new UserError(`${path}: output "logits" is not [batch, num_labels]: ${hint}`);
  return width;
}
