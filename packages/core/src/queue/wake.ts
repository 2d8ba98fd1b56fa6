// How a coordinator waits between looks at the queue: until BullMQ's event stream says a job completed or
// failed, or `maxMs` at most. A fixed poll left up to its interval between a worker's result and its recording
// (at the end of a build that is pure wall time); the timeout stays as the safety net for events missed while
// Redis was away.
import { QueueEvents } from 'bullmq';
import { QUEUE_PREFIX, ZOO_QUEUE } from './names';
import type { QueueTarget } from './url';

export interface Waker {
  /** Resolve at the next completed/failed job event, or after `maxMs`. */
  nap(maxMs: number): Promise<void>;
  close(): Promise<void>;
}

/** Listen to the zoo queue's job events (one blocking Redis connection). */
export async function queueWaker(target: QueueTarget): Promise<Waker> {
  const events = new QueueEvents(ZOO_QUEUE, { connection: target.redis, prefix: QUEUE_PREFIX });
  events.on('error', () => undefined); // connection problems are reported by the coordinator's own connection
  let pending = false; // an event came while nobody was napping: the next nap returns at once
  let wake: (() => void) | undefined;
  const nudge = () => (wake ? wake() : (pending = true));
  events.on('completed', nudge);
  events.on('failed', nudge);
  await events.waitUntilReady();
  return {
    nap(maxMs) {
      if (pending) {
        pending = false;
        return Promise.resolve();
      }
      return new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          wake = undefined;
          resolve();
        };
        const timer = setTimeout(done, maxMs);
        wake = done;
      });
    },
    async close() {
      wake?.();
      await events.close().catch(() => undefined);
    },
  };
}
