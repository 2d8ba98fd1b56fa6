// A queue worker: takes zoo jobs off Redis, checks each payload, trains it exactly as a local zoo
// worker does (same trainer, same backend settings, same bytes), and returns the checkpoints' weights
// and entries as the job's result. It never touches a zoo folder; the coordinator writes.
// The same worker runs evaluation rows (payload kind "eval-row", see eval/queue/row-runner.ts), one job at a time.
// It lives at the top of core, beside init.ts, and not in queue/: it runs jobs of two stages (zoo and eval), and
// queue/ sits with the zoo stage, under eval.
import * as os from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { Redis } from 'ioredis';
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { initBackend } from './backend/init';
import { getDataset } from './sdk/dataset';
import { checkpointRecord, type CheckpointRecord } from './zoo/checkpoint';
import { loadPlugins } from './zoo/plugins';
import { trainJob } from './zoo/train';
import { beat, removeBeat, type WorkerBeat } from './queue/heartbeat';
import { QUEUE_PREFIX, ZOO_QUEUE } from './queue/names';
import { createEvalRowRunner } from './eval/queue/row-runner';
import type { EvalRowResult } from './eval/queue/payload';
import { checkZooJobPayload, type ZooJobResult } from './queue/payload';
import { connectOnce } from './queue/probe';
import { parseQueueUrl } from './queue/url';

export interface QueueWorkerOptions {
  /** redis://… or rediss://… */
  url: string;
  /** Plugin modules to register (the only code a worker runs; payloads cannot name plugins). */
  plugins?: string[];
  /** Compute backend (default 'wasm', 1 thread: the same as a local zoo worker, hence the same weights). */
  backend?: string;
  /** BullMQ lock: a worker that stops renewing it for this long (killed, hung) loses its job to another. Default 30 s. */
  lockDuration?: number;
  /** How often this worker looks for stalled jobs of dead workers (default 30 s). */
  stalledInterval?: number;
  /** How many times a job may stall (its worker die) before it is failed (default 5). */
  maxStalledCount?: number;
  heartbeatMs?: number;
  /** Where eval jobs' inputs (zoo + generator bundle) are cached, one folder per content digest (default: <tmpdir>/igpg-eval-inputs). */
  evalCacheDir?: string;
  /** Log lines (default: stderr). */
  log?: (line: string) => void;
}

export interface QueueWorkerHandle {
  id: string;
  /** Stop taking jobs, finish the one in progress, disconnect. */
  close(): Promise<void>;
}

/** Serialize checkpoints as a job result. */
function toResult(key: string, worker: string, records: CheckpointRecord[]): ZooJobResult {
  return { version: 1, key, worker, checkpoints: records.map((r) => ({ entry: r.entry, weights: Buffer.from(r.bytes).toString('base64') })) };
}

/**
 * Start a worker on the zoo queue of `url`; it runs until closed. Redis going away is survived: BullMQ
 * reconnects (the job in flight, if its lock was lost, is run again elsewhere).
 * @example const w = await startQueueWorker({ url: 'redis://127.0.0.1:6379/0', plugins: ['@igpg/architectures', '@igpg/datasets'] });
 */
export async function startQueueWorker(options: QueueWorkerOptions): Promise<QueueWorkerHandle> {
  const target = parseQueueUrl(options.url);
  const log = options.log ?? ((s: string) => process.stderr.write(`${s}\n`));
  (await connectOnce(target)).disconnect(); // a wrong URL or password fails here, not in an endless retry
  await loadPlugins(options.plugins ?? []);
  const info = await initBackend({ backend: (options.backend ?? 'wasm') as never, threads: 1 });
  const id = `${os.hostname()}/${process.pid}`;
  const me: WorkerBeat = { id, host: os.hostname(), pid: process.pid, backend: info.name, startedAt: new Date().toISOString(), beatAt: '', done: 0, failed: 0 };
  const redis = new Redis(target.redis);
  redis.on('error', () => undefined); // reported through the worker's own error event
  const evalRows = createEvalRowRunner(redis, info, { cacheDir: options.evalCacheDir, log: (s) => log(`igpg worker ${id}: ${s}`) });
  const processor = async (job: Job): Promise<ZooJobResult | EvalRowResult> => {
    if ((job.data as { kind?: unknown } | undefined)?.kind === 'eval-row') {
      me.current = String(job.id);
      log(`igpg worker ${id}: start ${job.id}`);
      try {
        return await evalRows.run(job.data, id);
      } catch (e) {
        if (e instanceof UnrecoverableError) log(`igpg worker ${id}: job ${job.id} ${e.message.replace(/\n\s*/g, '; ')}`);
        throw e;
      }
    }
    let payload;
    try {
      payload = checkZooJobPayload(job.data);
    } catch (e) {
      const reason = `rejected malformed job payload: ${(e as Error).message}`;
      log(`igpg worker ${id}: job ${job.id} ${reason.replace(/\n\s*/g, '; ')}`);
      throw new UnrecoverableError(reason); // failed at once, never retried or run
    }
    const zooJob = payload.job;
    me.current = String(job.id);
    log(`igpg worker ${id}: start ${job.id}`);
    const before = tf.memory().numTensors;
    const records: CheckpointRecord[] = [];
    await trainJob(zooJob, getDataset(zooJob.task.dataset), (c) => void records.push(checkpointRecord(zooJob, c, info.name)));
    const leaked = tf.memory().numTensors - before;
    if (leaked > 0) throw new Error(`queue worker: job ${zooJob.key} leaked ${leaked} tensors`);
    return toResult(zooJob.key, id, records);
  };
  const worker = new Worker(ZOO_QUEUE, processor, {
    connection: target.redis, prefix: QUEUE_PREFIX, concurrency: 1, name: id,
    lockDuration: options.lockDuration ?? 30_000, stalledInterval: options.stalledInterval ?? 30_000, maxStalledCount: options.maxStalledCount ?? 5,
  });
  let lastError = '';
  worker.on('error', (e) => {
    if (e.message !== lastError) log(`igpg worker ${id}: queue ${target.display}: ${(lastError = e.message)} (retrying)`);
  });
  worker.on('completed', (job) => {
    me.done++;
    me.current = undefined;
    lastError = '';
    log(`igpg worker ${id}: done ${job.id}`);
    void sendBeat();
  });
  worker.on('failed', (job, e) => {
    me.failed++;
    me.current = undefined;
    log(`igpg worker ${id}: job ${job?.id} failed: ${e.message.split('\n')[0]}`);
  });
  let beating: Promise<void> | undefined; // one beat at a time: while Redis is away they would pile up
  const sendBeat = () => (beating ??= beat(redis, me).catch(() => undefined).finally(() => (beating = undefined)));
  await sendBeat();
  const timer = setInterval(sendBeat, options.heartbeatMs ?? 5000);
  log(`igpg worker ${id}: listening on ${target.display} (queue "${ZOO_QUEUE}", backend ${info.name})`);
  return {
    id,
    async close() {
      clearInterval(timer);
      await worker.close();
      evalRows.dispose();
      await removeBeat(redis, id).catch(() => undefined);
      redis.disconnect();
    },
  };
}
