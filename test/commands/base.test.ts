import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Config, Errors, Flags } from '@oclif/core';
import { AlbertCommand, oneLine } from '../../src/commands/base.ts';
import { ShapeError, UserError } from '../../src/ir/errors.ts';
import { OptionError } from '../../src/util/errors.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** A command that throws whatever the test gives it. */
function thrower(err: Error, optionFlags: Record<string, string> = {}): typeof AlbertCommand {
  return class extends AlbertCommand {
    static override optionFlags = optionFlags;
    static override flags = { n: Flags.integer() };
    async run(): Promise<void> {
      await this.parse(this.ctor);
      throw err;
    }
  };
}

/** Runs a command in-process, capturing what it writes to stderr. */
/**
 * oclif's configuration as bin/run.js makes it in the repository: package.json names the compiled
 * command list (dist/, which only `npm run build` makes); the sources hold the same list.
 */
let config: Promise<Config> | undefined;
function sourceConfig(): Promise<Config> {
  const pjson = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  pjson.oclif.commands.target = './src/commands/index.ts';
  return (config ??= Config.load({ root: ROOT, pjson }));
}

async function runCapture(cmd: typeof AlbertCommand, argv: string[]): Promise<{ error: unknown; stderr: string }> {
  const write = process.stderr.write;
  let stderr = '';
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  }) as typeof process.stderr.write;
  try {
    await (cmd as unknown as { run(argv: string[], config: Config): Promise<unknown> }).run(argv, await sourceConfig());
    return { error: undefined, stderr };
  } catch (error) {
    return { error, stderr };
  } finally {
    process.stderr.write = write;
  }
}

describe('AlbertCommand error handling', () => {
  afterEach(() => {
    process.exitCode = undefined; // oclif's catch sets it for bugs; this test process must pass
  });

  it('prints a UserError (and a ShapeError) as one line and exits 1', async () => {
    for (const err of [new UserError('config.json: hidden_size must be a positive integer'), new ShapeError('MatMul(float32[2, 3], float32[4, 5]): inner dims differ')]) {
      const r = await runCapture(thrower(err), []);
      assert.ok(r.error instanceof Errors.ExitError);
      assert.equal((r.error as Errors.ExitError).oclif.exit, 1);
      assert.equal(r.stderr, `Error: ${err.message}\n`);
    }
  });

  it('prints an OptionError with the command\'s flags: its optionFlags, else the kebab-case name', async () => {
    const err = new OptionError('{initCheckpoint} x has no config next to it: pass {config}\n (or lower {maxSeqLength})');
    const r = await runCapture(thrower(err, { config: '--albert-config-file' }), []);
    assert.ok(r.error instanceof Errors.ExitError);
    assert.equal((r.error as Errors.ExitError).oclif.exit, 1);
    assert.equal(r.stderr, 'Error: --init-checkpoint x has no config next to it: pass --albert-config-file (or lower --max-seq-length)\n');
    // Without a command, the library's own option names.
    assert.equal(err.message, 'initCheckpoint x has no config next to it: pass config (or lower maxSeqLength)');
  });

  it('prints a flag-parse error as one line with a non-zero code', async () => {
    const r = await runCapture(thrower(new Error('unreached')), ['--n', 'abc']);
    assert.ok(r.error instanceof Errors.ExitError);
    assert.ok((r.error as Errors.ExitError).oclif.exit! > 0);
    assert.equal(r.stderr.split('\n').length, 2, r.stderr);
    assert.match(r.stderr, /^Error: Parsing --n Expected an integer but received: abc\n$/);
  });

  it('exits 2 for every usage error (the command line) and 1 for everything else', async () => {
    const numeric = Flags.custom<number>({
      parse: async (input: string) => {
        if (!Number.isFinite(Number(input))) throw new UserError(`expected a number, got "${input}"`);
        return Number(input);
      },
    });
    class Cmd extends AlbertCommand {
      static override flags = { n: Flags.integer({ min: 1 }), x: numeric(), req: Flags.string({ required: true }), head: Flags.string({ options: ['a', 'b'] }) };
      async run(): Promise<void> {
        const { flags } = await this.parse(Cmd);
        if (flags.req === 'user') throw new UserError('a user error');
        if (flags.req === 'option') throw new OptionError('{req} is wrong');
        this.error('this.error()', { exit: 2 });
      }
    }
    const usage: [string[], RegExp][] = [
      [['--req', 'r', '--n', 'abc'], /Parsing --n Expected an integer/],
      [['--req', 'r', '--n', '0'], /--n .*greater than or equal to 1/],
      [['--req', 'r', '--x', 'abc'], /^Error: Parsing --x expected a number, got "abc"\n$/],
      [['--req', 'r', '--bogus'], /^Error: unknown flag --bogus\n$/],
      [[], /Missing required flag req/],
      [['--req', 'r', '--head', 'c'], /Expected --head=c to be one of: a, b/],
      [['--req'], /Flag --req expects a value/],
    ];
    for (const [argv, pattern] of usage) {
      const r = await runCapture(Cmd, argv);
      assert.ok(r.error instanceof Errors.ExitError, `${argv.join(' ')}: ${String(r.error)}`);
      assert.equal((r.error as Errors.ExitError).oclif.exit, 2, `${argv.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, pattern);
      assert.equal(r.stderr.split('\n').length, 2, r.stderr);
    }
    for (const req of ['user', 'option', 'other']) {
      const r = await runCapture(Cmd, ['--req', req]);
      assert.ok(r.error instanceof Errors.ExitError, String(r.error));
      assert.equal((r.error as Errors.ExitError).oclif.exit, 1, `${req}: ${r.stderr}`);
    }
  });

  it('rethrows anything else with its stack', async () => {
    const bug = new TypeError('x is undefined');
    const r = await runCapture(thrower(bug), []);
    assert.equal(r.error, bug);
    assert.equal(r.stderr, '');
  });

  it('folds oclif messages into one plain line', () => {
    assert.equal(oneLine('Nonexistent flag: --x\nSee more help with --help'), 'Nonexistent flag: --x');
    assert.equal(oneLine('The following errors occurred:\n  \x1b[2mMissing required flag a\n  Missing required flag b\x1b[22m\nSee more help with --help'), 'Missing required flag a; Missing required flag b');
  });
});
