import { Redis } from 'ioredis';
import type { QueueTarget } from './url';

/**
 * Connect once without retrying, to fail fast with a clear message on a wrong host, port or password
 * (the long-lived connections retry forever, which would hide a typo behind an endless wait).
 * Resolves to a connected client that does not retry; the caller disconnects it.
 */
export async function connectOnce(target: QueueTarget, timeoutMs = 5000): Promise<Redis> {
  const redis = new Redis({ ...target.redis, maxRetriesPerRequest: 1, retryStrategy: () => null, connectTimeout: timeoutMs, lazyConnect: true });
  let why = '';
  redis.on('error', (e) => (why ||= e.message));
  try {
    await redis.connect();
    await redis.ping();
  } catch (e) {
    redis.disconnect();
    throw new Error(`cannot reach the queue at ${target.display} (${why || (e as Error).message}); is redis-server running there, and the URL (password, TLS) right?`);
  }
  return redis;
}
