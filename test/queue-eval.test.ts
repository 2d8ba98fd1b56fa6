// `igpg eval --queue` end to end with real parts on loopback: a real redis-server, the real `igpg` binary as
// coordinator and workers, a real tiny pipeline (zoo of MLPs on blobs, tokenizer, VQ-VAE, prior). The report
// built from rows evaluated on two workers must be the same as a local `igpg eval` (same results hash).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildZoo, initBackend, shutdownBackend, trainPriorStage, trainTokenizerStage, writeGeneratorConfig, type EvalResults } from '@igpg/core';
import { registerBuiltinArchitectures } from '@igpg/architectures';
import { registerBuiltinDatasets } from '@igpg/datasets';
import { startRedis, type TestRedis } from './redis';
import { igpgProcesses, until as waitUntil } from './procs';

const root = path.resolve(__dirname, '..');
const bin = path.join(root, 'packages/cli/dist/main.js');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'igpg-queue-eval-'));
const zooDir = path.join(dir, 'zoo');
const bundle = path.join(dir, 'bundle');
// 3 tasks (one held out) x 1 MLP x 3 seeds (one held out): 5 report rows.
const tiny = {
  name: 'queue-eval-tiny',
  tasks: ['blobs-4:blob-0+blob-1', 'blobs-4:blob-2+blob-3', 'blobs-4:blob-1+blob-3'],
  architectures: [{ name: 'mlp', spec: { hidden: [8] }, label: 'mlp8' }],
  seeds: 3,
  epochs: [2, 4],
  optimizer: { learningRate: 0.1, batchSize: 16 },
  trainLimit: 160,
  testLimit: 80,
  heldOut: { tasks: ['blobs-4:blob-1+blob-3'], seeds: [2] },
};

const { igpg, killAll } = igpgProcesses(); // killed at the end even when a test fails
const until = (cond: () => boolean | Promise<boolean>, what: string, ms = 120_000) => waitUntil(cond, what, ms);
const started = (log: string) => [...log.matchAll(/: start (eval-\S+)/g)].map((m) => m[1]);
const readResults = (out: string) => JSON.parse(fs.readFileSync(path.join(out, 'results.json'), 'utf8')) as EvalResults;
// Not quick (every row), 2 samples and 1 fine-tuning epoch count to stay small.
const evalArgs = (out: string) => ['eval', '--zoo', zooDir, '--generator', bundle, '--out', out, '--seed', '5', '--samples', '2', '--no-plots', '--json'];

