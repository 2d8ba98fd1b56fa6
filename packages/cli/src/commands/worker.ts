import { fork, type ChildProcess } from 'node:child_process';
import type { Command } from 'commander';
import { connectOnce, parseQueueUrl, redactQueueUrl, startQueueWorker } from '@igpg/core';
import { parseIntArg } from '../options';
import { queueUrlArg } from '../queue-url';
import { action, BUILTIN_PLUGINS, globals } from '../runtime';

interface WorkerFlags { queue?: string; concurrency: number; lockDuration: number; stalledInterval: number }

/** Resolves on SIGINT/SIGTERM. */
const untilSignal = () => new Promise<NodeJS.Signals>((resolve) => {
  process.once('SIGINT', () => resolve('SIGINT'));
  process.once('SIGTERM', () => resolve('SIGTERM'));
});

/**
 * N > 1: one process per job slot (tfjs training is synchronous, so slots in one process would not run
 * in parallel). Each child is this command with --concurrency 1; one that dies is started again.
 */
async function supervise(n: number, url: string, flags: WorkerFlags, backend: string | undefined): Promise<void> {
  let stopping = false;
  const children = new Set<ChildProcess>();
  const args = ['worker', '--concurrency', '1', '--lock-duration', String(flags.lockDuration), '--stalled-interval', String(flags.stalledInterval)];
  const start = (slot: number) => {
    // The URL goes by environment, never argv: a password in argv shows in `ps`.
    const child = fork(process.argv[1], backend ? ['--backend', backend, ...args] : args, { env: { ...process.env, IGPG_QUEUE: url }, stdio: 'inherit' });
    children.add(child);
    child.on('exit', (code, signal) => {
      children.delete(child);
      if (stopping) return;
      process.stderr.write(`igpg worker: slot ${slot} exited (${signal ?? `code ${code}`}); starting it again in 2 s\n`);
      setTimeout(() => !stopping && start(slot), 2000);
    });
  };
  for (let i = 0; i < n; i++) start(i);
  await untilSignal();
  stopping = true;
  await Promise.all([...children].map((c) => new Promise((r) => { c.once('exit', r); c.kill('SIGTERM'); })));
}

/** `igpg worker`: run zoo jobs from a queue until stopped (SIGINT/SIGTERM finish the job in progress first). */
export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description('run zoo and evaluation jobs from a Redis queue (see "Building a zoo on many machines" in the README)')
    .option('--queue <url>', 'Redis URL: redis://[:password@]host:port/db, or rediss:// for TLS (env IGPG_QUEUE)')
    .option('--concurrency <n>', 'jobs at a time, one process each', parseIntArg('--concurrency', 1, 256), 1)
    .option('--lock-duration <ms>', 'a job whose worker is silent this long goes to another worker', parseIntArg('--lock-duration', 1000), 30_000)
    .option('--stalled-interval <ms>', 'how often to look for jobs of dead workers', parseIntArg('--stalled-interval', 500), 30_000)
    .action(action(async (flags: WorkerFlags, cmd: Command) => {
      const url = queueUrlArg(flags.queue, true)!;
      const backend = globals(cmd).backend;
      if (flags.concurrency > 1) {
        (await connectOnce(parseQueueUrl(url))).disconnect(); // a wrong URL fails once here, not in every restarted slot
        process.stderr.write(`igpg worker: ${flags.concurrency} worker processes on ${redactQueueUrl(url)}\n`);
        return supervise(flags.concurrency, url, flags, backend);
      }
      const w = await startQueueWorker({ url, plugins: BUILTIN_PLUGINS, backend, lockDuration: flags.lockDuration, stalledInterval: flags.stalledInterval });
      await untilSignal();
      process.stderr.write(`igpg worker ${w.id}: stopping (finishing the job in progress)\n`);
      await w.close();
    }));
}
