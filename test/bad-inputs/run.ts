// Runs the real `igpg` binary (built dist) without blocking the test worker, so cases can run side by side.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const root = path.resolve(__dirname, '../..');
export const bin = path.join(root, 'packages/cli/dist/main.js');

export interface RunResult {
  code: number | null; stdout: string; stderr: string; timedOut: boolean;
  /** Wall-clock milliseconds, and the CPU milliseconds the process itself used (user + system). */
  ms: number; cpuMs: number;
}

const preload = path.join(__dirname, 'cpu-usage.cjs');
let runs = 0;

/** Run `igpg args...`; kill it after `timeoutMs` (a hang is reported as timedOut, never waited out). */
export function igpg(args: string[], timeoutMs = 60_000, cwd = root): Promise<RunResult> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const report = path.join(os.tmpdir(), `igpg-cpu-${process.pid}-${runs++}.txt`);
    const env = { ...process.env, IGPG_BACKEND: 'wasm', IGPG_CPU_REPORT: report };
    const child = spawn(process.execPath, ['--require', preload, bin, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '', timedOut = false;
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      let cpuMs = NaN;
      try {
        cpuMs = Number(fs.readFileSync(report, 'utf8')) / 1000;
        fs.rmSync(report);
      } catch { /* killed: no report */ }
      resolve({ code, stdout, stderr, ms: Date.now() - t0, cpuMs, timedOut });
    });
  });
}

/** Run `jobs` with at most `width` at a time; results in input order. */
export async function pool<T, R>(items: T[], width: number, job: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await job(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
  return results;
}
