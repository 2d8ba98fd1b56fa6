import * as tf from '@tensorflow/tfjs-core';
import type { DatasetPlugin, DatasetSplit } from '../sdk/dataset';
import type { Network } from '../sdk/types';
import type { Task } from './task';

/** Accuracy in [0, 1] and mean cross-entropy of a network on some labelled data. */
export interface Evaluation {
  accuracy: number;
  loss: number;
  samples: number;
}

/** Where to evaluate: loaded tensors, or a dataset (optionally restricted to a task's classes) and a split. */
export type EvalSource = DatasetSplit | { dataset: DatasetPlugin; task?: Task; split?: 'train' | 'test'; limit?: number; seed?: number };

/** Sum of cross-entropy and count of correct predictions over x/y, in batches (no tensors left behind). */
function scoreSplit(network: Network, data: DatasetSplit, batchSize: number): Evaluation {
  const n = data.y.shape[0];
  let loss = 0;
  let correct = 0;
  for (let i = 0; i < n; i += batchSize) {
    const m = Math.min(batchSize, n - i);
    const [l, c] = tf.tidy(() => {
      const xb = tf.slice(data.x, i, m); // (m, ...inputShape)
      const yb = tf.slice(data.y, i, m); // (m,)
      const logits = network.apply(xb, { training: false }); // (m, classes)
      const ce = tf.losses.softmaxCrossEntropy(tf.oneHot(yb, logits.shape[1]), logits, undefined, undefined, tf.Reduction.SUM);
      const hits = tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), yb), 'int32'));
      return [ce.dataSync()[0], hits.dataSync()[0]];
    });
    loss += l;
    correct += c;
  }
  return { accuracy: n ? correct / n : NaN, loss: n ? loss / n : NaN, samples: n };
}

/**
 * Evaluate a network: accuracy and mean cross-entropy. With a task, labels are the task's (0..k-1).
 * @example const { accuracy } = await evaluateNetwork(net, { dataset: getDataset('mnist'), task, split: 'test' });
 */
export async function evaluateNetwork(network: Network, source: EvalSource, options: { batchSize?: number } = {}): Promise<Evaluation> {
  const batchSize = options.batchSize ?? 512;
  if ('x' in source) return scoreSplit(network, source, batchSize);
  const data = await source.dataset.load({ split: source.split ?? 'test', classes: source.task?.classIndices, limit: source.limit, seed: source.seed });
  try {
    return scoreSplit(network, data, batchSize);
  } finally {
    tf.dispose([data.x, data.y]);
  }
}
