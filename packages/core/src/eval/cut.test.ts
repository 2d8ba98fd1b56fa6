import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { registerBuiltinArchitectures } from '@igpg/architectures';
import { registerBuiltinDatasets } from '@igpg/datasets';
import { initBackend, shutdownBackend } from '../backend/init';
import { getArchitecture } from '../sdk/architecture';
import { assignWeights, flattenWeights } from '../sdk/weights';
import { permuteOutputs, selectOutputs } from '../class-order';
import { buildZoo } from '../zoo/build';
import { ZooIndex } from './zoo-index';
import { cutCandidates } from './cut';

let root: string;
beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
  registerBuiltinArchitectures();
  registerBuiltinDatasets();
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'igpg-cut-'));
});
afterAll(() => {
  fs.rmSync(root, { recursive: true, force: true });
  shutdownBackend();
});

describe('the cut baseline', () => {
  it('selectOutputs keeps exactly the chosen output units, in order, of a real network; no leaks', () => {
    const before = tf.memory().numTensors;
    const mlp = getArchitecture('mlp');
    const wide = mlp.build({ inputShape: [2], classes: 4, hidden: [5] }, 7);
    const narrow = mlp.build({ inputShape: [2], classes: 2, hidden: [5] }, 1);
    const cut = selectOutputs(describeOf(wide), flattenWeights(wide), [3, 1]);
    assignWeights(narrow, cut);
    const x = tf.tensor2d([[0.3, -1.2], [2, 0.5], [-0.7, 0.1]]);
    const [yw, yn] = [wide.apply(x), narrow.apply(x)];
    const w = yw.arraySync() as number[][], n = yn.arraySync() as number[][];
    n.forEach((row, i) => { expect(row[0]).toBeCloseTo(w[i][3], 6); expect(row[1]).toBeCloseTo(w[i][1], 6); });
    // a full permutation is permuteOutputs; bad selections are named
    const infos = describeOf(wide);
    expect(Array.from(selectOutputs(infos, flattenWeights(wide), [2, 0, 3, 1]))).toEqual(Array.from(permuteOutputs(infos, flattenWeights(wide), [2, 0, 3, 1])));
    expect(() => selectOutputs(infos, flattenWeights(wide), [1, 1])).toThrow(/distinct output indices in 0\.\.3/);
    expect(() => selectOutputs(infos, flattenWeights(wide), [4])).toThrow(/distinct output indices/);
    expect(() => selectOutputs(infos, flattenWeights(wide).subarray(1), [0])).toThrow(/weights for parameters of/);
    tf.dispose([x, yw, yn]);
    wide.dispose(); narrow.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('candidates: final checkpoints of seen tasks and seeds whose classes contain the held-out task\'s, same architecture', async () => {
    const zooDir = path.join(root, 'zoo');
    await buildZoo({
      name: 'cut-tiny', tasks: ['blobs-4:all', 'blobs-4:blob-0+blob-1', 'blobs-4:blob-0+blob-1+blob-3', 'blobs-4:blob-1+blob-3'],
      architectures: [{ name: 'mlp', spec: { hidden: [6] }, label: 'mlp6' }, { name: 'mlp', spec: { hidden: [4] }, label: 'mlp4' }],
      seeds: 2, epochs: [1, 2], optimizer: { learningRate: 0.1, batchSize: 16 }, trainLimit: 64, testLimit: 32,
      heldOut: { tasks: ['blobs-4:blob-1+blob-3'], seeds: [1] },
    }, { out: zooDir, plugins: ['@igpg/architectures', '@igpg/datasets'], workers: 1, progress: false });
    const zoo = new ZooIndex(zooDir);
    const row = zoo.rows().find((r) => r.group === 'heldOutTask' && r.architecture.label === 'mlp6')!;
    const got = cutCandidates(zoo.finals(), row);
    // blob-0+blob-1 lacks blob-3; seed 1 is held out; mlp4 has another layout; epoch 1 is not final
    expect(got.map((e) => `${e.task.id} ${e.architecture.label} s${e.seed} e${e.epoch}`)).toEqual([
      'blobs-4:all mlp6 s0 e2', 'blobs-4:blob-0+blob-1+blob-3 mlp6 s0 e2']);
    // no candidate for a subset no seen task contains
    expect(cutCandidates(zoo.finals(), { ...row, task: { ...row.task, classIndices: [2, 3] } }).map((e) => e.task.id)).toEqual(['blobs-4:all']);
    expect(cutCandidates(zoo.finals(), { ...row, task: { ...row.task, dataset: 'spirals-3' } })).toEqual([]);
  }, 120_000);
});

/** The parameter descriptions of a built network (its plugin's describe()). */
function describeOf(net: { arch: string; spec: Record<string, unknown> }) {
  return getArchitecture(net.arch).describe(net.spec as never);
}
