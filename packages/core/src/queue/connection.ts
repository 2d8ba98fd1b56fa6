import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { QUEUE_PREFIX, ZOO_QUEUE } from './names';
import type { QueueTarget } from './url';
import { queueWaker, type Waker } from './wake';

/** What a coordinator (zoo build, eval) holds while it runs: a Redis connection, the zoo queue, a waker. */
export interface CoordinatorConnection {
  redis: Redis;
  queue: Queue;
  waker: Waker;
  /** End all three (the waker, then the queue, then Redis). */
  close(): Promise<void>;
}

/**
 * Connect a coordinator to the queue at `target`. Connection errors are logged once per distinct message
 * (`<who>: queue <host>: <message> (reconnecting)`) while ioredis reconnects; the queue's own copies of them stay quiet.
 */
export async function connectCoordinator(target: QueueTarget, who: string, log: (line: string) => void): Promise<CoordinatorConnection> {
  const redis = new Redis(target.redis);
  let lastError = '';
  redis.on('error', (e) => {
    if (e.message !== lastError) log(`${who}: queue ${target.display}: ${(lastError = e.message)} (reconnecting)`);
  });
  const queue = new Queue(ZOO_QUEUE, { connection: target.redis, prefix: QUEUE_PREFIX });
  queue.on('error', () => undefined); // the same connection problems, reported once above
  const waker = await queueWaker(target);
  return {
    redis, queue, waker,
    close: async () => {
      await waker.close();
      await queue.close().catch(() => undefined);
      redis.disconnect();
    },
  };
}
