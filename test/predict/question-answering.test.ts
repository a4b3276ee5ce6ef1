// Question answering end to end: a span-head (squad) checkpoint and its export answer alike;
// answers are spans of the context (text === context.slice(start, end)) ranked as the
// original's v1.1 post-processing ranks them (nbestV1); long contexts are windowed as in
// fine-tuning; transformers.js's pipeline('question-answering') loads the export offline and
// picks the same answer (run in a child process: it brings its own onnxruntime); the CLI.
// The weights are random, so the checks hold whatever the logits are.
import { snakeKeys } from '../../src/commands/json-keys.ts';
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../../src/ir/errors.ts';
import { exportModel, writeExport } from '../../src/export/export.ts';
import { SPACE_SYMBOL } from '../../src/text/utf8.ts';
import { alignContext, charSpanToPieces } from '../../src/tasks/squad/align.ts';
import { squadFeatures } from '../../src/tasks/squad/features.ts';
import { nbestV1, type SquadFeatureSpans } from '../../src/tasks/squad/postprocess.ts';
import {
  QuestionAnswerer,
  predictQuestionAnswering,
  spanAnswers,
  type QuestionAnsweringInput,
  type QuestionAnsweringResult,
  type ResolvedQuestionAnsweringSettings,
} from '../../src/predict/question-answering.ts';
import type { ChildRequest, ChildResponse } from '../export/transformers-js-child.ts';
import { SENTENCES, tempDir, tinyConfig, trainSpm, writeCheckpoint } from '../export/fixtures.ts';
import { albert, albertWith, assertOneLineError } from '../helpers/cli.ts';

const CHILD = fileURLToPath(new URL('../export/transformers-js-child.ts', import.meta.url));

const INPUTS: QuestionAnsweringInput[] = [
  { question: 'What is the capital of France?', context: SENTENCES[0] },
  { question: 'Where did Élodie come from?', context: `${SENTENCES[4]} ${SENTENCES[1]}` },
  { question: 'How much was paid?', context: `  ${SENTENCES[2]}\n\n${SENTENCES[8]}  ` },
  { question: "Who's quoted?", context: `${SENTENCES[5]} ${SENTENCES[9]}` },
];
/** Several windows at maxSeqLength 48 (the test tokenizer has 160 pieces: words take several). */
const LONG: QuestionAnsweringInput = { question: 'Which city?', context: SENTENCES.slice(0, 3).join(' ') };

const oneLine = (pattern: RegExp) => (e: unknown) => {
  assert.ok(e instanceof UserError, `not a UserError: ${String(e)}`);
  assert.ok(!e.message.includes('\n'), e.message);
  assert.match(e.message, pattern);
  return true;
};

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** What holds of any answer list, whatever the logits: spans of the context, best first, probabilities. */
function assertConsistent(r: QuestionAnsweringResult, maxAnswerLength = 30): void {
  const { context, answers } = r;
  assert.ok(answers.length > 0, 'no answer');
  const texts = new Set<string>();
  answers.forEach((a, i) => {
    assert.ok(a.start >= 0 && a.start <= a.end && a.end <= context.length, `span [${a.start}, ${a.end}) outside the context`);
    assert.equal(context.slice(a.start, a.end), a.text);
    assert.equal(a.text, a.text.trim());
    assert.ok(!texts.has(a.text), `duplicate text ${a.text}`);
    texts.add(a.text);
    assert.ok(a.score > 0 && a.score <= 1);
    if (i > 0) assert.ok(a.score <= answers[i - 1].score && a.startLogit + a.endLogit <= answers[i - 1].startLogit + answers[i - 1].endLogit, 'not best first');
    const w = r.windows[a.window];
    assert.ok(w, `window ${a.window}`);
    // Start and end in the window's passage, in order, not too long; the logits are the window's.
    assert.ok(a.startToken >= w.docOffset && a.endToken < w.docOffset + w.docSpanLength && a.startToken <= a.endToken);
    assert.ok(a.endToken - a.startToken + 1 <= maxAnswerLength);
    assert.equal(a.startLogit, w.startLogits[a.startToken]);
    assert.equal(a.endLogit, w.endLogits[a.endToken]);
  });
  assert.ok(answers.reduce((s, a) => s + a.score, 0) <= 1 + 1e-9);
}

