// The dependency directions of DESIGN.md, checked on the import graph of the sources:
// the compiler does not reach into the training loop or the CLI, the IR knows no backend, model
// or task, and shared modules (src/util) depend on nothing of the project.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
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
  it('src/util reaches nothing outside itself', () => {
    for (const f of ['src/util/errors.ts', 'src/util/atomic-write.ts', 'src/util/crc32c.ts']) {
      assert.deepEqual(offending(f, /^src\/(?!util\/)/), [], f);
    }
  });
  it('the import scanner sees imports (guards the test itself)', () => {
    assert.ok(reach('src/compile.ts').has(join(ROOT, 'src/model/albert.ts')));
  });
});
