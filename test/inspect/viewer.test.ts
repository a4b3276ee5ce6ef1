/**
 * The html page in a real browser: Debian's Chromium driven by playwright-core. The page renders
 * its boxes, a box opens on a click, search finds an op; screenshots go to the test's temp dir.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildModelGraph } from '../../src/compile.ts';
import { analyzeGraph, irGraphModel, renderHtml, type GraphModel } from '../../src/inspect/index.ts';
import { VIEWER_JS } from '../../src/inspect/viewer/client.ts';
import { dagreScript } from '../../src/inspect/viewer/dagre.ts';
import { albert } from '../helpers/cli.ts';

const CHROMIUM = '/usr/bin/chromium';

type Browser = import('playwright-core').Browser;

/** Debian's Chromium through playwright-core, or why not. */
async function launch(): Promise<Browser | string> {
  if (!existsSync(CHROMIUM)) return `${CHROMIUM} is not installed (Debian package chromium)`;
  let pw: typeof import('playwright-core');
  try {
    pw = await import('playwright-core');
  } catch (e) {
    return `playwright-core cannot be loaded (${(e as Error).message})`;
  }
  return pw.chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
}

/** The graph model a page embeds. */
function embedded(html: string): GraphModel {
  const m = /<script type="application\/json" id="albert-data">(.*?)<\/script>/s.exec(html);
  assert.ok(m, 'no embedded graph');
  return JSON.parse(m[1]) as GraphModel;
}

