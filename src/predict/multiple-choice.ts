/**
 * Multiple choice (`albert predict multiple-choice`): a fine-tuned multiple-choice model's
 * softmax probability for each option of a question, from an `albert export --head
 * multiple-choice` directory or a checkpoint with that head (exported in memory).
 *
 * Each option is encoded as in fine-tuning (raceFeatures): [CLS] context [SEP] qa [SEP], qa the
 * question with "_" replaced by the option, else question + " " + option, keeping its last
 * maxQaLength pieces, the context cut to fit maxSeqLength. The export's choice dimension is
 * fixed (C, from its input shape): the options run in groups of C, a short group filled up
 * with copies of its first option whose scores are dropped. The head scores every sequence on its
 * own, so this gives exactly the logits of a model with as many choices as the question has;
 * the softmax is over the question's options.
 */
import { hostTensor, type Executable, type HostTensor } from '../backends/target.ts';
import { readInputFile } from './input-file.ts';
import { OptionError, UserError } from '../util/errors.ts';
import { raceFeatures } from '../tasks/race/features.ts';
import type { AlbertTokenizer } from '../text/albert-tokenizer.ts';
import { multipleChoiceExample } from '../tasks/race/own-data.ts';
import { checkTokenInputs, declaredShape, loadPredictModel, softmax, topK, type PredictModelOptions } from './load-model.ts';

export interface MultipleChoiceOptions extends PredictModelOptions {
  /** Tokens per option sequence (default 128, at most max_position_embeddings). */
  maxSeqLength?: number;
  /** The qa keeps its last this many pieces (default 64). */
  maxQaLength?: number;
}

export interface MultipleChoiceInput {
  context: string;
  question: string;
  options: string[];
  where?: string;
}

export interface OptionScore {
  option: string;
  index: number;
  /** Softmax probability over the question's options. */
  score: number;
  logit: number;
}

export interface MultipleChoiceResult {
  context: string;
  question: string;
  /** Best first. */
  scores: OptionScore[];
  runSeconds: number;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** JSONL questions (`-`: stdin): {context, question, options[, label]}; errors name file and line. */
export function readMultipleChoiceInputs(input: string): MultipleChoiceInput[] {
  const { content, name } = readInputFile(input);
  const out: MultipleChoiceInput[] = [];
  content.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    const where = `${name}:${i + 1}`;
    let v: Json;
    try {
      v = JSON.parse(line) as Json;
    } catch (e) {
      throw new UserError(`${where}: not valid JSON (${e instanceof Error ? e.message : String(e)})`);
    }
    const ex = multipleChoiceExample(v, where, where, null, false);
    out.push({ context: ex.article, question: ex.question, options: ex.options, where });
  });
  if (out.length === 0) throw new OptionError(`{input} ${name}: no questions (expected JSONL: context, question, options)`);
  return out;
}

export class MultipleChoicePredictor {
  private constructor(
    readonly source: string,
    readonly kind: 'export' | 'checkpoint',
    readonly tokenizer: AlbertTokenizer,
    private readonly session: Executable,
    readonly maxLength: number,
    /** The model's fixed choice dimension. */
    readonly choices: number,
  ) {}

  static async load(opts: PredictModelOptions): Promise<MultipleChoicePredictor> {
    const m = await loadPredictModel(opts, 'multiple-choice');
    const hint = 'multiple-choice needs a multiple-choice export or checkpoint (AlbertForMultipleChoice)';
    if (m.exported && m.exported.head !== 'multiple-choice') throw new UserError(`${m.source}: its head is ${m.exported.head}: ${hint}`);
    if (m.exported && m.exported.report.missing.length > 0) {
      throw new UserError(`${m.source}: ${m.exported.report.missing.length} parameters of the multiple-choice head are not in the checkpoint (${m.exported.report.missing.slice(0, 3).join(', ')})`);
    }
    checkTokenInputs(m.session, m.modelPath, 'a multiple-choice export');
    const shape = declaredShape(m.session.inputMetadata, 'input_ids');
    const c = shape && shape.length === 3 ? shape[1] : undefined;
    if (!m.session.outputNames.includes('logits') || typeof c !== 'number') throw new UserError(`${m.modelPath}: inputs are not [batch, choices, seq] with a "logits" output: ${hint}`);
    return new MultipleChoicePredictor(m.source, m.kind, m.tokenizer, m.session, m.maxLength, c);
  }

  async predict(input: MultipleChoiceInput, opts: { maxSeqLength?: number; maxQaLength?: number } = {}): Promise<MultipleChoiceResult> {
    const S = Math.min(opts.maxSeqLength ?? 128, this.maxLength);
    const n = input.options.length;
    if (n < 1) throw new UserError(`${input.where ? `${input.where}: ` : ''}no options to score`);
    const C = this.choices;
    const t = this.tokenizer;
    const logits: number[] = [];
    const t0 = performance.now();
    for (let start = 0; start < n; start += C) {
      const group = input.options.slice(start, start + C);
      while (group.length < C) group.push(group[0]);
      const f = raceFeatures([{ id: input.where ?? 'input', level: '', article: input.context, question: input.question, options: group, label: null }],
        (text) => t.encode(text), { clsId: t.clsId, sepId: t.sepId, padId: t.padId }, { maxSeqLength: S, maxQaLength: opts.maxQaLength ?? 64, numChoices: C });
      // Unpadded: the longest option's length.
      let len = 0;
      for (let c = 0; c < C; c++) for (let p = 0; p < S; p++) if (f.inputMask[c * S + p]) len = Math.max(len, p + 1);
      const pick = (a: Int32Array): BigInt64Array => {
        const o = new BigInt64Array(C * len);
        for (let c = 0; c < C; c++) for (let p = 0; p < len; p++) o[c * len + p] = BigInt(a[c * S + p]);
        return o;
      };
      const all: Record<string, HostTensor> = {
        input_ids: hostTensor('int64', pick(f.inputIds), [1, C, len]),
        attention_mask: hostTensor('int64', pick(f.inputMask), [1, C, len]),
        token_type_ids: hostTensor('int64', pick(f.segmentIds), [1, C, len]),
      };
      const feeds = Object.fromEntries(Object.entries(all).filter(([k]) => this.session.inputNames.includes(k)));
      const out = await this.session.run(feeds);
      const l = out.logits.data as Float32Array;
      for (let c = 0; c < Math.min(C, n - start); c++) logits.push(l[c]);
    }
    const probs = softmax(logits);
    const scores = topK(probs, n, n).map((index) => ({ option: input.options[index], index, score: probs[index], logit: logits[index] }));
    return { context: input.context, question: input.question, scores, runSeconds: (performance.now() - t0) / 1000 };
  }
}

export async function predictMultipleChoice(opts: MultipleChoiceOptions, inputs: readonly MultipleChoiceInput[]): Promise<MultipleChoiceResult[]> {
  const m = await MultipleChoicePredictor.load(opts);
  const out: MultipleChoiceResult[] = [];
  for (const x of inputs) out.push(await m.predict(x, opts));
  return out;
}
