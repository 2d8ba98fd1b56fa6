// The files an evaluation reads (the zoo and the generator bundle), carried to workers through Redis so that
// an eval worker, like a zoo worker, needs no shared filesystem. They are content-addressed: one Redis hash
// per digest of the whole set (field = path, value = bytes), published once by the coordinator and fetched
// once per worker machine into a local cache folder, then checked against the digest the job names.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Redis } from 'ioredis';
import { sha256 } from '../../io/atomic';
import { readManifest } from '../../zoo/manifest';
import { stableHash } from '../../zoo/config';
import { evalInputsKey } from '../../queue/names';

/** Largest input set a worker accepts (the default zoo + bundle are ~40 MB). */
const MAX_EVAL_INPUT_BYTES = 2 * 1024 ** 3;
/** How long published inputs stay in Redis without a coordinator refreshing them. */
const TTL_S = 7 * 24 * 3600;

interface EvalInputFile {
  /** 'zoo/…' or 'generator/…', with '/' separators. */
  rel: string;
  file: string;
}

/** Regular files under `dir` (relative, sorted), without dotfiles, metrics logs (*.jsonl) and atomic-write temps. */
function walk(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const d of fs.readdirSync(path.join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${d.name}` : d.name;
    if (d.name.startsWith('.') || d.name.endsWith('.jsonl') || d.name.endsWith('.tmp')) continue;
    if (d.isDirectory()) out.push(...walk(dir, rel));
    else if (d.isFile()) out.push(rel);
  }
  return out.sort();
}

/**
 * What an evaluation reads: the zoo's manifest.json, config.json and every weight file the manifest lists;
 * every file of the generator bundle but its metrics logs.
 */
function evalInputFiles(zooDir: string, generatorDir: string): EvalInputFile[] {
  const zooFiles = ['manifest.json', 'config.json'].filter((f) => fs.existsSync(path.join(zooDir, f)));
  zooFiles.push(...new Set(readManifest(zooDir).entries.map((e) => e.weights.file)));
  return [
    ...zooFiles.map((f) => ({ rel: `zoo/${f.split(path.sep).join('/')}`, file: path.join(zooDir, f) })),
    ...walk(generatorDir).map((f) => ({ rel: `generator/${f}`, file: path.join(generatorDir, f) })),
  ];
}

/** The digest of an input set: one hash over every path, size and SHA-256. */
const digestOf = (files: { rel: string; bytes: Uint8Array }[]) =>
  stableHash([...files].sort((a, b) => (a.rel < b.rel ? -1 : 1)).map((f) => [f.rel, f.bytes.length, sha256(f.bytes)]));

/**
 * Put the inputs on Redis (once per content: an identical set already there is only refreshed) and return
 * their digest, which eval jobs name. Written under a temporary key and renamed, so a worker never sees half a set.
 */
export async function publishEvalInputs(redis: Redis, zooDir: string, generatorDir: string): Promise<string> {
  const files = evalInputFiles(zooDir, generatorDir).map((f) => ({ rel: f.rel, bytes: fs.readFileSync(f.file) }));
  const digest = digestOf(files);
  const key = evalInputsKey(digest);
  if (await redis.expire(key, TTL_S)) return digest;
  const tmp = `${key}:upload-${randomBytes(4).toString('hex')}`;
  try {
    for (let i = 0; i < files.length; i += 200) {
      const p = redis.pipeline();
      for (const f of files.slice(i, i + 200)) p.hset(tmp, f.rel, f.bytes as Buffer);
      await p.exec();
    }
    await redis.rename(tmp, key);
    await redis.expire(key, TTL_S);
  } finally {
    await redis.del(tmp).catch(() => undefined);
  }
  return digest;
}

/** Drop a published input set (the coordinator, once its report is written). */
export async function unpublishEvalInputs(redis: Redis, digest: string): Promise<void> {
  await redis.del(evalInputsKey(digest));
}

/** Where a worker keeps fetched inputs (one folder per digest). */
const defaultEvalCache = () => path.join(os.tmpdir(), 'igpg-eval-inputs');

/**
 * The local folders of input set `digest`: from the cache, else fetched from Redis, checked (paths, size, digest)
 * and written into the cache atomically (a temp folder renamed into place).
 */
export async function fetchEvalInputs(redis: Redis, digest: string, cacheDir = defaultEvalCache()): Promise<{ zoo: string; generator: string }> {
  if (!/^[0-9a-f]{64}$/.test(digest)) throw new Error(`eval inputs: "${digest}" is not a digest`);
  const dir = path.join(cacheDir, digest);
  const dirs = { zoo: path.join(dir, 'zoo'), generator: path.join(dir, 'generator') };
  if (fs.existsSync(dir)) return dirs;
  const got = await redis.hgetallBuffer(evalInputsKey(digest));
  const files = Object.entries(got).map(([rel, bytes]) => ({ rel, bytes }));
  if (!files.length) throw new Error(`eval inputs ${digest.slice(0, 12)}… are not on the queue (expired, or Redis lost them): rerun the igpg eval --queue command, which publishes them again`);
  let total = 0;
  for (const f of files) {
    // Paths come off the network: only plain relative paths below zoo/ or generator/ are written.
    if (!/^(zoo|generator)\/[A-Za-z0-9._+\-/]+$/.test(f.rel) || f.rel.split('/').some((p) => p === '..' || p === '.' || p === '')) throw new Error(`eval inputs ${digest.slice(0, 12)}…: refusing the file path ${JSON.stringify(f.rel)}`);
    total += f.bytes.length;
  }
  if (total > MAX_EVAL_INPUT_BYTES) throw new Error(`eval inputs ${digest.slice(0, 12)}… are ${total} bytes, over the ${MAX_EVAL_INPUT_BYTES}-byte limit`);
  const actual = digestOf(files);
  if (actual !== digest) throw new Error(`eval inputs ${digest.slice(0, 12)}… do not match their digest (got ${actual.slice(0, 12)}…): corrupted on the queue; rerun the igpg eval --queue command`);
  const tmp = `${dir}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  for (const f of files) {
    const file = path.join(tmp, ...f.rel.split('/'));
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, f.bytes);
  }
  try {
    fs.renameSync(tmp, dir);
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    if (!fs.existsSync(dir)) throw e; // else another worker on this machine cached the same set first
  }
  return dirs;
}
