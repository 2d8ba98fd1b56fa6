// Queue URLs: redis://[user][:password@]host[:port][/db] or rediss://… (TLS). Credentials are kept
// out of every message: only redactQueueUrl's form is ever printed.
import * as fs from 'node:fs';
import type { RedisOptions } from 'ioredis';

/** A parsed queue URL: ioredis options plus the printable (password-free) form. */
export interface QueueTarget {
  redis: RedisOptions;
  /** The URL with any user/password replaced by "***": safe for logs and errors. */
  display: string;
}

/** The URL with its credentials masked, e.g. `redis://***@host:6379/0`. Never throws (bad URLs are masked whole). */
export function redactQueueUrl(url: string): string {
  const m = /^([a-z]+:\/\/)([^@/]*@)?(.*)$/i.exec(url);
  if (!m) return '<unparsable queue URL>';
  return `${m[1]}${m[2] ? '***@' : ''}${m[3]}`;
}

/**
 * Parse `--queue`. TLS (`rediss://`) uses the system CAs, or the PEM file in $IGPG_QUEUE_CA (a private CA).
 * @example parseQueueUrl('redis://:secret@queue-host:6379/2').redis.password === 'secret'
 */
export function parseQueueUrl(url: string): QueueTarget {
  const display = redactQueueUrl(url);
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`queue URL ${display} is not a URL; expected redis://[:password@]host[:port][/db] or rediss://… for TLS`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new Error(`queue URL ${display}: scheme must be redis:// or rediss:// (TLS), got ${u.protocol}//`);
  if (!u.hostname) throw new Error(`queue URL ${display}: no host; expected redis://host:port/db`);
  const port = u.port ? Number(u.port) : 6379;
  const dbPart = u.pathname.replace(/^\//, '');
  if (dbPart && !/^\d+$/.test(dbPart)) throw new Error(`queue URL ${display}: database must be a number (redis://host:port/0), got "/${dbPart}"`);
  if (u.search || u.hash) throw new Error(`queue URL ${display}: query strings and fragments are not supported`);
  const redis: RedisOptions = {
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port,
    db: dbPart ? Number(dbPart) : 0,
    username: u.username ? decodeURIComponent(u.username) : undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    // BullMQ's workers block on Redis: commands must wait for a reconnect rather than fail after N retries.
    maxRetriesPerRequest: null,
    // Reconnect forever, backing off to 2 s: a Redis restart must not end a build or a worker.
    retryStrategy: (times: number) => Math.min(100 * times, 2000),
  };
  if (u.protocol === 'rediss:') {
    const caFile = process.env.IGPG_QUEUE_CA;
    redis.tls = caFile ? { ca: fs.readFileSync(caFile), servername: redis.host } : { servername: redis.host };
  }
  return { redis, display };
}
