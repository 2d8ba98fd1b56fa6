import * as tf from '@tensorflow/tfjs-core';
import { getArchitecture } from '../sdk/architecture';
import type { DatasetPlugin, DatasetSplit } from '../sdk/dataset';
import type { Network } from '../sdk/types';
import { createRng, type Rng } from '../rng';
import type { ZooJob } from './config';
import { evaluateNetwork, type Evaluation } from './evaluate';
import { exitIfOrphaned } from './orphan';

/** What a checkpoint reports: its epoch, train/test metrics and the network at that point. */
export interface Checkpoint {
  epoch: number;
  train: Evaluation;
  test: Evaluation;
  network: Network;
  /** Seconds of training (not evaluation) so far. */
  seconds: number;
}

/** The optimizer a zoo config names (Adam or SGD). */
export function makeOptimizer(o: ZooJob['optimizer']): tf.Optimizer {
  return o.name === 'adam' ? tf.train.adam(o.learningRate) : tf.train.sgd(o.learningRate);
}

/**
 * One epoch of minibatch training with softmax cross-entropy, in a seeded order (the zoo trainer and
 * fine-tuning share it). `classes` is the width of the network's output.
 */
export function trainEpoch(network: Network, optimizer: tf.Optimizer, train: { x: tf.Tensor; y: tf.Tensor }, classes: number, batchSize: number, rng: Rng): void {
  const n = train.y.shape[0];
  const order = rng.shuffle(Array.from({ length: n }, (_, i) => i));
  for (let i = 0; i < n; i += batchSize) {
    tf.tidy(() => {
      const idx = tf.tensor1d(order.slice(i, i + batchSize), 'int32');
      const xb = tf.gather(train.x, idx); // (B, ...inputShape)
      const yb = tf.oneHot(tf.gather(train.y, idx) as tf.Tensor1D, classes); // (B, classes)
      optimizer.minimize(() => tf.losses.softmaxCrossEntropy(yb, network.apply(xb, { training: true })) as tf.Scalar, false, network.params);
    });
    exitIfOrphaned();
  }
}

/** A job's own train and test subsets, drawn with its dataSeed (trainJob and trainBatch load them alike). */
export async function loadJobSplits(job: ZooJob, dataset: DatasetPlugin): Promise<{ train: DatasetSplit; test: DatasetSplit }> {
  const classes = job.task.classIndices;
  const train = await dataset.load({ split: 'train', classes, limit: job.trainLimit, seed: job.dataSeed });
  const test = await dataset.load({ split: 'test', classes, limit: job.testLimit, seed: job.dataSeed });
  return { train, test };
}

/** The random stream that orders a job's minibatches (one per job, whether it trains alone or in a batch). */
export const batchOrderRng = (job: ZooJob) => createRng(`${job.dataSeed}/batches`);

/**
 * Train one zoo network from scratch: seeded init, seeded minibatch order, softmax cross-entropy.
 * Calls `onCheckpoint` after each epoch in `job.epochs` (skip work for epochs in `skipEval`).
 * Everything random comes from the job's seeds, so the result does not depend on the process.
 */
export async function trainJob(job: ZooJob, dataset: DatasetPlugin, onCheckpoint: (c: Checkpoint) => void | Promise<void>): Promise<void> {
  const { train, test } = await loadJobSplits(job, dataset);
  const network = getArchitecture(job.arch.name).build(job.arch.spec, job.initSeed);
  const optimizer = makeOptimizer(job.optimizer);
  const rng = batchOrderRng(job);
  const k = job.task.classes.length;
  let seconds = 0;
  try {
    const last = job.epochs[job.epochs.length - 1];
    for (let epoch = 1; epoch <= last; epoch++) {
      const t0 = performance.now();
      trainEpoch(network, optimizer, train, k, job.optimizer.batchSize, rng);
      seconds += (performance.now() - t0) / 1000;
      await new Promise((r) => setImmediate(r)); // let IPC (e.g. a parent's disconnect) through between epochs
      if (job.epochs.includes(epoch)) {
        const trainEval = await evaluateNetwork(network, train);
        const testEval = await evaluateNetwork(network, test);
        await onCheckpoint({ epoch, train: trainEval, test: testEval, network, seconds });
      }
    }
  } finally {
    optimizer.dispose();
    network.dispose();
    tf.dispose([train.x, train.y, test.x, test.y]);
  }
}
