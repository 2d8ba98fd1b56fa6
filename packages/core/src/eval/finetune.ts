import * as fs from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import '../backend/gradients'; // registers every op gradient (tfjs-core alone registers none)
import { createRng } from '../rng';
import { validate } from '../util/config';
import { getArchitecture } from '../sdk/architecture';
import { getDataset, type DatasetSplit } from '../sdk/dataset';
import { assignWeights } from '../sdk/weights';
import type { Network } from '../sdk/types';
import type { ZooEntry } from '../zoo/manifest';
import { zooConfigSchema } from '../zoo/config';
import { evaluateNetwork } from '../zoo/evaluate';
import { makeOptimizer, trainEpoch } from '../zoo/train';
import type { Task } from '../zoo/task';
import { loadNetworkSafetensors } from '../io/safetensors';

// Fine-tuning: the zoo trainer's epoch (zoo/train.ts trainEpoch: same optimizer, learning rate, batch size, softmax
// cross-entropy, a seeded shuffle per epoch) started from given weights instead of a fresh init. One loop
// (finetuneCurve) serves the report (finetune), the API (finetuneTask) and `igpg finetune`.

/** One point of a fine-tuning curve; epoch 0 is the starting weights. */
export interface FinetunePoint {
  epoch: number;
  testAccuracy: number;
  testLoss: number;
  /** Mean cross-entropy on the training data after this epoch (with evalTrain). */
  trainLoss?: number;
  trainAccuracy?: number;
  /** Seconds of training so far (evaluation excluded). */
  seconds: number;
}

export interface FinetuneCurveOptions {
  /** Epochs after which to evaluate (default: 0 and every epoch). */
  evalAt?: number[];
  /** Also score the training data at each evaluated epoch. */
  evalTrain?: boolean;
  /** Called after each evaluated epoch (progress). */
  onEpoch?: (p: FinetunePoint) => void | Promise<void>;
}

/**
 * Train `network` in place for `epochs` epochs on `train`, evaluating on `test`; returns the curve.
 * Deterministic in `seed` (batch order) for a given backend.
 * @example const curve = await finetuneCurve(net, train, test, { name: 'adam', learningRate: 5e-3, batchSize: 32 }, 5, 0);
 */
export async function finetuneCurve(network: Network, train: DatasetSplit, test: DatasetSplit, optimizer: ZooEntry['optimizer'], epochs: number, seed: string | number, options: FinetuneCurveOptions = {}): Promise<FinetunePoint[]> {
  if (!Number.isInteger(epochs) || epochs < 0) throw new Error(`finetune: epochs must be a whole number >= 0, got ${epochs}`);
  const evalAt = new Set(options.evalAt ?? Array.from({ length: epochs + 1 }, (_, i) => i));
  const opt = makeOptimizer(optimizer);
  const rng = createRng(`finetune/${seed}`);
  const k = tf.tidy(() => network.apply(tf.slice(train.x, 0, 1)).shape[1]); // classes, from the network's own output
  const labels = tf.tidy(() => tf.max(train.y).dataSync()[0]) + 1;
  if (labels > k) throw new Error(`finetune: the data has ${labels} classes but the network has ${k} outputs`);
  const curve: FinetunePoint[] = [];
  let seconds = 0;
  const point = async (epoch: number) => {
    if (!evalAt.has(epoch)) return;
    const t = await evaluateNetwork(network, test);
    const tr = options.evalTrain ? await evaluateNetwork(network, train) : undefined;
    const p: FinetunePoint = { epoch, testAccuracy: t.accuracy, testLoss: t.loss, ...(tr && { trainLoss: tr.loss, trainAccuracy: tr.accuracy }), seconds };
    curve.push(p);
    await options.onEpoch?.(p);
  };
  try {
    await point(0);
    for (let epoch = 1; epoch <= epochs; epoch++) {
      const t0 = performance.now();
      trainEpoch(network, opt, train, k, optimizer.batchSize, rng);
      seconds += (performance.now() - t0) / 1000;
      await point(epoch);
    }
  } finally {
    opt.dispose();
  }
  return curve;
}

/**
 * Train `network` in place for max(epochs) epochs on `train`; return its test accuracy after each epoch in `epochs`
 * (the report's form of finetuneCurve).
 * @example const acc = await finetune(net, train, test, entry.optimizer, [1, 5], 'gen/0'); // { 1: 0.81, 5: 0.93 }
 */