describe('igpg eval through the queue', () => {
  let redis: TestRedis;
  let local: EvalResults;

  beforeAll(async () => {
    expect(fs.existsSync(bin), `${bin} is missing: run \`npm run build\` first`).toBe(true);
    redis = await startRedis();
    // the real stages, as in packages/core/src/eval/run.test.ts
    await initBackend({ backend: 'wasm', threads: 1, native: false, log: () => {} });
    registerBuiltinArchitectures();
    registerBuiltinDatasets();
    await buildZoo(tiny, { out: zooDir, plugins: ['@igpg/architectures', '@igpg/datasets'], workers: 1, progress: false });
    const codec = await trainTokenizerStage({ zoo: zooDir, out: path.join(bundle, 'vqvae'), tokenizer: { chunkSize: 8 }, progress: false,
      vqvae: { steps: 80, batchSize: 64, checkpointEvery: 0, model: { codesPerChunk: 2, codebookSize: 32, codeDim: 4, hidden: [32] } } });
    codec.vq.dispose();
    const p = await trainPriorStage({ zoo: zooDir, vqvae: path.join(bundle, 'vqvae'), out: path.join(bundle, 'prior'), supportK: 0, progress: false,
      prior: { dModel: 32, nLayers: 1, nHeads: 2, contextLength: 48, condDim: 16, instructionBuckets: 1024, architectureBuckets: 256, seed: 1 },
      train: { steps: 40, batchSize: 8, lr: 1e-2, checkpointEvery: 0, seed: 1 } });
    p.prior.dispose();
    p.vq.dispose();
    writeGeneratorConfig(bundle);
    shutdownBackend();
    const l = igpg(evalArgs(path.join(dir, 'local')));
    expect(await l.exited, l.log()).toBe(0);
    local = readResults(path.join(dir, 'local'));
    expect(local.rows).toHaveLength(5);
  }, 600_000);
  afterAll(async () => {
    killAll();
    await redis?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('2 workers evaluate the rows (with their fine-tuning); the report equals the local one (same results hash), nothing leaks', async () => {
    const cache = path.join(dir, 'worker-cache'); // the workers' own copy of the inputs: they read nothing of dir's zoo or bundle
    fs.mkdirSync(cache);
    const workers = [igpg(['worker', '--queue', redis.url], { TMPDIR: cache }), igpg(['worker', '--queue', redis.url], { TMPDIR: cache })];
    await until(() => workers.every((w) => /listening on/.test(w.log())), 'workers to start');
    const out = path.join(dir, 'queued');
    const coord = igpg([...evalArgs(out), '--queue', redis.url]);
    expect(await coord.exited, coord.log()).toBe(0);
    const q = readResults(out);
    expect(q.meta.resultsHash).toBe(local.meta.resultsHash);
    expect(q.rows).toEqual(local.rows);
    expect(q.conditioning).toEqual(local.conditioning);
    expect(q.meta.notes.join('\n')).toMatch(/rows evaluated by igpg worker processes through the queue at redis:\/\/127\.0\.0\.1/);
    // every row ran on a worker, once; both workers took some
    const runs = workers.map((w) => started(w.log()));
    expect(runs.flat().sort()).toHaveLength(5);
    expect(new Set(runs.flat()).size).toBe(5);
    expect(runs.every((r) => r.length >= 1)).toBe(true);
    // the inputs came through Redis into the workers' cache, and were freed from Redis at the end
    expect(fs.readdirSync(path.join(cache, 'igpg-eval-inputs')).filter((d) => /^[0-9a-f]{64}$/.test(d))).toHaveLength(1);
    const queue = new Queue('zoo', { connection: { host: '127.0.0.1', port: redis.port }, prefix: 'igpg' });
    try {
      expect(await queue.getJobCounts('completed', 'failed', 'waiting')).toEqual({ completed: 0, failed: 0, waiting: 0 });
      const r = new Redis({ host: '127.0.0.1', port: redis.port });
      expect(await r.keys('igpg:eval-*')).toEqual([]);
      r.disconnect();
    } finally {
      await queue.close();
    }
    // A worker stops cleanly; closing disposes its evaluation context and fails the exit if tensors leaked.
    for (const w of workers) w.child.kill('SIGTERM');
    for (const w of workers) expect(await w.exited, w.log()).toBe(0);
  }, 600_000);

  it('the coordinator SIGKILLed mid-evaluation and run again picks up the rows already done (none runs twice); same report', async () => {
    const url = redis.url.replace(/\/0$/, '/1');
    const w = igpg(['worker', '--queue', url], { TMPDIR: path.join(dir, 'worker-cache') });
    await until(() => /listening on/.test(w.log()), 'the worker to start');
    const out = path.join(dir, 'restarted');
    const first = igpg([...evalArgs(out), '--queue', url]);
    await until(() => [...w.log().matchAll(/: done eval-/g)].length >= 2, '2 rows done');
    first.child.kill('SIGKILL');
    await first.exited;
    const second = igpg([...evalArgs(out), '--queue', url]);
    expect(await second.exited, second.log()).toBe(0);
    expect(readResults(out).meta.resultsHash).toBe(local.meta.resultsHash);
    const runs = started(w.log());
    expect(runs).toHaveLength(5);
    expect(new Set(runs).size).toBe(5); // the restarted coordinator re-enqueued nothing, and every row ran once
    w.child.kill('SIGTERM');
    expect(await w.exited, w.log()).toBe(0);
  }, 600_000);

  it('a worker on another backend refuses the rows with the reason (never run, not retried); a malformed eval job is rejected', async () => {
    const url = redis.url.replace(/\/0$/, '/2');
    const w = igpg(['--backend', 'cpu', 'worker', '--queue', url]);
    await until(() => /listening on/.test(w.log()), 'the worker to start');
    const coord = igpg([...evalArgs(path.join(dir, 'other-backend')), '--queue', url]);
    expect(await coord.exited).not.toBe(0);
    expect(coord.log()).toMatch(/5 of 5 evaluation rows failed on the queue/);
    expect(coord.log()).toMatch(/failed after 1 attempt\(s\): this worker runs cpu, the evaluation was started on wasm/);
    const queue = new Queue('zoo', { connection: { host: '127.0.0.1', port: redis.port, db: 2 }, prefix: 'igpg' });
    const bad = await queue.add('eval-row', { kind: 'eval-row', version: 1, inputs: 'f'.repeat(64), row: { group: 'seen' } }, { jobId: 'bad-eval', attempts: 3 });
    await until(async () => bad.isFailed(), 'the malformed job to fail', 30_000);
    const b = (await queue.getJob('bad-eval'))!;
    expect(b.failedReason).toMatch(/rejected malformed job payload: invalid eval row job payload/);
    expect(b.failedReason).toMatch(/must have required property 'settings'/);
    expect(b.attemptsMade).toBe(1);
    await queue.close();
    expect(w.child.exitCode).toBeNull(); // still running
    w.child.kill('SIGTERM');
    expect(await w.exited, w.log()).toBe(0);
  }, 300_000);
});
