// Batched zoo training (issue 13, item 4): S networks of one architecture, task and optimizer trained at once in
// one graph. Their parameters are stacked on a leading axis (S, ...shape), so each step is one batched forward
// (the plugin's applyBatched), one backward and one optimizer update for all S networks: the per-op overhead
// that dominates tiny networks is paid once per step instead of S times. Network s keeps everything of its own:
// its init (built from its initSeed exactly as one by one), its train/test subsets and batch order (from its
// dataSeed), and its optimizer state (Adam's moments are elementwise, so the stacked slots are per network).
// The loss is the sum of the S networks' mean losses, so network s's gradient is its own: the result does not
// depend on S (train-batch.test.ts checks S=3 against S=1 and against trainJob).
import * as tf from '@tensorflow/tfjs-core';
import { getArchitecture, type AnyArchitecture } from '../sdk/architecture';
import type { DatasetPlugin, DatasetSplit } from '../sdk/dataset';
import type { Network } from '../sdk/types';
import { stableHash, type ZooJob } from './config';
import { evaluateNetwork, type Evaluation } from './evaluate';
import { exitIfOrphaned } from './orphan';
import { batchOrderRng, loadJobSplits, makeOptimizer, trainJob, type Checkpoint } from './train';

/** Seeds per batch when the builder is not told otherwise: the default zoo's 36 seeds of a task, all at once. */
export const DEFAULT_ZOO_BATCH = 36;

/** What the jobs of one batch must share (everything but their seeds); a string, so batches group by it. */
export function batchKey(job: ZooJob): string {
  const { task, arch, epochs, optimizer, trainLimit, testLimit } = job;
  return stableHash({ task: task.id, arch: arch.name, spec: arch.spec, epochs, optimizer, trainLimit, testLimit });
}

/**
 * Cut jobs into batches of at most `size` jobs that share a batchKey, in job order. The cut depends only on the
 * job list and `size`, never on what is already trained, so a resumed build retrains the same batches.
 * @example groupBatches(jobs, 36) // the default zoo: one batch per task and architecture
 */
export function groupBatches(jobs: ZooJob[], size: number): ZooJob[][] {
  if (!Number.isInteger(size) || size < 1) throw new Error(`zoo batch size must be a positive integer, got ${size}`);
  const open = new Map<string, ZooJob[]>();
  const batches: ZooJob[][] = [];
  for (const job of jobs) {
    const key = batchKey(job);
    let batch = open.get(key);
    if (!batch || batch.length === size) {
      batch = [];
      open.set(key, batch);
      batches.push(batch);
    }
    batch.push(job);
  }
  return batches;
}

/** Whether jobs of this architecture can train batched (its plugin declares applyBatched). */
export const canTrainBatched = (job: ZooJob) => getArchitecture(job.arch.name).applyBatched !== undefined;

/**
 * Train the jobs of one batch (same batchKey) together and call `onCheckpoint` for each job at each of its
 * checkpoint epochs, in job order. An architecture without applyBatched (or `batched: false`) trains its jobs one
 * by one (trainJob).
 * A checkpoint's `seconds` is the batch's training time divided by its size (each network's share).
 * @example await trainBatch(groupBatches(jobs, 36)[0], getDataset('mnist'), (job, c) => record(job, c));
 */
export async function trainBatch(
  jobs: ZooJob[], dataset: DatasetPlugin, onCheckpoint: (job: ZooJob, c: Checkpoint) => void | Promise<void>,
  options: { /** false: train the jobs one by one with trainJob even where the architecture could batch them. */ batched?: boolean } = {},
): Promise<void> {
  if (!jobs.length) return;
  const key = batchKey(jobs[0]);
  const odd = jobs.find((j) => batchKey(j) !== key);
  if (odd) throw new Error(`trainBatch: job ${odd.key} differs from ${jobs[0].key} in more than its seed (task, architecture, epochs, optimizer or limits)`);
  const plugin = getArchitecture(jobs[0].arch.name);
  if (!plugin.applyBatched || options.batched === false) {
    for (const job of jobs) await trainJob(job, dataset, (c) => onCheckpoint(job, c));
    return;
  }
  const splits = await loadSplits(jobs, dataset);
  const nets = jobs.map((j) => plugin.build(j.arch.spec, j.initSeed));
  try {
    await trainStacked(plugin, jobs, splits, nets, onCheckpoint);
  } finally {
    nets.forEach((n) => n.dispose());
    splits.forEach((s) => tf.dispose([s.train.x, s.train.y, s.test.x, s.test.y]));
  }
}

