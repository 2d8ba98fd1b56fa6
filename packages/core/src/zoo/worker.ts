// A zoo worker process: forked by buildZoo, it starts its own backend, registers the plugins, then
// trains the jobs it is sent one at a time. Each checkpoint's weights are written atomically, then its
// entry record (also atomic), so a kill of this process or of its parent never leaves a torn file.
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, shutdownBackend } from '../backend/init';
import { getDataset } from '../sdk/dataset';
import { checkpointRecord, writeCheckpoint } from './checkpoint';
import type { ZooJob } from './config';
import { entryFile, entryStem } from './manifest';
import { aliasWorkspaceSources, loadPlugins } from './plugins';
import { trainJob } from './train';
import * as fs from 'node:fs';

/** Messages from the parent. */
export type ToWorker =
  | { type: 'init'; plugins: string[]; backend: string; out: string }
  | { type: 'job'; job: ZooJob }
  | { type: 'exit' };
/** Messages to the parent. */
export type FromWorker =
  | { type: 'ready'; backend: string }
  | { type: 'checkpoint'; key: string; epoch: number; testAccuracy: number; skipped: boolean }
  | { type: 'done'; key: string }
  | { type: 'error'; key?: string; message: string };

/**
 * Train one job and record its checkpoints under `out`. Checkpoints already recorded are not rewritten
 * (the job is retrained from scratch, deterministically, to reach the missing ones).
 */
async function runZooJob(job: ZooJob, out: string, backend: string, onCheckpoint?: (epoch: number, acc: number, skipped: boolean) => void): Promise<void> {
  await trainJob(job, getDataset(job.task.dataset), (c) => {
    const skipped = fs.existsSync(entryFile(out, entryStem(job.key, c.epoch)));
    if (!skipped) writeCheckpoint(out, checkpointRecord(job, c, backend));
    onCheckpoint?.(c.epoch, c.test.accuracy, skipped);
  });
}

function main(): void {
  if (__filename.endsWith('.ts')) aliasWorkspaceSources();
  const send = (m: FromWorker) => process.send?.(m);
  let out = '';
  let backend = '';
  // The parent is gone (finished or killed): stop; what is recorded is whole, the job in flight is redone later.
  process.on('disconnect', () => process.exit(0));
  process.on('message', async (msg: ToWorker) => {
    try {
      if (msg.type === 'init') {
        out = msg.out;
        // One thread per worker: the zoo's parallelism is across processes. Same kernels in every worker -> same weights.
        const info = await initBackend({ backend: msg.backend as never, threads: 1 });
        backend = info.name;
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        await loadPlugins(msg.plugins, async (s) => require(s));
        send({ type: 'ready', backend });
      } else if (msg.type === 'job') {
        const job = msg.job;
        const before = tf.memory().numTensors;
        await runZooJob(job, out, backend, (epoch, acc, skipped) => send({ type: 'checkpoint', key: job.key, epoch, testAccuracy: acc, skipped }));
        const leaked = tf.memory().numTensors - before;
        if (leaked > 0) throw new Error(`zoo worker: job ${job.key} leaked ${leaked} tensors`);
        send({ type: 'done', key: job.key });
      } else if (msg.type === 'exit') {
        shutdownBackend();
        process.exit(0);
      }
    } catch (e) {
      send({ type: 'error', key: msg.type === 'job' ? msg.job.key : undefined, message: e instanceof Error ? e.message : String(e) }); // one line; the stack stays here
    }
  });
}

if (process.env.IGPG_ZOO_WORKER === "1") main();
