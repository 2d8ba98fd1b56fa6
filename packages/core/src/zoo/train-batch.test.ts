import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { registerBuiltinArchitectures } from '@igpg/architectures';
import { registerBuiltinDatasets } from '@igpg/datasets';
import { initBackend, shutdownBackend } from '../backend/init';
import { getDataset } from '../sdk/dataset';
import { flattenWeights } from '../sdk/weights';
import { resolveZooConfig, type ZooJob } from './config';
import { groupBatches, trainBatch } from './train-batch';

// Real MNIST (the repo's offline copy), a few Adam steps: 128 samples, batch 32, checkpoints at epochs 1 and 2.
const config = (arch: { name: string; spec: Record<string, unknown>; label: string }) => ({
  name: 'batch-test', tasks: ['mnist:all'], architectures: [arch], seeds: 3, epochs: [1, 2],
  optimizer: { name: 'adam' as const, learningRate: 0.005, batchSize: 32 }, trainLimit: 128, testLimit: 64, heldOut: { tasks: [], seeds: [] },
});
const cases = [
  { name: 'mlp', spec: { hidden: [16], activation: 'relu', inputPool: 4 }, label: 'mlp-16' },
  { name: 'cnn-s', spec: {}, label: 'cnn-s' },
];

interface Result { weights: Float32Array; accuracy: number }
/** Each job's weights and test accuracy at each checkpoint, keyed `${job.key}@${epoch}`. */
async function run(jobs: ZooJob[], options: { batched?: boolean } = {}): Promise<Map<string, Result>> {
  const out = new Map<string, Result>();
  await trainBatch(jobs, getDataset('mnist'), (job, c) => {
    out.set(`${job.key}@${c.epoch}`, { weights: flattenWeights(c.network), accuracy: c.test.accuracy });
  }, options);
  return out;
}

const maxDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

beforeAll(async () => {
  await initBackend({ backend: 'wasm', threads: 1, log: () => {} }); // as a zoo worker runs
  registerBuiltinArchitectures();
  registerBuiltinDatasets();
});
afterAll(() => shutdownBackend());

describe('trainBatch', () => {
  for (const arch of cases) {
    it(`${arch.label}: 3 networks in one graph match each trained alone (S=1) and by the one-by-one trainer; no leaks`, async () => {
      const { jobs } = resolveZooConfig(config(arch));
      expect(jobs).toHaveLength(3);
      await run(jobs.slice(0, 1)); // warm the dataset cache and kernels outside the leak count
      const before = tf.memory().numTensors;
      const together = await run(jobs);
      expect(tf.memory().numTensors).toBe(before);
      expect(together.size).toBe(6);
      for (const job of jobs) {
        const alone = await run([job]);
        const oneByOne = await run([job], { batched: false });
        for (const epoch of [1, 2]) {
          const key = `${job.key}@${epoch}`;
          const [t, a, o] = [together.get(key)!, alone.get(key)!, oneByOne.get(key)!];
          expect(maxDiff(t.weights, a.weights)).toBeLessThan(1e-4); // independent of S
          expect(maxDiff(t.weights, o.weights)).toBeLessThan(1e-3); // the same network as trainJob's
          expect(Math.abs(t.accuracy - o.accuracy)).toBeLessThanOrEqual(0.02);
        }
      }
      // the networks differ from each other (own init and data order), so the checks above are not vacuous
      expect(maxDiff(together.get(`${jobs[0].key}@2`)!.weights, together.get(`${jobs[1].key}@2`)!.weights)).toBeGreaterThan(0.01);
      expect(tf.memory().numTensors).toBe(before);
    }, 600_000); // seconds alone; minutes on a loaded 2-core machine
  }

  it('rejects a batch whose jobs differ in more than their seeds, and cuts batches by key and size', async () => {
    const mlp = resolveZooConfig(config(cases[0])).jobs;
    const cnn = resolveZooConfig(config(cases[1])).jobs;
    await expect(trainBatch([mlp[0], cnn[0]], getDataset('mnist'), () => {})).rejects.toThrow(/differs from .* in more than its seed/);
    expect(groupBatches([...mlp, ...cnn], 2).map((b) => b.map((j) => j.key))).toEqual([[mlp[0].key, mlp[1].key], [mlp[2].key], [cnn[0].key, cnn[1].key], [cnn[2].key]]);
    expect(() => groupBatches(mlp, 0)).toThrow(/positive integer/);
  });
});