/** Each job's own train and test subsets (loadJobSplits), all of one size. */
async function loadSplits(jobs: ZooJob[], dataset: DatasetPlugin): Promise<{ train: DatasetSplit; test: DatasetSplit }[]> {
  const out: { train: DatasetSplit; test: DatasetSplit }[] = [];
  for (const j of jobs) out.push(await loadJobSplits(j, dataset));
  const n = out[0].train.y.shape[0];
  const bad = out.findIndex((s) => s.train.y.shape[0] !== n);
  if (bad >= 0) {
    out.forEach((s) => tf.dispose([s.train.x, s.train.y, s.test.x, s.test.y]));
    throw new Error(`trainBatch: job ${jobs[bad].key} has ${out[bad].train.y.shape[0]} training samples, job ${jobs[0].key} ${n}; a batch needs equal sizes`);
  }
  return out;
}

async function trainStacked(
  plugin: AnyArchitecture, jobs: ZooJob[], splits: { train: DatasetSplit; test: DatasetSplit }[], nets: Network[],
  onCheckpoint: (job: ZooJob, c: Checkpoint) => void | Promise<void>,
): Promise<void> {
  const S = jobs.length;
  const { optimizer: opt, epochs } = jobs[0];
  const spec = jobs[0].arch.spec;
  const k = jobs[0].task.classes.length;
  const n = splits[0].train.y.shape[0];
  const inputShape = splits[0].train.x.shape.slice(1);
  // all S training sets as one table, network s's rows at s*n..s*n+n-1: one gather per step fetches every batch
  const x = tf.concat(splits.map((s) => s.train.x)); // (S*n, ...inputShape)
  const y = tf.tidy(() => tf.oneHot(tf.concat(splits.map((s) => s.train.y)), k)); // (S*n, k)
  const params = nets[0].params.map((_, i) => tf.tidy(() => tf.variable(tf.stack(nets.map((net) => net.params[i])), true))); // each (S, ...shape)
  const optimizer = makeOptimizer(opt); // elementwise on stacked variables: one update for all S, state per network
  const rngs = jobs.map(batchOrderRng); // each job's own minibatch order, as trainJob draws it
  const rows = new Int32Array(S * opt.batchSize);
  let seconds = 0;
  try {
    for (let epoch = 1; epoch <= epochs[epochs.length - 1]; epoch++) {
      const t0 = performance.now();
      const orders = rngs.map((r) => r.shuffle(Array.from({ length: n }, (_, i) => i)));
      for (let i = 0; i < n; i += opt.batchSize) {
        const m = Math.min(opt.batchSize, n - i);
        for (let s = 0; s < S; s++) for (let j = 0; j < m; j++) rows[s * m + j] = s * n + orders[s][i + j];
        tf.tidy(() => {
          const idx = tf.tensor1d(rows.subarray(0, S * m), 'int32');
          const xb = tf.reshape(tf.gather(x, idx), [S, m, ...inputShape]); // (S, m, ...inputShape)
          const yb = tf.gather(y, idx); // (S*m, k)
          optimizer.minimize(() => {
            const logits = tf.reshape(plugin.applyBatched!(spec, params, xb), [S * m, k]); // (S*m, k)
            // sum over networks of each one's mean cross-entropy (as trainEpoch's): network s's gradient is its own
            return tf.div(tf.losses.softmaxCrossEntropy(yb, logits, undefined, undefined, tf.Reduction.SUM), m) as tf.Scalar;
          }, false, params);
        });
        exitIfOrphaned();
      }
      seconds += (performance.now() - t0) / 1000;
      await new Promise((r) => setImmediate(r)); // let IPC through between epochs, as trainJob does
      if (epochs.includes(epoch)) {
        unstackInto(params, nets);
        const train = await evaluateAll(plugin, spec, params, nets, splits.map((sp) => sp.train));
        const test = await evaluateAll(plugin, spec, params, nets, splits.map((sp) => sp.test));
        for (let s = 0; s < S; s++) await onCheckpoint(jobs[s], { epoch, train: train[s], test: test[s], network: nets[s], seconds: seconds / S });
      }
    }
  } finally {
    optimizer.dispose();
    tf.dispose([x, y, ...params]);
  }
}

