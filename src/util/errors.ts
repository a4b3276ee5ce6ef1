/**
 * A UserError is a problem with what the user asked for (a bad flag, file, config or an
 * impossible shape). Commands print its one-line message without a stack and exit non-zero.
 * Anything else thrown is a bug and keeps its stack.
 */
export class UserError extends Error {
  constructor(message: string) {
    super(message.replace(/\s*\n\s*/g, ' '));
    this.name = 'UserError';
  }
}

/**
 * An option's placeholder: `{camelCaseName}`. Braces around anything else (a regex's `{2}`, a
 * JSON value in the message) are left as they are.
 */
const PLACEHOLDER = /\{([a-z][A-Za-z0-9]*)\}/g;

/**
 * A bad value for an option of a library call. The library speaks of its options by their
 * names in its own API (`{trainBatchSize}` in the template); a command turns those into the flags
 * the user typed (`--train-batch-size`), so library errors never name CLI flags and the CLI
 * never has to parse library messages. Without a command, the option names stay as they are.
 */
export class OptionError extends UserError {
  constructor(readonly template: string) {
    super(OptionError.render(template, (o) => o));
    this.name = 'OptionError';
  }

  /** The template with every `{option}` replaced by `name(option)`. */
  static render(template: string, name: (option: string) => string): string {
    return template.replace(PLACEHOLDER, (_, o: string) => name(o));
  }

  /** The options the message names, in order. */
  get options(): string[] {
    return [...this.template.matchAll(PLACEHOLDER)].map((m) => m[1]);
  }
}

/** The flag a command gives an option by default: trainBatchSize -> --train-batch-size. */
export function kebabFlag(option: string): string {
  return `--${option.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}
