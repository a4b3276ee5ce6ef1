import { Command, Errors, Flags, loadHelpClass } from '@oclif/core';
import type { Input, ParserOutput } from '@oclif/core/interfaces';
import { kebabFlag, OptionError, UserError } from '../util/errors.ts';
import { ArgvError, type FlagShape, normaliseArgv, type OriginalFlagTable } from './argv.ts';

/** The flag of every command that loads weights (the library's allowNonFinite option). */
export const allowNonFiniteFlag = Flags.boolean({ default: false, description: 'load weights holding NaN or Inf instead of refusing them (for debugging)' });
/** Library options whose flag is the same, and not their kebab-case name, in every command. */
const COMMON_OPTION_FLAGS: Record<string, string> = { allowNonFinite: '--allow-nonfinite-weights' };

/** Parse-error lines that only point at --help; the one-line message leaves them out. */
const HELP_HINT = /^See more help with/;
/** The heading oclif puts over a list of failed flag validations. */
const LIST_HEAD = /^The following errors? occurred:?$/;
// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;

/** Exit codes: a usage error (the command line itself: flags, arguments), anything else the user got wrong. */
export const EXIT_USAGE = 2;
export const EXIT_ERROR = 1;

/**
 * Something wrong with the command line itself, found while parsing it: unknown or missing flags,
 * bad flag values (oclif's own checks and our custom flags' parse functions), unexpected arguments.
 */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

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
   * (maxPredictions -> --max-predictions-per-seq); OptionErrors are shown with the command's canonical flags (flag-names.ts).
   */
  static optionFlags: Record<string, string> = {};

  /**
   * The original script's flags this command takes under another name, ignores or refuses
   * (original-flags.ts); their snake_case spellings and absl's boolean forms need no entry.
   */
  static originalFlags: OriginalFlagTable = {};

  /** The flag behind a library option in this command: its optionFlags entry, else its kebab-case name. */
  static flagOf(option: string): string {
    return Object.hasOwn(this.optionFlags, option) ? this.optionFlags[option] : Object.hasOwn(COMMON_OPTION_FLAGS, option) ? COMMON_OPTION_FLAGS[option] : kebabFlag(option);
  }

  /** Parses the command line; whatever is wrong with it becomes a UsageError (exit 2). */
  protected override async parse<F extends Record<string, unknown>, B extends Record<string, unknown>, A extends Record<string, unknown>>(
    options?: Input<F, B, A>,
    argv?: string[],
  ): Promise<ParserOutput<F, B, A>> {
    try {
      const command = this.constructor as typeof AlbertCommand;
      const input = options ?? (command as unknown as Input<F, B, A>);
      const given = argv ?? this.argv;
      const flags = { ...input.baseFlags, ...input.flags } as unknown as Record<string, FlagShape & { char?: string }>;
      const end = given.indexOf('--');
      // -h asks for help, as --help does (oclif sees --help before the command runs), unless a flag is -h.
      if ((end < 0 ? given : given.slice(0, end)).includes('-h') && !Object.values(flags).some((f) => f.char === 'h')) {
        const Help = await loadHelpClass(this.config);
        await new Help(this.config, this.config.pjson.oclif.helpOptions ?? {}).showHelp([this.id ?? '']);
        this.exit(0);
      }
      const normal = normaliseArgv(given, flags, command.originalFlags);
      for (const line of normal.notes) this.note(line);
      return await super.parse(options, normal.argv);
    } catch (e) {
      if (e instanceof ArgvError) throw new UsageError(e.message);
      if (e instanceof Errors.ExitError || !(e instanceof Error)) throw e;
      throw new UsageError(e.message);
    }
  }

  protected override async catch(err: Error & { exitCode?: number }): Promise<unknown> {
    if (err instanceof Errors.ExitError) throw err;
    if (err instanceof UsageError) {
      // The command line itself: exit 2, whatever code oclif or a flag's parser gave it.
      process.stderr.write(`Error: ${oneLine(err.message)}\n`);
      throw new Errors.ExitError(EXIT_USAGE);
    }
    if (err instanceof OptionError) {
      const command = this.constructor as typeof AlbertCommand;
      process.stderr.write(`Error: ${oneLine(OptionError.render(err.template, (o) => command.flagOf(o)))}\n`);
      throw new Errors.ExitError(EXIT_ERROR);
    }
    if (err instanceof UserError || err instanceof Errors.CLIError) {
      // A user error, or this.error(): exit 1.
      process.stderr.write(`Error: ${oneLine(err.message)}\n`);
      throw new Errors.ExitError(EXIT_ERROR);
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
