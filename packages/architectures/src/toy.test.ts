// A toy architecture added the way a contributor adds one: one plugin (as it would sit in its own file, built from
// the layers kit) plus one registration; it passes the shared conformance suite (testing/suite.ts) and then trains
// a small zoo end to end through the zoo trainer.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countParams, defineArchitecture, getDataset, registerArchitecture, resolveZooConfig, specSchema, trainBatch, unregisterArchitecture } from '@igpg/core';
import { registerBuiltinDatasets } from '@igpg/datasets';
import { buildNetwork, dense, describePlan, weightAndBias, type Planned } from './layers';
import { conformance } from './testing/suite';

// ---- The extension point: a whole architecture plugin, as it would sit in its own file (one file + one line). ----
/** One hidden layer with a square activation: logits = W2 (W1 x + b1)^2 + b2. */
interface ToySpec { inputShape: number[]; classes: number; hidden: number }
const plan = (s: ToySpec): Planned[] => [
  ...weightAndBias('fc1', [s.inputShape.reduce((a, b) => a * b, 1), s.hidden], 0),
  ...weightAndBias('fc2', [s.hidden, s.classes], 1),
];
const toySquare = defineArchitecture<ToySpec>({
  name: 'toy-square',
  schema: specSchema({ minItems: 1 }, { hidden: { type: 'integer', minimum: 1, default: 6 } }),
  describe: (s) => describePlan(plan(s)),
  build: (s, seed) => buildNetwork('toy-square', s, plan(s), seed, (p, x) => {
    const h = tf.square(dense(tf.reshape(x, [x.shape[0], -1]) as tf.Tensor2D, p['fc1.weight'], p['fc1.bias'])); // (N, hidden)
    return dense(h, p['fc2.weight'], p['fc2.bias']); // (N, classes)
  }),
  summary: (s) => `a ${s.hidden}-unit square-activation network, ${countParams(describePlan(plan(s)))} parameters`,
});
// ---- end of the plugin; the one line (a built-in would be one line in `plugins`, builtin.ts): ----
beforeAll(async () => {
  await tf.setBackend('cpu');
  registerArchitecture(toySquare);
  registerBuiltinDatasets();
});
afterAll(() => unregisterArchitecture('toy-square'));

describe('toy architecture', () => {
  conformance(toySquare, { inputShape: [4], classes: 3, hidden: 6 }, { params: 4 * 6 + 6 + 6 * 3 + 3 });

  it('trains a small zoo on iris end to end (zoo config -> trainBatch) and beats chance; no leaks', async () => {
    const { jobs } = resolveZooConfig({
      name: 'toy-arch-zoo', tasks: ['iris:all'], architectures: [{ name: 'toy-square', spec: { hidden: 6 } }], seeds: 2,
      epochs: [40], optimizer: { name: 'adam', learningRate: 0.02, batchSize: 16 }, heldOut: { tasks: [], seeds: [] },
    });
    expect(jobs).toHaveLength(2);
    const before = tf.memory().numTensors;
    const accuracies: number[] = [];
    await trainBatch(jobs, getDataset('iris'), (_job, c) => { accuracies.push(c.test.accuracy); });
    expect(accuracies).toHaveLength(2);
    for (const a of accuracies) expect(a).toBeGreaterThan(0.8); // chance is 1/3
    expect(tf.memory().numTensors).toBe(before);
  });
});
