/**
 * The script of the `albert inspect --format html` page: draws the graph model (graph-model.ts,
 * embedded as JSON in #albert-data) with dagre, as nested scope boxes.
 *
 * Only what is visible is laid out: a collapsed box is one node, an expanded box is a cluster
 * around its children, and every expand or collapse runs dagre again on the visible graph
 * (ALBERT-base opens as about a dozen boxes; a whole training step is 2,700 ops). Edges follow
 * values from the visible owner of their producer to the visible owner of their consumer.
 *
 * Shared blocks (ModelFold): ALBERT runs one transformer block L times with the same parameters.
 * The page draws that block once, as a stacked box "layer_{0-11}/inner_0 x12" that names the
 * parameter group it shares, instead of 12 identical boxes each pointing at one parameter set:
 * 12 copies in a column say nothing the count does not, they push everything else off screen,
 * and the single box is what ALBERT is (one block, iterated). Expanded, it shows the ops of one
 * use (the first layer); the ops of the other layers are mapped onto them, so the values coming
 * from the previous layer become a dashed back edge (the loop) and the last layer's output leaves
 * from the same place. "Show each use" (in the box's details, or the toggle in the toolbar)
 * unrolls it into the per-layer boxes, e.g. to see in which layer the memory peak falls.
 *
 * Plain ES2017 in a string: no build step, nothing fetched. It must not contain a backtick or a
 * dollar-brace, since it lives in a template literal.
 */
