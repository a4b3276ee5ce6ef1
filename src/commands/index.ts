// The explicit command list oclif loads (package.json "oclif.commands"). Command modules import
// the library lazily inside run(), so loading this list (and --help) stays fast.
import Compile from './compile.ts';
import Convert from './convert.ts';
import Inspect from './inspect.ts';
import Run from './run.ts';

export const commands = {
  compile: Compile,
  convert: Convert,
  inspect: Inspect,
  run: Run,
};
