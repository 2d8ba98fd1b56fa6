// The queue side of `igpg eval --queue`: publish the evaluation's inputs, put one job per report row on the
// queue, and collect the verified row outputs in row order. The cross-row sections (conditioning matrix,
// cross-architecture) and the report itself stay with the caller (runEvaluation), which is the only writer.
// Results stay in Redis until every row is in, so a coordinator killed and started again with the same
// command picks them up instead of running them again (job ids are stable: inputs + settings + backend + row).
import type { Job } from 'bullmq';
import type { RowOutput } from '../rows';
import type { RowJobSettings } from '../row-job';
import type { RowKey } from '../zoo-index';
import { stableHash } from '../../zoo/config';
import { publishEvalInputs, unpublishEvalInputs } from './inputs';
import { evalRowPayload, verifyEvalRowResult, type EvalRowPayload } from './payload';
import { connectCoordinator } from '../../queue/connection';
import { evalInputsKey, evalMarkerKey, ZOO_QUEUE } from '../../queue/names';
import { connectOnce } from '../../queue/probe';
import { parseQueueUrl } from '../../queue/url';

export interface QueueEvalOptions {
  /** redis://… or rediss://… */
  url: string;
  /** Tries of a row that fails on a worker (exponential backoff from `backoffMs`) before it is reported failed. Default 3. */
  attempts?: number;
  backoffMs?: number;
  /** Times a row's result may be rejected by verification before the row is reported failed. Default 3. */
  maxRejections?: number;
  /** Longest wait between looks at the queue; a job event ends the wait earlier (default 1000 ms). */
  pollMs?: number;
  /** Log lines (rejections, failures); default stderr. */
  log?: (line: string) => void;
}

export interface QueueEvalPlan {
  zooDir: string;
  generatorDir: string;
  rows: RowKey[];
  settings: RowJobSettings;
  backend: EvalRowPayload['backend'];
  /** Called as each row's output is taken off the queue. */
  onRow?: (row: RowKey) => void;
}

