import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerBuiltinArchitectures } from '@igpg/architectures';
import { registerBuiltinDatasets, getTask } from '@igpg/datasets';
import { getArchitecture } from '../sdk/architecture';
import { getDataset } from '../sdk/dataset';
import { evaluateNetwork } from './evaluate';

describe('evaluateNetwork', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
    registerBuiltinArchitectures();
    registerBuiltinDatasets();
  });

  it('matches a direct computation of accuracy and mean cross-entropy, in any batch size, without leaks', async () => {
    const net = getArchitecture('mlp').build({ inputShape: [4], classes: 3, hidden: [5] }, 3);
    const data = await getDataset('iris').load({ split: 'train' });
    const before = tf.memory().numTensors;
    const [acc, loss] = tf.tidy(() => {
      const logits = net.apply(data.x);
      const ce = tf.losses.softmaxCrossEntropy(tf.oneHot(data.y, 3), logits);
      const hits = tf.mean(tf.cast(tf.equal(tf.argMax(logits, 1), data.y), 'float32'));
      return [hits.dataSync()[0], ce.dataSync()[0]];
    });
    for (const batchSize of [7, 512]) {
      const e = await evaluateNetwork(net, data, { batchSize });
      expect(e.samples).toBe(120);
      expect(e.accuracy).toBeCloseTo(acc, 6);
      expect(e.loss).toBeCloseTo(loss, 5);
    }
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([data.x, data.y]);
    net.dispose();
  });

  it('loads a task split itself (labels remapped to the task) and disposes it', async () => {
    const task = getTask('iris:setosa+virginica');
    const net = getArchitecture('mlp').build({ inputShape: [4], classes: 2, hidden: [4] }, 1);
    const before = tf.memory().numTensors;
    const e = await evaluateNetwork(net, { dataset: getDataset('iris'), task, split: 'test' });
    expect(e.samples).toBe(20);
    expect(e.accuracy).toBeGreaterThanOrEqual(0);
    expect(tf.memory().numTensors).toBe(before);
    net.dispose();
  });
});
