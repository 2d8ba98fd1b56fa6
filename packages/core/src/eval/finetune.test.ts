import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { registerBuiltinArchitectures } from '@igpg/architectures';
import { registerBuiltinDatasets } from '@igpg/datasets';
import { initBackend, shutdownBackend } from '../backend/init';
import { getArchitecture } from '../sdk/architecture';
import { getDataset } from '../sdk/dataset';
import { networkWeights } from '../sdk/weights';
import { saveNetworkSafetensors } from '../io/safetensors';
import { makeTask } from '../zoo/task';
import { finetune, finetuneCurve, finetuneTask } from './finetune';

const opt = { name: 'adam' as const, learningRate: 0.02, batchSize: 32 };
let tmp: string;

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
  registerBuiltinArchitectures();
  registerBuiltinDatasets();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'finetune-'));
});
afterAll(() => {
  shutdownBackend();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('fine-tuning', () => {
  it('one loop: finetune() reports exactly the curve points of finetuneCurve(); seeded; learns; no leaks', async () => {
    const ds = getDataset('blobs-4');
    const train = await ds.load({ split: 'train', limit: 400, seed: 1 });
    const test = await ds.load({ split: 'test', limit: 200, seed: 1 });
    const before = tf.memory().numTensors;
    const spec = { inputShape: ds.inputShape, classes: 4, hidden: [8] };
    const a = getArchitecture('mlp').build(spec, 3), b = getArchitecture('mlp').build(spec, 3);
    const curve = await finetuneCurve(a, train, test, opt, 3, 'x', { evalTrain: true });
    expect(curve.map((p) => p.epoch)).toEqual([0, 1, 2, 3]);
    expect(curve[3].testAccuracy).toBeGreaterThan(curve[0].testAccuracy + 0.2);
    expect(curve[3].trainLoss!).toBeLessThan(curve[1].trainLoss! + 1e-9);
    const acc = await finetune(b, train, test, opt, [3, 1], 'x');
    expect(acc).toEqual({ 1: curve[1].testAccuracy, 3: curve[3].testAccuracy });
    await expect(finetuneCurve(a, train, test, opt, -1, 'x')).rejects.toThrow(/epochs must be a whole number >= 0/);
    await expect(finetune(a, train, test, opt, [0], 'x')).rejects.toThrow(/epochs must be positive integers/);
    a.dispose(); b.dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([train.x, train.y, test.x, test.y]);
  });

  it('finetuneTask starts from a weights file or a network, checks the task, and gives the curve', async () => {
    const ds = getDataset('blobs-4');
    const task = makeTask(ds, 'all');
    const net = getArchitecture('mlp').build({ inputShape: ds.inputShape, classes: 4, hidden: [8] }, 5);
    const file = path.join(tmp, 'start.safetensors');
    saveNetworkSafetensors(file, networkWeights(net));
    const before = tf.memory().numTensors;
    const seen: number[] = [];
    const fromFile = await finetuneTask({ start: file, task, epochs: 2, optimizer: { learningRate: 0.02 }, trainLimit: 300, testLimit: 200, onEpoch: (p) => { seen.push(p.epoch); } });
    expect(seen).toEqual([0, 1, 2]);
    expect(fromFile.optimizer).toEqual({ name: 'adam', learningRate: 0.02, batchSize: 64 });
    const fromNet = await finetuneTask({ start: net, task, epochs: 2, optimizer: { learningRate: 0.02 }, trainLimit: 300, testLimit: 200 });
    expect(fromNet.network).toBe(net); // trained in place
    expect(fromNet.curve.map((p) => p.testAccuracy)).toEqual(fromFile.curve.map((p) => p.testAccuracy)); // same start, same seed
    fromFile.network.dispose();
    expect(tf.memory().numTensors).toBe(before);
    await expect(finetuneTask({ start: path.join(tmp, 'nope.safetensors'), task, epochs: 1 })).rejects.toThrow(/does not exist/);
    await expect(finetuneTask({ start: net, task: makeTask(ds, [0, 1]), epochs: 1 })).rejects.toThrow(/has 4 outputs but task "blobs-4:blob-0\+blob-1" has 2 classes/);
    await expect(finetuneTask({ start: net, task, epochs: 1, optimizer: { learningRate: -1 } })).rejects.toThrow(/learningRate/);
    await expect(finetuneTask({ start: net, task, epochs: 1, trainLimit: 0 })).rejects.toThrow(/trainLimit must be a positive integer/);
    net.dispose();
  });
});
