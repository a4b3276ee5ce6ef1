/** Checks shared by the renderer tests: is this text plausibly well-formed dot? */
import assert from 'node:assert/strict';

/** Braces balance outside quoted strings, every quote closes, and it is one digraph. */
export function assertWellFormedDot(dot: string): void {
  assert.match(dot, /^digraph "(?:[^"\\]|\\.)*" \{\n/);
  let depth = 0;
  let inQuote = false;
  for (let i = 0; i < dot.length; i++) {
    const c = dot[i];
    if (inQuote) {
      if (c === '\\') i++;
      else if (c === '"') inQuote = false;
      else assert.notEqual(c, '\n', 'a quoted string runs over a line end');
    } else if (c === '"') inQuote = true;
    else if (c === '{') depth++;
    else if (c === '}') {
      depth--;
      assert.ok(depth >= 0, 'unbalanced }');
    }
  }
  assert.equal(inQuote, false, 'unclosed quote');
  assert.equal(depth, 0, 'unbalanced braces');
  assert.match(dot, /\}\n$/);
}
