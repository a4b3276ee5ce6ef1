/**
 * The layered-layout library the page bundles: @dagrejs/dagre's browser build (an IIFE defining
 * the global `dagre`, graphlib included, about 49 KB), read through module resolution so that it
 * is found wherever the package is installed (a checkout, or an installed albert-compiler whose
 * code runs from dist/). The package's `exports` do not list dist/dagre.min.js, so its
 * package.json is resolved and the file is taken beside it.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

let cached: string | undefined;

/** The script text, with its licence notice and without the source-map line (no reference out of the page). */
export function dagreScript(): string {
  if (cached !== undefined) return cached;
  const require = createRequire(import.meta.url);
  const dir = dirname(require.resolve('@dagrejs/dagre/package.json'));
  const code = readFileSync(join(dir, 'dist', 'dagre.min.js'), 'utf8').replace(/\n?\/\/# sourceMappingURL=\S*\s*$/, '\n');
  let licence = '';
  try {
    licence = readFileSync(join(dir, 'dist', 'dagre.min.js.LEGAL.txt'), 'utf8');
  } catch {
    licence = 'dagre: Copyright (c) 2012-2014 Chris Pettitt, MIT licence';
  }
  const version = (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version?: string }).version ?? '';
  // Inside a <script> element nothing may read as its end tag.
  cached = `/* @dagrejs/dagre ${version} (with @dagrejs/graphlib), MIT licence:\n${licence.replace(/\*\//g, '* /').trim()}\n*/\n${code.replace(/<\/script/gi, '<\\/script')}`;
  return cached;
}