/** The same windows through nbestV1 (the finetune's post-processing), for comparison. */
function viaNbestV1(model: QuestionAnswerer, input: QuestionAnsweringInput, r: QuestionAnsweringResult, s: ResolvedQuestionAnsweringSettings) {
  const example = { id: 'q', question: input.question, context: input.context, answers: [], isImpossible: false };
  const f = squadFeatures([example], model.tokenizer, { maxSeqLength: s.maxSeqLength, docStride: s.docStride, maxQueryLength: s.maxQueryLength, training: false });
  const L = f.seqLength;
  assert.equal(f.count, r.windows.length);
  const spans: SquadFeatureSpans[] = f.features.map((info) => ({
    exampleIndex: 0,
    tokenToOrigChar: Array.from(info.tokenToOrigStart, (st, p) => (st >= 0 ? ([st, info.tokenToOrigEnd[p]] as const) : null)),
    tokenIsMaxContext: Array.from(info.tokenIsMaxContext, (x) => x === 1),
  }));
  // Padding positions get -Infinity: here only real tokens compete (see the module comment).
  const start = new Float64Array(f.count * L).fill(-Infinity);
  const end = new Float64Array(f.count * L).fill(-Infinity);
  r.windows.forEach((w, k) => {
    assert.deepEqual(w.ids, Array.from(f.inputIds.subarray(k * L, k * L + w.ids.length)));
    start.set(w.startLogits, k * L);
    end.set(w.endLogits, k * L);
  });
  return nbestV1(spans, { start, end, seqLength: L }, [example], { version: '1.1', nBestSize: s.nBestSize, maxAnswerLength: s.maxAnswerLength })[0];
}

