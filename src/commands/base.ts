import { Command, Errors } from '@oclif/core';
import { kebabFlag, OptionError, UserError } from '../util/errors.ts';

/** Parse-error lines that only point at --help; the one-line message leaves them out. */
const HELP_HINT = /^See more help with/;
/** The heading oclif puts over a list of failed flag validations. */
const LIST_HEAD = /^The following errors? occurred:?$/;
// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;

/** A (possibly multi-line, possibly coloured) oclif message folded into one plain line. */
export function oneLine(message: string): string {
  const lines = message
    .replace(ANSI, '')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !HELP_HINT.test(l));
  if (lines.length > 1 && LIST_HEAD.test(lines[0])) return lines.slice(1).join('; ');
  return lines.join(' ');
}

/**
 * The base of every albert command. A user's mistake (a UserError, ShapeError included, or an
 * oclif flag-parse error) prints as one line `Error: <message>` on stderr, without a stack, and
 * exits non-zero. Anything else is a bug: it is rethrown so oclif prints it with its stack.
 */
export abstract class AlbertCommand extends Command {
  /**
   * The flag behind each library option whose flag is not simply its kebab-case name
   * (config -> --albert-config-file); OptionErrors are shown with the flags the user typed.
   */
  static optionFlags: Record<string, string> = {};

  /** The flag behind a library option in this command: its optionFlags entry, else its kebab-case name. */
  static flagOf(option: string): string {
    return Object.hasOwn(this.optionFlags, option) ? this.optionFlags[option] : kebabFlag(option);
  }

  protected override async catch(err: Error & { exitCode?: number }): Promise<unknown> {
    if (err instanceof Errors.ExitError) throw err;
    if (err instanceof OptionError) {
      const command = this.constructor as typeof AlbertCommand;
      process.stderr.write(`Error: ${oneLine(OptionError.render(err.template, (o) => command.flagOf(o)))}\n`);
      throw new Errors.ExitError(1);
    }
    if (err instanceof UserError) {
      process.stderr.write(`Error: ${oneLine(err.message)}\n`);
      throw new Errors.ExitError(1);
    }
    if (err instanceof Errors.CLIError) {
      // Flag-parse errors and this.error(): their exit code, at least 1.
      process.stderr.write(`Error: ${oneLine(err.message)}\n`);
      throw new Errors.ExitError(err.oclif?.exit || 1);
    }
    return super.catch(err);
  }

  /** Writes a result to stdout, waiting until it has been handed to the OS (large outputs). */
  protected async writeStdout(text: string): Promise<void> {
    await new Promise<void>((resolve, reject) => process.stdout.write(text, (e) => (e ? reject(e) : resolve())));
  }

  /** Progress and summaries go to stderr, leaving stdout for results. */
  protected note(line: string): void {
    process.stderr.write(`${line}\n`);
  }
}
