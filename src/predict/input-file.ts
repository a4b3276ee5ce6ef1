/**
 * What the `--input` of the predict commands reads: a file, or stdin for `-`, with the name its
 * errors use (the path, or "stdin"); a file that cannot be read is one error naming --input.
 */
import { readFileSync } from 'node:fs';
import { OptionError } from '../util/errors.ts';

export function readInputFile(input: string): { content: string; name: string } {
  try {
    return { content: readFileSync(input === '-' ? 0 : input, 'utf8'), name: input === '-' ? 'stdin' : input };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new OptionError(`{input} ${input}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory, not a text file' : (e as Error).message}`);
  }
}
