// The zoo queue end to end with real parts on loopback: a real redis-server, the real `igpg` binary
// (built dist) as coordinator and workers, real training. Faults are real too: SIGKILL of a worker
// mid-job, SIGKILL and restart of the coordinator, a Redis restart that loses every key.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Queue, Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildZooOnQueue, readManifest, type ZooManifest } from '@igpg/core';
import { startRedis, type TestRedis } from './redis';
import { igpgProcesses, until as waitUntil, type Proc } from './procs';

const root = path.resolve(__dirname, '..');
const bin = path.join(root, 'packages/cli/dist/main.js');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'igpg-queue-'));
// 2 tasks x 2 architectures x 12 seeds = 48 jobs of a few hundred ms each.
const zooConfig = {
  name: 'queue-e2e',
  tasks: ['blobs-4:all', 'spirals-3:all'],
  architectures: [{ name: 'mlp', spec: { hidden: [8] }, label: 'mlp8' }, { name: 'mlp', spec: { hidden: [16] }, label: 'mlp16' }],
  seeds: 12,
  epochs: [1, 4],
  optimizer: { learningRate: 0.05, batchSize: 16 },
  trainLimit: 300,
  testLimit: 150,
  heldOut: { seeds: [11] },
};
const JOBS = 48;
const configFile = path.join(dir, 'zoo.json');

const { igpg, killAll } = igpgProcesses(); // every process started here, killed at the end even when a test fails
const until = (cond: () => boolean | Promise<boolean>, what: string, ms = 240_000) => waitUntil(cond, what, ms);
const recordedJobs = (out: string) => {
  const d = path.join(out, 'entries');
  return fs.existsSync(d) ? (fs.readdirSync(d, { recursive: true }) as string[]).filter((f) => f.endsWith('-e4.json')).length : 0;
};
/** The manifest without what may differ between machines and runs: timings and the backend's name. */
const comparable = (m: ZooManifest) => m.entries.map(({ trainingSeconds, backend, ...rest }) => rest);
// A short lock, so a killed worker's job moves on within seconds; not so short that a worker starved of CPU
// (2 cores shared with other test files) loses it while alive.
const workerArgs = (url: string) => ['worker', '--queue', url, '--lock-duration', '8000', '--stalled-interval', '1000'];
const running = (p: Proc) => p.child.exitCode === null && p.child.signalCode === null;
const started = (log: string) => [...log.matchAll(/: start (\S+)/g)].map((m) => m[1]);

