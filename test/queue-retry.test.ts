// A job that fails every time, with real parts: a real redis-server, a real `igpg worker` on a machine
// without the Fashion-MNIST files (IGPG_FASHION_MNIST_DIR pointing at an empty folder), and the real
// coordinator. The job is tried a bounded number of times with exponential backoff, then reported failed
// with the worker's error; the other job of the build is recorded and the worker keeps running.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { QueueEvents } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildZooOnQueue, QueueBuildError, queueStatus, readManifest } from '@igpg/core';
import { startRedis, type TestRedis } from './redis';

const root = path.resolve(__dirname, '..');
const bin = path.join(root, 'packages/cli/dist/main.js');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'igpg-queue-retry-'));
const config = {
  name: 'queue-retry',
  tasks: ['blobs-4:all', 'fashion-mnist:sandal+sneaker'],
  architectures: [{ name: 'mlp', spec: { hidden: [4] }, label: 'mlp4' }],
  seeds: 1,
  epochs: [1],
  optimizer: { learningRate: 0.05, batchSize: 16 },
  trainLimit: 64,
  testLimit: 32,
};
const ATTEMPTS = 3;
const BACKOFF_MS = 500;

describe('zoo queue: a job that always fails', () => {
  let redis: TestRedis;
  let worker: ChildProcess | undefined;
  beforeAll(async () => {
    expect(fs.existsSync(bin), `${bin} is missing: run \`npm run build\` first`).toBe(true);
    redis = await startRedis();
  });
  afterAll(async () => {
    if (worker && worker.exitCode === null && worker.signalCode === null) worker.kill('SIGKILL');
    await redis?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it(`is tried ${ATTEMPTS} times with exponential backoff, then reported failed with its error; the rest of the build is recorded`, async () => {
    const empty = path.join(dir, 'no-dataset');
    fs.mkdirSync(empty);
    worker = spawn(process.execPath, [bin, 'worker', '--queue', redis.url], { cwd: root, env: { ...process.env, IGPG_BACKEND: 'wasm', IGPG_FASHION_MNIST_DIR: empty }, stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    const starts: { id: string; at: number }[] = [];
    worker.stderr!.on('data', (d) => {
      log += d;
      for (const m of String(d).matchAll(/: start (\S+)/g)) starts.push({ id: m[1], at: Date.now() });
    });
    const exited = new Promise((r) => worker!.once('exit', (code) => r(code)));
    const events = new QueueEvents('zoo', { connection: { host: '127.0.0.1', port: redis.port }, prefix: 'igpg' });
    const actives: { jobId: string; at: number }[] = [];
    events.on('active', ({ jobId }, id) => actives.push({ jobId, at: Number(id.split('-')[0]) }));
    await events.waitUntilReady();
    const logs: string[] = [];
    const err = await buildZooOnQueue(config, { out: path.join(dir, 'zoo'), url: redis.url, plugins: ['@igpg/architectures', '@igpg/datasets'], attempts: ATTEMPTS, backoffMs: BACKOFF_MS, progress: false, log: (l) => logs.push(l) })
      .then(() => null, (e: unknown) => e);
    expect(err, logs.join('\n')).toBeInstanceOf(QueueBuildError);
    const e = err as QueueBuildError;
    expect(e.failures).toHaveLength(1);
    expect(e.failures[0].key).toBe('fashion-mnist:sandal+sneaker/mlp4/s0');
    expect(e.failures[0].reason).toMatch(/^fashion-mnist: .*no-dataset\/train-images-idx3-ubyte\.gz not found\. Install the dataset/);
    expect(e.message).toMatch(/1 of 2 zoo jobs failed \(1 recorded; rerun the same command to retry them\)/);

    // Exactly ATTEMPTS tries of the failing job, each after the backoff (delay x 2^(try-2)); the good job ran once.
    // The times are Redis's own (the ids of BullMQ's "active" events), not when log lines reach this process: a
    // worker starved of CPU by other test files delays its log lines by most of a second.
    const failing = starts.filter((s) => s.id.endsWith('fashion-mnist__sandal+sneaker/mlp4/s0'));
    expect(failing).toHaveLength(ATTEMPTS);
    const activeAt = actives.filter((a) => a.jobId === failing[0].id).map((a) => a.at);
    expect(activeAt).toHaveLength(ATTEMPTS);
    activeAt.slice(1).forEach((t, i) => expect(t - activeAt[i]).toBeGreaterThanOrEqual(BACKOFF_MS * 2 ** i));
    expect(starts.filter((s) => s.id.endsWith('blobs-4__all/mlp4/s0'))).toHaveLength(1);
    expect(readManifest(path.join(dir, 'zoo'), { verify: true }).entries.map((x) => x.id)).toEqual(['blobs-4:all/mlp4/s0/e1']);

    // The queue reports it as failed after ATTEMPTS attempts, with the error; the worker is still up.
    const s = await queueStatus(redis.url);
    expect(s.counts.failed).toBe(1);
    expect(s.failed).toEqual([{ id: expect.stringMatching(/fashion-mnist__sandal\+sneaker\/mlp4\/s0$/), attempts: ATTEMPTS, reason: e.failures[0].reason }]);
    expect(worker.exitCode).toBeNull();
    expect(log).toMatch(/failed: fashion-mnist: .* not found/);
    // No more tries after it was reported failed.
    await new Promise((r) => setTimeout(r, BACKOFF_MS * 2 ** ATTEMPTS));
    expect(starts.filter((x) => x.id === failing[0].id)).toHaveLength(ATTEMPTS);
    await events.close();
    worker.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 300_000);
});