describe('predict question-answering', () => {
  const root = tempDir('qa');
  const web = join(root, 'web');
  const qaExport = join(web, 'squad');
  let ckpt: string;
  let mlmExport: string;
  let clsCkpt: string;

  before(async () => {
    const spm = trainSpm(root);
    const cfg = tinyConfig(spm.pieces);
    ckpt = writeCheckpoint(join(root, 'ckpt-squad'), cfg, 'squad', { spm: spm.path, seed: 11 }).dir;
    const r = await exportModel({ initCheckpoint: ckpt });
    assert.equal(r.head, 'squad');
    writeExport(r, qaExport);
    mlmExport = join(web, 'mlm');
    writeExport(await exportModel({ initCheckpoint: writeCheckpoint(join(root, 'ckpt-mlm'), cfg, 'pretraining', { spm: spm.path }).dir }), mlmExport);
    clsCkpt = writeCheckpoint(join(root, 'ckpt-cls'), cfg, 'classifier', { numLabels: 2, spm: spm.path }).dir;
  });

  it('a checkpoint and its export give the same answers: spans of the context, ranked as nbestV1 ranks them', async () => {
    const fromCheckpoint = await predictQuestionAnswering({ model: ckpt, topK: 20 }, INPUTS);
    const model = await QuestionAnswerer.load({ model: qaExport });
    assert.equal(model.kind, 'export');
    assert.equal(model.maxLength, 64);
    const s = model.settings({ topK: 20 });
    // 384 is cut to what the tiny model takes.
    assert.deepEqual(s, { topK: 20, maxAnswerLength: 30, docStride: 128, maxSeqLength: 64, maxQueryLength: 64, nBestSize: 20 });
    const fromExport = await model.predictAll(INPUTS, { topK: 20 });
    for (const [i, input] of INPUTS.entries()) {
      const [a, b] = [fromCheckpoint[i], fromExport[i]];
      assert.deepEqual(a.windows.map((w) => w.ids), b.windows.map((w) => w.ids));
      a.windows.forEach((w, k) => {
        assert.ok(maxAbsDiff(w.startLogits, b.windows[k].startLogits) < 1e-5);
        assert.ok(maxAbsDiff(w.endLogits, b.windows[k].endLogits) < 1e-5);
      });
      if (i === 0) {
        // One window: [CLS] question [SEP] context [SEP], the context in segment 1.
        assert.equal(a.windows.length, 1);
        const w = a.windows[0];
        const q = model.tokenizer.encode(input.question);
        assert.deepEqual(w.ids, [model.tokenizer.clsId, ...q, model.tokenizer.sepId, ...model.tokenizer.encode(input.context), model.tokenizer.sepId]);
        assert.deepEqual(w.tokenTypeIds, w.ids.map((_, k) => (k < q.length + 2 ? 0 : 1)));
      }
      assertConsistent(a);
      assertConsistent(b);
      assert.deepEqual(a.answers.map((x) => [x.text, x.start, x.end]), b.answers.map((x) => [x.text, x.start, x.end]));
      a.answers.forEach((x, k) => assert.ok(Math.abs(x.score - b.answers[k].score) < 1e-5));
      // The whole n-best (topK = nBestSize) is nbestV1's, texts, probabilities and logits.
      const ref = viaNbestV1(model, input, b, s);
      assert.deepEqual(b.answers.map((x) => x.text), ref.nbest.map((e) => e.text));
      b.answers.forEach((x, k) => {
        assert.ok(Math.abs(x.score - ref.nbest[k].probability) < 1e-12);
        assert.equal(x.startLogit, ref.nbest[k].start_logit);
        assert.equal(x.endLogit, ref.nbest[k].end_logit);
      });
      assert.ok(Math.abs(b.answers.reduce((t, x) => t + x.score, 0) - 1) < 1e-9, 'the n-best probabilities sum to 1');
    }
    // The context's own characters come back (accents, case, quotes, surrounding whitespace cut).
    for (const r of fromExport) for (const x of r.answers) assert.equal(r.context.slice(x.start, x.end), x.text);
    // topK: the first k of the same list; a smaller n-best renormalises over fewer entries.
    const top3 = await model.predict(INPUTS[1], { topK: 3 });
    assert.deepEqual(top3.answers, fromExport[1].answers.slice(0, 3));
    const short = await model.predict(INPUTS[1], { topK: 5, nBestSize: 5 });
    assert.ok(short.answers.length <= 5);
    if (short.answers.length > 0) {
      assertConsistent(short);
      assert.ok(Math.abs(short.answers.reduce((t, x) => t + x.score, 0) - 1) < 1e-9);
    }
    // maxAnswerLength 1: single pieces only.
    for (const x of (await model.predict(INPUTS[1], { topK: 20, maxAnswerLength: 1 })).answers) assert.equal(x.startToken, x.endToken);
  });

  it('a context longer than one window is answered over all its windows', async () => {
    const model = await QuestionAnswerer.load({ model: qaExport });
    const settings = { topK: 20, maxSeqLength: 48, docStride: 16 };
    const s = model.settings(settings);
    const r = await model.predict(LONG, settings);
    assert.ok(r.windows.length >= 4, `${r.windows.length} windows`);
    // Windows every docStride pieces, each at most maxSeqLength, the last ending with the context.
    const pieces = model.tokenizer.encode(LONG.context).length;
    r.windows.forEach((w, k) => {
      assert.ok(w.ids.length <= 48);
      assert.equal(w.docSpanStart, k * 16);
      assert.equal(w.ids.length, w.docOffset + w.docSpanLength + 1);
    });
    const last = r.windows[r.windows.length - 1];
    assert.equal(last.docSpanStart + last.docSpanLength, pieces);
    assertConsistent(r);
    const ref = viaNbestV1(model, LONG, r, s);
    assert.deepEqual(r.answers.map((x) => x.text), ref.nbest.map((e) => e.text));
    r.answers.forEach((x, k) => assert.ok(Math.abs(x.score - ref.nbest[k].probability) < 1e-12));
    assert.ok(new Set(r.answers.map((x) => x.window)).size > 1, 'answers from one window only');

    // Logits that point at one word of a later window: the answer is that word, cut from the context.
    const example = { id: 'long', question: LONG.question, context: LONG.context, answers: [], isImpossible: false };
    const f = squadFeatures([example], model.tokenizer, { maxSeqLength: 48, docStride: 16, maxQueryLength: 64, training: false });
    const word = 'Ångström';
    const target = LONG.context.indexOf(word);
    const range = charSpanToPieces(alignContext(LONG.context, model.tokenizer), target, target + word.length)!;
    assert.ok(range);
    // Every window holding the word gets high logits on its first and last piece; only the
    // window where the first piece has the most context may answer.
    let answerWindow = -1;
    const windows = f.features.map((feature, k) => {
      const start = new Float64Array(f.seqLength);
      const end = new Float64Array(f.seqLength);
      const pos = (piece: number) => feature.docOffset + piece - feature.docSpanStart;
      const inside = (piece: number) => piece >= feature.docSpanStart && piece < feature.docSpanStart + feature.docSpanLength;
      if (inside(range.first) && inside(range.last)) {
        start[pos(range.first)] = 5;
        end[pos(range.last)] = 5;
        if (feature.tokenIsMaxContext[pos(range.first)] === 1) answerWindow = k;
      }
      return { feature, start, end };
    });
    assert.ok(answerWindow > 0, `the word is answered in window ${answerWindow}`);
    const [best] = spanAnswers(LONG.context, windows, { nBestSize: 20, maxAnswerLength: 30 });
    assert.equal(best.text, word);
    assert.equal(best.window, answerWindow);
    assert.deepEqual([best.start, best.end], [target, target + word.length]);
  });

  it('transformers.js answers like our runtime (pipeline for the answer, its tokenizer and model for the logits)', async (t) => {
    // nBestSize and maxAnswerLength as long as the sequence: the n-best then sees every span of
    // the context, as the pipeline does (which has neither limit).
    const inputs: QuestionAnsweringInput[] = [
      { question: 'what is the capital?', context: 'the capital of france is paris' },
      { question: 'who said hello?', context: 'Élodie said hello to Zoë in Zürich' },
    ];
    const model = await QuestionAnswerer.load({ model: qaExport });
    const ours = await model.predictAll(inputs, { topK: 1, nBestSize: 64, maxAnswerLength: 64 });
    for (const r of ours) assert.equal(r.windows.length, 1);
    const request: ChildRequest = { questionAnswering: { model: qaExport, inputs } };
    const out = execFileSync(process.execPath, ['--import', 'tsx', CHILD, JSON.stringify(request)], { encoding: 'utf8', maxBuffer: 64 << 20 });
    const theirs = (JSON.parse(out) as ChildResponse).questionAnswering;
    assert.equal(theirs.length, inputs.length);
    t.diagnostic(
      "transformers.js 4.3.1's question-answering pipeline runs one unwindowed sequence and scores a span softmax(start)[s] x softmax(end)[e] over the context tokens; ours (the original's) is the softmax of start + end logits over the n-best list. Both rank spans by start + end logit, so the best answer is the same; the pipeline decodes it from the pieces (lower-cased, accents stripped) where we cut it from the context.",
    );
    theirs.forEach((th, i) => {
      const r = ours[i];
      const w = r.windows[0];
      // The same ids and segments from its tokenizer.json as from our tokenizer, and the same logits.
      assert.deepEqual(th.ids, w.ids);
      assert.deepEqual(th.tokenTypeIds, w.tokenTypeIds);
      assert.ok(maxAbsDiff(th.startLogits, w.startLogits) < 1e-4, `start logits of input ${i}`);
      assert.ok(maxAbsDiff(th.endLogits, w.endLogits) < 1e-4, `end logits of input ${i}`);
      const [best] = r.answers;
      // Our answer's pieces decode to the pipeline's answer text.
      const decoded = model.tokenizer.convertIdsToTokens(w.ids.slice(best.startToken, best.endToken + 1)).join('').replaceAll(SPACE_SYMBOL, ' ').trim();
      assert.equal(th.answers[0].answer, decoded, `input ${i}`);
      if (i === 0) assert.equal(th.answers[0].answer, best.text);
      // Its score, from our logits by its definition (CLS in the softmax, then zeroed; question and [SEP]s out).
      const firstSep = w.ids.indexOf(model.tokenizer.sepId);
      const masked = (logits: number[]) => logits.map((x, k) => (k === 0 || (k > firstSep && k < logits.length - 1) ? x : -Infinity));
      const softmax = (xs: number[]) => {
        const m = Math.max(...xs);
        const e = xs.map((x) => Math.exp(x - m));
        const sum = e.reduce((a, b) => a + b, 0);
        return e.map((x) => x / sum);
      };
      const ps = softmax(masked(w.startLogits));
      const pe = softmax(masked(w.endLogits));
      assert.ok(Math.abs(th.answers[0].score - ps[best.startToken] * pe[best.endToken]) < 1e-5, `${th.answers[0].score} vs ${ps[best.startToken] * pe[best.endToken]}`);
    });
  });

  it('refuses models without a span head, and inputs it cannot take, in one line', async () => {
    await assert.rejects(QuestionAnswerer.load({ model: mlmExport }), oneLine(/mlm\/onnx\/model\.onnx: has no "start_logits" output \(outputs: logits\): question-answering needs an export of the span head/));
    await assert.rejects(QuestionAnswerer.load({ model: clsCkpt }), oneLine(/ckpt-cls: not a question-answering checkpoint \(its head is classifier\)/));
    await assert.rejects(predictQuestionAnswering({ model: join(root, 'absent') }, INPUTS), oneLine(/absent not found/));
    const model = await QuestionAnswerer.load({ model: qaExport });
    await assert.rejects(model.predict({ question: 'what?', context: '' }), oneLine(/^the context is empty/));
    await assert.rejects(model.predict({ question: 'what?', context: ' \n\t ', where: 'q.json:2' }), oneLine(/^q\.json:2: the context is empty/));
    await assert.rejects(model.predict({ question: '  ', context: 'some text' }), oneLine(/^the question is empty/));
    await assert.rejects(model.predict(INPUTS[0], { topK: 0 }), oneLine(/^topK must be a positive integer \(got 0\)/));
    await assert.rejects(model.predict(INPUTS[0], { maxSeqLength: 128 }), oneLine(/^maxSeqLength 128 is longer than the model takes \(max_position_embeddings 64\)/));
    await assert.rejects(model.predict(INPUTS[0], { docStride: 0 }), oneLine(/^docStride must be a positive integer/));
    await assert.rejects(model.predict({ question: 'word '.repeat(40), context: 'text' }), oneLine(/^the question is \d+ pieces long \(cut to maxQueryLength 64\): .* no room for the context in maxSeqLength 64/));
    // Cut to maxQueryLength, the same question fits.
    assertConsistent(await model.predict({ question: 'word '.repeat(40), context: SENTENCES[0] }, { maxQueryLength: 16 }));
    await assert.rejects(predictQuestionAnswering({ model: qaExport, topK: -1 }, INPUTS), oneLine(/^topK must be a positive integer/));
  });
});