describe('inspect html viewer', () => {
  it('ships a script that parses and a layout library that cannot end its element', () => {
    assert.doesNotThrow(() => new Function(VIEWER_JS));
    const dagre = dagreScript();
    assert.match(dagre, /^\/\* @dagrejs\/dagre \d+\.\d+\.\d+ .*MIT/);
    assert.match(dagre, /var dagre=/);
    assert.ok(!/<\/script/i.test(dagre));
    assert.ok(!/sourceMappingURL/.test(dagre));
  });

  it('renders in Chromium: boxes, a box opening on a click, search', { timeout: 180_000 }, async (t) => {
    const browser = await launch();
    if (typeof browser === 'string') {
      t.skip(browser);
      return;
    }
    const dir = mkdtempSync(join(tmpdir(), 'albert-viewer-'));
    try {
      const file = join(dir, 'tiny.html');
      const r = await albert('inspect', '--config', 'tiny', '--head', 'pretraining', '--format', 'html', '--out', file);
      assert.equal(r.code, 0, r.stderr);
      const html = readFileSync(file, 'utf8');
      const m = embedded(html);
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      page.on('console', (msg) => {
        if (msg.type() === 'error') errors.push(msg.text());
      });
      // Nothing may be fetched: the page is all there is.
      const requests: string[] = [];
      page.on('request', (req) => {
        if (!req.url().startsWith('file:')) requests.push(req.url());
      });
      await page.goto(`file://${file}`);
      await page.waitForSelector('#canvas .node');

      // Collapsed: the top boxes, with encoder and cls opened because they only group boxes:
      // embeddings, embedding_hidden_mapping_in, attention_mask, pooler, predictions,
      // seq_relationship, and the two layers drawn once as the shared block.
      const scope = (path: string): number => m.scopes.findIndex((s) => s.path === path);
      const boxes = await page.$$eval('#canvas .node.box', (es) => es.map((e) => e.getAttribute('data-key')));
      assert.deepEqual(
        boxes.sort(),
        ['embeddings', 'encoder/embedding_hidden_mapping_in', 'encoder/attention_mask', 'pooler', 'cls/predictions', 'cls/seq_relationship'].map((p) => `s${scope(p)}`).sort(),
      );
      assert.equal(await page.locator('#canvas .node.fold').count(), 1);
      assert.match((await page.textContent('#canvas .node.fold'))!, /layer_\{0-1\}\/inner_0\s+×2/);
      assert.equal(await page.locator('#canvas .node.op').count(), 0);
      await page.screenshot({ path: join(dir, 'collapsed.png') });

      // A click opens the embeddings box: its ops appear (constants are not drawn).
      const emb = scope('embeddings');
      await page.click(`#canvas .node[data-key="s${emb}"]`);
      await page.waitForSelector('#canvas .node.op');
      const ops = await page.$$eval('#canvas .node.op', (es) => es.map((e) => e.querySelector('text')!.textContent));
      const expected = m.scopes[emb].nodes.map((n) => m.nodes[n]).filter((n) => !(n.op === 'Constant' && n.inputs.length === 0)).map((n) => n.op);
      assert.deepEqual(ops.sort(), expected.sort());
      assert.ok(ops.includes('Gather') && ops.includes('LayerNorm'), ops.join(' '));
      assert.equal(await page.locator(`#canvas .cluster[data-key="s${emb}"]`).count(), 1);
      assert.match((await page.textContent('#details-body'))!, /embeddings/);

      // Search by op: the Tanh of the (collapsed) pooler is found, its box opened, the op outlined.
      await page.fill('#search', 'tanh');
      await page.press('#search', 'Enter');
      await page.waitForSelector('#canvas .node.op.hit');
      assert.equal(await page.textContent('#canvas .node.op.hit text'), 'Tanh');
      assert.match((await page.textContent('#details-body'))!, /Tanh[\s\S]*pooler/);
      // Search by name: a value's printed id finds the op that makes it.
      const target = m.nodes.find((n) => n.op === 'GatherElements')!;
      await page.fill('#search', target.name);
      await page.press('#search', 'Enter');
      await page.waitForFunction(() => document.querySelector('#canvas .node.op.hit text')?.textContent === 'GatherElements');

      // The shared block opens onto one use, the previous layer's output coming back as the loop.
      await page.click('#canvas .node.fold');
      await page.waitForSelector('#canvas .cluster.foldc');
      assert.ok((await page.locator('#canvas .edge.loop').count()) > 0);

      // The side tables: parameters (with HF names) and the memory plot with its peak.
      await page.click('nav.tabs button[data-tab="params"]');
      assert.match((await page.textContent('#tab-params'))!, /albert\.embeddings\.word_embeddings\.weight/);
      await page.click('nav.tabs button[data-tab="memory"]');
      assert.equal(await page.locator('#memplot circle.peak').count(), 1);
      await page.screenshot({ path: join(dir, 'viewer.png') });
      assert.ok(statSync(join(dir, 'viewer.png')).size > 10_000);
      assert.deepEqual(errors, []);
      assert.deepEqual(requests, []);
      t.diagnostic(`screenshots in ${dir}`);
    } finally {
      await browser.close();
    }
  });

  it('opens ALBERT-base as about a dozen boxes', { timeout: 180_000 }, async (t) => {
    const browser = await launch();
    if (typeof browser === 'string') {
      t.skip(browser);
      return;
    }
    const dir = mkdtempSync(join(tmpdir(), 'albert-viewer-'));
    try {
      const graph = buildModelGraph({ config: 'base', head: 'pretraining', mode: 'infer' });
      const file = join(dir, 'base.html');
      writeFileSync(file, renderHtml(analyzeGraph(graph, { source: 'config base' }), irGraphModel(graph)));
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      await page.goto(`file://${file}`);
      await page.waitForSelector('#canvas .node');
      const boxes = await page.locator('#canvas .node.box').count();
      const folds = await page.locator('#canvas .node.fold').count();
      assert.ok(boxes + folds <= 12, `${boxes} boxes and ${folds} shared blocks`);
      assert.equal(folds, 1);
      assert.match((await page.textContent('#canvas .node.fold'))!, /layer_\{0-11\}\/inner_0\s+×12.*shared block group_0\/inner_group_0/);
      // "Show each use" unrolls the block into its 12 layers.
      await page.click('#canvas .node.fold');
      await page.click('#details-body button');
      await page.waitForFunction(() => document.querySelectorAll('#canvas .node.box').length >= 12);
      await page.screenshot({ path: join(dir, 'base.png') });
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
    }
  });
});
