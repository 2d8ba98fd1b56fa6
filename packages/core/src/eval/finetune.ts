import * as tf from '@tensorflow/tfjs-core';
import '../backend/gradients'; // registers every op gradient (tfjs-core alone registers none)
import { createRng } from '../rng';
import type { DatasetSplit } from '../sdk/dataset';
import type { Network } from '../sdk/types';
import type { ZooEntry } from '../zoo/manifest';
import { evaluateNetwork } from '../zoo/evaluate';

// Fine-tuning loop for the report: the zoo trainer's step (zoo/train.ts: same optimizer, learning rate, batch size,
// softmax cross-entropy, a seeded shuffle per epoch) started from given weights instead of a fresh init.
// zoo/train.ts only trains from scratch (trainJob builds its own network), hence this small adapter.

/**
 * Train `network` in place for max(epochs) epochs on `train`; return its test accuracy after each epoch in `epochs`.
 * Deterministic in `seed` (batch order) for a given backend.
 * @example const acc = await finetune(net, train, test, entry.optimizer, [1, 5], 'gen/0'); // { 1: 0.81, 5: 0.93 }
 */
export async function finetune(network: Network, train: DatasetSplit, test: DatasetSplit, optimizer: ZooEntry['optimizer'], epochs: number[], seed: string | number): Promise<Record<number, number>> {
  const want = [...new Set(epochs)].sort((a, b) => a - b);
  if (!want.length || want.some((e) => !Number.isInteger(e) || e < 1)) throw new Error(`finetune: epochs must be positive integers, got [${epochs.join(', ')}]`);
  const opt = optimizer.name === 'adam' ? tf.train.adam(optimizer.learningRate) : tf.train.sgd(optimizer.learningRate);
  const rng = createRng(`finetune/${seed}`);
  const n = train.y.shape[0];
  const k = tf.tidy(() => network.apply(tf.slice(train.x, 0, 1)).shape[1]); // classes, from the network's own output
  const bs = optimizer.batchSize;
  const out: Record<number, number> = {};
  try {
    for (let epoch = 1; epoch <= want[want.length - 1]; epoch++) {
      const order = rng.shuffle(Array.from({ length: n }, (_, i) => i));
      for (let i = 0; i < n; i += bs) {
        tf.tidy(() => {
          const idx = tf.tensor1d(order.slice(i, i + bs), 'int32');
          const xb = tf.gather(train.x, idx); // (B, ...inputShape)
          const yb = tf.oneHot(tf.gather(train.y, idx), k); // (B, k)
          opt.minimize(() => tf.losses.softmaxCrossEntropy(yb, network.apply(xb, { training: true })) as tf.Scalar, false, network.params);
        });
      }
      if (want.includes(epoch)) out[epoch] = (await evaluateNetwork(network, test)).accuracy;
    }
  } finally {
    opt.dispose();
  }
  return out;
}
