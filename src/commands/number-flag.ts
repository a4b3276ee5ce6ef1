import { Flags } from '@oclif/core';
import { UserError } from '../util/errors.ts';

/** A flag holding a finite number (oclif has integers only). */
export const numberFlag = Flags.custom<number>({
  helpValue: '<number>',
  parse: async (input: string) => {
    const x = Number(input);
    if (input.trim() === '' || !Number.isFinite(x)) throw new UserError(`expected a number, got "${input}"`);
    return x;
  },
});