export const VIEWER_JS = String.raw`
(function () {
  'use strict';
  var dataEl = document.getElementById('albert-data');
  if (!dataEl) return;
  var D = JSON.parse(dataEl.textContent);
  var SVGNS = 'http://www.w3.org/2000/svg';
  var nodes = D.nodes, values = D.values, scopes = D.scopes, folds = D.folds, params = D.params;
  var graphEl = document.getElementById('graph');
  var svg = document.getElementById('canvas');
  var statusEl = document.getElementById('status');
  if (typeof dagre === 'undefined') { statusEl.textContent = 'the layout library did not load'; return; }
  var nojs = document.getElementById('nojs');
  if (nojs) nojs.remove();

  // ---- numbers ---------------------------------------------------------------------------------
  function si(x, unit) {
    var p = ['', 'k', 'M', 'G', 'T', 'P', 'E'];
    var i = 0;
    while (Math.abs(x) >= 1000 && i < p.length - 1) { x /= 1000; i++; }
    return (i === 0 ? String(Math.round(x)) : x.toPrecision(3)) + ' ' + p[i] + (unit || '');
  }
  function bytes(n) {
    if (n === null || n === undefined) return '?';
    var u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    var i = 0;
    while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
    return i === 0 ? n + ' B' : n.toPrecision(3) + ' ' + u[i];
  }
  function grouped(n) { return Math.round(n).toLocaleString('en-US'); }
  function typeOf(v) { return v.dtype + (v.shape ? '[' + v.shape.join(', ') + ']' : ''); }
  function scopePath(s) { return scopes[s].path || '(top level)'; }

  // ---- structure -------------------------------------------------------------------------------
  // anc[s]: the scopes from the top down to s (the root excluded).
  var anc = [[]];
  for (var s0 = 1; s0 < scopes.length; s0++) anc[s0] = anc[scopes[s0].parent].concat([s0]);
  var foldOfMember = {};
  var aliasOf = {};
  folds.forEach(function (f, fi) {
    f.members.forEach(function (m) { foldOfMember[m] = fi; });
    f.alias.forEach(function (p) { aliasOf[p[0]] = p[1]; });
  });
  // memberOf[n]: [fold, member scope] of the innermost fold member holding node n, or null.
  var memberOf = nodes.map(function (n) {
    var a = anc[n.scope];
    for (var d = a.length - 1; d >= 0; d--) if (foldOfMember[a[d]] !== undefined) return [foldOfMember[a[d]], a[d]];
    return null;
  });
  var readers = {};
  nodes.forEach(function (n, i) { n.inputs.forEach(function (x) { (readers[x] = readers[x] || []).push(i); }); });
  var paramOfValue = {};
  params.forEach(function (p, i) { paramOfValue[p.value] = i; });

  // ---- state -----------------------------------------------------------------------------------
  var expanded = new Set();
  var foldOn = true;
  var unfolded = new Set();
  var showAux = false;
  var selected = null;
  var hitNode = -1;
  var matches = new Set();
  var readsParam = -1;
  var layout = null;
  var T = { x: 0, y: 0, k: 1 };

  function activeFold(s) {
    var f = foldOfMember[s];
    return f !== undefined && foldOn && !unfolded.has(f) ? f : undefined;
  }
  function hidden(n) {
    var x = nodes[n];
    return !showAux && ((x.op === 'Constant' && x.inputs.length === 0) || !!x.aux);
  }
  // The key of what stands for node n on screen: 'n'+n, a collapsed box 's'+s, a fold 'f'+f; null if nothing.
  function ownerOf(n) {
    var chain = anc[nodes[n].scope];
    for (var d = 0; d < chain.length; d++) {
      var s = chain[d];
      var f = activeFold(s);
      if (f !== undefined) {
        if (!expanded.has('f' + f)) return 'f' + f;
        if (s !== folds[f].members[0]) {
          var a = aliasOf[n];
          if (a === undefined) return null;
          n = a;
          chain = anc[nodes[n].scope];
        }
        continue;
      }
      if (!expanded.has('s' + s)) return 's' + s;
    }
    return hidden(n) ? null : 'n' + n;
  }
  // The cluster that holds what is directly inside scope s (null for the root).
  function clusterOf(s) {
    if (s === 0) return null;
    var f = activeFold(s);
    return f !== undefined ? 'f' + f : 's' + s;
  }
  function parentOf(key) {
    var c = key.charAt(0), i = +key.slice(1);
    if (c === 'n') return clusterOf(nodes[i].scope);
    if (c === 's') return clusterOf(scopes[i].parent);
    if (c === 'f') return clusterOf(folds[i].scope);
    return null;
  }
  // The nodes a key stands for (all of them, whatever is folded).
  function nodesOf(key) {
    var c = key.charAt(0), i = +key.slice(1);
    if (c === 'n') return [i];
    var list = [];
    var walk = function (s) { list.push.apply(list, scopes[s].nodes); scopes[s].children.forEach(walk); };
    if (c === 's') walk(i);
    if (c === 'f') folds[i].members.forEach(walk);
    return list;
  }

  // ---- text measure ----------------------------------------------------------------------------
  var ctx = document.createElement('canvas').getContext('2d');
  function textWidth(t, font) { ctx.font = font; return ctx.measureText(t).width; }
  var TITLE = '600 12px system-ui, -apple-system, sans-serif';
  var SUB = '10.5px system-ui, -apple-system, sans-serif';

  function linesOf(key) {
    var c = key.charAt(0), i = +key.slice(1);
    if (c === 'n') {
      var n = nodes[i];
      var out = n.outputs.length ? typeOf(values[n.outputs[0]]) + (n.outputs.length > 1 ? ' +' + (n.outputs.length - 1) : '') : '';
      return [n.op, out];
    }
    if (c === 's') {
      var s = scopes[i];
      var l = [s.label, grouped(s.nodeCount) + ' ops' + (s.flops ? ' · ' + si(s.flops, 'FLOP') : '')];
      var f = foldOfMember[i];
      if (f !== undefined && activeFold(i) === undefined) l.push('shares ' + (folds[f].block || 'its parameters') + ' with ' + (folds[f].members.length - 1) + ' more');
      return l;
    }
    if (c === 'f') {
      var fo = folds[i];
      var size = fo.params.reduce(function (a, p) { return a + params[p].size; }, 0);
      var rep = scopes[fo.members[0]];
      return [fo.label + '  ×' + fo.members.length, 'shared block ' + (fo.block || '') + ' · ' + si(size) + ' params', rep.nodeCount + ' ops per use · ' + si(flopsOfFold(i), 'FLOP') + ' in all'];
    }
    if (c === 'i') return [values[i].name, typeOf(values[i])];
    if (c === 'o') return [D.outputs[i].name, typeOf(values[D.outputs[i].value])];
    if (c === 'O') {
      var list = outputGroups[key] || [];
      return [list.length + ' outputs', list.slice(0, 2).map(function (k) { return D.outputs[k].name.split('/').slice(-2).join('/'); }).join(', ') + (list.length > 2 ? ', …' : '')];
    }
    return [key];
  }
  var outputGroups = {};
  function flopsOfFold(f) { return folds[f].members.reduce(function (a, m) { return a + scopes[m].flops; }, 0); }
  function sizeOf(key) {
    var l = linesOf(key);
    var w = 0;
    l.forEach(function (t, j) { w = Math.max(w, textWidth(t, j === 0 ? TITLE : SUB)); });
    var c = key.charAt(0);
    var pad = c === 'i' || c === 'o' || c === 'O' ? 36 : 22;
    return { width: Math.max(64, Math.ceil(w) + pad + (c === 'f' ? 8 : 0)), height: 12 + 15 * l.length + (c === 'f' ? 8 : 0), lines: l };
  }

  // ---- the visible graph -----------------------------------------------------------------------
  function visibleGraph() {
    var owner = new Array(nodes.length);
    var leaves = new Map();
    var clusters = new Set();
    for (var n = 0; n < nodes.length; n++) {
      var o = ownerOf(n);
      owner[n] = o;
      if (o !== null) leaves.set(o, true);
    }
    var edges = new Map();
    var addEdge = function (from, to, value, loop) {
      if (from === null || to === null || from === to) return;
      var key = from + '>' + to;
      var e = edges.get(key);
      if (!e) { e = { v: from, w: to, count: 0, value: value, loop: false }; edges.set(key, e); }
      e.count++;
      if (loop) e.loop = true;
    };
    for (var i = 0; i < nodes.length; i++) {
      var to = owner[i];
      if (to === null) continue;
      var ins = nodes[i].inputs;
      for (var k = 0; k < ins.length; k++) {
        var x = ins[k], v = values[x];
        var from;
        if (v.producer < 0) {
          if (v.role !== 'data') continue;
          from = 'i' + x;
          leaves.set(from, true);
        } else {
          from = owner[v.producer];
          // Parameters prepared once (a kernel reshaped in the first layer for all twelve) are
          // drawn like the parameters themselves: no edge into another box.
          if (nodes[v.producer].paramOnly && (from === null || from.charAt(0) !== 'n' || to.charAt(0) !== 'n')) continue;
        }
        var loop = false;
        var a = memberOf[i], b = v.producer >= 0 ? memberOf[v.producer] : null;
        // A value from another use of the same block (not the parameters it prepares once): the loop.
        if (a && b && a[0] === b[0] && a[1] !== b[1] && !nodes[v.producer].paramOnly && activeFold(a[1]) !== undefined) loop = true;
        addEdge(from, to, x, loop);
      }
    }
    // Graph outputs: one node each, or, when there are many (a training step's new parameters
    // and optimizer slots), one node per box they come from.
    var many = D.outputs.length > 12;
    outputGroups = {};
    D.outputs.forEach(function (o, k) {
      var p = values[o.value].producer;
      var from = p >= 0 ? owner[p] : values[o.value].role === 'data' ? 'i' + o.value : null;
      if (from === null) return;
      var key = many ? 'O' + from : 'o' + k;
      if (many) (outputGroups[key] = outputGroups[key] || []).push(k);
      leaves.set(from, true);
      leaves.set(key, true);
      addEdge(from, key, o.value, false);
    });
    leaves.forEach(function (_, key) {
      for (var p = parentOf(key); p !== null; p = parentOf(p)) {
        if (clusters.has(p)) break;
        clusters.add(p);
      }
    });
    return { owner: owner, leaves: leaves, clusters: clusters, edges: edges };
  }

  function runLayout() {
    var t0 = performance.now();
    var vis = visibleGraph();
    var g = new dagre.graphlib.Graph({ compound: true });
    // ranksep also sets the room between a box's top edge and its first row (about half of it),
    // where the box's title goes.
    g.setGraph({ rankdir: 'TB', nodesep: 18, ranksep: 46, edgesep: 10, marginx: 30, marginy: 30 });
    g.setDefaultEdgeLabel(function () { return {}; });
    var sizes = {};
    vis.leaves.forEach(function (_, key) { sizes[key] = sizeOf(key); g.setNode(key, { width: sizes[key].width, height: sizes[key].height }); });
    vis.clusters.forEach(function (key) { g.setNode(key, {}); });
    vis.leaves.forEach(function (_, key) { var p = parentOf(key); if (p !== null) g.setParent(key, p); });
    vis.clusters.forEach(function (key) { var p = parentOf(key); if (p !== null) g.setParent(key, p); });
    // A loop edge (into the next use of a drawn-once block) is laid out backwards, so that the
    // block reads top-down and the loop goes back up; other cycles are dagre's to break.
    vis.edges.forEach(function (e) {
      if (e.loop && !vis.edges.has(e.w + '>' + e.v)) g.setEdge(e.w, e.v, { weight: 0, minlen: 1, back: true });
      else g.setEdge(e.v, e.w, { weight: 1, minlen: 1 });
    });
    dagre.layout(g);
    layout = { g: g, vis: vis, sizes: sizes, ms: performance.now() - t0 };
  }

  // ---- drawing ---------------------------------------------------------------------------------
  function el(tag, attrs, parent) {
    var e = document.createElementNS(SVGNS, tag);
    for (var k in attrs) if (attrs[k] !== undefined && attrs[k] !== null) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  }
  function text(parent, x, y, t, cls) {
    var e = el('text', { x: x, y: y, 'class': cls || null }, parent);
    e.textContent = t;
    return e;
  }
  var viewport = el('g', { id: 'viewport' }, svg);
  var defs = el('defs', {}, svg);
  var marker = el('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' }, defs);
  el('path', { d: 'M0,0 L10,5 L0,10 z', fill: '#8792a2' }, marker);

  function pathOf(points) {
    var d = 'M' + points[0].x.toFixed(1) + ',' + points[0].y.toFixed(1);
    if (points.length === 2) return d + ' L' + points[1].x.toFixed(1) + ',' + points[1].y.toFixed(1);
    for (var i = 1; i < points.length - 1; i++) {
      var p = points[i], q = points[i + 1];
      var mx = i === points.length - 2 ? q.x : (p.x + q.x) / 2, my = i === points.length - 2 ? q.y : (p.y + q.y) / 2;
      d += ' Q' + p.x.toFixed(1) + ',' + p.y.toFixed(1) + ' ' + mx.toFixed(1) + ',' + my.toFixed(1);
    }
    return d;
  }

  function classesOf(key) {
    var c = key.charAt(0);
    var cls = ['node'];
    if (c === 'n') { cls.push('op'); if (nodes[+key.slice(1)].paramOnly) cls.push('prep'); }
    if (c === 's') { cls.push('box'); if (scopes[+key.slice(1)].synthetic) cls.push('synthetic'); }
    if (c === 'f') cls.push('fold');
    if (c === 'i') cls.push('io', 'in');
    if (c === 'o' || c === 'O') cls.push('io', 'out');
    return cls;
  }

  function draw() {
    while (viewport.firstChild) viewport.removeChild(viewport.firstChild);
    var g = layout.g, vis = layout.vis;
    var gc = el('g', { 'class': 'clusters' }, viewport);
    var ge = el('g', { 'class': 'edges' }, viewport);
    var gn = el('g', { 'class': 'nodes' }, viewport);
    // Outer clusters first, so inner ones paint over them.
    var cl = Array.from(vis.clusters).sort(function (a, b) { return depth(a) - depth(b); });
    cl.forEach(function (key) {
      var b = g.node(key);
      var c = key.charAt(0), i = +key.slice(1);
      var grp = el('g', { 'class': 'cluster' + (c === 'f' ? ' foldc' : ''), 'data-key': key }, gc);
      el('rect', { 'class': 'frame', x: b.x - b.width / 2, y: b.y - b.height / 2, width: b.width, height: b.height, rx: 6 }, grp);
      var head = el('g', { 'class': 'head' }, grp);
      var label = c === 'f' ? folds[i].label + '  ×' + folds[i].members.length + ' · one use shown' : scopes[i].label;
      text(head, b.x - b.width / 2 + 8, b.y - b.height / 2 + 14, '▾ ' + label);
      var tt = el('title', {}, head);
      tt.textContent = (c === 'f' ? 'the block of ' + folds[i].label : scopePath(i)) + ': click to collapse';
      head.addEventListener('click', function (ev) { ev.stopPropagation(); if (dragged) return; toggle(key); });
    });
    vis.edges.forEach(function (e) {
      var ed = g.edge(e.v, e.w);
      var pts = ed && ed.points;
      if (!ed) { ed = g.edge(e.w, e.v); pts = ed && ed.back && ed.points ? ed.points.slice().reverse() : null; }
      if (!pts || pts.length < 2) return;
      var grp = el('g', { 'class': 'edge' + (e.loop ? ' loop' : ''), 'data-from': e.v, 'data-to': e.w }, ge);
      el('path', { d: pathOf(pts), 'marker-end': 'url(#arrow)' }, grp);
      var t = el('title', {}, grp);
      var v = values[e.value];
      t.textContent = (e.loop ? 'from the previous use of the block: ' : '') + v.name + ' ' + typeOf(v) + (e.count > 1 ? ' (and ' + (e.count - 1) + ' more)' : '');
    });
    vis.leaves.forEach(function (_, key) {
      var b = g.node(key);
      var sz = layout.sizes[key];
      var c = key.charAt(0);
      var grp = el('g', { 'class': classesOf(key).join(' '), 'data-key': key, transform: 'translate(' + b.x.toFixed(1) + ',' + b.y.toFixed(1) + ')' }, gn);
      var w = b.width, h = b.height;
      if (c === 'O') c = 'o';
      if (c === 'i' || c === 'o') {
        var hw = w / 2, hh = h / 2;
        var d = c === 'i'
          ? 'M' + (-hw) + ',' + (-hh) + ' L' + hw + ',' + (-hh) + ' L' + hw + ',' + (hh - 8) + ' L0,' + hh + ' L' + (-hw) + ',' + (hh - 8) + ' z'
          : 'M0,' + (-hh) + ' L' + hw + ',' + (-hh + 8) + ' L' + hw + ',' + hh + ' L' + (-hw) + ',' + hh + ' L' + (-hw) + ',' + (-hh + 8) + ' z';
        el('path', { d: d }, grp);
      } else {
        if (c === 'f') {
          el('rect', { 'class': 'stack', x: -w / 2 + 8, y: -h / 2 + 8, width: w - 8, height: h - 8, rx: 6 }, grp);
          el('rect', { 'class': 'stack', x: -w / 2 + 4, y: -h / 2 + 4, width: w - 8, height: h - 8, rx: 6 }, grp);
        }
        var inset = c === 'f' ? 8 : 0;
        el('rect', { x: -w / 2, y: -h / 2, width: w - inset, height: h - inset, rx: c === 'n' ? 4 : 7 }, grp);
      }
      var y0 = -h / 2 + (c === 'o' ? 22 : 17);
      var tx = c === 'f' ? -4 : 0;
      sz.lines.forEach(function (t, j) { text(grp, tx, y0 + 15 * j, t, j === 0 ? 'title' : 'sub').setAttribute('text-anchor', 'middle'); });
      var tip = el('title', {}, grp);
      tip.textContent = tooltipOf(key);
      grp.addEventListener('click', function (ev) { ev.stopPropagation(); if (dragged) return; clickLeaf(key); });
    });
    statusEl.textContent = vis.leaves.size + ' shown, ' + vis.edges.size + ' edges · laid out in ' + Math.round(layout.ms) + ' ms · ' + nodes.length + ' ops in all';
    mark();
    applyT();
  }
  function depth(key) {
    var d = 0;
    for (var p = parentOf(key); p !== null; p = parentOf(p)) d++;
    return d;
  }
  function tooltipOf(key) {
    var c = key.charAt(0), i = +key.slice(1);
    if (c === 'n') return nodes[i].name + ' @' + scopePath(nodes[i].scope);
    if (c === 's') return scopePath(i) + ': click to expand';
    if (c === 'f') return folds[i].label + ': ' + folds[i].members.length + ' uses of one block; click to expand';
    if (c === 'i') return 'graph input ' + values[i].name;
    if (c === 'o') return 'graph output ' + D.outputs[i].name;
    if (c === 'O') return (outputGroups[key] || []).length + ' graph outputs';
    return key;
  }
  // Classes that follow the state: selection, search, the parameter whose readers are shown.
  function mark() {
    var hitKey = hitNode >= 0 && layout ? layout.vis.owner[hitNode] : null;
    var matchKeys = new Set();
    if (layout) matches.forEach(function (n) { var o = layout.vis.owner[n]; if (o) matchKeys.add(o); });
    var readKeys = new Set();
    if (readsParam >= 0 && layout) {
      nodes.forEach(function (n, i) { if (n.params.indexOf(readsParam) >= 0) { var o = layout.vis.owner[i]; if (o) readKeys.add(o); } });
    }
    var peakKey = D.memory && layout ? layout.vis.owner[D.memory.peakStep] : null;
    svg.querySelectorAll('.node').forEach(function (e) {
      var key = e.getAttribute('data-key');
      e.classList.toggle('sel', key === selected);
      e.classList.toggle('hit', key === hitKey);
      e.classList.toggle('match', matchKeys.has(key) && key !== hitKey);
      e.classList.toggle('reads', readKeys.has(key));
      e.classList.toggle('peak', key === peakKey && showPeak);
    });
  }
  var showPeak = false;

  // ---- view transform --------------------------------------------------------------------------
  function applyT() { viewport.setAttribute('transform', 'translate(' + T.x.toFixed(1) + ',' + T.y.toFixed(1) + ') scale(' + T.k.toFixed(4) + ')'); }
  function fit() {
    var gr = layout.g.graph();
    var W = svg.clientWidth || 800, H = svg.clientHeight || 600;
    var k = Math.min(W / (gr.width || 1), H / (gr.height || 1), 1.25) * 0.96;
    T.k = k;
    T.x = (W - gr.width * k) / 2;
    T.y = Math.max(8, (H - gr.height * k) / 2);
    applyT();
  }
  function center(key, minK) {
    var b = layout.g.node(key);
    if (!b) return;
    var W = svg.clientWidth || 800, H = svg.clientHeight || 600;
    if (minK && T.k < minK) T.k = minK;
    T.x = W / 2 - b.x * T.k;
    T.y = H / 2 - b.y * T.k;
    applyT();
  }
  var dragged = false;
  (function () {
    var start = null;
    svg.addEventListener('pointerdown', function (e) { start = { x: e.clientX, y: e.clientY, tx: T.x, ty: T.y }; dragged = false; });
    window.addEventListener('pointermove', function (e) {
      if (!start) return;
      var dx = e.clientX - start.x, dy = e.clientY - start.y;
      if (!dragged && Math.abs(dx) + Math.abs(dy) < 4) return;
      dragged = true;
      svg.classList.add('dragging');
      T.x = start.tx + dx; T.y = start.ty + dy;
      applyT();
    });
    window.addEventListener('pointerup', function () { start = null; svg.classList.remove('dragging'); setTimeout(function () { dragged = false; }, 0); });
    svg.addEventListener('wheel', function (e) {
      e.preventDefault();
      var r = svg.getBoundingClientRect();
      var px = e.clientX - r.left, py = e.clientY - r.top;
      var k = Math.min(4, Math.max(0.03, T.k * Math.exp(-e.deltaY * 0.0015)));
      T.x = px - (px - T.x) * (k / T.k);
      T.y = py - (py - T.y) * (k / T.k);
      T.k = k;
      applyT();
    }, { passive: false });
    svg.addEventListener('click', function () { if (dragged) return; select(null); });
  })();

  // Re-lays out, keeping the element key where it was on screen.
  function relayout(key) {
    var before = key && layout ? layout.g.node(key) : null;
    var sx = before ? T.x + (before.x) * T.k : 0, sy = before ? T.y + (before.y - before.height / 2) * T.k : 0;
    runLayout();
    draw();
    var after = key ? layout.g.node(key) : null;
    if (before && after) {
      T.x = sx - after.x * T.k;
      T.y = sy - (after.y - after.height / 2) * T.k;
      applyT();
    }
  }

  // ---- interaction -----------------------------------------------------------------------------
  function toggle(key) {
    if (expanded.has(key)) expanded.delete(key); else expanded.add(key);
    relayout(key);
    select(key);
  }
  function clickLeaf(key) {
    var c = key.charAt(0);
    if (c === 's' || c === 'f') { toggle(key); return; }
    select(key);
  }
  function select(key) {
    selected = key;
    hitNode = -1;
    mark();
    details(key);
    if (key !== null) showTab('details');
  }
  // Opens what holds node n, unrolling a shared block if n is in a use that is not drawn.
  function reveal(n) {
    var a = anc[nodes[n].scope];
    a.forEach(function (s) {
      var f = foldOfMember[s];
      if (f !== undefined && activeFold(s) !== undefined && s !== folds[f].members[0] && aliasOf[n] === undefined) unfolded.add(f);
    });
    a.forEach(function (s) {
      var f = activeFold(s);
      if (f !== undefined) expanded.add('f' + f);
      else expanded.add('s' + s);
    });
    if (hidden(n)) { showAux = true; if (auxToggle) auxToggle.checked = true; }
    runLayout();
    draw();
    var key = layout.vis.owner[n];
    selected = key;
    hitNode = n;
    details(key, n);
    showTab('details');
    mark();
    if (key) center(key, 0.8);
  }
  function revealScope(s) {
    anc[s].slice(0, -1).forEach(function (x) { var f = activeFold(x); expanded.add(f !== undefined ? 'f' + f : 's' + x); });
    var f = foldOfMember[s];
    if (f !== undefined && activeFold(s) !== undefined && s !== folds[f].members[0]) unfolded.add(f);
    runLayout();
    draw();
    var key = activeFold(s) !== undefined && !expanded.has('f' + activeFold(s)) ? 'f' + activeFold(s) : 's' + s;
    if (!layout.g.node(key)) key = clusterOf(s) || key;
    selected = key;
    details(key);
    showTab('details');
    mark();
    center(key, 0.5);
  }

  // ---- the details panel -----------------------------------------------------------------------
  var detailsEl = document.getElementById('details-body');
  function h(tag, attrs, kids) {
    var e = document.createElement(tag);
    if (attrs) for (var k in attrs) {
      if (k === 'onclick') e.addEventListener('click', attrs[k]);
      else if (attrs[k] !== undefined && attrs[k] !== null) e.setAttribute(k, attrs[k]);
    }
    (kids || []).forEach(function (c) { if (c !== null && c !== undefined) e.appendChild(typeof c === 'string' ? document.createTextNode(c) : c); });
    return e;
  }
  function table(headers, rows) {
    return h('table', {}, [
      headers ? h('thead', {}, [h('tr', {}, headers.map(function (x) { return h('th', { 'class': /^(size|FLOPs|bytes|count)$/.test(x) ? 'num' : null }, [x]); }))]) : null,
      h('tbody', {}, rows),
    ]);
  }
  function row(cells, onclick) {
    return h('tr', { 'class': onclick ? 'click' : null, onclick: onclick }, cells.map(function (c) {
      if (c && c.num !== undefined) return h('td', { 'class': 'num' }, [c.num]);
      if (c && c.nodeType) return h('td', {}, [c]);
      return h('td', { 'class': 'name' }, [String(c)]);
    }));
  }
  function crumbs(s) {
    var parts = [h('span', { onclick: function () { revealScope(0); } }, ['graph'])];
    anc[s].forEach(function (x) { parts.push(' / '); parts.push(h('span', { onclick: function () { revealScope(x); } }, [scopes[x].label])); });
    return h('div', { 'class': 'crumbs' }, parts);
  }
  function paramRows(list) {
    return list.map(function (p) {
      var q = params[p];
      var name = h('div', {}, [h('div', { 'class': 'mono' }, [q.name]), q.hfName ? h('div', { 'class': 'mono muted' }, [q.hfName]) : null]);
      return row([name, h('span', { 'class': 'nowrap' }, ['[' + q.shape.join(', ') + ']']), { num: grouped(q.size) }], function () { highlightParam(p); });
    });
  }
  function details(key, n) {
    detailsEl.textContent = '';
    if (key === null) {
      detailsEl.appendChild(h('p', { 'class': 'muted' }, ['Click a box to open it, an op to see its attributes, shapes, FLOPs and the parameters it reads. Drag to pan, wheel to zoom, / to search.']));
      return;
    }
    var c = key.charAt(0), i = +key.slice(1);
    if (c === 'n' || n !== undefined) nodeDetails(n !== undefined ? n : i);
    else if (c === 's') scopeDetails(i);
    else if (c === 'f') foldDetails(i);
    else if (c === 'i') valueDetails(i, 'graph input');
    else if (c === 'o') valueDetails(D.outputs[i].value, 'graph output ' + D.outputs[i].name);
    else if (c === 'O') {
      var list = outputGroups[key] || [];
      detailsEl.appendChild(h('h3', {}, [list.length + ' graph outputs']));
      detailsEl.appendChild(table(['name', 'type', 'made by'], list.map(function (k) {
        var v = values[D.outputs[k].value];
        return row([D.outputs[k].name, h('span', { 'class': 'mono' }, [typeOf(v)]), v.producer >= 0 ? nodes[v.producer].op + ' @' + scopePath(nodes[v.producer].scope) : 'graph input'], v.producer >= 0 ? function () { reveal(v.producer); } : null);
      })));
    }
  }
  function nodeDetails(i) {
    var n = nodes[i];
    var mem = memberOf[i];
    detailsEl.appendChild(h('h3', {}, [n.op, ' ', h('span', { 'class': 'mono muted' }, [n.name])]));
    detailsEl.appendChild(crumbs(n.scope));
    if (mem && activeFold(mem[1]) !== undefined) {
      var f = folds[mem[0]];
      detailsEl.appendChild(h('p', { 'class': 'note' }, ['Runs in each of ' + f.label + ' (' + f.members.length + ' uses of the shared block; this is the one in ' + scopes[mem[1]].label + ').']));
    }
    detailsEl.appendChild(table(null, [
      row(['FLOPs', { num: n.flops === null ? 'not counted' : si(n.flops, 'FLOP') + ' (' + grouped(n.flops) + ')' }]),
      n.paramOnly ? row(['computed', 'from parameters and constants only: once, for every use']) : null,
    ].filter(Boolean)));
    if (n.attrs.length) {
      detailsEl.appendChild(h('h3', {}, ['Attributes']));
      detailsEl.appendChild(table(null, n.attrs.map(function (a) { return row([a[0], h('span', { 'class': 'mono' }, [a[1]])]); })));
    }
    detailsEl.appendChild(h('h3', {}, ['Inputs']));
    detailsEl.appendChild(table(['value', 'type', 'from'], n.inputs.map(function (x) {
      var v = values[x];
      var from = v.producer >= 0 ? nodes[v.producer].op + ' @' + scopePath(nodes[v.producer].scope) : (v.role === 'param' ? 'parameter' : v.role === 'state' ? 'state input' : 'graph input');
      return row([v.name, h('span', { 'class': 'mono' }, [typeOf(v)]), from], v.producer >= 0 ? function () { reveal(v.producer); } : paramOfValue[x] !== undefined ? function () { highlightParam(paramOfValue[x]); } : null);
    })));
    detailsEl.appendChild(h('h3', {}, ['Outputs']));
    detailsEl.appendChild(table(['value', 'type', 'bytes'], n.outputs.map(function (x) {
      var v = values[x];
      return row([v.name, h('span', { 'class': 'mono' }, [typeOf(v)]), { num: bytes(v.bytes) }]);
    })));
    var users = [];
    n.outputs.forEach(function (x) { (readers[x] || []).forEach(function (u) { users.push(u); }); });
    if (users.length) {
      detailsEl.appendChild(h('h3', {}, ['Read by']));
      detailsEl.appendChild(table(null, users.slice(0, 40).map(function (u) { return row([nodes[u].op + ' ' + nodes[u].name, scopePath(nodes[u].scope)], function () { reveal(u); }); })));
    }
    if (n.params.length) {
      detailsEl.appendChild(h('h3', {}, ['Parameters read']));
      detailsEl.appendChild(table(['name (TF / HF)', 'shape', 'size'], paramRows(n.params)));
    }
  }
  function opsTable(list) {
    var count = {};
    list.forEach(function (n) { var o = nodes[n].op; count[o] = (count[o] || 0) + 1; });
    var ops = Object.keys(count).sort(function (a, b) { return count[b] - count[a] || (a < b ? -1 : 1); });
    return table(['op', 'count'], ops.map(function (o) { return row([o, { num: String(count[o]) }]); }));
  }
  function scopeDetails(s) {
    var sc = scopes[s];
    detailsEl.appendChild(h('h3', {}, [sc.label || D.name]));
    detailsEl.appendChild(crumbs(s));
    var total = D.flops.total || 1;
    detailsEl.appendChild(table(null, [
      row(['ops', { num: grouped(sc.nodeCount) }]),
      row(['FLOPs', { num: si(sc.flops, 'FLOP') + ' (' + (100 * sc.flops / total).toFixed(1) + '%)' }]),
      row(['parameters read', { num: sc.params.length + ' tensors, ' + si(sc.params.reduce(function (a, p) { return a + params[p].size; }, 0)) }]),
    ]));
    var f = foldOfMember[s];
    if (f !== undefined) {
      var fo = folds[f];
      detailsEl.appendChild(h('p', { 'class': 'note' }, ['One of ' + fo.members.length + ' uses of shared block ' + fo.block + ' (' + fo.label + ').']));
      detailsEl.appendChild(h('button', { onclick: function () { unfolded.delete(f); foldOn = true; foldToggle.checked = true; expanded.delete('f' + f); relayout(null); revealScope(fo.scope); } }, ['Draw the block once']));
    }
    if (sc.params.length) {
      detailsEl.appendChild(h('h3', {}, ['Parameters read']));
      detailsEl.appendChild(table(['name (TF / HF)', 'shape', 'size'], paramRows(sc.params)));
    }
    detailsEl.appendChild(h('h3', {}, ['Ops']));
    detailsEl.appendChild(opsTable(nodesOf('s' + s)));
  }
  function foldDetails(f) {
    var fo = folds[f];
    var size = fo.params.reduce(function (a, p) { return a + params[p].size; }, 0);
    detailsEl.appendChild(h('h3', {}, [fo.label, h('span', { 'class': 'badge' }, ['×' + fo.members.length])]));
    detailsEl.appendChild(crumbs(fo.scope));
    detailsEl.appendChild(h('p', {}, ['One block, used ' + fo.members.length + ' times: ' + fo.members.map(function (m) { return scopes[m].label; }).join(', ') + '. Every use reads the same ' + fo.params.length + ' parameter tensors (' + si(size) + ' values' + (fo.block ? ', ' + fo.block : '') + '), so they are stored once and trained by the sum of the gradients of all uses.']));
    detailsEl.appendChild(table(null, [
      row(['ops per use', { num: grouped(scopes[fo.members[0]].nodeCount) }]),
      row(['FLOPs, all uses', { num: si(flopsOfFold(f), 'FLOP') + ' (' + (100 * flopsOfFold(f) / (D.flops.total || 1)).toFixed(1) + '%)' }]),
    ]));
    detailsEl.appendChild(h('button', { onclick: function () { unfolded.add(f); relayout(null); revealScope(fo.members[0]); } }, ['Show each use']));
    detailsEl.appendChild(h('h3', {}, ['Uses']));
    detailsEl.appendChild(table(['scope', 'ops', 'FLOPs'], fo.members.map(function (m) { return row([scopes[m].path, { num: grouped(scopes[m].nodeCount) }, { num: si(scopes[m].flops) }], function () { unfolded.add(f); revealScope(m); }); })));
    detailsEl.appendChild(h('h3', {}, ['Shared parameters']));
    detailsEl.appendChild(table(['name (TF / HF)', 'shape', 'size'], paramRows(fo.params)));
  }
  function valueDetails(x, what) {
    var v = values[x];
    detailsEl.appendChild(h('h3', {}, [v.name]));
    detailsEl.appendChild(table(null, [row(['is', what]), row(['type', h('span', { 'class': 'mono' }, [typeOf(v)])]), row(['bytes', { num: bytes(v.bytes) }])]));
    var users = readers[x] || [];
    if (users.length) {
      detailsEl.appendChild(h('h3', {}, ['Read by']));
      detailsEl.appendChild(table(null, users.slice(0, 40).map(function (u) { return row([nodes[u].op + ' ' + nodes[u].name, scopePath(nodes[u].scope)], function () { reveal(u); }); })));
    }
  }
  function highlightParam(p) {
    readsParam = readsParam === p ? -1 : p;
    document.querySelectorAll('#param-table tr[data-param]').forEach(function (r) { r.classList.toggle('sel', +r.getAttribute('data-param') === readsParam); });
    mark();
    var note = document.getElementById('param-note');
    if (note) note.textContent = readsParam < 0 ? '' : 'Outlined in the graph: what reads ' + params[readsParam].name + ' (' + params[readsParam].sharedBy + ').';
  }

  // ---- tabs ------------------------------------------------------------------------------------
  function showTab(name) {
    document.querySelectorAll('nav.tabs button').forEach(function (b) { b.classList.toggle('on', b.getAttribute('data-tab') === name); });
    document.querySelectorAll('.tab').forEach(function (t) { t.classList.toggle('on', t.id === 'tab-' + name); });
  }
  document.querySelectorAll('nav.tabs button').forEach(function (b) { b.addEventListener('click', function () { showTab(b.getAttribute('data-tab')); }); });

  // ---- search ----------------------------------------------------------------------------------
  var searchEl = document.getElementById('search');
  var resultsEl = document.getElementById('results');
  var index = null;
  var found = [];
  var cur = 0;
  // Per node: its own words (name, op, values, parameters) and, apart, its scope.
  var scopeIndex = null;
  function buildIndex() {
    index = nodes.map(function (n) {
      var t = [n.name, n.op];
      n.outputs.forEach(function (x) { t.push(values[x].name); });
      n.params.forEach(function (p) { t.push(params[p].name); if (params[p].hfName) t.push(params[p].hfName); });
      return t.join(' ').toLowerCase();
    });
    scopeIndex = nodes.map(function (n) { return scopePath(n.scope).toLowerCase(); });
  }
  function search(q) {
    q = q.trim().toLowerCase();
    matches = new Set();
    found = [];
    if (!q) { resultsEl.classList.remove('open'); mark(); return; }
    if (!index) buildIndex();
    var exact = [], op = [], rest = [];
    // Ops named or typed so; only when none is, the ops in scopes so named.
    var inScope = !index.some(function (t) { return t.indexOf(q) >= 0; });
    for (var i = 0; i < nodes.length; i++) {
      if ((inScope ? scopeIndex[i] : index[i]).indexOf(q) < 0) continue;
      matches.add(i);
      var n = nodes[i];
      if (n.name.toLowerCase() === q || n.outputs.some(function (x) { return values[x].name.toLowerCase() === q; })) exact.push(i);
      else if (n.op.toLowerCase() === q) op.push(i);
      else rest.push(i);
    }
    found = exact.concat(op, rest);
    cur = 0;
    resultsEl.textContent = '';
    found.slice(0, 80).forEach(function (i, j) {
      var n = nodes[i];
      var d = h('div', { 'class': j === 0 ? 'cur' : null, 'data-node': i, onclick: function () { go(j); } }, [n.op + ' ', h('span', { 'class': 'mono' }, [n.name]), ' ', h('span', { 'class': 'scope' }, ['@' + scopePath(n.scope)])]);
      resultsEl.appendChild(d);
    });
    if (found.length > 80) resultsEl.appendChild(h('div', { 'class': 'scope' }, ['… ' + (found.length - 80) + ' more (outlined in the graph)']));
    if (!found.length) resultsEl.appendChild(h('div', { 'class': 'scope' }, ['nothing matches']));
    resultsEl.classList.add('open');
    mark();
  }
  function go(j) {
    if (!found.length) return;
    cur = (j + found.length) % found.length;
    resultsEl.querySelectorAll('div[data-node]').forEach(function (d, k) { d.classList.toggle('cur', k === cur); });
    resultsEl.classList.remove('open');
    reveal(found[cur]);
  }
  var timer = null;
  searchEl.addEventListener('input', function () { clearTimeout(timer); timer = setTimeout(function () { search(searchEl.value); }, 120); });
  searchEl.addEventListener('keydown', function (e) {
    if (e.key === 'Enter') { clearTimeout(timer); if (!found.length || searchEl.value.trim().toLowerCase() !== lastQuery) { search(searchEl.value); lastQuery = searchEl.value.trim().toLowerCase(); go(0); } else go(cur + (e.shiftKey ? -1 : 1)); e.preventDefault(); }
    if (e.key === 'Escape') { searchEl.value = ''; search(''); searchEl.blur(); }
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      var items = resultsEl.querySelectorAll('div[data-node]');
      if (!items.length) return;
      cur = (cur + (e.key === 'ArrowDown' ? 1 : -1) + items.length) % items.length;
      items.forEach(function (d, k) { d.classList.toggle('cur', k === cur); });
      lastQuery = searchEl.value.trim().toLowerCase();
    }
  });
  var lastQuery = '';
  searchEl.addEventListener('focus', function () { if (found.length) resultsEl.classList.add('open'); });
  document.addEventListener('click', function (e) { if (e.target !== searchEl && !resultsEl.contains(e.target)) resultsEl.classList.remove('open'); });
  document.addEventListener('keydown', function (e) {
    if (e.key === '/' && document.activeElement !== searchEl) { e.preventDefault(); searchEl.focus(); searchEl.select(); }
  });

  // ---- toolbar ---------------------------------------------------------------------------------
  var foldToggle = document.getElementById('fold-toggle');
  foldToggle.checked = true;
  foldToggle.addEventListener('change', function () { foldOn = foldToggle.checked; unfolded.clear(); relayout(null); fit(); });
  var auxToggle = document.getElementById('aux-toggle');
  if (auxToggle) auxToggle.addEventListener('change', function () { showAux = auxToggle.checked; relayout(null); });
  document.getElementById('btn-fit').addEventListener('click', fit);
  document.getElementById('btn-collapse').addEventListener('click', function () { expanded.clear(); relayout(null); fit(); select(null); });
  document.getElementById('btn-expand').addEventListener('click', function () {
    // One level more: every visible box opens.
    layout.vis.leaves.forEach(function (_, key) { if (key.charAt(0) === 's' || key.charAt(0) === 'f') expanded.add(key); });
    relayout(null);
    fit();
  });

  // ---- the side tables -------------------------------------------------------------------------
  document.querySelectorAll('tr[data-param]').forEach(function (r) { r.classList.add('click'); r.addEventListener('click', function () { highlightParam(+r.getAttribute('data-param')); }); });
  document.querySelectorAll('tr[data-scope]').forEach(function (r) { r.classList.add('click'); r.addEventListener('click', function () { revealScope(+r.getAttribute('data-scope')); }); });
  document.querySelectorAll('tr[data-fold]').forEach(function (r) {
    r.classList.add('click');
    r.addEventListener('click', function () { var f = +r.getAttribute('data-fold'); foldOn = true; foldToggle.checked = true; unfolded.delete(f); revealScope(folds[f].members[0]); select('f' + f); });
  });
  document.querySelectorAll('tr[data-node]').forEach(function (r) { r.classList.add('click'); r.addEventListener('click', function () { reveal(+r.getAttribute('data-node')); }); });
  var plot = document.getElementById('memplot');
  if (plot && D.memory) {
    var tip = document.getElementById('memtip');
    var cursor = plot.querySelector('.cursor');
    var x0 = +plot.getAttribute('data-x0'), x1 = +plot.getAttribute('data-x1');
    var stepAt = function (e) {
      var r = plot.getBoundingClientRect();
      var vb = plot.viewBox.baseVal;
      var x = (e.clientX - r.left) * vb.width / r.width;
      var n = D.memory.live.length;
      return Math.max(0, Math.min(n - 1, Math.round((x - x0) / (x1 - x0) * (n - 1))));
    };
    plot.addEventListener('mousemove', function (e) {
      var i = stepAt(e);
      var n = nodes[i];
      tip.textContent = 'step ' + i + ': ' + n.op + ' ' + n.name + ' @' + scopePath(n.scope) + ' · ' + bytes(D.memory.live[i]) + ' live';
      var x = x0 + (x1 - x0) * i / Math.max(1, D.memory.live.length - 1);
      if (cursor) { cursor.setAttribute('x1', x); cursor.setAttribute('x2', x); cursor.style.display = ''; }
    });
    plot.addEventListener('click', function (e) { reveal(stepAt(e)); });
    var peakBtn = document.getElementById('btn-peak');
    if (peakBtn) peakBtn.addEventListener('click', function () { showPeak = true; reveal(D.memory.peakStep); });
  }

  // ---- first picture ---------------------------------------------------------------------------
  // Open the boxes that only group other boxes (encoder, cls, grad), breadth first, while the
  // picture stays at about two dozen boxes; ALBERT-base then opens as a dozen boxes.
  (function () {
    var visibleChildren = function (s) {
      var seen = new Set();
      var count = scopes[s].nodes.length;
      scopes[s].children.forEach(function (c) {
        var f = activeFold(c);
        if (f === undefined) count++;
        else if (!seen.has(f)) { seen.add(f); count++; }
      });
      return count;
    };
    var shown = visibleChildren(0);
    var queue = scopes[0].children.slice();
    while (queue.length) {
      var s = queue.shift();
      var sc = scopes[s];
      if (activeFold(s) !== undefined || sc.nodes.length > 0 || sc.children.length === 0) continue;
      var more = visibleChildren(s) - 1;
      if (shown + more > 24) continue;
      expanded.add('s' + s);
      shown += more;
      queue.push.apply(queue, sc.children);
    }
  })();
  details(null);
  runLayout();
  draw();
  fit();
  window.albertViewer = { reveal: reveal, revealScope: revealScope, expanded: expanded, layout: function () { return layout; } };
})();
`;
