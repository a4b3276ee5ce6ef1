import { Flags } from '@oclif/core';
import { UserError } from '../../util/errors.ts';
import { AlbertCommand } from '../base.ts';
import { modelLoadFlags, modelLoadOptions } from './model-flags.ts';
import { snakeKeys } from '../json-keys.ts';

export default class MultipleChoiceCommand extends AlbertCommand {
  static override summary = 'Score the options of a multiple-choice question with a fine-tuned multiple-choice model.';
  static override description =
    'Loads --model, an `albert export --head multiple-choice` directory or a checkpoint with a multiple-choice head (exported in memory), encodes each option as fine-tuning did ' +
    '([CLS] context [SEP] question-with-option [SEP]) and prints every option with its softmax probability, best first. With --input FILE (- for stdin), JSONL {context, question, options}, ' +
    'one line per question: option<TAB>probability pairs, best first. --json: one JSON document.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> --model out/mc/best --context "The cat is red." --question "The animal is _ ." --option red --option blue --option green',
  ];

  static override flags = {
    model: Flags.string({ char: 'm', required: true, description: 'an `albert export` directory, or a checkpoint with a multiple-choice head' }),
    ...modelLoadFlags,
    context: Flags.string({ description: 'the passage' }),
    question: Flags.string({ description: 'the question ("_" marks a blank the option fills)' }),
    option: Flags.string({ multiple: true, description: 'an answer option (repeat for each)' }),
    input: Flags.string({ char: 'i', description: 'JSONL questions {context, question, options} (- for stdin) instead of --context/--question/--option' }),
    'max-seq-length': Flags.integer({ default: 128, min: 4, description: 'tokens per option sequence' }),
    'max-qa-length': Flags.integer({ default: 64, min: 1, description: 'the question-with-option keeps its last this many pieces' }),
    json: Flags.boolean({ default: false, description: 'print one JSON document on stdout' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(MultipleChoiceCommand);
    const { MultipleChoicePredictor, readMultipleChoiceInputs } = await import('../../predict/multiple-choice.ts');
    const direct = flags.context !== undefined || flags.question !== undefined || flags.option !== undefined;
    if (flags.input !== undefined && direct) throw new UserError('give --context/--question/--option or --input FILE, not both');
    if (flags.input === undefined && (flags.context === undefined || flags.question === undefined || (flags.option ?? []).length < 2)) {
      throw new UserError('nothing to score: give --context, --question and at least two --option, or --input FILE');
    }
    const inputs = flags.input !== undefined ? readMultipleChoiceInputs(flags.input) : [{ context: flags.context!, question: flags.question!, options: flags.option! }];
    const t0 = performance.now();
    const model = await MultipleChoicePredictor.load(modelLoadOptions(flags, (line) => this.note(line)));
    this.note(`loaded ${flags.model} (${model.kind === 'export' ? 'export' : 'checkpoint, exported in memory'}) in ${((performance.now() - t0) / 1000).toFixed(2)} s`);
    const results = [];
    for (const x of inputs) results.push(await model.predict(x, { maxSeqLength: flags['max-seq-length'], maxQaLength: flags['max-qa-length'] }));
    if (flags.json) {
      const doc = (r: object): Record<string, unknown> => snakeKeys(r as Record<string, unknown>, ['scores']);
      await this.writeStdout(flags.input === undefined ? `${JSON.stringify(doc(results[0]), null, 2)}\n` : `[\n${results.map((r) => JSON.stringify(doc(r))).join(',\n')}\n]\n`);
      return;
    }
    if (flags.input !== undefined) {
      await this.writeStdout(results.map((r) => `${r.scores.map((s) => `${s.option}\t${s.score.toFixed(4)}`).join('\t')}\n`).join(''));
      return;
    }
    const { scores } = results[0];
    const width = Math.max(...scores.map((s) => s.option.length));
    await this.writeStdout(scores.map((s) => `${s.option.padEnd(width)}  ${s.score.toFixed(4)}\n`).join(''));
  }
}
