import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Graph } from '../../src/ir/graph.ts';
import * as ops from '../../src/ir/ops/index.ts';
import { analyzeGraph, irGraphModel, render, renderDot, renderHtml, renderJson, renderText } from '../../src/inspect/index.ts';
import { assertWellFormedDot } from './helpers.ts';

/** A graph whose names need escaping in every format. */
function awkwardGraph(): Graph {
  const g = new Graph('g<"1">');
  const x = g.input('x<y>&"z"', 'float32', ['batch', 'seq']);
  const w = g.input('w\\{}', 'float32', ['seq'], { role: 'param', hfName: '<script>' });
  const y = ops.mul(x, w);
  g.output('out</pre>', ops.add(y, y));
  return g;
}

describe('inspect renderers', () => {
  const g = awkwardGraph();
  const report = analyzeGraph(g, { batchSize: 2, seqLength: 3 });

  it('json is one document holding the figures and the graph', () => {
    const json = renderJson(report, irGraphModel(g, { batchSize: 2, seqLength: 3 }));
    const back = JSON.parse(json);
    assert.equal(back.parameters.count, 3);
    assert.equal(back.flops.total, 12);
    assert.deepEqual(back.ops.map((o: { op: string }) => o.op).sort(), ['Add', 'Mul']);
    assert.equal(back.inputs[0].name, 'x<y>&"z"');
    assert.equal(back.graph.format, 'albert-inspect/graph@1');
    assert.deepEqual(back.graph.nodes.map((n: { op: string }) => n.op), ['Mul', 'Add']);
    assert.equal(back.graph.memory.peakBytes, report.memory!.peakLiveBytes);
  });

  it('text has aligned tables', () => {
    const text = renderText(report);
    const lines = text.split('\n');
    const head = lines.findIndex((l) => /^op\s+count\s+FLOPs/.test(l));
    assert.ok(head > 0, text);
    // Right-aligned count column: every row of the op table ends its count where the header does.
    const end = lines[head].indexOf('count') + 'count'.length;
    for (const row of lines.slice(head + 2, head + 4)) assert.match(row.slice(end - 1, end), /\d/, row);
    assert.match(text, /parameters\s+3 \(3, 12 B\)/);
    assert.match(text, /batch = 2 \(batch size\)/);
  });

  it('dot is a well-formed digraph with parameters as boxes', () => {
    const dot = renderDot(irGraphModel(g));
    assertWellFormedDot(dot);
    assert.match(dot, /"p0@0" \[label="w\\\\\{\}\\nfloat32\[seq\]", shape=box/);
    assert.match(dot, /"in:x<y>&\\"z\\"" -> "n0"/);
    assert.equal((dot.match(/->/g) ?? []).length, 4); // x, w -> Mul; Mul -> Add (one edge for both operands); Add -> output
  });

  it('dot stays well-formed for a large graph', () => {
    const big = new Graph('big');
    let v = big.input('x', 'float32', [4]);
    for (let i = 0; i < 2000; i++) v = ops.add(v, v);
    big.output('y', v);
    const dot = render('dot', analyzeGraph(big), () => irGraphModel(big));
    assertWellFormedDot(dot);
    assert.equal((dot.match(/ -> /g) ?? []).length, 2001);
    assert.match(dot, /nslimit=0.1/); // a big graph bounds dot's positioning work
  });

  it('html is one self-contained page with everything escaped', () => {
    const html = renderHtml(report, irGraphModel(g, { batchSize: 2, seqLength: 3 }));
    assert.match(html, /^<!DOCTYPE html>\n<html lang="en">/);
    assert.match(html, /<\/html>\n$/);
    assert.ok(html.includes('x&lt;y&gt;&amp;&quot;z&quot;'));
    assert.ok(!html.includes('x<y>'), 'raw < in a name');
    // Three scripts of its own (the graph as JSON, the layout library, the viewer); the HF name
    // "<script>" is escaped in the tables and in the JSON.
    assert.equal(html.split('<script').length - 1, 3);
    assert.equal(html.split('</script').length - 1, 3);
    assert.ok(!html.includes('out</pre>'), 'a name closed the <pre>');
    const outside = html.replace(/'http:\/\/www\.w3\.org\/2000\/svg'/g, "'svg-namespace'");
    assert.ok(!/\b(src|href)=|https?:|@import|url\((?!#)|sourceMappingURL/.test(outside), 'external resource');
    assert.match(html, /<span class="bar" style="width:120.0px">/); // the most frequent op
    assert.match(html, /<pre>graph g&lt;&quot;1&quot;&gt;\(/);
    assert.match(html, /<h2>Parameters \(1 tensors, 3 values/);
    // Tags balance for the structural elements.
    for (const tag of ['table', 'tr', 'pre', 'ul', 'body', 'head', 'section', 'svg', 'details']) {
      assert.equal(html.split(new RegExp(`<${tag}[ >]`)).length, html.split(`</${tag}>`).length, tag);
    }
  });
});
