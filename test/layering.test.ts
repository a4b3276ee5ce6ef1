// The dependency directions of DESIGN.md, checked on the import graph of the sources:
// the compiler does not reach into the training loop or the CLI, the IR knows no backend, model
// or task, and shared modules (src/util) depend on nothing of the project.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+'(\.[^']+)'|import\(\s*'(\.[^']+)'\s*\)/g;

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(IMPORT)].map((m) => resolve(dirname(file), m[1] ?? m[2]));
}

/** Every project file `entry` reaches through its imports (itself included). */
function reach(entry: string): Set<string> {
  const seen = new Set<string>();
  const stack = [resolve(ROOT, entry)];
  while (stack.length) {
    const f = stack.pop()!;
    if (seen.has(f)) continue;
    seen.add(f);
    stack.push(...importsOf(f).filter((p) => p.endsWith('.ts')));
  }
  return seen;
}

/** Whether a file imports the npm package `pkg` itself (statically or dynamically). */
function importsPackage(file: string, pkg: string): boolean {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+'([^'.][^']*)'|import\(\s*'([^'.][^']*)'\s*\)/g)].some((m) => (m[1] ?? m[2]) === pkg);
}

function offending(entry: string, forbidden: RegExp): string[] {
  return [...reach(entry)].map((f) => relative(ROOT, f)).filter((f) => forbidden.test(f));
}

describe('layering', () => {
  it('src/compile.ts reaches nothing in src/train, src/tasks or src/commands', () => {
    assert.deepEqual(offending('src/compile.ts', /^src\/(train|tasks|commands)\//), []);
  });
  it('src/ir reaches only src/ir and src/util', () => {
    assert.deepEqual(offending('src/ir/ops/index.ts', /^src\/(?!ir\/|util\/)/), []);
    assert.deepEqual(offending('src/ir/interpreter.ts', /^src\/(?!ir\/|util\/)/), []);
  });
  it('no file under src/ir imports from outside src/ir and src/util (no backend)', () => {
    const files = readdirSync(join(ROOT, 'src/ir'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    assert.ok(files.length > 10);
    const bad = files.flatMap((f) =>
      importsOf(join(ROOT, 'src/ir', f))
        .map((p) => relative(ROOT, p))
        .filter((p) => !/^src\/(ir|util)\//.test(p))
        .map((p) => `src/ir/${f} -> ${p}`),
    );
    assert.deepEqual(bad, []);
  });
  it('src/util reaches nothing outside itself', () => {
    for (const f of ['src/util/errors.ts', 'src/util/atomic-write.ts', 'src/util/crc32c.ts']) {
      assert.deepEqual(offending(f, /^src\/(?!util\/)/), [], f);
    }
  });
  it('src/train, src/tasks and src/predict run models through the execution target, not onnxruntime-node', () => {
    const files = ['src/train', 'src/tasks', 'src/predict'].flatMap((d) =>
      readdirSync(join(ROOT, d), { recursive: true, encoding: 'utf8' })
        .filter((f) => f.endsWith('.ts'))
        .map((f) => `${d}/${f}`),
    );
    assert.ok(files.length > 20);
    assert.deepEqual(files.filter((f) => importsPackage(join(ROOT, f), 'onnxruntime-node')), []);
    assert.ok(importsPackage(join(ROOT, 'src/backends/onnx/ort.ts'), 'onnxruntime-node'), 'the package scanner sees imports');
  });
  it('the import scanner sees imports (guards the test itself)', () => {
    assert.ok(reach('src/compile.ts').has(join(ROOT, 'src/model/albert.ts')));
  });
});
