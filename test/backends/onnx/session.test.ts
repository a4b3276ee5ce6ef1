import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { checkThreads, createSession, maxThreads } from '../../../src/backends/onnx/session.ts';
import { OptionError } from '../../../src/util/errors.ts';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

describe('onnxruntime sessions', () => {
  it('bounds threads: 1..max(64, 4 per core), one check for every command', async () => {
    assert.equal(maxThreads(), Math.max(64, 4 * availableParallelism()));
    for (const ok of [undefined, 1, maxThreads()]) assert.doesNotThrow(() => checkThreads(ok));
    for (const bad of [0, -1, 1.5, maxThreads() + 1, 100000, NaN]) {
      assert.throws(() => checkThreads(bad), (e: unknown) => e instanceof OptionError && /^\{threads\} must be an integer in 1\.\.\d+ .*; got /.test(e.template));
    }
    // createSession checks before onnxruntime starts (100000 threads would not finish starting).
    await assert.rejects(createSession(new Uint8Array(0), { threads: 100000 }), OptionError);
  });

  it('keeps onnxruntime warnings (unused initializers) off stderr', () => {
    // In one process, as a command opens them: a session after the first used to print
    // colour-coded "Removing initializer ... not used by any node" warnings.
    const script = `
      import { compileModel } from './src/compile.ts';
      import { createSession } from './src/backends/onnx/session.ts';
      for (const head of ['encoder', 'mlm', 'squad', 'mlm']) await createSession(compileModel({ config: 'tiny', head, mode: 'infer' }).model);
      process.stdout.write('done');
    `;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'done');
    assert.doesNotMatch(r.stderr, /onnxruntime|Removing initializer/);
  });
});
