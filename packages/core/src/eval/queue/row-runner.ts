// The eval side of a queue worker: runs one report row per job with the same row function as a local
// `igpg eval` (eval/row-job.ts). The zoo and the bundle come from Redis once per input set (inputs.ts);
// the opened generator and context are kept between jobs of the same evaluation (loading them is the slow part).
import * as tf from '@tensorflow/tfjs-core';
import { UnrecoverableError } from 'bullmq';
import type { Redis } from 'ioredis';
import type { BackendInfo } from '../../backend/init';
import type { EvalContext } from '../context';
import { evaluateRowJob, findRow, openEvalContext } from '../row-job';
import { ZooIndex } from '../zoo-index';
import { loadGenerator, type Generator } from '../../pipeline/generator';
import { stableHash } from '../../zoo/config';
import { fetchEvalInputs } from './inputs';
import { checkEvalRowPayload, toEvalRowResult, type EvalRowResult } from './payload';

interface EvalRowRunner {
  run(data: unknown, worker: string): Promise<EvalRowResult>;
  /** Dispose the open context and generator; throws if they leaked tensors. */
  dispose(): void;
}

/** The native helper of a backend as eval payloads name it. */
const backendNative = (b: Pick<BackendInfo, 'native'>) => b.native ?? null;

/**
 * Run eval row jobs on this worker's backend. A payload from a coordinator on another backend is refused
 * (UnrecoverableError: not retried), since its numbers would not match a local run.
 */
export function createEvalRowRunner(redis: Redis, backend: BackendInfo, options: { cacheDir?: string; log?: (s: string) => void } = {}): EvalRowRunner {
  let open: { key: string; g: Generator; ctx: EvalContext; tensorsBefore: number } | undefined;
  const close = () => {
    if (!open) return;
    const { g, ctx, tensorsBefore } = open;
    open = undefined;
    ctx.dispose();
    g.dispose();
    const leaked = tf.memory().numTensors - tensorsBefore;
    if (leaked > 0) throw new Error(`queue worker: an evaluation leaked ${leaked} tensors`);
  };
  return {
    async run(data, worker) {
      let p;
      try {
        p = checkEvalRowPayload(data);
      } catch (e) {
        throw new UnrecoverableError(`rejected malformed job payload: ${(e as Error).message}`);
      }
      const mine = { name: backend.name, native: backendNative(backend) };
      if (stableHash(mine) !== stableHash(p.backend)) {
        throw new UnrecoverableError(`this worker runs ${mine.name}${mine.native ? ` + ${mine.native}` : ''}, the evaluation was started on ${p.backend.name}${p.backend.native ? ` + ${p.backend.native}` : ''}: its rows would not match a local run; start workers with the same --backend (and IGPG_NATIVE) as the igpg eval --queue process`);
      }
      const key = stableHash({ inputs: p.inputs, settings: p.settings });
      if (open?.key !== key) {
        close();
        const dirs = await fetchEvalInputs(redis, p.inputs, options.cacheDir);
        const tensorsBefore = tf.memory().numTensors;
        const g = await loadGenerator(dirs.generator);
        try {
          open = { key, g, ctx: openEvalContext(new ZooIndex(dirs.zoo), g, p.settings), tensorsBefore };
        } catch (e) {
          g.dispose();
          throw e;
        }
        options.log?.(`evaluation inputs ${p.inputs.slice(0, 12)}… opened`);
      }
      let row;
      try {
        row = findRow(open.ctx.zoo, p.row);
      } catch (e) {
        throw new UnrecoverableError((e as Error).message);
      }
      return toEvalRowResult(row, worker, await evaluateRowJob(open.ctx, row, p.settings));
    },
    dispose: close,
  };
}
