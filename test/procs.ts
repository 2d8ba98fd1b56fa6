// The real `igpg` binary (built dist) as child processes for the end-to-end tests, and a poll-until helper.
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';

const root = path.resolve(__dirname, '..');
const bin = path.join(root, 'packages/cli/dist/main.js');

export interface Proc { child: ChildProcess; log: () => string; exited: Promise<number | null> }

/**
 * A spawner of `igpg` processes (wasm backend, stdout + stderr collected in `log()`) that remembers every one it
 * started, so that `killAll()` (in afterAll) stops them even when a test fails.
 */
export function igpgProcesses() {
  const spawned: ChildProcess[] = [];
  return {
    igpg(args: string[], env: Record<string, string> = {}): Proc {
      const child = spawn(process.execPath, [bin, ...args], { cwd: root, env: { ...process.env, IGPG_BACKEND: 'wasm', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
      spawned.push(child);
      let log = '';
      child.stdout!.on('data', (d) => (log += d));
      child.stderr!.on('data', (d) => (log += d));
      return { child, log: () => log, exited: new Promise<number | null>((r) => child.once('exit', (code) => r(code))) };
    },
    killAll(): void {
      for (const c of spawned) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    },
  };
}

/** Poll `cond` every 50 ms until it holds; throws "timed out waiting for <what>" after `ms`. */
export async function until(cond: () => boolean | Promise<boolean>, what: string, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
