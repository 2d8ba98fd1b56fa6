import type { Command } from 'commander';
import { formatQueueStatus, queueStatus } from '@igpg/core';
import { queueUrlArg } from '../queue-url';
import { action, emit } from '../runtime';

/** `igpg queue status`: job counts, failures and worker heartbeats of a queue. */
export function registerQueue(program: Command): void {
  const queue = program.command('queue').description('look at the Redis job queue that zoo builds and workers share');
  queue
    .command('status')
    .description('waiting, active, completed and failed jobs, and each worker\'s last heartbeat')
    .option('--queue <url>', 'Redis URL (env IGPG_QUEUE)')
    .option('--json', 'print the status as JSON')
    .action(action(async (opts: { queue?: string; json?: boolean }) => {
      const s = await queueStatus(queueUrlArg(opts.queue, true)!);
      emit(opts.json, s, () => formatQueueStatus(s));
    }));
}
