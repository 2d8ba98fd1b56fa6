// The queue coordinator of a zoo build: enqueue every job not yet in the zoo folder, then take
// workers' results off Redis, verify each one and record it exactly as the local build does. It is the
// only process that writes the folder. State lives in two places that survive it: the folder (what is
// done) and Redis (what is queued, running, or finished but not yet recorded), so a restarted
// coordinator picks up where it stopped and a rerun enqueues only what is missing.
import type { Job } from 'bullmq';
import { createProgress } from '../util/progress';
import { writeCheckpoint } from '../zoo/checkpoint';
import { isJobDone, prepareZoo, type BuildZooResult } from '../zoo/build';
import type { ZooJob } from '../zoo/config';
import { entryFile, entryStem, writeManifest } from '../zoo/manifest';
import { connectCoordinator } from './connection';
import { ZOO_QUEUE, zooMarkerKey } from './names';
import { zooJobId, zooJobPayload } from './payload';
import { connectOnce } from './probe';
import { parseQueueUrl } from './url';
import { verifyZooResult } from './verify';
import * as fs from 'node:fs';

export interface QueueBuildOptions {
  out: string;
  /** redis://… or rediss://… */
  url: string;
  /** Plugins registered here (to resolve the config); workers register their own. */
  plugins?: string[];
  /** Largest network allowed, in parameters (as buildZoo). */
  maxParams?: number;
  /** Tries of a job that fails on a worker (with exponential backoff from `backoffMs`) before it is reported failed. Default 3. */
  attempts?: number;
  backoffMs?: number;
  /** Times a result may be rejected by verification before the job is reported failed. Default 3. */
  maxRejections?: number;
  /** Longest wait between looks at the queue; a job event ends the wait earlier (default 1000 ms). */
  pollMs?: number;
  progress?: boolean;
  onJobDone?: (key: string, done: number, total: number) => void;
  /** Log lines (rejections, reconnects, failures); default stderr. */
  log?: (line: string) => void;
}

