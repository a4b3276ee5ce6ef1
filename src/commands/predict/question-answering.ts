import { Flags } from '@oclif/core';
import { readFileSync } from 'node:fs';
import { UserError } from '../../util/errors.ts';
import { AlbertCommand } from '../base.ts';
import { modelLoadFlags, modelLoadOptions } from './model-flags.ts';
import { snakeKeys } from '../json-keys.ts';

/** An answer's text on one line: control characters (newlines, tabs) as JSON escapes. */
// eslint-disable-next-line no-control-regex
const oneLineText = (text: string): string => text.replace(/[\u0000-\u001f]/g, (c) => JSON.stringify(c).slice(1, -1));

export default class QuestionAnsweringCommand extends AlbertCommand {
  static override summary = 'Find the answer to a question in a context with a SQuAD-fine-tuned model.';
  static override description =
    "Loads --model, an `albert export --head squad` directory (onnx/model.onnx, config.json, spiece.model) or a checkpoint with the span head (exported in memory, SentencePiece model from --spm-model-file or next to it), lays out [CLS] question [SEP] context [SEP] with SQuAD's windowing (a long context is cut into windows of --max-seq-length, a new one every --doc-stride pieces, the question cut to --max-query-length), runs every window in onnxruntime and picks the answer as the original's v1.1 post-processing does: the best start + end logit over all windows, at most --max-answer-length pieces. Prints the answer's score (its probability over the n-best list), its character span [start, end) in the context and its text, as it stands in the context; --top-k prints the k best. Results on stdout (--json: one JSON document), loading and timing on stderr.";
  static override examples = [
    '<%= config.bin %> <%= command.id %> --model web/albert-squad --question "What is the capital of France?" --context "Paris is the capital and largest city of France."',
    '<%= config.bin %> <%= command.id %> --model out/squad/checkpoint --question "Who wrote it?" --context-file article.txt --top-k 5 --json',
  ];

  static override flags = {
    model: Flags.string({ char: 'm', required: true, description: 'an `albert export --head squad` directory, or a checkpoint (directory, .safetensors, TF prefix, .tar.gz) with the span head' }),
    ...modelLoadFlags,
    question: Flags.string({ char: 'q', required: true, description: 'the question' }),
    context: Flags.string({ description: 'the text to find the answer in' }),
    'context-file': Flags.string({ description: 'read the context from a file (- for stdin) instead of --context' }),
    'top-k': Flags.integer({ description: 'print the k best answers (default 1)' }),
    'max-answer-length': Flags.integer({ description: 'longest answer in pieces (default 30)' }),
    'doc-stride': Flags.integer({ description: 'a new window every this many context pieces (default 128)' }),
    'max-seq-length': Flags.integer({ description: "longest window with the question, [CLS] and two [SEP] (default 384, or the model's max_position_embeddings when smaller)" }),
    'max-query-length': Flags.integer({ description: 'the question is cut to this many pieces (default 64)' }),
    'n-best-size': Flags.integer({ description: 'candidate starts and ends per window, and the n-best list the scores are a softmax over (default 20)' }),
    json: Flags.boolean({ default: false, description: 'print one JSON document on stdout' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(QuestionAnsweringCommand);
    const { QuestionAnswerer, checkQuestionAnsweringInput, resolveQuestionAnsweringSettings } = await import('../../predict/question-answering.ts');
    const settings = {
      topK: flags['top-k'],
      maxAnswerLength: flags['max-answer-length'],
      docStride: flags['doc-stride'],
      maxSeqLength: flags['max-seq-length'],
      maxQueryLength: flags['max-query-length'],
      nBestSize: flags['n-best-size'],
    };
    resolveQuestionAnsweringSettings(settings);
    if (flags.context !== undefined && flags['context-file'] !== undefined) throw new UserError('give the context with --context or --context-file, not both');
    if (flags.context === undefined && flags['context-file'] === undefined) throw new UserError('no context: give --context TEXT or --context-file FILE');
    const input = { question: flags.question, context: flags.context ?? readContextFile(flags['context-file']!) };
    checkQuestionAnsweringInput(input);
    const t0 = performance.now();
    const model = await QuestionAnswerer.load(modelLoadOptions(flags, (line) => this.note(line)));
    const loadSeconds = (performance.now() - t0) / 1000;
    // Reported once the question is known to fit, so that one the model cannot take fails in one line.
    const s = model.settings(settings);
    const r = await model.predict(input, s);
    this.note(`loaded ${flags.model} (${model.kind === 'export' ? 'export' : 'checkpoint, exported in memory'}) in ${loadSeconds.toFixed(2)} s`);
    const w = r.windows.length;
    this.note(`${w} window${w === 1 ? '' : 's'} (max_seq_length ${s.maxSeqLength}, doc_stride ${s.docStride}), model run ${(r.runSeconds * 1000).toFixed(1)} ms`);
    if (flags.json) {
      const doc = { question: r.question, context: r.context, answers: r.answers, windows: w, settings: s };
      await this.writeStdout(`${JSON.stringify(snakeKeys(doc, ['settings', 'answers']), null, 2)}\n`);
      return;
    }
    if (r.answers.length === 0) {
      await this.writeStdout('(no answer: no valid span among the n-best starts and ends)\n');
      return;
    }
    const spans = r.answers.map((a) => `[${a.start}, ${a.end})`);
    const width = Math.max(...spans.map((x) => x.length));
    await this.writeStdout(r.answers.map((a, i) => `${a.score.toFixed(4)}  ${spans[i].padEnd(width)}  ${oneLineText(a.text)}\n`).join(''));
  }
}

/** The context from a file (- for stdin); an unreadable file is a one-line error naming it. */
function readContextFile(path: string): string {
  try {
    return readFileSync(path === '-' ? 0 : path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(`--context-file ${path}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory, not a text file' : (e as Error).message}`);
  }
}
