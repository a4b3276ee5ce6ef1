// src/backends/onnx/ort.ts: onnxruntime-node loads on first use, and a missing package or a
// native binding that does not load becomes one UserError line that says how to fix it.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as real from 'onnxruntime-node';
import * as ort from '../../src/backends/onnx/ort.ts';
import { UserError } from '../../src/util/errors.ts';

const tmp = mkdtempSync(join(tmpdir(), 'albert-ort-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** A package `name` under tmp/node_modules whose index.js requires a native binding `binding` (written when given). */
function fakePackage(name: string, binding?: Buffer): string {
  const dir = join(tmp, 'node_modules', name);
  mkdirSync(join(dir, 'bin'), { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, version: '0.0.0', main: 'index.js' }));
  writeFileSync(join(dir, 'index.js'), "module.exports = require('./bin/onnxruntime_binding.node');\n");
  if (binding) writeFileSync(join(dir, 'bin', 'onnxruntime_binding.node'), binding);
  return pathToFileURL(join(tmp, 'consumer.js')).href;
}

function userError(f: () => unknown): UserError {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof UserError, `expected a UserError, got ${String(e)}`);
    assert.ok(!e.message.includes('\n'), 'one line');
    return e;
  }
  assert.fail('expected it to throw');
}

describe('loading onnxruntime-node', () => {
  it('a missing package: names it and says how to install it', () => {
    const e = userError(() => ort.requireOrt('albert-no-such-runtime', pathToFileURL(join(tmp, 'x.js')).href));
    assert.match(e.message, /^albert-no-such-runtime is not installed /);
    assert.match(e.message, /ONNXRUNTIME_NODE_INSTALL=skip npm install/);
    assert.match(e.message, /`albert doctor`/);
  });

  it('a binding file that is not a loadable library: says the binding does not load, and why', () => {
    const from = fakePackage('broken-binding', Buffer.from('not an ELF, Mach-O or PE file\n'));
    const e = userError(() => ort.requireOrt('broken-binding', from));
    assert.match(e.message, new RegExp(`^broken-binding's native binding does not load on ${process.platform}-${process.arch} \\(.*onnxruntime_binding\\.node`));
    assert.match(e.message, /ONNXRUNTIME_NODE_INSTALL=skip npm install/);
  });

  it('a package whose binding file is gone: the binding, not the package, is what is missing', () => {
    const from = fakePackage('no-binding');
    const e = userError(() => ort.requireOrt('no-binding', from));
    assert.match(e.message, /^no-binding's native binding does not load .*Cannot find module '\.\/bin\/onnxruntime_binding\.node'/);
  });

  it('the real package loads, and the stand-ins are its own Tensor, InferenceSession and env', async () => {
    assert.equal(ort.requireOrt().Tensor, real.Tensor); // require and import share one instance of the package
    const t = new ort.Tensor('float32', Float32Array.of(1, 2), [2]);
    assert.ok(t instanceof real.Tensor && t instanceof ort.Tensor);
    assert.deepEqual(t.dims, [2]);
    const level = real.env.logLevel;
    ort.env.logLevel = level; // writes go through to the package's env
    assert.equal(ort.env.logLevel, real.env.logLevel);
    assert.equal(ort.InferenceSession.create, real.InferenceSession.create);
    assert.equal(typeof ort.InferenceSession.create, 'function');
  });
});
