import { Args, loadHelpClass } from '@oclif/core';
import { UserError } from '../util/errors.ts';
import { AlbertCommand } from './base.ts';
import { unknownCommandMessage } from './did-you-mean.ts';

export default class Help extends AlbertCommand {
  static override summary = 'Show the help of albert, of a topic or of a command (as --help and -h do).';
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> finetune glue'];
  // The command's words, as many as it has (finetune glue).
  static override strict = false;
  static override args = { command: Args.string({ description: 'the command or topic, its words separated by spaces' }) };

  async run(): Promise<void> {
    const { argv } = await this.parse(Help);
    const words = argv as string[];
    const wrong = unknownCommandMessage(words, this.config.commandIDs);
    if (wrong) throw new UserError(wrong);
    const HelpClass = await loadHelpClass(this.config);
    await new HelpClass(this.config, this.config.pjson.oclif.helpOptions ?? {}).showHelp(words);
  }
}
