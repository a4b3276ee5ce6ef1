// Runs an exported directory in transformers.js, offline, and prints what it computed as JSON.
// A child process of export.test.ts: transformers.js brings its own onnxruntime-node (1.30),
// whose native library cannot share a process with ours (1.29: same soname, other symbol
// versions), so the two runtimes meet only through this JSON.
// Usage: node --import tsx transformers-js-child.ts '<request JSON>'
import { basename, dirname } from 'node:path';
import { env, pipeline, softmax, AutoModelForMaskedLM, AutoModelForSequenceClassification, AutoTokenizer, type QuestionAnsweringOutput, type Tensor } from '@huggingface/transformers';

// All the export directories must sit in one directory (transformers.js's localModelPath).
export interface ChildRequest {
  /** An export directory holding an MLM model: each text is tokenized and run alone. */
  mlm?: string;
  texts?: string[];
  /** An export directory holding a classifier: the pairs are run as one padded batch. */
  classifier?: string;
  pairs?: [string, string][];
  /** Export directories holding classifiers: each input goes through pipeline('text-classification'). */
  textClassification?: { model: string; inputs: { text: string; textPair?: string }[] }[];
  /** An export directory holding a span (squad) head: each input goes through pipeline('question-answering'). */
  questionAnswering?: { model: string; inputs: { question: string; context: string }[]; topK?: number };
}

/** One input of a questionAnswering request. */
export interface ChildAnswer {
  /** The pipeline's answers, best first (its top_k; decoded from the pieces, not cut from the context). */
  answers: { answer: string; score: number }[];
  /** What the pipeline's tokenizer gave for (question, context) and its model's raw outputs for them. */
  ids: number[];
  tokenTypeIds: number[];
  startLogits: number[];
  endLogits: number[];
}

/** One input of a textClassification request. */
export interface ChildLabels {
  /** Every label with its score, best first, as the pipeline returns them with top_k null. */
  labels: { label: string; score: number }[];
  /** The raw logits of the pipeline's model for the input. */
  logits: number[];
  /**
   * 'pipeline': the pipeline itself gave the labels. 'tokenizer+model': a pair, which
   * transformers.js's text-classification pipeline cannot take (it passes its input to the
   * tokenizer as the first text only, so {text, text_pair} encodes as an empty text): the
   * pipeline's own tokenizer (with text_pair) and model, then its post-processing (softmax,
   * id2label).
   */
  via: 'pipeline' | 'tokenizer+model';
}

export interface ChildTensor {
  dims: number[];
  data: number[];
}

export interface ChildResponse {
  mlm: { ids: number[]; logits: ChildTensor }[];
  /** Null when the request has no classifier. */
  classifier: { inputIds: ChildTensor; attentionMask: ChildTensor; tokenTypeIds: ChildTensor; logits: ChildTensor } | null;
  /** Per textClassification model, per input. */
  textClassification: ChildLabels[][];
  /** Per questionAnswering input. */
  questionAnswering: ChildAnswer[];
}

const plain = (t: Tensor | undefined): ChildTensor => {
  if (!t) throw new Error('transformers.js gave no tensor');
  return { dims: [...t.dims], data: Array.from(t.data as ArrayLike<number | bigint>, Number) };
};

const request = JSON.parse(process.argv[2]) as ChildRequest;
const dirs = [request.mlm, request.classifier, ...(request.textClassification ?? []).map((t) => t.model), request.questionAnswering?.model].filter((d): d is string => d !== undefined);
if (dirs.length === 0 || dirs.some((d) => dirname(d) !== dirname(dirs[0]))) throw new Error('give export directories, all in one directory');
env.allowRemoteModels = false;
env.localModelPath = `${dirname(dirs[0])}/`;
const response: ChildResponse = { mlm: [], classifier: null, textClassification: [], questionAnswering: [] };

if (request.mlm !== undefined) {
  const [tokenizer, mlm] = await Promise.all([AutoTokenizer.from_pretrained(basename(request.mlm)), AutoModelForMaskedLM.from_pretrained(basename(request.mlm))]);
  for (const text of request.texts ?? []) {
    const inputs = tokenizer(text);
    const { logits } = await mlm(inputs);
    response.mlm.push({ ids: plain(inputs.input_ids).data, logits: plain(logits) });
  }
}

if (request.classifier !== undefined) {
  const [tokenizer, classifier] = await Promise.all([AutoTokenizer.from_pretrained(basename(request.classifier)), AutoModelForSequenceClassification.from_pretrained(basename(request.classifier))]);
  const pairs = request.pairs ?? [];
  const pair = tokenizer(
    pairs.map((p) => p[0]),
    { text_pair: pairs.map((p) => p[1]), padding: true },
  );
  const { logits } = await classifier(pair);
  response.classifier = { inputIds: plain(pair.input_ids), attentionMask: plain(pair.attention_mask), tokenTypeIds: plain(pair.token_type_ids), logits: plain(logits) };
}

for (const { model, inputs } of request.textClassification ?? []) {
  const classify = await pipeline('text-classification', basename(model));
  const { id2label } = classify.model.config as unknown as { id2label: Record<string, string> };
  const results: ChildLabels[] = [];
  for (const { text, textPair } of inputs) {
    const encoded = classify.tokenizer(text, { ...(textPair !== undefined ? { text_pair: textPair } : {}), padding: true, truncation: true });
    const logits = plain((await classify.model(encoded)).logits as Tensor).data;
    if (textPair === undefined) {
      const labels = (await classify(text, { top_k: null })) as { label: string; score: number }[];
      results.push({ labels, logits, via: 'pipeline' });
    } else {
      const probs = softmax(logits);
      const labels = probs.map((score, i) => ({ label: id2label[i], score })).sort((a, b) => b.score - a.score);
      results.push({ labels, logits, via: 'tokenizer+model' });
    }
  }
  response.textClassification.push(results);
}

if (request.questionAnswering !== undefined) {
  const { model, inputs, topK = 1 } = request.questionAnswering;
  const answer = await pipeline('question-answering', basename(model));
  for (const { question, context } of inputs) {
    const out = await answer(question, context, { top_k: topK });
    const answers = (Array.isArray(out) ? out : [out]) as QuestionAnsweringOutput[];
    // The pipeline's own tokenizer and model, as it calls them, for the raw logits.
    const encoded = answer.tokenizer(question, { text_pair: context, padding: true, truncation: true });
    const { start_logits, end_logits } = (await answer.model(encoded)) as { start_logits: Tensor; end_logits: Tensor };
    response.questionAnswering.push({
      answers: answers.flat().map((a) => ({ answer: a.answer, score: a.score })),
      ids: plain(encoded.input_ids).data,
      tokenTypeIds: plain(encoded.token_type_ids).data,
      startLogits: plain(start_logits).data,
      endLogits: plain(end_logits).data,
    });
  }
}
process.stdout.write(JSON.stringify(response));
