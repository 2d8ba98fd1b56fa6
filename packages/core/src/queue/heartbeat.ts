// Worker heartbeats: each worker rewrites its record in one Redis hash every few seconds, so
// `igpg queue status` can tell live workers from dead ones by the age of their last beat.
import type { Redis } from 'ioredis';
import { WORKERS_KEY } from './names';

export interface WorkerBeat {
  id: string;
  host: string;
  pid: number;
  backend: string;
  startedAt: string;
  beatAt: string;
  /** Jobs completed / failed by this worker since it started. */
  done: number;
  failed: number;
  /** Id of the job in progress, if any. */
  current?: string;
}

/** Write one heartbeat (errors are the caller's: a worker keeps running while Redis is away). */
export async function beat(redis: Redis, b: WorkerBeat): Promise<void> {
  await redis.hset(WORKERS_KEY, b.id, JSON.stringify({ ...b, beatAt: new Date().toISOString() }));
}

export async function removeBeat(redis: Redis, id: string): Promise<void> {
  await redis.hdel(WORKERS_KEY, id);
}

/** Every worker's last heartbeat, with its age in seconds; records older than `forgetS` are deleted. */
export async function readBeats(redis: Redis, forgetS = 3600): Promise<(WorkerBeat & { ageS: number })[]> {
  const all = await redis.hgetall(WORKERS_KEY);
  const out: (WorkerBeat & { ageS: number })[] = [];
  for (const [id, json] of Object.entries(all)) {
    let b: WorkerBeat;
    try {
      b = JSON.parse(json) as WorkerBeat;
    } catch {
      await redis.hdel(WORKERS_KEY, id);
      continue;
    }
    const ageS = (Date.now() - Date.parse(b.beatAt)) / 1000;
    if (!(ageS <= forgetS)) await redis.hdel(WORKERS_KEY, id);
    else out.push({ ...b, ageS });
  }
  return out.sort((a, b) => (a.id < b.id ? -1 : 1));
}
