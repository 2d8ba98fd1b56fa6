import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerArchitecture, unregisterArchitecture } from '../sdk/architecture';
import { defineDataset, registerDataset, unregisterDataset } from '../sdk/dataset';
import { flattenWeights } from '../sdk/weights';
import { linearArch } from '../sdk/testing-arch.fixture';
import { createTokenizer } from '../tokenizer';
import { chunkImportance, fisherDiagonal, networkImportance } from './importance';
import { zooChunks } from './train';

// A linear classifier on 4 inputs whose last input is always 0: its weights cannot matter to the loss.
const arch = linearArch('importance-test-linear');
const spec = { inputShape: [4], classes: 2 };
const dataset = defineDataset({
  name: 'importance-test-data',
  description: 'two gaussian blobs on the first three inputs, the fourth always 0',
  classes: ['a', 'b'],
  inputShape: [4],
  async load({ limit, classes }) {
    const n = limit ?? 32;
    const rows = Array.from({ length: n }, (_, i) => {
      const c = i % 2;
      return { x: [c + Math.sin(i), c - Math.cos(3 * i), 0.5 * Math.sin(7 * i), 0], c };
    }).filter((r) => !classes || classes.includes(r.c));
    return { x: tf.tensor2d(rows.map((r) => r.x)), y: tf.tensor1d(rows.map((r) => (classes ? classes.indexOf(r.c) : r.c)), 'int32') };
  },
});

beforeAll(async () => {
  await tf.setBackend('cpu');
  registerArchitecture(arch);
  registerDataset(dataset);
});
afterAll(() => {
  unregisterArchitecture(arch.name);
  unregisterDataset(dataset.name);
});

describe('weight importance (diagonal Fisher)', () => {
  it('is zero for weights fed by a dead input, positive elsewhere, and leaks no tensors', async () => {
    const net = arch.build(spec, 3);
    const { x, y } = await dataset.load({ split: 'train', limit: 16 });
    const before = tf.memory().numTensors;
    const f = fisherDiagonal(net, x, y, 2, 4);
    expect(tf.memory().numTensors).toBe(before);
    expect(f.length).toBe(4 * 2 + 2);
    // fc.weight is [in, out] row-major: input 3 is the last row
    expect(f[6]).toBe(0);
    expect(f[7]).toBe(0);
    for (const j of [0, 1, 2, 3, 4, 5, 8, 9]) expect(f[j]).toBeGreaterThan(0);
    tf.dispose([x, y]);
    net.dispose();
  });

  it('weighs networks per task (mean about 1, floored, capped) and lays the weights out as the tokenizer chunks', async () => {
    const nets = [1, 2].map((seed) => {
      const net = arch.build(spec, seed);
      const flat = flattenWeights(net);
      net.dispose();
      return { architecture: { name: arch.name, spec }, infos: arch.describe(spec), flat, task: { id: 'importance-test-data:all', dataset: dataset.name, classIndices: [0, 1] } };
    });
    const before = tf.memory().numTensors;
    const w = await networkImportance(nets, { examples: 16, batchSize: 4, floor: 0.1, cap: 5 });
    expect(tf.memory().numTensors).toBe(before);
    for (const v of w) {
      expect(v[6]).toBeCloseTo(0.1, 6); // dead input: the floor
      expect(Math.max(...v)).toBeLessThanOrEqual(5);
    }
    await expect(networkImportance(nets, { floor: 2 })).rejects.toThrow(/floor must be in \[0, 1\]/);
    // chunk layout: the padding slots weigh 0, the real slots average 1, and zooChunks uses them as the loss mask
    const tok = createTokenizer({ chunkSize: 3, normalize: 'none' });
    const c = chunkImportance(tok, nets[0].infos, w[0]);
    const { mask } = tok.chunk(nets[0].infos, nets[0].flat);
    expect(c.length).toBe(mask.length);
    let sum = 0, real = 0;
    mask.forEach((m, i) => {
      if (m === 0) expect(c[i]).toBe(0);
      else (sum += c[i]), real++;
    });
    expect(sum / real).toBeCloseTo(1, 5);
    const data = zooChunks(tok, [{ ...nets[0], importance: w[0] }, nets[1]]);
    expect(Array.from(data.mask.subarray(0, c.length))).toEqual(Array.from(c));
    expect(Array.from(data.mask.subarray(c.length))).toEqual(Array.from(tok.chunk(nets[1].infos, nets[1].flat).mask));
    expect(() => chunkImportance(tok, nets[0].infos, new Float32Array(3))).toThrow(/got 3 values, the architecture has 10/);
  });
});
