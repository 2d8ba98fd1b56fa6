import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { getDataset } from '@igpg/core';
import { fashionMnistDataset } from './fashion-mnist';
import { mnistDataset } from './mnist';
import { getTask, registerBuiltinDatasets } from './register';
import { deriveTasks } from './tasks';

// @igpg/core brings in the wasm backend (highest priority); these tests run on cpu.
beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('deriveTasks', () => {
  it('derives the full task, halves, curated groups and all pairs, with stable ids and instructions', () => {
    const tasks = deriveTasks(mnistDataset());
    const ids = tasks.map((t) => t.id);
    expect(ids.slice(0, 3)).toEqual(['mnist:all', 'mnist:0+1+2+3+4', 'mnist:5+6+7+8+9']);
    expect(ids).toContain('mnist:3+5+8');
    expect(ids.filter((i) => /^mnist:\d\+\d$/.test(i))).toHaveLength(45);
    expect(new Set(ids).size).toBe(ids.length);
    expect(deriveTasks(mnistDataset()).map((t) => t.id)).toEqual(ids); // deterministic
    const all = tasks[0];
    expect(all.classes).toHaveLength(10);
    expect(all.instructions[0]).toBe('Classify handwritten digits into all 10 classes');
  });

  it('writes natural instructions for fashion class subsets, and marks held-out tasks', () => {
    const tasks = deriveTasks(fashionMnistDataset(), { pairs: false, groups: [['Sneaker', 'Sandal']], heldOut: ['fashion-mnist:sandal+sneaker'] });
    const t = tasks.find((x) => x.id === 'fashion-mnist:sandal+sneaker')!;
    expect(t.classes).toEqual(['Sandal', 'Sneaker']);
    expect(t.classIndices).toEqual([5, 7]);
    expect(t.heldOut).toBe(true);
    expect(t.instructions).toEqual([
      'Classify photos of sandals and sneakers',
      'Tell sandals from sneakers',
      'A classifier that distinguishes sandal vs sneaker photos',
      'Recognise 2 classes of Fashion-MNIST clothing images: sandal and sneaker',
    ]);
    expect(tasks.filter((x) => x.heldOut)).toHaveLength(1);
    expect(tasks.map((x) => x.id)).toContain('fashion-mnist:sandal+sneaker+ankle-boot');
    expect(() => deriveTasks(fashionMnistDataset(), { heldOut: ['fashion-mnist:nope'] })).toThrow(/held-out task "fashion-mnist:nope" is not among/);
  });

  it('getTask resolves ids against the registered datasets and loads the task with remapped labels', async () => {
    registerBuiltinDatasets();
    registerBuiltinDatasets(); // idempotent
    const t = getTask('mnist:1+7');
    expect(t.classIndices).toEqual([1, 7]);
    expect(t.instructions[1]).toBe('Tell 1s from 7s');
    expect(() => getTask('mnist:7+1')).toThrow(/use "mnist:1\+7"/);
    expect(() => getTask('svhn:all')).toThrow(/unknown dataset "svhn"/);
    expect(() => getTask('mnist')).toThrow(/bad task id/);
    const before = tf.memory().numTensors;
    const { x, y } = await getDataset('mnist').load({ split: 'test', classes: t.classIndices, seed: 1 });
    expect(x.shape[0]).toBeGreaterThan(400);
    expect(new Set(y.dataSync())).toEqual(new Set([0, 1]));
    tf.dispose([x, y]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
