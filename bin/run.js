#!/usr/bin/env node
// The `albert` binary. In the repository it runs the TypeScript sources directly (tsx is
// registered first, so the command modules and the library load without a build step); in the
// installed package, which ships no src/, it runs the compiled dist/ with plain node.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const fromSources = existsSync(new URL('../src/commands/index.ts', import.meta.url));
if (fromSources) {
  const { register } = await import('tsx/esm/api');
  register();
}
// `albert inspect ... | head` closes the pipe early: that is not an error.
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});
const { Config, run, flush, handle, settings, Errors } = await import('@oclif/core');
// tsx is already in place (or not needed); oclif need not look for a TypeScript loader itself.
settings.enableAutoTranspile = false;
try {
  // package.json names the compiled command list (./dist/commands/index.js); from the sources
  // the same list is ./src/commands/index.ts.
  const pjson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  if (fromSources) pjson.oclif.commands.target = pjson.oclif.commands.target.replace(/^\.\/dist\//, './src/').replace(/\.js$/, '.ts');
  const config = await Config.load({ root, pjson });
  // A mistyped command gets a suggestion (oclif alone would say "command not found", or show a
  // topic's help for `finetune glu`).
  const lib = fromSources ? '../src/commands/did-you-mean.ts' : '../dist/commands/did-you-mean.js';
  const { unknownCommandMessage } = await import(lib);
  const wrongCommand = unknownCommandMessage(process.argv.slice(2), config.commandIDs);
  if (wrongCommand) {
    process.stderr.write(`Error: ${wrongCommand}\n`);
    process.exit(2);
  }
  await run(process.argv.slice(2), config);
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
