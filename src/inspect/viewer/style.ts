/** The stylesheet of the `albert inspect --format html` page. */
export const VIEWER_CSS = String.raw`
:root {
  --fg: #1f2430; --muted: #5b6472; --line: #d5dae1; --bg: #ffffff; --panel: #f7f8fa;
  --box: #eef3fb; --box-line: #7d93b5; --fold: #efe9fb; --fold-line: #8a6cc8;
  --op: #ffffff; --op-line: #9aa4b2; --param: #fff3c4; --hit: #ff9f1a; --reads: #e8590c;
  --accent: #3b6fd0;
}
* { box-sizing: border-box; }
html, body { height: 100%; margin: 0; }
body { font: 13px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); display: flex; flex-direction: column; }
header#top { display: flex; align-items: center; gap: 14px; padding: 8px 14px; border-bottom: 1px solid var(--line); background: var(--panel); flex-wrap: wrap; }
header#top h1 { font-size: 15px; margin: 0; white-space: nowrap; }
header#top .source { color: var(--muted); font-size: 12px; }
header#top .headline { color: var(--muted); font-size: 12px; white-space: nowrap; }
header#top .tools { margin-left: auto; display: flex; gap: 6px; align-items: center; position: relative; }
#search { width: 260px; padding: 4px 8px; border: 1px solid var(--line); border-radius: 4px; font: inherit; }
#results { position: absolute; top: 30px; left: 0; width: 460px; max-height: 360px; overflow: auto; background: #fff; border: 1px solid var(--line); border-radius: 4px; box-shadow: 0 4px 14px rgba(0,0,0,.12); z-index: 10; display: none; }
#results.open { display: block; }
#results div { padding: 3px 8px; cursor: pointer; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
#results div:hover, #results div.cur { background: #e8effc; }
#results .scope { color: var(--muted); font-size: 11px; }
button, label.toggle { font: inherit; font-size: 12px; padding: 3px 8px; border: 1px solid var(--line); border-radius: 4px; background: #fff; cursor: pointer; white-space: nowrap; }
button:hover { background: #eef2f8; }
main { flex: 1; display: flex; min-height: 0; }
#graph { flex: 1; position: relative; min-width: 0; background: #fbfcfd; }
#canvas { width: 100%; height: 100%; display: block; cursor: grab; user-select: none; }
#canvas.dragging { cursor: grabbing; }
#status { position: absolute; left: 10px; bottom: 8px; color: var(--muted); font-size: 11px; background: rgba(255,255,255,.85); padding: 2px 6px; border-radius: 3px; }
#nojs { padding: 2em; color: var(--muted); }
aside#side { width: 500px; border-left: 1px solid var(--line); display: flex; flex-direction: column; min-height: 0; background: var(--bg); }
nav.tabs { display: flex; border-bottom: 1px solid var(--line); background: var(--panel); }
nav.tabs button { border: 0; border-radius: 0; background: transparent; padding: 7px 11px; border-bottom: 2px solid transparent; }
nav.tabs button.on { border-bottom-color: var(--accent); color: var(--accent); }
.tab { display: none; padding: 10px 14px 30px; overflow: auto; flex: 1; }
.tab.on { display: block; }
.tab h2 { font-size: 14px; margin: 4px 0 8px; }
.tab h3 { font-size: 13px; margin: 14px 0 6px; }
table { border-collapse: collapse; margin: 4px 0 10px; width: 100%; }
th, td { border-bottom: 1px solid #e6e9ee; padding: 2px 6px; text-align: left; vertical-align: top; font-size: 12px; overflow-wrap: anywhere; }
th { color: var(--muted); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.name { word-break: break-all; }
tr.click { cursor: pointer; }
tr.click:hover { background: #f0f4fb; }
tr.sel { background: #fff1db; }
.bar { background: #6f93d6; height: 9px; display: inline-block; border-radius: 1px; }
.muted, .note { color: var(--muted); }
.nowrap { white-space: nowrap; }
code, .mono { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 11.5px; }
pre { background: var(--panel); padding: 8px; overflow: auto; font-size: 11px; line-height: 1.35; max-height: 480px; }
.crumbs span { cursor: pointer; color: var(--accent); }
.crumbs span:hover { text-decoration: underline; }
.badge { display: inline-block; white-space: nowrap; padding: 0 6px; border-radius: 8px; background: var(--fold); color: #4b347f; font-size: 11px; margin-left: 4px; }
svg text { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; }
#canvas .node { cursor: pointer; }
#canvas .node rect, #canvas .node path { stroke-width: 1.2; }
#canvas .op rect { fill: var(--op); stroke: var(--op-line); }
#canvas .op.prep rect { fill: #fbf3dc; }
#canvas .box rect { fill: var(--box); stroke: var(--box-line); }
#canvas .box.synthetic rect { stroke-dasharray: 4 3; }
#canvas .fold rect { fill: var(--fold); stroke: var(--fold-line); stroke-width: 1.6; }
#canvas .fold rect.stack { fill: #f6f2fd; }
#canvas .io path { fill: #d7ecff; stroke: #6d93c4; }
#canvas .io.out path { fill: #d9f2d9; stroke: #5f9a5f; }
#canvas .node text { font-size: 12px; fill: var(--fg); pointer-events: none; }
#canvas .node text.sub { font-size: 10.5px; fill: var(--muted); }
#canvas .node text.title { font-weight: 600; }
#canvas .cluster rect.frame { fill: rgba(125,147,181,.06); stroke: var(--box-line); stroke-width: 1; }
#canvas .cluster.foldc rect.frame { fill: rgba(138,108,200,.07); stroke: var(--fold-line); stroke-dasharray: 5 3; }
#canvas .cluster .head { cursor: pointer; }
#canvas .cluster .head text { font-size: 11.5px; fill: #34445e; font-weight: 600; paint-order: stroke; stroke: #fbfcfd; stroke-width: 3px; stroke-linejoin: round; }
#canvas .cluster.foldc .head text { fill: #4b347f; }
#canvas .edge path { fill: none; stroke: #8792a2; stroke-width: 1.1; }
#canvas .edge.loop path { stroke: var(--fold-line); stroke-dasharray: 5 4; }
#canvas .edge.hot path { stroke: var(--accent); stroke-width: 2; }
#canvas .node.sel rect, #canvas .node.sel path { stroke: var(--accent); stroke-width: 2.4; }
#canvas .node.match rect { stroke: var(--hit); stroke-width: 2; }
#canvas .node.hit rect, #canvas .node.hit path { stroke: var(--hit); stroke-width: 3.2; fill: #fff4e0; }
#canvas .node.reads rect { stroke: var(--reads); stroke-width: 2.6; }
#canvas .node.peak rect { stroke: #c92a2a; stroke-width: 2.6; }
#memplot { width: 100%; height: auto; display: block; }
#memplot .area { fill: rgba(59,111,208,.18); stroke: #3b6fd0; stroke-width: 1; }
#memplot .peak { fill: #c92a2a; }
#memplot text { font-size: 10px; fill: var(--muted); }
#memplot .grid { stroke: #e3e7ec; }
#memplot .cursor { stroke: #333; stroke-width: .6; }
#memtip { font-size: 11px; color: var(--muted); min-height: 2.6em; }
`;