/** Rows that ended failed on the queue. */
export class QueueEvalError extends Error {
  constructor(readonly failures: { row: string; reason: string }[], total: number) {
    super(`${failures.length} of ${total} evaluation rows failed on the queue (rerun the same command to retry them; finished rows are kept):\n  - ${failures.map((f) => `${f.row}: ${f.reason}`).join('\n  - ')}`);
    this.name = 'QueueEvalError';
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const label = (r: RowKey) => `${r.group} ${r.task.id} [${r.architecture.label}]`;
const TRANSIENT = /ECONNREFUSED|ECONNRESET|Connection is closed|EPIPE|ETIMEDOUT|LOADING|Stream isn't writeable/;

/**
 * Evaluate `plan.rows` on `igpg worker` processes; resolves to their outputs in the order of `plan.rows`.
 * @example const outs = await evaluateRowsOnQueue({ zooDir: 'zoo/default', generatorDir: 'runs/default', rows, settings, backend: { name: 'wasm', native: null } }, { url: 'redis://queue-host:6379/0' });
 */
export async function evaluateRowsOnQueue(plan: QueueEvalPlan, options: QueueEvalOptions): Promise<RowOutput[]> {
  const log = options.log ?? ((s: string) => process.stderr.write(`${s}\n`));
  const target = parseQueueUrl(options.url);
  (await connectOnce(target)).disconnect(); // a wrong URL fails here, before any work
  const connection = await connectCoordinator(target, 'igpg eval', log);
  const { redis, queue, waker } = connection;
  try {
    let inputs = await publishEvalInputs(redis, plan.zooDir, plan.generatorDir);
    const evaluation = stableHash({ inputs, settings: plan.settings, backend: plan.backend });
    const jobId = (r: RowKey) => `eval-${evaluation.slice(0, 16)}-${r.group}-${r.task.id}-${r.architecture.label}`.replace(/:/g, '__');
    const byId = new Map(plan.rows.map((r) => [jobId(r), r]));
    const outputs = new Map<string, RowOutput>();
    const failures = new Map<string, { row: string; reason: string }>();
    const rejections = new Map<string, number>();
    const outstanding = () => [...byId.entries()].filter(([id]) => !outputs.has(id) && !failures.has(id));
    const jobOpts = (jobId: string, delay = 0) => ({ jobId, delay, attempts: options.attempts ?? 3, backoff: { type: 'exponential' as const, delay: options.backoffMs ?? 1000 }, removeOnComplete: false, removeOnFail: false });
    const enqueue = async () => {
      await queue.addBulk(outstanding().map(([id, r]) => ({
        name: 'eval-row', data: evalRowPayload(inputs, plan.backend, plan.settings, r),
        opts: jobOpts(id),
      })));
      await redis.set(evalMarkerKey(evaluation), String(Date.now()));
    };
    const take = async (bj: Job, row: RowKey) => {
      const id = String(bj.id);
      try {
        outputs.set(id, verifyEvalRowResult(row, plan.settings, bj.returnvalue));
        plan.onRow?.(row);
      } catch (e) {
        const n = (rejections.get(id) ?? 0) + 1;
        rejections.set(id, n);
        const reason = (e as Error).message.replace(/\n\s*/g, '; ');
        log(`igpg eval: rejected the result of ${label(row)} (${n}/${options.maxRejections ?? 3}): ${reason}`);
        if (n >= (options.maxRejections ?? 3)) {
          failures.set(id, { row: label(row), reason: `result rejected ${n} times; last: ${reason}` });
          await bj.remove();
        } else {
          // back on the queue after a backoff, as a failed try is: a bad worker must not use up every rejection at once
          await bj.remove();
          await queue.add('eval-row', evalRowPayload(inputs, plan.backend, plan.settings, row), jobOpts(id, (options.backoffMs ?? 1000) * 2 ** (n - 1)));
        }
      }
    };
    const poll = async () => {
      if (!(await redis.exists(evalMarkerKey(evaluation))) || !(await redis.exists(evalInputsKey(inputs)))) {
        log(`igpg eval: the queue at ${target.display} lost this evaluation's jobs or inputs (Redis restarted without persistence?); publishing them again`);
        inputs = await publishEvalInputs(redis, plan.zooDir, plan.generatorDir);
        await enqueue();
      }
      for (const id of await queue.getRanges(['completed'], 0, -1, true)) {
        const row = byId.get(id);
        if (!row || outputs.has(id) || failures.has(id)) continue;
        const bj = (await queue.getJob(id)) as Job | undefined;
        if (bj) await take(bj, row);
      }
      for (const id of await queue.getRanges(['failed'], 0, -1, true)) {
        const row = byId.get(id);
        if (!row || failures.has(id) || outputs.has(id)) continue;
        const bj = (await queue.getJob(id)) as Job | undefined;
        if (bj && (await bj.isFailed())) failures.set(id, { row: label(row), reason: `failed after ${bj.attemptsMade} attempt(s): ${(bj.failedReason ?? 'unknown').split('\n')[0]}` });
      }
    };

    // A rerun retries what failed last time (failed jobs keep their id, so adding them again would be a no-op).
    for (const id of await queue.getRanges(['failed'], 0, -1, true)) {
      if (byId.has(id)) await ((await queue.getJob(id)) as Job | undefined)?.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
    }
    await enqueue();
    log(`igpg eval: ${byId.size} rows on ${target.display} (queue "${ZOO_QUEUE}"); start workers with: igpg worker --queue <url>`);
    while (outstanding().length) {
      try {
        await poll();
      } catch (e) {
        if (e instanceof Error && TRANSIENT.test(e.message)) {
          await sleep(500); // Redis away: ioredis reconnects; look again
          continue;
        }
        throw e;
      }
      if (outstanding().length) await waker.nap(options.pollMs ?? 1000);
    }
    if (failures.size) throw new QueueEvalError([...failures.values()], byId.size);
    // Every row is in: free the results and the inputs held in Redis.
    for (const id of byId.keys()) await ((await queue.getJob(id)) as Job | undefined)?.remove();
    await redis.del(evalMarkerKey(evaluation));
    await unpublishEvalInputs(redis, inputs);
    return plan.rows.map((r) => outputs.get(jobId(r))!);
  } finally {
    await connection.close();
  }
}
