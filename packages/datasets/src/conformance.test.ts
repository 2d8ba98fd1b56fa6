// Every built-in dataset passes the shared conformance checks (testing/suite.ts), and so does a toy one added the
// way a contributor adds a dataset: one plugin (as it would sit in its own file) plus one registration, then used
// end to end: a small zoo of MLPs trains on it through the zoo trainer and learns it.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerBuiltinArchitectures } from '@igpg/architectures';
import { createRng, getDataset, registerDataset, resolveZooConfig, trainBatch, unregisterDataset, type DatasetLoadOptions, type DatasetPlugin } from '@igpg/core';
import { builtinDatasets } from './register';
import { datasetConformance } from './testing/suite';

// ---- The extension point: a whole dataset plugin, as it would sit in its own file (one file + one line). ----
/** Noisy XOR: points around the four corners of the unit square, class = (x > 0.5) xor (y > 0.5). Seeded per split. */
function toyXorDataset(): DatasetPlugin {
  return {
    name: 'toy-xor', description: 'noisy XOR in two dimensions', classes: ['same', 'different'], inputShape: [2],
    async load({ split, limit, seed, classes }: DatasetLoadOptions) {
      const rng = createRng(`toy-xor/${split}`);
      let rows = Array.from({ length: split === 'train' ? 256 : 128 }, (_, i) => {
        const a = i & 1, b = (i >> 1) & 1;
        return { p: [a + 0.15 * rng.normal(), b + 0.15 * rng.normal()], label: a ^ b };
      });
      if (classes) rows = rows.filter((r) => classes.includes(r.label)).map((r) => ({ ...r, label: classes.indexOf(r.label) }));
      if (seed !== undefined) rows = createRng(seed).shuffle(rows);
      rows = rows.slice(0, limit ?? rows.length);
      return { x: tf.tensor2d(rows.map((r) => r.p), [rows.length, 2]), y: tf.tensor1d(rows.map((r) => r.label), 'int32') };
    },
  };
}
// ---- end of the plugin; the one line (a built-in would be one line in builtinDatasets()): ----
beforeAll(async () => {
  await tf.setBackend('cpu');
  registerDataset(toyXorDataset());
  registerBuiltinArchitectures();
});
afterAll(() => unregisterDataset('toy-xor'));

describe('dataset conformance', () => {
  for (const d of builtinDatasets()) datasetConformance(d);
  datasetConformance(toyXorDataset());

  it('the toy dataset trains a small zoo end to end (zoo config -> trainBatch): the networks learn XOR', async () => {
    const { jobs } = resolveZooConfig({
      name: 'toy-xor-zoo', tasks: ['toy-xor:all'], architectures: [{ name: 'mlp', spec: { hidden: [8], activation: 'tanh' } }], seeds: 2,
      epochs: [30], optimizer: { name: 'adam', learningRate: 0.05, batchSize: 32 }, heldOut: { tasks: [], seeds: [] },
    });
    expect(jobs).toHaveLength(2);
    const before = tf.memory().numTensors;
    const accuracies: number[] = [];
    await trainBatch(jobs, getDataset('toy-xor'), (_job, c) => { accuracies.push(c.test.accuracy); });
    expect(accuracies).toHaveLength(2);
    for (const a of accuracies) expect(a).toBeGreaterThan(0.9); // chance is 0.5; a linear model cannot pass 0.75
    expect(tf.memory().numTensors).toBe(before);
  });
});
