// Zoo building through the BullMQ queue vs the local multi-process build, on this machine, with
// a real redis-server on loopback and real `igpg worker` processes (built dist).
//   throughput: networks/s of the queue build with 2 workers vs `buildZoo` with 2 worker processes,
//               measured alternately (local, queue, ...) because this machine's speed drifts; plus the
//               queue with 1 worker, for the README's scaling table. On a machine shared with other jobs
//               wall time says more about the neighbours than about the queue, so each build's CPU time
//               (this process + its reaped children + redis-server, from /proc) is reported too:
//               networks per CPU-second is the overhead measure that other load does not move.
//   faults:     one queue build during which >= 10 random workers are SIGKILLed (a supervisor,
//               `igpg worker --concurrency 2`, restarts them); the zoo must equal the local one.
// Quick: a subset of zoo/default.json: its 9 tasks and its two MLPs (cnn-s left out: its long epochs
// on a 2-core machine shared with other jobs would need a lock longer than the fault trial can wait),
// $QUEUE_BENCH_SEEDS seeds instead of 36 (default 1: 18 of 792 jobs); $QUEUE_BENCH_PAIRS local/queue
// pairs (default 2).
// --long: the whole default zoo (792 jobs; ~6.5 min per build on a quiet machine).
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const bin = path.join(root, 'packages/cli/dist/main.js');
const plugins = ['@igpg/architectures', '@igpg/datasets'];

