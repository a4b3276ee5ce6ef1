import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildModelGraph } from '../../src/compile.ts';
import { irGraphModel, renderDot } from '../../src/inspect/index.ts';
import { assertWellFormedDot } from './helpers.ts';

function hasDot(): boolean {
  try {
    execFileSync('dot', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Runs `dot -Tsvg` on a file; resolves with the SVG and the seconds it took. */
function dotSvg(file: string, timeoutMs: number): Promise<{ svg: string; stderr: string; seconds: number }> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    execFile('dot', ['-Tsvg', file], { timeout: timeoutMs, maxBuffer: 1 << 28 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`dot -Tsvg failed: ${err.message}\n${stderr}`));
      else resolve({ svg: stdout, stderr, seconds: (performance.now() - t0) / 1000 });
    });
  });
}

describe('inspect dot output', () => {
  it('has a cluster per scope, nested as the scopes are', () => {
    const m = irGraphModel(buildModelGraph({ config: 'tiny', head: 'pretraining', mode: 'infer' }));
    const dot = renderDot(m);
    assertWellFormedDot(dot);
    const clusters = [...dot.matchAll(/subgraph "cluster_(\d+)" \{\n\s*label="([^"]*)"/g)].map((x) => [Number(x[1]), x[2]]);
    assert.equal(clusters.length, m.scopes.length - 1);
    assert.deepEqual(
      clusters.map(([i]) => i).sort((a, b) => (a as number) - (b as number)),
      m.scopes.slice(1).map((_, i) => i + 1),
    );
    assert.ok(clusters.some(([, l]) => l === 'layer_1/inner_0'));
    // Every op is drawn, inside the cluster of its scope.
    for (let i = 0; i < m.nodes.length; i++) assert.ok(dot.includes(`"n${i}" [label=`), `node ${i}`);
    // The block's parameters are drawn in each layer that reads them, marked shared.
    assert.match(dot, /"p\d+@\d+" \[label="query\/kernel\\nfloat32\[32, 32\]\\nshared by 2 scopes"/);
  });

  it('renders ALBERT-base with dot -Tsvg in seconds', { timeout: 180_000 }, async (t) => {
    if (!hasDot()) {
      t.skip('Graphviz dot is not installed (Debian package graphviz)');
      return;
    }
    const m = irGraphModel(buildModelGraph({ config: 'base', head: 'pretraining', mode: 'infer' }));
    const dir = mkdtempSync(join(tmpdir(), 'albert-dot-'));
    const file = join(dir, 'base.dot');
    writeFileSync(file, renderDot(m));
    // It takes well under a second on a desktop; the limit only catches a layout gone quadratic
    // again (the clusterless dot did not finish in 5 minutes), on a loaded test machine.
    const { svg, stderr, seconds } = await dotSvg(file, 120_000);
    t.diagnostic(`dot -Tsvg on ALBERT-base (infer, ${m.nodes.length} ops): ${seconds.toFixed(2)} s`);
    assert.match(svg, /<svg /);
    assert.equal((svg.match(/class="cluster"/g) ?? []).length, m.scopes.length - 1);
    assert.ok(!/Warning|Error/.test(stderr), stderr);
  });
});
