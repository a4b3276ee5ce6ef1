#!/usr/bin/env node
// The `albert` binary. It runs the TypeScript sources directly: tsx is registered first, so the
// command modules (and the library they import) load without a build step.
import { register } from 'tsx/esm/api';

register();
// `albert inspect ... | head` closes the pipe early: that is not an error.
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});
const { run, flush, handle, settings, Errors } = await import('@oclif/core');
// tsx is already in place; oclif need not look for a TypeScript loader or a compiled lib/ itself.
settings.enableAutoTranspile = false;
try {
  await run(process.argv.slice(2), import.meta.url);
  await flush();
} catch (error) {
  // Commands print their own user errors (src/commands/base.ts). What reaches here from outside
  // a command, such as an unknown command, gets the same one-line form; bugs keep oclif's handler.
  if (error instanceof Errors.CLIError && !(error instanceof Errors.ExitError)) {
    process.stderr.write(`Error: ${error.message.replace(/\s*\n\s*/g, ' ')}\n`);
    process.exit(error.oclif?.exit || 1);
  }
  await handle(error);
}