const freePort = () => new Promise((resolve) => {
  const s = net.createServer().listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
});
async function startRedis(dir) {
  const port = await freePort();
  const p = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((resolve, reject) => {
    let out = '';
    p.stdout.on('data', (d) => { out += d; if (/Ready to accept/.test(out)) resolve(); });
    p.once('exit', (c) => reject(new Error(`redis-server exited ${c}`)));
  });
  return { pid: p.pid, url: `redis://127.0.0.1:${port}/0`, stop: () => new Promise((r) => { p.once('exit', r); p.kill('SIGKILL'); }) };
}
function worker(url, args = []) {
  const child = spawn(process.execPath, [bin, 'worker', '--queue', url, ...args], { env: { ...process.env, IGPG_BACKEND: 'wasm' }, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr.on('data', (d) => (log += d));
  const ready = new Promise((r) => child.stderr.on('data', () => /listening on/.test(log) && r()));
  return { child, ready, log: () => log, stop: () => new Promise((r) => { if (child.exitCode !== null) return r(); child.once('exit', r); child.kill('SIGTERM'); }) };
}
const TICK = 100; // USER_HZ: /proc times are in 1/100 s on Linux
const procTimes = (pid) => fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ').slice(11, 15).map(Number); // utime stime cutime cstime
/** CPU seconds so far of this process, its reaped children, and `pid` (redis-server). */
const cpuSeconds = (pid) => {
  const [u, s, cu, cs] = procTimes('self');
  const [ru, rs] = procTimes(pid);
  return (u + s + cu + cs + ru + rs) / TICK;
};
/** Wait until this process has no child left but `keep` (so their CPU time is in cutime). */
async function reapChildren(keep) {
  const kids = () => fs.readFileSync(`/proc/self/task/${process.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number).filter((p) => p !== keep);
  for (let i = 0; i < 600 && kids().length; i++) await new Promise((r) => setTimeout(r, 50));
}
const comparable = (m) => m.entries.map(({ trainingSeconds, backend, ...rest }) => JSON.stringify(rest));

export async function run(ctx) {
  const core = ctx.core;
  const full = JSON.parse(fs.readFileSync(path.join(root, 'zoo/default.json'), 'utf8'));
  const seeds = ctx.long ? full.seeds : Number(process.env.QUEUE_BENCH_SEEDS ?? 1);
  const config = ctx.long ? full : { ...full, name: 'default-subset', seeds, architectures: full.architectures.filter((a) => a.name === 'mlp'), heldOut: { ...full.heldOut, seeds: [] } };
  await core.loadPlugins(plugins);
  const jobs = core.resolveZooConfig(config).jobs.length;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'igpg-queue-bench-'));
  const redis = await startRedis(tmp);
  const rows = [];
  let n = 0;
  const row = (mode, workers, s, cpu) => ctx.log(JSON.stringify(rows[rows.push({ mode, workers, jobs, seconds: +s.toFixed(1), netsPerSec: +(jobs / s).toFixed(3), cpuSeconds: +cpu.toFixed(1), netsPerCpuSecond: +(jobs / cpu).toFixed(3), load1: +os.loadavg()[0].toFixed(1) }) - 1])); // logged as it comes: a long run killed late keeps its rows
  const local = async () => {
    const out = path.join(tmp, `local-${n++}`);
    const c0 = cpuSeconds(redis.pid);
    const t0 = performance.now();
    await core.buildZoo(config, { out, plugins, workers: 2, backend: 'wasm', progress: false });
    const s = (performance.now() - t0) / 1000;
    await reapChildren(redis.pid);
    row('local buildZoo', 2, s, cpuSeconds(redis.pid) - c0);
    return out;
  };
  const queued = async (k) => {
    const out = path.join(tmp, `queue-${n++}`);
    const c0 = cpuSeconds(redis.pid);
    const t0 = performance.now(); // from starting the workers, as the local build's time includes forking its workers
    const ws = Array.from({ length: k }, () => worker(redis.url));
    await core.buildZooOnQueue(config, { out, url: redis.url, plugins, progress: false, log: () => {} });
    const s = (performance.now() - t0) / 1000;
    await Promise.all(ws.map((w) => w.stop()));
    await reapChildren(redis.pid);
    row('queue (BullMQ + Redis)', k, s, cpuSeconds(redis.pid) - c0);
    return out;
  };
  try {
    const pairs = Number(process.env.QUEUE_BENCH_PAIRS ?? 2);
    ctx.log(`${jobs} jobs per build; ${pairs} x alternating local / queue, 2 workers each`);
    const ref = await local();
    const q1 = await queued(2);
    for (let i = 1; i < pairs; i++) { await local(); await queued(2); }
    const identical = JSON.stringify(comparable(core.readManifest(ref))) === JSON.stringify(comparable(core.readManifest(q1, { verify: true })));
    await queued(1);
    const mean = (mode, w, key = 'netsPerSec') => { const r = rows.filter((x) => x.mode.startsWith(mode) && x.workers === w); return r.reduce((a, b) => a + b[key], 0) / r.length; };
    const ratio = mean('queue', 2) / mean('local', 2);
    // Per alternating pair (local then queue, one after the other): the ratio the machine's drift moves least.
    const pick = (mode) => rows.filter((x) => x.mode.startsWith(mode) && x.workers === 2).map((x) => x.netsPerSec);
    const [ls, qs] = [pick('local'), pick('queue')];
    const pairRatios = qs.map((q, i) => +(q / ls[i]).toFixed(3));
    const range = (xs) => [Math.min(...xs), Math.max(...xs)];
    const cpuRatio = mean('queue', 2, 'netsPerCpuSecond') / mean('local', 2, 'netsPerCpuSecond');

    // Faults: a bigger build (3x the seeds, so that it lasts for >= 10 kills), its local reference first;
    // a supervisor with 2 worker slots; every ~1.5 s one random live worker gets SIGKILL.
    const faultSeeds = ctx.long ? full.seeds : seeds * 3;
    const faultConfig = ctx.long ? config : { ...config, seeds: faultSeeds };
    const faultJobs = core.resolveZooConfig(faultConfig).jobs.length;
    ctx.log(`fault trial: ${faultJobs} jobs; local reference build, then SIGKILL of random workers during one queue build`);
    const faultRef = path.join(tmp, 'faults-local');
    await core.buildZoo(faultConfig, { out: faultRef, plugins, workers: 2, backend: 'wasm', progress: false });
    const out = path.join(tmp, 'faults');
    // Lock 15 s: a killed worker's job moves on after at most that; a live worker starved of CPU by the
    // machine's other jobs still renews it (an MLP epoch is well under a second of CPU).
    const sup = worker(redis.url, ['--concurrency', '2', '--lock-duration', '15000', '--stalled-interval', '1000']);
    let building = true;
    const kills = [];
    let failedJobs = [];
    const build = core.buildZooOnQueue(faultConfig, { out, url: redis.url, plugins, progress: false, log: () => {} })
      .catch((e) => { if (!e.failures) throw e; failedJobs = e.failures; return { seconds: NaN }; }) // counted as a miss below, not a crash
      .finally(() => (building = false));
    const { Redis } = require('ioredis');
    const r = new Redis(redis.url);
    while (building && kills.length < 12) {
      await new Promise((res) => setTimeout(res, 1500));
      if (!building) break;
      const beats = Object.values(await r.hgetall('igpg:workers')).map((j) => JSON.parse(j)).filter((b) => b.pid !== sup.child.pid);
      const alive = beats.filter((b) => { try { process.kill(b.pid, 0); return true; } catch { return false; } });
      if (!alive.length) continue;
      const victim = alive[Math.floor(Math.random() * alive.length)];
      process.kill(victim.pid, 'SIGKILL');
      await r.hdel('igpg:workers', victim.id);
      kills.push({ pid: victim.pid, atS: +(performance.now() / 1000).toFixed(1), job: victim.current ?? null });
    }
    const result = await build;
    await sup.stop();
    r.disconnect();
    const m = core.readManifest(out, { verify: true });
    const ids = m.entries.map((e) => e.id);
    const starts = [...sup.log().matchAll(/: start (\S+)/g)].map((x) => x[1]);
    const faults = {
      kills: kills.length, failedJobs, killedWhileRunning: kills.filter((k) => k.job).length,
      jobs: faultJobs, entries: ids.length, expectedEntries: faultJobs * config.epochs.length, duplicates: ids.length - new Set(ids).size,
      jobsRerunAfterAKill: starts.length - new Set(starts).size,
      identicalToLocal: JSON.stringify(comparable(m)) === JSON.stringify(comparable(core.readManifest(faultRef))),
      seconds: +result.seconds.toFixed(1),
    };
    faults.met = faults.kills >= 10 && !failedJobs.length && faults.entries === faults.expectedEntries && faults.duplicates === 0 && faults.identicalToLocal;
    ctx.log(`faults: ${JSON.stringify(faults)}`);
    return {
      config: ctx.long ? 'zoo/default.json (all 792 jobs)' : `subset of zoo/default.json: its 9 tasks x its 2 MLPs (mlp-16, mlp-32; cnn-s left out) x ${seeds} seed(s) = ${jobs} of its 792 jobs, same epochs, optimizer and limits; npm run bench -- --suite queue --long runs the whole zoo`,
      rows,
      throughput: { pairs, localNetsPerSec: range(ls), queueNetsPerSec: range(qs), pairRatios, pairRatioRange: range(pairRatios), queueOverLocal: +ratio.toFixed(3), queueOverLocalPerCpuSecond: +cpuRatio.toFixed(3), target: 0.9, met: ratio >= 0.9, metPerCpuSecond: cpuRatio >= 0.9, identicalToLocal: identical,
        scaling: { queue1: +mean('queue', 1).toFixed(3), queue2: +mean('queue', 2).toFixed(3), speedup: +(mean('queue', 2) / mean('queue', 1)).toFixed(2) } },
      faults,
    };
  } finally {
    await redis.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
