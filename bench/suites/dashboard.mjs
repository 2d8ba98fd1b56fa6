#!/usr/bin/env node
// Load test of the live dashboard (not part of `npm test`): N WebSocket clients on loopback for S seconds while a
// real small VQ-VAE training run (runDemoVqvae: core's tokenizer stage on zoo/default networks, in a process of its own, as
// a real run is) appends metrics. Reports messages/second, server memory, drops, crashes.
// Usage: npm run bench:dashboard   (env: DASHBOARD_BENCH_CLIENTS=50 DASHBOARD_BENCH_SECONDS=30 DASHBOARD_BENCH_POLL_MS=50)
import { fork } from 'node:child_process';
import { createRequire } from 'node:module';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const clients = Number(process.env.DASHBOARD_BENCH_CLIENTS ?? 50);
const seconds = Number(process.env.DASHBOARD_BENCH_SECONDS ?? 30);
const pollMs = Number(process.env.DASHBOARD_BENCH_POLL_MS ?? 50);

if (process.argv[2] === '--server') {
  // Child: the dashboard, and a trainer process writing into its runs directory.
  const { startDashboard } = require('@igpg/kernel-plugin');
  const dir = process.argv[3];
  const dash = await startDashboard({ runs: dir, pollMs, log: () => {} });
  const mem = { rssMax: 0, heapMax: 0, samples: [] };
  const sample = () => { const m = process.memoryUsage(); mem.rssMax = Math.max(mem.rssMax, m.rss); mem.heapMax = Math.max(mem.heapMax, m.heapUsed); mem.samples.push(m.rss); };
  const timer = setInterval(sample, 1000);
  let steps = 0, current = null; // training steps of the runs the trainer finished; the run folder it is writing
  const trainer = fork(fileURLToPath(import.meta.url), ['--trainer', dir], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  trainer.on('message', (m) => { if (m.started) current = m.started; else { steps += m.steps; current = null; } });
  process.on('exit', () => trainer.kill()); // never leave it running
  process.on('message', async (m) => {
    if (m !== 'stop') return;
    clearInterval(timer); sample();
    // the trainer stops before the runs folder goes away
    if (trainer.exitCode === null && trainer.signalCode === null) await new Promise((r) => { trainer.once('exit', r); trainer.kill(); });
    const log = current && path.join(current, 'run', 'metrics.jsonl'); // plus the steps the unfinished run logged
    if (log && fs.existsSync(log)) steps += fs.readFileSync(log, 'utf8').split('\n').filter(Boolean).length;
    const stats = dash.stats();
    await dash.close();
    process.send({ type: 'done', stats, mem, steps }, () => process.exit(0));
  });
  process.send({ type: 'ready', url: dash.url });
} else if (process.argv[2] === '--trainer') {
  // Grandchild: training runs one after another into four run folders, each run starting its folder afresh.
  const { runDemoVqvae } = require('@igpg/kernel-plugin');
  require('@igpg/architectures').registerBuiltinArchitectures();
  process.on('disconnect', () => process.exit(0)); // the dashboard process is gone
  const dir = process.argv[3];
  const zoo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../zoo/default');
  for (let run = 0; ; run++) {
    const out = path.join(dir, `run${run % 4}`);
    fs.rmSync(out, { recursive: true, force: true });
    process.send({ started: out });
    const r = await runDemoVqvae({ out, zoo, steps: 200, seed: run });
    process.send({ steps: r.steps });
  }
} else {
  const { WebSocket } = require('ws');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'igpg-dash-bench-'));
  const child = fork(fileURLToPath(import.meta.url), ['--server', dir], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let crashed = null;
  child.on('exit', (code, sig) => { if (code !== 0) crashed = `server exited with ${code ?? sig}`; });
  const url = await new Promise((r) => child.once('message', (m) => r(m.url)));
  let messages = 0, bytes = 0, closedEarly = 0;
  const socks = await Promise.all(Array.from({ length: clients }, () => new Promise((resolve, reject) => {
    const ws = new WebSocket(url.replace('http', 'ws') + 'ws');
    ws.on('message', (d) => { messages++; bytes += d.length; });
    ws.on('close', () => { if (!ws.finished) closedEarly++; });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  })));
  const t0 = Date.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const elapsed = (Date.now() - t0) / 1000;
  for (const ws of socks) { ws.finished = true; ws.close(); }
  child.send('stop');
  const done = await new Promise((r) => child.once('message', r));
  fs.rmSync(dir, { recursive: true, force: true });
  const mb = (b) => Math.round(b / 1048576);
  const s = done.mem.samples;
  const result = {
    clients, seconds: elapsed, pollMs, messagesReceived: messages, msgsPerSecond: Math.round(messages / elapsed),
    mbPerSecond: +(bytes / elapsed / 1048576).toFixed(2), trainingSteps: done.steps, serverSent: done.stats.sent,
    droppedSlowClients: done.stats.dropped, closedEarly, crashed,
    serverRssMb: { first: mb(s[0] ?? 0), last: mb(s[s.length - 1] ?? 0), max: mb(done.mem.rssMax) }, serverHeapMaxMb: mb(done.mem.heapMax),
  };
  console.log(JSON.stringify(result, null, 2));
  process.exit(crashed || closedEarly ? 1 : 0);
}