/** Each network's evaluation on its own split: stacked when the splits have one size, else one network at a time. */
async function evaluateAll(plugin: AnyArchitecture, spec: Record<string, unknown>, params: tf.Variable[], nets: Network[], data: DatasetSplit[]): Promise<Evaluation[]> {
  if (data.every((d) => d.y.shape[0] === data[0].y.shape[0])) return evaluateStacked(plugin, spec, params, data);
  const out: Evaluation[] = [];
  for (let s = 0; s < nets.length; s++) out.push(await evaluateNetwork(nets[s], data[s]));
  return out;
}

/**
 * evaluateNetwork for all S networks at once, each on its own split (all of one size): the stacked forward
 * (applyBatched) in batches of ~2,048 rows over all networks, the per-network sums of cross-entropy and hits. One network at a
 * time, the checkpoint evaluations took ~30% of a batched CNN-s build.
 */
function evaluateStacked(plugin: AnyArchitecture, spec: Record<string, unknown>, params: tf.Variable[], data: DatasetSplit[]): Evaluation[] {
  const S = data.length, n = data[0].y.shape[0];
  // ~2,048 rows in all per forward: a CNN-s's conv1 patches are 14k floats a row (36 x 512 rows would be 1 GB)
  const batchSize = Math.max(16, Math.floor(2048 / S));
  const loss = new Float64Array(S), hits = new Float64Array(S);
  for (let i = 0; i < n; i += batchSize) {
    const m = Math.min(batchSize, n - i);
    const [l, h] = tf.tidy(() => {
      const xb = tf.stack(data.map((d) => tf.slice(d.x, i, m))); // (S, m, ...inputShape)
      const yb = tf.stack(data.map((d) => tf.slice(d.y, i, m))); // (S, m)
      const logits = plugin.applyBatched!(spec, params, xb); // (S, m, classes)
      const ce = tf.sum(tf.losses.softmaxCrossEntropy(tf.oneHot(yb, logits.shape[2]), logits, undefined, undefined, tf.Reduction.NONE), 1); // (S,)
      const hit = tf.sum(tf.cast(tf.equal(tf.argMax(logits, 2), yb), 'int32'), 1); // (S,)
      return [ce.dataSync(), hit.dataSync()];
    });
    for (let s = 0; s < S; s++) { loss[s] += l[s]; hits[s] += h[s]; }
  }
  return Array.from({ length: S }, (_, s) => ({ accuracy: n ? hits[s] / n : NaN, loss: n ? loss[s] / n : NaN, samples: n }));
}

/**
 * Copy slice s of each stacked parameter into network s's own variables, through fresh tensors: a slice of the
 * stack can share the stack's buffer on wasm, whose kernels then read the buffer's recorded shape (S, ...) and
 * not the slice's (the fused matmul refuses the bias).
 */
function unstackInto(params: tf.Variable[], nets: Network[]): void {
  params.forEach((p, i) => {
    const all = p.dataSync() as Float32Array; // (S, ...shape), row-major: network s's values are one run
    const size = all.length / nets.length;
    nets.forEach((net, s) => tf.tidy(() => net.params[i].assign(tf.tensor(all.subarray(s * size, (s + 1) * size), net.params[i].shape))));
  });
}
