import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkOutputDir } from './paths';

/** SHA-256 of bytes, hex. */
export function sha256(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * Write a file atomically: write a temp file beside it, fsync, then rename over the target.
 * A crash at any point leaves either the old file or the new one, never a torn one.
 * @example writeFileAtomic('zoo/manifest.json', JSON.stringify(manifest));
 */
export function writeFileAtomic(file: string, data: Uint8Array | string): void {
  const parent = path.dirname(path.resolve(file));
  if (!fs.existsSync(parent)) {
    checkOutputDir(parent); // a bounded walk first: recursive mkdir never returns on /proc paths
    fs.mkdirSync(parent, { recursive: true });
  }
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}

/** Write JSON atomically, pretty-printed. */
export function writeJsonAtomic(file: string, value: unknown): void {
  writeFileAtomic(file, JSON.stringify(value, null, 2) + '\n');
}

/** Raised when a file is missing, torn or altered. */
export class FileIntegrityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FileIntegrityError';
  }
}

/**
 * Read a file and check its size and SHA-256 against what was recorded when it was written.
 * @example const bytes = readFileVerified('w.safetensors', { size: 9840, sha256: 'ab12...' });
 */
export function readFileVerified(file: string, expected: { size?: number; sha256?: string }): Buffer {
  if (!fs.existsSync(file)) throw new FileIntegrityError(`${file}: file not found`);
  const data = fs.readFileSync(file);
  if (expected.size !== undefined && data.length !== expected.size) {
    throw new FileIntegrityError(`${file}: size ${data.length} bytes, expected ${expected.size} (truncated or replaced; rebuild it)`);
  }
  if (expected.sha256 !== undefined) {
    const actual = sha256(data);
    if (actual !== expected.sha256) throw new FileIntegrityError(`${file}: checksum ${actual.slice(0, 12)}… does not match the recorded ${expected.sha256.slice(0, 12)}… (corrupt; rebuild it)`);
  }
  return data;
}

/** Read and parse a JSON file, with an error that names the file on failure. */
export function readJson<T = unknown>(file: string): T {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new FileIntegrityError(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new FileIntegrityError(`${file}: not valid JSON (${(e as Error).message})`);
  }
}

/** Temp files of writeFileAtomic: `<file>.<pid>.<8 hex>.tmp`. */
const TEMP = /\.(\d+)\.[0-9a-f]{8}\.tmp$/;

/** Whether a process with this pid exists (a temp file's writer, a lock's holder). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // alive, owned by someone else
  }
}

/**
 * Remove the temp files that writeFileAtomic left behind in `dir` when its process was killed mid-write
 * (a killed checkpoint write leaves a whole weights file's worth, issue #16). Only files whose writer process
 * is gone are removed; the walk is bounded (`maxDepth` levels, `maxEntries` entries). Returns the removed paths.
 * @example cleanStaleTemps('runs/default/prior');
 */
export function cleanStaleTemps(dir: string, options: { maxDepth?: number; maxEntries?: number } = {}): string[] {
  const maxDepth = options.maxDepth ?? 6;
  let budget = options.maxEntries ?? 200_000;
  const removed: string[] = [];
  const walk = (d: string, depth: number) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (--budget < 0) return;
      const p = path.join(d, e.name);
      if (e.isDirectory() && depth < maxDepth) walk(p, depth + 1);
      else if (e.isFile()) {
        const m = TEMP.exec(e.name);
        const pid = m ? Number(m[1]) : 0;
        if (m && pid !== process.pid && !processAlive(pid)) {
          fs.rmSync(p, { force: true });
          removed.push(p);
        }
      }
    }
  };
  if (fs.existsSync(dir)) walk(dir, 0);
  return removed;
}
