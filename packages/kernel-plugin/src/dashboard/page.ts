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
main{display:grid;grid-template-columns:repeat(auto-fill,minmax(520px,1fr));gap:8px;padding:8px}
.panel{background:#fff;border:1px solid #ddd;border-radius:4px;height:330px}
#empty{display:flex;align-items:center;justify-content:center;color:#777}
#queue{margin:8px 8px 0;background:#fff;border:1px solid #ddd;border-radius:4px;min-height:60px;padding:8px 12px;font:13px ui-monospace,monospace;white-space:pre-wrap}
</style>
<script src="/plotly.js"></script></head>
<body><header><b>igpg training dashboard</b><span>${title}</span><span id="status">connecting</span><span id="info"></span>${opts.codebook ? '<a href="/codebook" style="color:#cde">codebook view</a>' : ''}</header>
${opts.queue ? '<div id="queue">queue: waiting for the first status</div>' : ''}
<main id="panels"><div class="panel" id="empty">waiting for runs: no metrics file found yet</div></main>
<script>
(function(){
  var S = window.__igpg = { messages: 0, redraws: 0, rows: 0, reconnects: 0, connected: false, panels: [] };
  var runs = {}, meta = {}, pending = false, backoff = 250, ws = null, pingTimer = null, created = false;
  var PALETTE = ['#3b6ea8','#d1603d','#4c9a5b','#8e5ea2','#c59b2b','#2ba3a3','#b0476b','#6b6b6b'];
  // legend above the plot area: it never covers an axis title
  var base = { margin: { l: 70, r: 20, t: 70, b: 45 }, legend: { orientation: 'h', x: 0, y: 1.0, yanchor: 'bottom' } };
  function status(ok, text){ var s = document.getElementById('status'); s.className = ok ? 'ok' : ''; s.textContent = text; }
  function has(rows, key){ return rows.some(function(r){ return typeof r[key] === 'number' || Array.isArray(r[key]); }); }
  // What a run is, from what it logs (or its name): prior, vqvae (+ its codebook-usage snapshots), zoo build
  function kindOf(name, rows){
    if (name.indexOf('zoo/') === 0 || has(rows, 'done')) return 'zoo';
    if (has(rows, 'recon') || has(rows, 'perplexity')) return 'vqvae';
    if (has(rows, 'codeCounts')) return 'usage'; // a VQ-VAE run's codebook-usage.jsonl
    if (has(rows, 'codes') || has(rows, 'tokens') || /prior/.test(name)) return 'prior';
    return 'other';
  }
  function runsOf(kind){ return Object.keys(runs).sort().filter(function(r){ return kindOf(r, runs[r]) === kind; }); }
  function xOf(r, n){ return typeof r.step === 'number' ? r.step : n; }
  function lines(names, key, f){
    return names.map(function(run, i){
      var rows = runs[run].filter(function(r){ return typeof r[key] === 'number'; });
      return { type: 'scatter', mode: 'lines', name: run, x: rows.map(xOf), y: rows.map(f || function(r){ return r[key]; }), line: { color: PALETTE[i % PALETTE.length] } };
    });
  }
  function ensure(id, section){
    var el = document.getElementById(id);
    if (!el) { created = true; el = document.createElement('div'); el.className = 'panel'; el.id = id; el.setAttribute('data-kind', section); document.getElementById('panels').appendChild(el); }
    return el;
  }
  function draw(id, section, data, title, ytitle, extra){
    ensure(id, section);
    Plotly.react(id, data, Object.assign({}, base, { title: { text: title }, xaxis: { title: { text: 'step' } }, yaxis: Object.assign({ title: { text: ytitle }, automargin: true }, (extra || {}).yaxis || {}) }, extra && extra.layout || {}), { responsive: true });
    if (S.panels.indexOf(id) < 0) S.panels.push(id);
  }
  // codes trained on per step (prior rows log 'codes'; 'tokens' from older runs), over the time since the step before
  function codesOf(r){ return typeof r.codes === 'number' ? r.codes : r.tokens; }
  function codesPerSecond(r, n, rows){
    var prev = rows[n - 1];
    return prev && typeof r.time === 'number' && typeof prev.time === 'number' && r.time > prev.time ? codesOf(r) / ((r.time - prev.time) / 1000) : null;
  }
  function prior(names){
    if (!names.length) return;
    var loss = lines(names, 'loss');
    // the uniform line: ln(V) nats per code, what a prior that learned nothing scores
    names.forEach(function(run){
      var v = runs[run].map(function(r){ return r.vocab || r.codebookSize; }).filter(Boolean)[0] || (meta[run] || {}).codebookSize;
      var xs = runs[run].map(xOf);
      if (v && xs.length) loss.push({ type: 'scatter', mode: 'lines', name: 'uniform ln(' + v + ')', x: [xs[0], xs[xs.length - 1]], y: [Math.log(v), Math.log(v)], line: { color: '#000', dash: 'dash', width: 1 } });
    });
    draw('prior-loss', 'prior', loss, 'Prior: cross-entropy per code', 'loss (nats per code)');
    if (names.some(function(r){ return has(runs[r], 'lr'); })) draw('prior-lr', 'prior', lines(names, 'lr'), 'Prior: learning rate', 'learning rate');
    var tps = names.map(function(run, i){
      var rows = runs[run].filter(function(r){ return typeof codesOf(r) === 'number'; });
      return { type: 'scatter', mode: 'lines', name: run, x: rows.map(xOf), y: rows.map(function(r, n){ return codesPerSecond(r, n, rows); }), line: { color: PALETTE[i % PALETTE.length] } };
    });
    draw('prior-speed', 'prior', tps, 'Prior: training speed', 'codes / s');
  }
  function vqvae(names){
    if (!names.length) return;
    draw('vq-recon', 'vqvae', lines(names, 'recon'), 'VQ-VAE: reconstruction error', 'masked MSE (normalised units, log)', { yaxis: { type: 'log' } });
    draw('vq-perplexity', 'vqvae', lines(names, 'perplexity'), 'VQ-VAE: codebook perplexity', 'perplexity (codes)');
    draw('vq-dead', 'vqvae', lines(names, 'deadCodes'), 'VQ-VAE: dead codes', 'dead codes (count)');
  }
  function usage(names){
    // latest run with usage snapshots: one row per snapshot, one column per code, each row normalised to shares
    var run = names[names.length - 1];
    var rows = run ? runs[run].filter(function(x){ return Array.isArray(x.codeCounts); }).slice(-200) : [];
    if (!rows.length) return;
    // rows written by igpg vqvae usage (a bundle whose training snapshots were not kept) say so: the title does too
    var posthoc = rows.some(function(x){ return typeof x.posthoc === 'string'; });
    ensure('vq-usage', 'vqvae').style.gridColumn = '1/-1';
    Plotly.react('vq-usage', [{ type: 'heatmap', colorscale: 'Viridis', zmin: 0, z: rows.map(function(r){ var t = r.codeCounts.reduce(function(a, b){ return a + b; }, 0) || 1; return r.codeCounts.map(function(c){ return c / t; }); }),
      y: rows.map(xOf), colorbar: { title: { text: 'share of codes' } }, hovertemplate: 'step %{y}<br>code %{x}<br>share %{z:.4f}<extra></extra>' }],
      Object.assign({}, base, { title: { text: (posthoc ? 'VQ-VAE: codebook usage of the final model, computed after training (' : 'VQ-VAE: codebook usage over training (') + run + ')' }, xaxis: { title: { text: 'code' } }, yaxis: { title: { text: 'step' }, automargin: true, tickvals: rows.length <= 10 ? rows.map(xOf) : undefined } }), { responsive: true });
    if (S.panels.indexOf('vq-usage') < 0) S.panels.push('vq-usage');
  }
  function zoo(names){
    if (!names.length) return;
    // file times are build times, unless every file was written at once (an unpacked or copied zoo): then file order
    var times = [].concat.apply([], names.map(function(r){ return runs[r].map(function(x){ return x.time; }); }));
    var timed = Math.max.apply(null, times) - Math.min.apply(null, times) >= 1000;
    var last = runs[names[names.length - 1]].slice(-1)[0] || {};
    draw('zoo-progress', 'zoo', names.map(function(run, i){
      var rows = runs[run];
      return { type: 'scatter', mode: 'lines', name: run, x: rows.map(function(r, n){ return timed ? (r.time - rows[0].time) / 60000 : n + 1; }), y: rows.map(function(r){ return r.total ? 100 * r.done / r.total : r.done; }), line: { color: PALETTE[i % PALETTE.length] } };
    }), 'Zoo build: progress (' + last.done + (last.total ? ' of ' + last.total : '') + ' checkpoints)', names.some(function(r){ return has(runs[r], 'total'); }) ? 'checkpoints done (% of planned)' : 'checkpoints done',
      { layout: { xaxis: { title: { text: timed ? 'minutes since the first checkpoint' : 'checkpoint (file order: written at once, no build times)' } } } });
    draw('zoo-accuracy', 'zoo', names.map(function(run, i){
      return { type: 'histogram', name: run, x: runs[run].map(function(r){ return r.accuracy; }).filter(function(a){ return typeof a === 'number'; }), xbins: { start: 0, end: 1.0001, size: 0.025 }, opacity: 0.75, marker: { color: PALETTE[i % PALETTE.length] } };
    }), 'Zoo build: test accuracy of the checkpoints', 'checkpoints (count)', { layout: { barmode: 'overlay', xaxis: { title: { text: 'test accuracy (fraction)' }, range: [0, 1] } } });
  }
  function other(names){
    if (!names.length) return;
    var keys = {};
    names.forEach(function(r){ runs[r].forEach(function(row){ for (var k in row) if (typeof row[k] === 'number' && k !== 'step' && k !== 'time') keys[k] = 1; }); });
    Object.keys(keys).sort().forEach(function(k){ draw('other-' + k.replace(/[^a-zA-Z0-9_-]/g, '_'), 'other', lines(names, k), k, k); }); // one axis per metric
  }
  function redraw(){
    pending = false;
    if (!window.Plotly) return;
    var empty = document.getElementById('empty');
    if (empty && Object.keys(runs).length) empty.remove();
    created = false;
    prior(runsOf('prior')); vqvae(runsOf('vqvae')); usage(runsOf('usage').concat(runsOf('vqvae')).filter(function(r){ return has(runs[r], 'codeCounts'); })); zoo(runsOf('zoo')); other(runsOf('other'));
    // a new panel re-flows the grid: plots drawn before it keep their old width unless resized
    if (created) Array.prototype.forEach.call(document.querySelectorAll('.panel .js-plotly-plot'), function(el){ Plotly.Plots.resize(el); });
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
    if (msg.type === 'snapshot') { runs = msg.runs || {}; meta = msg.meta || {}; S.rows = 0; for (var k in runs) S.rows += runs[k].length; }
    else if (msg.type === 'changes') {
      msg.changes.forEach(function(c){
        if (c.kind === 'reset' || !runs[c.run]) { if (runs[c.run]) S.rows -= runs[c.run].length; runs[c.run] = []; }
        if (c.meta) meta[c.run] = c.meta;
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
