/**
 * The dashboard page: static HTML plus a small client that keeps the rows of each run, redraws the plots
 * (coalesced, at most ~5 per second) and reconnects with exponential backoff after the server goes away.
 * `window.__igpg` exposes counters for tests (messages, redraws, rows, reconnects).
 */
export function dashboardPage(opts: { title: string; codebook?: boolean; queue?: boolean }): string {
  const title = opts.title.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>${title}</title>
<style>
body{font-family:system-ui,sans-serif;margin:0;background:#fafafa;color:#222}
header{padding:10px 16px;background:#24344d;color:#fff;display:flex;gap:16px;align-items:center}
#status{font-size:13px;padding:2px 8px;border-radius:8px;background:#a33}
#status.ok{background:#2a7a3a}
main{display:grid;grid-template-columns:repeat(auto-fit,minmax(520px,1fr));gap:8px;padding:8px}
.panel{background:#fff;border:1px solid #ddd;border-radius:4px;height:330px}
#usage,#queue{grid-column:1/-1}
#queue{height:auto;min-height:60px;padding:8px 12px;font:13px ui-monospace,monospace;white-space:pre-wrap}
</style>
<script src="/plotly.js"></script></head>
<body><header><b>igpg training dashboard</b><span>${title}</span><span id="status">connecting</span><span id="info"></span>${opts.codebook ? '<a href="/codebook" style="color:#cde">codebook view</a>' : ''}</header>
<main>${opts.queue ? '<div class="panel" id="queue">queue: waiting for the first status</div>' : ''}<div class="panel" id="loss"></div><div class="panel" id="recon"></div><div class="panel" id="perplexity"></div>
<div class="panel" id="codes"></div><div class="panel" id="usage"></div></main>
<script>
(function(){
  var S = window.__igpg = { messages: 0, redraws: 0, rows: 0, reconnects: 0, connected: false };
  var runs = {}, pending = false, backoff = 250, ws = null, pingTimer = null;
  var PALETTE = ['#3b6ea8','#d1603d','#4c9a5b','#8e5ea2','#c59b2b','#2ba3a3','#b0476b','#6b6b6b'];
  var base = { margin: { l: 55, r: 15, t: 35, b: 40 }, legend: { orientation: 'h' } };
  function status(ok, text){ var s = document.getElementById('status'); s.className = ok ? 'ok' : ''; s.textContent = text; }
  function lines(key){
    return Object.keys(runs).sort().map(function(run, i){
      var rows = runs[run].filter(function(r){ return typeof r[key] === 'number'; });
      return { type: 'scatter', mode: 'lines', name: run, x: rows.map(function(r, n){ return typeof r.step === 'number' ? r.step : n; }),
        y: rows.map(function(r){ return r[key]; }), line: { color: PALETTE[i % PALETTE.length] } };
    });
  }
  function panel(id, key, title, extra){
    Plotly.react(id, lines(key), Object.assign({}, base, { title: { text: title }, xaxis: { title: { text: 'step' } } }, extra || {}), { responsive: true });
  }
  function usage(){
    // Latest run that logs codeCounts: one row per logged step, one column per code (the last 200 steps).
    var names = Object.keys(runs).sort().filter(function(r){ return runs[r].some(function(x){ return Array.isArray(x.codeCounts); }); });
    var run = names[names.length - 1];
    var rows = run ? runs[run].filter(function(x){ return Array.isArray(x.codeCounts); }).slice(-200) : [];
    Plotly.react('usage', rows.length ? [{ type: 'heatmap', colorscale: 'Viridis', z: rows.map(function(r){ return r.codeCounts; }),
      y: rows.map(function(r, n){ return typeof r.step === 'number' ? r.step : n; }), colorbar: { title: { text: 'count' } } }] : [],
      Object.assign({}, base, { title: { text: run ? 'Codebook usage over training: ' + run : 'Codebook usage (no run logs codeCounts yet)' },
      xaxis: { title: { text: 'code' } }, yaxis: { title: { text: 'step' } } }), { responsive: true });
  }
  function redraw(){
    pending = false;
    if (!window.Plotly) return;
    panel('loss', 'loss', 'Loss', { yaxis: { type: 'log' } });
    panel('recon', 'recon', 'Reconstruction');
    panel('perplexity', 'perplexity', 'Codebook perplexity');
    panel('codes', 'deadCodes', 'Dead codes');
    usage();
    S.redraws++;
    document.getElementById('info').textContent = Object.keys(runs).length + ' runs, ' + S.rows + ' rows';
  }
  function schedule(){ if (!pending) { pending = true; setTimeout(redraw, 200); } }
  function queuePanel(msg){
    // Text only (textContent): worker names and failure reasons come from the queue and are never parsed as HTML.
    var el = document.getElementById('queue'); if (!el) return;
    S.queueUpdates = (S.queueUpdates || 0) + 1;
    if (msg.error) { el.textContent = 'queue: ' + msg.error; return; }
    var s = msg.status || {}, c = s.counts || {}, lines = ['queue ' + s.queue + ': ' + c.waiting + ' waiting, ' + c.active + ' active, ' + c.delayed + ' delayed, ' + c.completed + ' completed (not yet recorded), ' + c.failed + ' failed'];
    (s.workers || []).forEach(function(w){ lines.push('  ' + w.id + '  ' + (w.alive ? 'alive' : 'STALE') + '  beat ' + Math.round(w.ageS) + ' s ago  done ' + w.done + '  failed ' + w.failed + (w.current ? '  running ' + w.current : '')); });
    (s.failed || []).forEach(function(f){ lines.push('  failed ' + f.id + ': ' + f.reason); });
    el.textContent = lines.join('\\n');
  }
  function onMessage(ev){
    var msg; try { msg = JSON.parse(ev.data); } catch (e) { return; }
    S.messages++;
    if (msg.type === 'queue') { queuePanel(msg); return; }
    if (msg.type === 'snapshot') { runs = msg.runs || {}; S.rows = 0; for (var k in runs) S.rows += runs[k].length; }
    else if (msg.type === 'changes') {
      msg.changes.forEach(function(c){
        if (c.kind === 'reset' || !runs[c.run]) { if (runs[c.run]) S.rows -= runs[c.run].length; runs[c.run] = []; }
        Array.prototype.push.apply(runs[c.run], c.rows); S.rows += c.rows.length;
        if (runs[c.run].length > 20000) runs[c.run].splice(0, runs[c.run].length - 20000);
      });
    } else return;
    schedule();
  }
  function connect(){
    var proto = location.protocol === 'https:' ? 'wss://' : 'ws://';
    ws = new WebSocket(proto + location.host + '/ws');
    ws.onopen = function(){ S.connected = true; backoff = 250; status(true, 'live'); ws.send(JSON.stringify({ type: 'hello' }));
      pingTimer = setInterval(function(){ if (ws.readyState === 1) ws.send(JSON.stringify({ type: 'ping' })); }, 15000); };
    ws.onmessage = onMessage;
    ws.onclose = function(){
      S.connected = false; clearInterval(pingTimer);
      status(false, 'disconnected, retrying in ' + Math.round(backoff / 100) / 10 + ' s');
      setTimeout(function(){ S.reconnects++; connect(); }, backoff);
      backoff = Math.min(backoff * 2, 5000);
    };
  }
  connect();
})();
</script></body></html>`;
}
