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

/** An op was given inputs whose shapes or dtypes it cannot accept. */
export class ShapeError extends UserError {
  constructor(message: string) {
    super(message);
    this.name = 'ShapeError';
  }
}
