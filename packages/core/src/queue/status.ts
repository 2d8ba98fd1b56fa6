// A snapshot of a queue for `igpg queue status` and the dashboard's queue panel.
import { Queue } from 'bullmq';
import { readBeats, type WorkerBeat } from './heartbeat';
import { QUEUE_PREFIX, ZOO_QUEUE } from './names';
import { connectOnce } from './probe';
import { parseQueueUrl } from './url';

export interface QueueStatus {
  /** The URL without credentials. */
  queue: string;
  counts: { waiting: number; active: number; delayed: number; completed: number; failed: number };
  /** The most recent failed jobs and why. */
  failed: { id: string; reason: string; attempts: number }[];
  /** Workers by last heartbeat; `alive` when it beat within `staleS` seconds. */
  workers: (WorkerBeat & { ageS: number; alive: boolean })[];
}

/**
 * Read a queue's job counts, recent failures and worker heartbeats. Fails (rather than waits) when Redis
 * cannot be reached within `timeoutMs`.
 * @example const s = await queueStatus('redis://127.0.0.1:6379/0'); s.counts.waiting
 */
export async function queueStatus(url: string, options: { timeoutMs?: number; staleS?: number } = {}): Promise<QueueStatus> {
  const target = parseQueueUrl(url);
  const redis = await connectOnce(target, options.timeoutMs);
  const queue = new Queue(ZOO_QUEUE, { connection: redis, prefix: QUEUE_PREFIX });
  queue.on('error', () => undefined);
  try {
    const c = await queue.getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed', 'prioritized');
    const failedJobs = await queue.getFailed(0, 9);
    const staleS = options.staleS ?? 30;
    return {
      queue: target.display,
      counts: { waiting: c.waiting + c.prioritized, active: c.active, delayed: c.delayed, completed: c.completed, failed: c.failed },
      failed: failedJobs.filter(Boolean).map((j) => ({ id: String(j.id), reason: (j.failedReason ?? '').split('\n')[0], attempts: j.attemptsMade })),
      workers: (await readBeats(redis)).map((b) => ({ ...b, alive: b.ageS <= staleS })),
    };
  } finally {
    await queue.close().catch(() => undefined);
    redis.disconnect();
  }
}

/** The status as text lines. */
export function formatQueueStatus(s: QueueStatus): string {
  const { waiting, active, delayed, completed, failed } = s.counts;
  const lines = [`queue ${s.queue} ("${ZOO_QUEUE}"): ${waiting} waiting, ${active} active, ${delayed} delayed (retry backoff), ${completed} completed (not yet recorded), ${failed} failed`];
  lines.push(s.workers.length ? `workers (${s.workers.filter((w) => w.alive).length} alive):` : 'workers: none has sent a heartbeat');
  for (const w of s.workers) {
    lines.push(`  ${w.id}  ${w.alive ? 'alive' : 'STALE'}  last beat ${w.ageS.toFixed(0)} s ago  backend ${w.backend}  done ${w.done}  failed ${w.failed}${w.current ? `  running ${w.current}` : ''}`);
  }
  for (const f of s.failed) lines.push(`failed ${f.id} after ${f.attempts} attempt(s): ${f.reason}`);
  return lines.join('\n');
}
