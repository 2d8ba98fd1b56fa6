#!/usr/bin/env node
// Benchmark runner: `npm run bench [-- --suite matmul,gpt-step] [--backends native,cpu] [--long] [--list]`.
// Runs each bench/suites/<name>.mjs (export async function run(ctx)), prints its table and
// writes bench/results/<name>.json atomically. See bench/README.md.
import { createRequire } from 'node:module';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import os from 'node:os';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const core = require('../packages/core/dist/index.js');
const tf = require('@tensorflow/tfjs-core');

const argv = process.argv.slice(2);
const flag = (name) => argv.includes(`--${name}`);
const option = (name) => { const i = argv.indexOf(`--${name}`); return i >= 0 ? argv[i + 1] : undefined; };
// A suite exports `run`; standalone scripts kept in suites/ (e.g. dashboard.mjs) are not imported.
const isSuite = (f) => f.endsWith('.mjs') && /export\s+(async\s+)?function\s+run\s*\(/.test(readFileSync(join(here, 'suites', f), 'utf8'));
const available = readdirSync(join(here, 'suites')).filter(isSuite).map((f) => f.slice(0, -4)).sort();
if (flag('list')) { console.log(available.join('\n')); process.exit(0); }
const wanted = option('suite') ? option('suite').split(',') : available;
for (const s of wanted) if (!available.includes(s)) { console.error(`bench: unknown suite '${s}'; available: ${available.join(', ')}`); process.exit(2); }

/** Time fn: `warmup` untimed calls, then `reps` timed ones; returns best and median ms. */
function time(fn, { reps = 5, warmup = 1 } = {}) {
  for (let i = 0; i < warmup; i++) fn();
  const ms = [];
  for (let i = 0; i < reps; i++) { const t = performance.now(); fn(); ms.push(performance.now() - t); }
  ms.sort((a, b) => a - b);
  return { best: ms[0], median: ms[Math.floor(ms.length / 2)], all: ms };
}

/** The backend configurations a suite can compare (native only when the addon is built). */
function backendConfigs() {
  const threads = os.cpus().length;
  const list = [
    { label: 'cpu', backend: 'cpu', threads: 1, native: false },
    { label: 'wasm 1 thread', backend: 'wasm', threads: 1, native: false },
    { label: `wasm ${threads} threads`, backend: 'wasm', threads, native: false },
  ];
  if (core.loadNative()) list.push({ label: `wasm ${threads} threads + native BLAS`, backend: 'wasm', threads, native: true });
  for (const b of core.availableBackends()) if (b.available && b.name.startsWith('tfjs-node')) list.push({ label: b.name, backend: b.name, threads, native: false });
  // --backends a,b keeps the configurations whose label contains one of the words.
  const only = option('backends')?.split(',').map((w) => w.trim()).filter(Boolean);
  if (!only) return list;
  const kept = list.filter((b) => only.some((w) => b.label.includes(w)));
  if (kept.length === 0) { console.error(`bench: --backends ${only} matches none of: ${list.map((b) => b.label).join('; ')}`); process.exit(2); }
  return kept;
}

const ctx = {
  core, tf, time,
  long: flag('long'),
  // The fp32 peak uses the clock measured by the native addon (turbo included) when built.
  cpu: core.cpuFeatures({ measuredGhz: core.loadNative()?.addon.clockGhz?.() }),
  /** 1-minute load average now (other processes share the cores): record it next to each timing. */
  load: () => +os.loadavg()[0].toFixed(2),
  backends: backendConfigs(),
  /** Start a backend configuration from `backends`; returns core.initBackend's info. */
  use: (b) => core.initBackend({ backend: b.backend, threads: b.threads, native: b.native }),
  log: (s) => console.log(`  ${s}`),
};

console.log(`bench: ${ctx.cpu.model}, ${ctx.cpu.cores} cores, ${ctx.cpu.isa}; peak ${ctx.cpu.peakGflops} GFLOP/s; node ${process.version}; load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
for (const name of wanted) {
  console.log(`\n== ${name}${ctx.long ? ' (long)' : ''}`);
  const mod = await import(pathToFileURL(join(here, 'suites', `${name}.mjs`)).href);
  const started = Date.now();
  const loadStart = os.loadavg();
  const result = await mod.run(ctx);
  core.shutdownBackend();
  if (result?.rows) console.table(result.rows);
  const file = join(here, 'results', `${name}.json`);
  core.writeJsonAtomic(file, {
    suite: name, date: new Date().toISOString(), seconds: (Date.now() - started) / 1000, long: ctx.long,
    machine: { ...ctx.cpu, node: process.version, loadavg: os.loadavg(), loadavgAtStart: loadStart }, ...result,
  });
  console.log(`  wrote ${file}`);
}
core.shutdownBackend();
