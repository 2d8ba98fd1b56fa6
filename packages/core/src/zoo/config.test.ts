import { beforeAll, describe, expect, it } from 'vitest';
import { registerBuiltinArchitectures } from '@igpg/architectures';
import { registerBuiltinDatasets } from '@igpg/datasets';
import { resolveZooConfig } from './config';

const ok = {
  tasks: ['mnist:all', { dataset: 'fashion-mnist', classes: ['Sneaker', 'Sandal'] }],
  architectures: [{ name: 'cnn-s' }, { name: 'mlp', spec: { hidden: [16] } }],
  seeds: 3,
  epochs: [1, 3],
};
const bad = (patch: object) => () => resolveZooConfig({ ...ok, ...patch });

describe('resolveZooConfig', () => {
  beforeAll(() => {
    registerBuiltinArchitectures();
    registerBuiltinDatasets();
  });

  it('expands tasks x architectures x seeds, fills specs from each task, derives seeds from the job only', () => {
    const { config, jobs } = resolveZooConfig(ok);
    expect(jobs).toHaveLength(2 * 2 * 3);
    expect(config.optimizer).toEqual({ name: 'adam', learningRate: 3e-3, batchSize: 64 });
    const j = jobs.find((x) => x.key.startsWith('fashion-mnist:sandal+sneaker/cnn-s'))!;
    expect(j.arch.spec).toMatchObject({ inputShape: [28, 28, 1], classes: 2 });
    expect(j.task.classes).toEqual(['Sandal', 'Sneaker']);
    expect(j.arch.params).toBeGreaterThan(2000);
    // Adding seeds or tasks does not change the seeds of existing jobs.
    const more = resolveZooConfig({ ...ok, seeds: 5, tasks: ['mnist:0+1', ...ok.tasks] }).jobs;
    for (const a of jobs) expect(more.find((b) => b.key === a.key)).toMatchObject({ initSeed: a.initSeed, dataSeed: a.dataSeed });
    expect(new Set(jobs.map((x) => x.initSeed)).size).toBe(jobs.length);
  });

  it('rejects bad configs before any training, naming each problem', () => {
    expect(bad({ extra: 1 })).toThrow(/unknown key "extra"/);
    expect(bad({ epochs: [3, 1] })).toThrow(/epochs: must be strictly increasing/);
    expect(bad({ tasks: ['cifar10:all'] })).toThrow(/unknown dataset "cifar10"; registered: .*mnist/);
    expect(bad({ tasks: [{ dataset: 'mnist', classes: ['3', 'eleven'] }] })).toThrow(/unknown class "eleven"/);
    expect(bad({ tasks: [{ dataset: 'iris', classes: ['setosa', 'versicolor', 'virginica', 'rosa'] }] })).toThrow(/4 classes asked for, but the dataset has only 3/);
    expect(bad({ tasks: ['fashion-mnist:sneaker+sandal'] })).toThrow(/not canonical; use "fashion-mnist:sandal\+sneaker"/);
    expect(bad({ architectures: [{ name: 'transformer-xl' }] })).toThrow(/unknown architecture "transformer-xl"/);
    expect(bad({ architectures: [{ name: 'mlp', spec: { hidden: [0] } }] })).toThrow(/mlp spec/);
    expect(bad({ tasks: ['iris:all'], architectures: [{ name: 'cnn-s' }] })).toThrow(/cnn-s/); // a CNN on 4 features
    expect(bad({ heldOut: { tasks: ['mnist:0+1'] } })).toThrow(/"mnist:0\+1" is not one of the config's tasks/);
    expect(bad({ heldOut: { seeds: [7] } })).toThrow(/seed 7 is not one of the config's seeds/);
    expect(bad({ architectures: [{ name: 'mlp', label: 'a' }, { name: 'cnn-s', label: 'a' }] })).toThrow(/label "a" is used twice/);
    expect(bad({ seeds: 0 })).toThrow(/seeds/);
    expect(bad({ architectures: [{ name: 'mlp', tasks: ['mnist:0+1'] }] })).toThrow(/architectures\/0\/tasks: "mnist:0\+1" is not one of/);
  });

  it('per-architecture task lists and seeds', () => {
    const { jobs } = resolveZooConfig({ ...ok, architectures: [{ name: 'cnn-s', tasks: ['mnist:all'], seeds: [7] }, { name: 'mlp' }], heldOut: { seeds: [7] } });
    expect(jobs.filter((j) => j.arch.name === 'cnn-s').map((j) => j.key)).toEqual([expect.stringMatching(/^mnist:all\/cnn-s-[0-9a-f]{8}\/s7$/)]);
    expect(jobs.filter((j) => j.arch.name === 'mlp')).toHaveLength(6);
    expect(jobs.find((j) => j.arch.name === 'cnn-s')!.heldOut.seed).toBe(true);
  });
});
