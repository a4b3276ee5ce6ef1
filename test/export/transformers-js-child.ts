// Runs an exported directory in transformers.js, offline, and prints what it computed as JSON.
// A child process of export.test.ts: transformers.js brings its own onnxruntime-node (1.30),
// whose native library cannot share a process with ours (1.29: same soname, other symbol
// versions), so the two runtimes meet only through this JSON.
// Usage: node --import tsx transformers-js-child.ts '<request JSON>'
import { basename, dirname } from 'node:path';
import { env, AutoModelForMaskedLM, AutoModelForSequenceClassification, AutoTokenizer, type Tensor } from '@huggingface/transformers';

export interface ChildRequest {
  /** An export directory holding an MLM model: each text is tokenized and run alone. */
  mlm: string;
  texts: string[];
  /** An export directory holding a classifier: the pairs are run as one padded batch. */
  classifier: string;
  pairs: [string, string][];
}

export interface ChildTensor {
  dims: number[];
  data: number[];
}

export interface ChildResponse {
  mlm: { ids: number[]; logits: ChildTensor }[];
  classifier: { inputIds: ChildTensor; attentionMask: ChildTensor; tokenTypeIds: ChildTensor; logits: ChildTensor };
}

const plain = (t: Tensor | undefined): ChildTensor => {
  if (!t) throw new Error('transformers.js gave no tensor');
  return { dims: [...t.dims], data: Array.from(t.data as ArrayLike<number | bigint>, Number) };
};

const request = JSON.parse(process.argv[2]) as ChildRequest;
env.allowRemoteModels = false;
env.localModelPath = `${dirname(request.mlm)}/`;
if (dirname(request.classifier) !== dirname(request.mlm)) throw new Error('both exports must sit in one directory');
const [tokenizer, mlm, classifier] = await Promise.all([
  AutoTokenizer.from_pretrained(basename(request.mlm)),
  AutoModelForMaskedLM.from_pretrained(basename(request.mlm)),
  AutoModelForSequenceClassification.from_pretrained(basename(request.classifier)),
]);
const response: ChildResponse = { mlm: [], classifier: undefined as unknown as ChildResponse['classifier'] };
for (const text of request.texts) {
  const inputs = tokenizer(text);
  const { logits } = await mlm(inputs);
  response.mlm.push({ ids: plain(inputs.input_ids).data, logits: plain(logits) });
}
const pair = tokenizer(
  request.pairs.map((p) => p[0]),
  { text_pair: request.pairs.map((p) => p[1]), padding: true },
);
const { logits } = await classifier(pair);
response.classifier = { inputIds: plain(pair.input_ids), attentionMask: plain(pair.attention_mask), tokenTypeIds: plain(pair.token_type_ids), logits: plain(logits) };
process.stdout.write(JSON.stringify(response));