export async function finetune(network: Network, train: DatasetSplit, test: DatasetSplit, optimizer: ZooEntry['optimizer'], epochs: number[], seed: string | number): Promise<Record<number, number>> {
  const want = [...new Set(epochs)].sort((a, b) => a - b);
  if (!want.length || want.some((e) => !Number.isInteger(e) || e < 1)) throw new Error(`finetune: epochs must be positive integers, got [${epochs.join(', ')}]`);
  const out: Record<number, number> = {};
  const curve = await finetuneCurve(network, train, test, optimizer, want[want.length - 1], seed, { evalAt: want });
  for (const p of curve) out[p.epoch] = p.testAccuracy;
  return out;
}

/** Fine-tuning settings: the zoo config's optimizer keys plus data limits (defaults: the zoo config schema's). */
export interface FinetuneTaskOptions {
  /** Start: a built network (trained in place), flat weights with `architecture`, or a .safetensors file from `igpg generate`. */
  start: Network | { weights: Float32Array; architecture: { name: string; spec: Record<string, unknown> } } | string;
  task: Task;
  epochs: number;
  optimizer?: Partial<ZooEntry['optimizer']>;
  /** Train on a seeded subset of this many samples (default: the whole split). */
  trainLimit?: number;
  /** Evaluate on at most this many test samples (default: the whole split). */
  testLimit?: number;
  /** Batch order and data subset seed (default 0). */
  seed?: number;
  onEpoch?: (p: FinetunePoint) => void | Promise<void>;
}

/**
 * Fine-tune a (generated) network on a task's data for N epochs, with a curve (epoch 0 = the start).
 * The network comes back trained; dispose it when done.
 * @example const { network, curve } = await finetuneTask({ start: 'out/generated-0.safetensors', task, epochs: 3 });
 */
export async function finetuneTask(opts: FinetuneTaskOptions): Promise<{ network: Network; curve: FinetunePoint[]; optimizer: ZooEntry['optimizer'] }> {
  const optimizer = validate<ZooEntry['optimizer']>(zooConfigSchema.properties.optimizer, opts.optimizer ?? {}, 'fine-tuning optimizer');
  for (const [k, v] of [['trainLimit', opts.trainLimit], ['testLimit', opts.testLimit]] as const) {
    if (v !== undefined && (!Number.isInteger(v) || v < 1)) throw new Error(`finetune: ${k} must be a positive integer, got ${v}`);
  }
  const seed = opts.seed ?? 0;
  const network = startNetwork(opts.start);
  try {
    const k = tf.tidy(() => network.apply(tf.zeros([1, ...getDataset(opts.task.dataset).inputShape])).shape[1]);
    if (k !== opts.task.classes.length) throw new Error(`finetune: the network has ${k} outputs but task "${opts.task.id}" has ${opts.task.classes.length} classes; pick the task it was generated for`);
    const ds = getDataset(opts.task.dataset);
    const train = await ds.load({ split: 'train', classes: opts.task.classIndices, limit: opts.trainLimit, seed });
    const test = await ds.load({ split: 'test', classes: opts.task.classIndices, limit: opts.testLimit, seed });
    try {
      const curve = await finetuneCurve(network, train, test, optimizer, opts.epochs, seed, { evalTrain: true, onEpoch: opts.onEpoch });
      return { network, curve, optimizer };
    } finally {
      tf.dispose([train.x, train.y, test.x, test.y]);
    }
  } catch (e) {
    if (typeof opts.start !== 'object' || !('params' in opts.start)) network.dispose();
    throw e;
  }
}

function startNetwork(start: FinetuneTaskOptions['start']): Network {
  if (typeof start === 'string') {
    if (!fs.existsSync(start)) throw new Error(`finetune: weights file ${start} does not exist (write one with \`igpg generate --out DIR --format safetensors\`)`);
    if (!start.endsWith('.safetensors')) throw new Error(`finetune: ${start} is not a .safetensors file (write one with \`igpg generate --out DIR --format safetensors\`)`);
    const w = loadNetworkSafetensors(start);
    if (!w.arch) throw new Error(`finetune: ${start} does not say its architecture (no igpg.arch metadata); use a file written by igpg`);
    return build(w.arch, w.spec, w.flat);
  }
  if ('params' in start) return start;
  return build(start.architecture.name, start.architecture.spec, start.weights);
}

function build(name: string, spec: Record<string, unknown>, flat: Float32Array): Network {
  const net = getArchitecture(name).build(spec, 1);
  try {
    assignWeights(net, flat);
  } catch (e) {
    net.dispose();
    throw e;
  }
  return net;
}
