import { Flags } from '@oclif/core';
import { AlbertCommand } from '../base.ts';
import { numberFlag } from '../number-flag.ts';

export default class EvaluateSquad extends AlbertCommand {
  static override summary = 'Score a SQuAD predictions file with the official v1.1 / v2.0 evaluation.';
  static override description =
    'Reads --data-file (the SQuAD JSON with the gold answers, dev-v1.1.json or dev-v2.0.json) and --predictions (a JSON object {question id: answer text}, ' +
    'the predictions.json `albert finetune squad` writes) and prints ONE JSON document with the official script\'s keys and values (percentages 0-100). ' +
    'v1.1 (evaluate-v1.1.py): exact_match, f1, plus unanswered (questions without a prediction, scored 0 and listed on stderr). ' +
    'v2.0 (evaluate-v2.0.py): exact, f1, total, HasAns_exact, HasAns_f1, HasAns_total, NoAns_exact, NoAns_f1, NoAns_total, and with --na-prob-file ' +
    'best_exact, best_exact_thresh, best_f1, best_f1_thresh; every question needs a prediction ("" for no answer). ' +
    '--version picks the script; by default 2.0 when a question has is_impossible or no answers, or --na-prob-file / --na-prob-thresh is given, else 1.1.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> --data-file dev-v1.1.json --predictions out/squad1/predictions.json',
    '<%= config.bin %> <%= command.id %> --data-file dev-v2.0.json --predictions out/squad2/predictions.json --na-prob-file out/squad2/null_odds.json',
  ];

  /** The library's naProbs (the probabilities themselves) come from --na-prob-file. */
  static override optionFlags: Record<string, string> = { naProbs: '--na-prob-file' };

  static override flags = {
    'data-file': Flags.string({ required: true, description: 'the SQuAD JSON file with the gold answers' }),
    predictions: Flags.string({ char: 'p', required: true, description: 'predictions.json: {question id: answer text}' }),
    'na-prob-file': Flags.string({ description: '(v2.0) null_odds.json: {question id: probability or score of no answer}' }),
    'na-prob-thresh': numberFlag({ description: '(v2.0) predict no answer when the null probability is above this (default 1.0)' }),
    version: Flags.string({ options: ['1.1', '2.0'], description: 'the official script to follow (default: from the data)' }),
    // The result is always one JSON document, as the official scripts print it; the flag is
    // taken so that --json works on every command that prints a result.
    json: Flags.boolean({ default: false, description: 'print one JSON document on stdout (what this command always prints)' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(EvaluateSquad);
    const { evaluateSquadFiles, squadResultDocument } = await import('../../tasks/squad/metrics.ts');
    const r = evaluateSquadFiles({
      dataFile: flags['data-file'],
      predictions: flags.predictions,
      naProbFile: flags['na-prob-file'],
      naProbThresh: flags['na-prob-thresh'],
      version: flags.version,
    });
    const shown = 10;
    for (const w of r.warnings.slice(0, shown)) this.note(w);
    if (r.warnings.length > shown) this.note(`... and ${r.warnings.length - shown} more`);
    if (r.unknownPredictions.length > 0) {
      this.note(`${r.unknownPredictions.length} prediction(s) for ids that are no question of ${flags['data-file']} were ignored (first: ${r.unknownPredictions[0]})`);
    }
    // The official scripts' keys as they print them (exact_match, HasAns_exact, ...): the outputs
    // the rest of our JSON follows, so they are not converted.
    await this.writeStdout(`${JSON.stringify(squadResultDocument(r), null, 2)}\n`);
  }
}
