/**
 * Errors of the IR. UserError (a problem with what the user asked for) is shared by the whole
 * project and lives in src/util/errors.ts; it is re-exported here for the IR's own modules.
 */
import { UserError } from '../util/errors.ts';

export { UserError };

/** An op was given inputs whose shapes or dtypes it cannot accept. */
export class ShapeError extends UserError {
  constructor(message: string) {
    super(message);
    this.name = 'ShapeError';
  }
}
