import * as tf from '@tensorflow/tfjs-core';
import '../backend/gradients'; // registers every op gradient (tfjs-core alone registers none)
import { createRng } from '../rng';
import type { DatasetSplit } from '../sdk/dataset';
import type { Network } from '../sdk/types';
import type { ZooEntry } from '../zoo/manifest';
import { evaluateNetwork } from '../zoo/evaluate';
import { makeOptimizer, trainEpoch } from '../zoo/train';

// Fine-tuning for the report: the zoo trainer's epoch (zoo/train.ts trainEpoch: same optimizer, learning rate,
// batch size, softmax cross-entropy, a seeded shuffle per epoch) started from given weights instead of a fresh init.

/**
 * Train `network` in place for max(epochs) epochs on `train`; return its test accuracy after each epoch in `epochs`.
 * Deterministic in `seed` (batch order) for a given backend.
 * @example const acc = await finetune(net, train, test, entry.optimizer, [1, 5], 'gen/0'); // { 1: 0.81, 5: 0.93 }
 */
export async function finetune(network: Network, train: DatasetSplit, test: DatasetSplit, optimizer: ZooEntry['optimizer'], epochs: number[], seed: string | number): Promise<Record<number, number>> {
  const want = [...new Set(epochs)].sort((a, b) => a - b);
  if (!want.length || want.some((e) => !Number.isInteger(e) || e < 1)) throw new Error(`finetune: epochs must be positive integers, got [${epochs.join(', ')}]`);
  const opt = makeOptimizer(optimizer);
  const rng = createRng(`finetune/${seed}`);
  const k = tf.tidy(() => network.apply(tf.slice(train.x, 0, 1)).shape[1]); // classes, from the network's own output
  const out: Record<number, number> = {};
  try {
    for (let epoch = 1; epoch <= want[want.length - 1]; epoch++) {
      trainEpoch(network, opt, train, k, optimizer.batchSize, rng);
      if (want.includes(epoch)) out[epoch] = (await evaluateNetwork(network, test)).accuracy;
    }
  } finally {
    opt.dispose();
  }
  return out;
}