describe('zoo build through the queue', () => {
  let redis: TestRedis;
  let reference: ZooManifest;
  const workers: Proc[] = [];

  beforeAll(async () => {
    expect(fs.existsSync(bin), `${bin} is missing: run \`npm run build\` first`).toBe(true);
    fs.writeFileSync(configFile, JSON.stringify(zooConfig));
    redis = await startRedis();
    const local = igpg(['zoo', 'build', '--config', configFile, '--out', path.join(dir, 'local'), '--workers', '2']);
    expect(await local.exited, local.log()).toBe(0);
    reference = readManifest(path.join(dir, 'local'), { verify: true });
    expect(reference.entries).toHaveLength(JOBS * 2);
  }, 600_000);
  afterAll(async () => {
    killAll();
    await redis?.stop();
  });

  it('3 workers, one SIGKILLed mid-job, the coordinator SIGKILLed and restarted: the zoo equals the local build bit for bit', async () => {
    const out = path.join(dir, 'queued');
    for (let i = 0; i < 3; i++) workers.push(igpg(workerArgs(redis.url)));
    await until(() => workers.every((w) => /listening on/.test(w.log())), 'workers to start');
    let coord = igpg(['zoo', 'build', '--config', configFile, '--out', out, '--queue', redis.url]);

    // Kill worker 0 the moment it starts its third job: that job was taken and never finished.
    workers[0].child.stderr!.on('data', () => {
      if (started(workers[0].log()).length >= 3) workers[0].child.kill('SIGKILL');
    });
    await workers[0].exited;
    const lost = started(workers[0].log())[2];
    expect(workers[0].log()).not.toContain(`done ${lost}`);

    // Kill the coordinator once some jobs are recorded; results go on landing in Redis meanwhile.
    await until(() => recordedJobs(out) >= 12, '12 jobs recorded');
    coord.child.kill('SIGKILL');
    await coord.exited;
    const atKill = recordedJobs(out);
    const q = new Queue('zoo', { connection: { host: '127.0.0.1', port: redis.port }, prefix: 'igpg' });
    await until(async () => (await q.getJobCounts('completed')).completed >= 3, 'results to land while the coordinator is gone');
    await q.close();
    expect(recordedJobs(out)).toBe(atKill); // nobody else writes the folder
    const doneBefore = new Set(fs.readdirSync(path.join(out, 'entries'), { recursive: true }).map(String).filter((f) => f.endsWith('-e4.json')).map((f) => f.replace(/-e4\.json$/, '')));
    const logAt = workers.map((w) => w.log().length);
    coord = igpg(['zoo', 'build', '--config', configFile, '--out', out, '--queue', redis.url, '--json']);
    expect(await coord.exited, coord.log()).toBe(0);
    expect(coord.log()).toMatch(/"trained": \d+/);
    // The restarted coordinator re-enqueued nothing already done: no recorded job started again after it.
    const rerun = workers.flatMap((w, i) => started(w.log().slice(logAt[i]))).filter((id) => doneBefore.has(id.replace(/^[0-9a-f]{16}-/, '')));
    expect(rerun).toEqual([]);
    expect(doneBefore.size).toBe(atKill);
    const zoo = readManifest(out, { verify: true });
    expect(comparable(zoo)).toEqual(comparable(reference));
    expect(zoo.entries.map((e) => e.id)).toContain(`${lost.replace(/^[0-9a-f]{16}-/, '').replace(/__/g, ':')}/e4`);
    for (const e of zoo.entries) expect(fs.readFileSync(path.join(out, e.weights.file))).toEqual(fs.readFileSync(path.join(dir, 'local', e.weights.file)));
    // The job lost with the killed worker was handed to another worker (stalled-job detection); every job ran.
    expect(workers.slice(1).some((w) => started(w.log()).includes(lost))).toBe(true);
    expect(new Set(workers.flatMap((w) => started(w.log()))).size).toBe(JOBS);
  }, 600_000);

  it('survives a Redis restart mid-build (every key lost): workers and coordinator reconnect and the zoo is complete', async () => {
    const out = path.join(dir, 'restart');
    const live = workers.filter((w) => running(w));
    expect(live.length).toBe(2);
    const coord = igpg(['zoo', 'build', '--config', configFile, '--out', out, '--queue', redis.url]);
    await until(() => recordedJobs(out) >= 10, '10 jobs recorded');
    await redis.restart();
    expect(await coord.exited, coord.log()).toBe(0);
    expect(coord.log()).toMatch(/lost this zoo's jobs/);
    expect(comparable(readManifest(out, { verify: true }))).toEqual(comparable(reference));
    // The workers are still up after Redis came back.
    expect(live.every((w) => running(w))).toBe(true);
  }, 600_000);

  it('a malformed or oversized job sent straight to the queue is failed with a clear reason, never retried, and the worker keeps running', async () => {
    const q = new Queue('zoo', { connection: { host: '127.0.0.1', port: redis.port }, prefix: 'igpg' });
    const opts = { attempts: 3, removeOnFail: false };
    const bad = await q.add('train', { kind: 'zoo-train', version: 1, zoo: 'f'.repeat(64), job: { key: 'x', seed: -1 } }, { ...opts, jobId: 'malformed' });
    const big = await q.add('train', { kind: 'zoo-train', version: 1, zoo: 'f'.repeat(64), blob: 'x'.repeat(100_000) }, { ...opts, jobId: 'oversized' });
    await until(async () => (await bad.isFailed()) && (await big.isFailed()), 'both to fail', 30_000);
    const b = (await q.getJob('malformed'))!;
    expect(b.failedReason).toMatch(/rejected malformed job payload: invalid zoo job payload/);
    expect(b.failedReason).toMatch(/\/job: must have required property 'task'/);
    expect(b.attemptsMade).toBe(1);
    expect((await q.getJob('oversized'))!.failedReason).toMatch(/over the 65536-byte limit/);
    await q.close();
    expect(workers.filter((w) => running(w))).toHaveLength(2);
    const status = igpg(['queue', 'status', '--queue', redis.url, '--json']);
    expect(await status.exited).toBe(0);
    const s = JSON.parse(status.log());
    expect(s.counts.failed).toBe(2);
    expect(s.workers.filter((w: { alive: boolean }) => w.alive).length).toBeGreaterThanOrEqual(2);
    expect(s.failed.map((f: { id: string }) => f.id).sort()).toEqual(['malformed', 'oversized']);
  }, 600_000);

  it('rejects a bad result with the reason, sends the job back, and records the good result a real worker then sends', async () => {
    // Database 1 of the same Redis: only this test's workers listen there.
    const url = redis.url.replace(/\/0$/, '/1');
    const small = { ...zooConfig, name: 'queue-reject', seeds: 1, architectures: [zooConfig.architectures[0]], heldOut: { seeds: [] } }; // 2 jobs
    const logs: string[] = [];
    const build = buildZooOnQueue(small, { out: path.join(dir, 'reject'), url, plugins: ['@igpg/architectures', '@igpg/datasets'], progress: false, log: (l) => logs.push(l) });
    // A worker that answers with weights that do not match their checksum, once per job it gets.
    let answered = 0;
    const bad = new Worker('zoo', async (job) => {
      answered++;
      const key = job.data.job.key as string;
      return { version: 1, key, worker: 'bad/1', checkpoints: job.data.job.epochs.map((e: number) => ({ entry: { id: `${key}/e${e}`, epoch: e }, weights: 'AAAA' })) };
    }, { connection: { host: '127.0.0.1', port: redis.port, db: 1 }, prefix: 'igpg' });
    await until(() => logs.some((l) => /rejected the result of/.test(l)), 'a rejection');
    await bad.close();
    const good = igpg(workerArgs(url));
    const r = await build;
    good.child.kill('SIGTERM');
    await good.exited;
    expect(answered).toBeGreaterThanOrEqual(1);
    expect(logs.find((l) => /rejected the result of/.test(l))).toMatch(/rejected the result of (blobs-4|spirals-3):all\/mlp8\/s0 \(1\/3\): invalid result entry .*must have required property/);
    expect(r.trained).toBe(2);
    const zoo = readManifest(path.join(dir, 'reject'), { verify: true });
    expect(comparable(zoo)).toEqual(comparable(reference).filter((e) => e.job.endsWith('mlp8/s0')));
  }, 600_000);

});
