import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '../backend/gradients'; // registers every op gradient (tfjs-core alone registers none)
import { createProgress, type ProgressOptions } from '../util/progress';
import { metricsLog } from '../util/jsonl';
import { validate } from '../util/config';
import { loadCheckpoint, readCheckpointMeta, saveCheckpoint } from './checkpoint';

/**
 * A resumable training loop. The rules that make a killed-and-resumed run reach BIT-IDENTICAL weights to an
 * unkilled one with the same seed:
 *  - `step(i)` derives everything random from (seed, i) alone: the batch from `createRng(seed).fork(\`batch/${i}\`)`,
 *    tf op seeds from `createRng(seed).fork(i).tfSeed()`. Never from an RNG whose state lives across steps
 *    (unless you put that state in `getState`/`setState`, which is checkpointed).
 *  - all trainable and non-trainable state is in `variables` (named) or `optimizer`, or in `getState()` (JSON).
 */
export interface TrainingLoopOptions {
  /** Run directory: checkpoint.json, config.json, weights-<step>.safetensors, metrics.jsonl. */
  dir: string;
  /** What is trained ('vqvae', 'prior', ...); a checkpoint of another kind is refused. */
  kind: string;
  /** The run's config, saved with every checkpoint; resuming with a different config is refused. */
  config: Record<string, unknown>;
  /** If given, `config` is validated against it first (ajv, unknown keys rejected). */
  schema?: object;
  /** Config paths that may change on resume, e.g. ['/steps'] to train longer. Default ['/steps']. */
  configMayDiffer?: string[];
  /** Total steps (the loop runs steps [start, steps)). */
  steps: number;
  /** Save every this many completed steps (and always at the end). 0: only at the end. */
  checkpointEvery: number;
  /** true: continue from dir's checkpoint if present. false: refuse a dir that already holds one. */
  resume: boolean;
  variables: tf.Variable[];
  optimizer?: tf.Optimizer;
  /** One optimisation step; returns numbers to log (loss, ...). Called with i = 0 .. steps-1. */
  step: (i: number) => Record<string, number> | Promise<Record<string, number>>;
  /** Extra JSON state to checkpoint (e.g. a schedule), and to restore on resume. */
  getState?: () => Record<string, unknown>;
  setState?: (state: Record<string, unknown>) => void;
  /** Progress bar options (label defaults to kind); false for none. */
  progress?: Partial<ProgressOptions> | false;
  /** Called after each checkpoint is written (tests use it to kill the process at a known point). */
  onCheckpoint?: (step: number) => void;
}

export interface TrainingLoopResult {
  /** The step the loop started from (0, or the resumed checkpoint's step). */
  startStep: number;
  steps: number;
  resumed: boolean;
  /** Metrics of the last step run in this call (empty if nothing ran). */
  last: Record<string, number>;
}

/**
 * Run `step(i)` for i in [start, steps), logging metrics to dir/metrics.jsonl and checkpointing every
 * `checkpointEvery` steps; with `resume: true` a killed run continues from its last checkpoint.
 * @example
 * const opt = tf.train.adam(1e-3);
 * await runTrainingLoop({ dir: 'runs/a', kind: 'toy', config, steps: 100, checkpointEvery: 10, resume: true,
 *   variables: [w], optimizer: opt,
 *   step: (i) => { const { value } = opt.computeGradients(() => loss(batch(seed, i))); ... return { loss } } });
 */
export async function runTrainingLoop(opts: TrainingLoopOptions): Promise<TrainingLoopResult> {
  const config = opts.schema ? validate<Record<string, unknown>>(opts.schema, opts.config, `${opts.kind} config`) : opts.config;
  if (!Number.isInteger(opts.steps) || opts.steps < 0) throw new Error(`steps must be a non-negative integer, got ${opts.steps}`);
  if (!Number.isInteger(opts.checkpointEvery) || opts.checkpointEvery < 0) throw new Error(`checkpointEvery must be a non-negative integer, got ${opts.checkpointEvery}`);
  fs.mkdirSync(opts.dir, { recursive: true });
  const log = metricsLog(path.join(opts.dir, 'metrics.jsonl'));

  let start = 0;
  const existing = readCheckpointMeta(opts.dir);
  if (existing && !opts.resume) {
    throw new Error(`${opts.dir} already holds a ${existing.kind} checkpoint at step ${existing.step}; pass resume: true to continue it, or use a fresh directory`);
  }
  if (existing) {
    const meta = await loadCheckpoint(opts.dir, {
      kind: opts.kind, config, configMayDiffer: opts.configMayDiffer ?? ['/steps'], variables: opts.variables, optimizer: opts.optimizer,
    });
    start = meta!.step;
    opts.setState?.(meta!.extra);
    log.truncateAfter(start); // rows logged after the checkpoint belong to the killed tail
  } else if (fs.existsSync(log.file)) {
    fs.rmSync(log.file); // a fresh run starts a fresh log
  }

  const save = (step: number) =>
    saveCheckpoint(opts.dir, { kind: opts.kind, step, config, variables: opts.variables, optimizer: opts.optimizer, extra: opts.getState?.() });
  const bar = opts.progress === false ? null : createProgress({ label: opts.kind, total: opts.steps, ...(opts.progress ?? {}) });
  bar?.update(start);
  let last: Record<string, number> = {};
  for (let i = start; i < opts.steps; i++) {
    last = await opts.step(i);
    log.append({ step: i + 1, ...last });
    bar?.update(i + 1, last);
    const done = i + 1;
    if ((opts.checkpointEvery > 0 && done % opts.checkpointEvery === 0) || done === opts.steps) {
      await save(done);
      opts.onCheckpoint?.(done);
    }
  }
  if (start >= opts.steps && !existing) await save(opts.steps); // steps = 0: still leave a checkpoint
  bar?.stop();
  return { startStep: start, steps: opts.steps, resumed: !!existing, last };
}