describe('albert predict question-answering', () => {
  const root = tempDir('qa-cli');
  let exported: string;
  let mlm: string;

  before(async () => {
    const spm = trainSpm(root);
    const cfg = tinyConfig(spm.pieces);
    exported = join(root, 'web', 'squad');
    writeExport(await exportModel({ initCheckpoint: writeCheckpoint(join(root, 'ckpt'), cfg, 'squad', { spm: spm.path, seed: 4 }).dir }), exported);
    mlm = join(root, 'web', 'mlm');
    writeExport(await exportModel({ initCheckpoint: writeCheckpoint(join(root, 'ckpt-mlm'), cfg, 'mlm', { spm: spm.path }).dir }), mlm);
  });

  it('prints score, span and text; --json gives one document with the library\'s answers', async () => {
    const { question, context } = INPUTS[0];
    const [plain, json] = await Promise.all([
      albert('predict', 'question-answering', '--model', exported, '--question', question, '--context', context, '--top-k', '3', '--threads', '1'),
      albert('predict', 'question-answering', '--model', exported, '--question', 'who?', '--context', INPUTS[1].context, '--top-k', '3', '--json', '--max-seq-length', '24', '--doc-stride', '4'),
    ]);
    assert.equal(plain.code, 0, plain.stderr);
    assert.match(plain.stderr, /loaded .* \(export\) in \d+\.\d+ s/);
    assert.match(plain.stderr, /1 window \(max_seq_length 64, doc_stride 128\), model run \d+\.\d ms/);
    const ours = await (await QuestionAnswerer.load({ model: exported })).predict({ question, context }, { topK: 3 });
    const rows = plain.stdout.trimEnd().split('\n');
    assert.equal(rows.length, 3);
    rows.forEach((row, i) => {
      const m = /^(\d\.\d{4}) {2}\[(\d+), (\d+)\) *  (.*)$/.exec(row);
      assert.ok(m, `bad row ${JSON.stringify(row)}`);
      const a = ours.answers[i];
      assert.deepEqual([Number(m[1]), Number(m[2]), Number(m[3]), m[4]], [Number(a.score.toFixed(4)), a.start, a.end, a.text]);
    });

    assert.equal(json.code, 0, json.stderr);
    assert.match(json.stderr, /\d+ windows \(max_seq_length 24, doc_stride 4\)/);
    const doc = JSON.parse(json.stdout) as { question: string; context: string; answers: QuestionAnsweringResult['answers']; windows: number; settings: ResolvedQuestionAnsweringSettings };
    assert.deepEqual([doc.question, doc.context], ['who?', INPUTS[1].context]);
    assert.ok(doc.windows > 1);
    assert.deepEqual(doc.settings, { top_k: 3, max_answer_length: 30, doc_stride: 4, max_seq_length: 24, max_query_length: 64, n_best_size: 20 });
    const windowed = await (await QuestionAnswerer.load({ model: exported })).predict({ question: 'who?', context: INPUTS[1].context }, { topK: 3, maxSeqLength: 24, docStride: 4 });
    assert.deepEqual(doc.answers, windowed.answers.map((a) => snakeKeys(a as unknown as Record<string, unknown>)));
    for (const a of doc.answers) assert.equal(INPUTS[1].context.slice(a.start, a.end), a.text);
  });

  it('reads the context from a file or stdin', async () => {
    const file = join(root, 'context.txt');
    writeFileSync(file, `${LONG.context}\n`);
    const [fromFile, fromStdin] = await Promise.all([
      albert('predict', 'question-answering', '-m', exported, '-q', LONG.question, '--context-file', file, '--json'),
      albertWith(['predict', 'question-answering', '-m', exported, '-q', LONG.question, '--context-file', '-', '--json'], { stdin: `${LONG.context}\n` }),
    ]);
    assert.equal(fromFile.code, 0, fromFile.stderr);
    assert.equal(fromStdin.code, 0, fromStdin.stderr);
    assert.deepEqual(JSON.parse(fromFile.stdout), JSON.parse(fromStdin.stdout));
    const doc = JSON.parse(fromFile.stdout) as { context: string; answers: { text: string; start: number; end: number }[] };
    assert.equal(doc.context, `${LONG.context}\n`);
    assert.equal(doc.answers.length, 1);
    assert.equal(doc.context.slice(doc.answers[0].start, doc.answers[0].end), doc.answers[0].text);
  });

  it('reports errors in one line', async () => {
    const base = ['predict', 'question-answering', '--model', exported, '--question', 'what?'];
    const runs = await Promise.all([
      albert(...base, '--context', 'text', '--top-k', '0'),
      albert(...base, '--context', ''),
      albert(...base),
      albert(...base, '--context', 'a', '--context-file', 'b'),
      albert(...base, '--context-file', join(root, 'absent.txt')),
      albert(...base, '--context', 'text', '--max-seq-length', '100'),
      albert('predict', 'question-answering', '--model', mlm, '--question', 'what?', '--context', 'text'),
      albert('predict', 'question-answering', '--model', join(root, 'nothing'), '--question', 'what?', '--context', 'text'),
    ]);
    assertOneLineError(runs[0], /^Error: --top-k must be a positive integer \(got 0\)$/);
    assertOneLineError(runs[1], /^Error: the context is empty/);
    assertOneLineError(runs[2], /^Error: no context: give --context TEXT or --context-file FILE$/);
    assertOneLineError(runs[3], /^Error: give the context with --context or --context-file, not both$/);
    assertOneLineError(runs[4], /^Error: --context-file .*absent\.txt: no such file$/);
    assertOneLineError(runs[5], /^Error: --max-seq-length 100 is longer than the model takes \(max_position_embeddings 64\)$/);
    assertOneLineError(runs[6], /^Error: .*mlm\/onnx\/model\.onnx: has no "start_logits" output .*: question-answering needs an export of the span head/);
    assertOneLineError(runs[7], /^Error: .*nothing not found/);
    assert.equal(runs[0].code, 1);
  });
});