/** Jobs that ended failed on the queue (attempts used up, or a result rejected too often). */
export class QueueBuildError extends Error {
  constructor(readonly failures: { key: string; reason: string }[], done: number, total: number) {
    super(`${failures.length} of ${total} zoo jobs failed (${done} recorded; rerun the same command to retry them):\n  - ${failures.slice(0, 20).map((f) => `${f.key}: ${f.reason}`).join('\n  - ')}${failures.length > 20 ? `\n  - … and ${failures.length - 20} more` : ''}`);
    this.name = 'QueueBuildError';
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Build (or resume) a zoo through a BullMQ queue: same config checks, same folder layout and the same
 * bytes as buildZoo; the training runs on `igpg worker` processes anywhere that reach the Redis.
 * @example await buildZooOnQueue(config, { out: 'zoo/', url: 'redis://queue-host:6379/0', plugins: ['@igpg/architectures', '@igpg/datasets'] });
 */
export async function buildZooOnQueue(rawConfig: unknown, options: QueueBuildOptions): Promise<BuildZooResult> {
  const t0 = Date.now();
  const log = options.log ?? ((s: string) => process.stderr.write(`${s}\n`));
  const target = parseQueueUrl(options.url);
  (await connectOnce(target)).disconnect(); // a wrong URL fails here, before anything is written
  const { config, jobs, out, configHash, todo, repaired } = await prepareZoo(rawConfig, options);
  const skipped = jobs.length - todo.length;
  const byId = new Map(todo.map((j) => [zooJobId(configHash, j.key), j]));
  const idPrefix = zooJobId(configHash, '');
  const connection = await connectCoordinator(target, 'igpg zoo', log);
  const { redis, queue, waker } = connection;
  const progress = createProgress({ label: `zoo ${config.name ?? ''} (queue)`.trim(), total: jobs.length, silent: options.progress === false });
  const recorded = new Set<string>(); // job ids written into the folder by this run
  const failures = new Map<string, { key: string; reason: string }>();
  const rejections = new Map<string, number>();
  let manifestAt = 0;
  progress.update(skipped);
  const outstanding = () => [...byId.entries()].filter(([id]) => !recorded.has(id) && !failures.has(id));

  const jobOpts = (jobId: string, delay = 0) => ({ jobId, delay, attempts: options.attempts ?? 3, backoff: { type: 'exponential' as const, delay: options.backoffMs ?? 1000 }, removeOnComplete: false, removeOnFail: false });
  /** Put every outstanding job on the queue. Ids are stable: a job already there (any state) is left alone. */
  const enqueue = async () => {
    const list = outstanding();
    for (let i = 0; i < list.length; i += 500) {
      await queue.addBulk(list.slice(i, i + 500).map(([jobId, job]) => ({
        name: 'train', data: zooJobPayload(configHash, job),
        opts: jobOpts(jobId),
      })));
    }
    await redis.set(zooMarkerKey(configHash), String(Date.now()));
  };
  /** Record a finished job (or reject its result and send it back to the queue). */
  const take = async (bj: Job, job: ZooJob) => {
    const id = String(bj.id);
    if (isJobDone(out, job)) {
      recorded.add(id); // recorded by an earlier coordinator that stopped before removing the job
    } else {
      let records;
      try {
        records = verifyZooResult(job, bj.returnvalue);
      } catch (e) {
        const n = (rejections.get(id) ?? 0) + 1;
        rejections.set(id, n);
        const reason = (e as Error).message.replace(/\n\s*/g, '; ');
        log(`igpg zoo: rejected the result of ${job.key} (${n}/${options.maxRejections ?? 3}): ${reason}`);
        if (n >= (options.maxRejections ?? 3)) {
          failures.set(id, { key: job.key, reason: `result rejected ${n} times; last: ${reason}` });
          await bj.remove();
        } else {
          // back on the queue after a backoff, as a failed try is: a bad worker must not use up every rejection at once
          await bj.remove();
          await queue.add('train', zooJobPayload(configHash, job), jobOpts(id, (options.backoffMs ?? 1000) * 2 ** (n - 1)));
        }
        return;
      }
      for (const r of records) if (!fs.existsSync(entryFile(out, entryStem(job.key, r.entry.epoch)))) writeCheckpoint(out, r);
      // The manifest is rebuilt from every entry file (117 ms at the default zoo's 1,584 entries): once a second
      // at most, and at the end. The entry files are the record (resume and the dashboard read them).
      if (Date.now() - manifestAt >= 1000) {
        writeManifest(out, config.name, configHash);
        manifestAt = Date.now();
      }
      recorded.add(id);
    }
    await bj.remove(); // the folder has it now; free the weights held in Redis
    const done = skipped + recorded.size;
    progress.update(done, { last: job.key });
    options.onJobDone?.(job.key, done, jobs.length);
  };
  /** One look at the queue: record completed jobs, note failed ones, re-enqueue if Redis lost its data. */
  const poll = async () => {
    if (!(await redis.exists(zooMarkerKey(configHash)))) {
      log(`igpg zoo: the queue at ${target.display} lost this zoo's jobs (Redis restarted without persistence?); enqueueing the ${outstanding().length} outstanding jobs again`);
      await enqueue();
    }
    const ids = (await queue.getRanges(['completed'], 0, -1, true)).filter((id) => byId.has(id) && !recorded.has(id) && !failures.has(id));
    for (const id of ids.slice(0, 100)) {
      const bj = (await queue.getJob(id)) as Job | undefined;
      if (bj) await take(bj, byId.get(id)!);
    }
    for (const id of await queue.getRanges(['failed'], 0, -1, true)) {
      const job = byId.get(id);
      if (!job || failures.has(id) || recorded.has(id)) continue;
      const bj = (await queue.getJob(id)) as Job | undefined;
      if (bj && (await bj.isFailed())) failures.set(id, { key: job.key, reason: (bj.failedReason ?? 'unknown').split('\n')[0] });
    }
  };

  try {
    if (todo.length) {
      // A rerun retries what failed last time: failed jobs keep their id, so adding them again would be a no-op.
      for (const id of (await queue.getRanges(['failed'], 0, -1, true)).filter((i) => i.startsWith(idPrefix) && byId.has(i))) {
        const bj = (await queue.getJob(id)) as Job | undefined;
        await bj?.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
      }
      await enqueue();
      log(`igpg zoo: ${todo.length} jobs on ${target.display} (queue "${ZOO_QUEUE}"), ${skipped} already built; start workers with: igpg worker --queue <url>`);
    }
    while (outstanding().length) {
      try {
        await poll();
      } catch (e) {
        if (e instanceof Error && /ECONNREFUSED|ECONNRESET|Connection is closed|EPIPE|ETIMEDOUT|LOADING|Stream isn't writeable/.test(e.message)) {
          await sleep(500); // Redis away: ioredis reconnects; look again
          continue;
        }
        throw e;
      }
      if (outstanding().length) await waker.nap(options.pollMs ?? 1000);
    }
  } finally {
    progress.stop();
    await connection.close();
  }
  const manifest = writeManifest(out, config.name, configHash);
  if (failures.size) throw new QueueBuildError([...failures.values()], skipped + recorded.size, jobs.length);
  return { manifest, trained: recorded.size, skipped, repaired, seconds: (Date.now() - t0) / 1000 };
}
