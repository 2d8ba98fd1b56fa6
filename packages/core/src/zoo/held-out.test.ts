import { beforeAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { registerBuiltinArchitectures } from '@igpg/architectures';
import { registerBuiltinDatasets } from '@igpg/datasets';
import { initBackend } from '../backend/init';
import { resolveZooConfig } from './config';
import { expandTaskSet, heldOutByRule } from './held-out';
import { buildZoo } from './build';
import { readManifest } from './manifest';
import { entryTestSplit } from './splits';
import { getArchitecture } from '../sdk/architecture';
import { assignWeights } from '../sdk/weights';
import { loadNetworkSafetensors } from '../io/safetensors';
import { evaluateNetwork } from './evaluate';

const root = path.resolve(__dirname, '../../../..');
const tasksConfig = () => JSON.parse(fs.readFileSync(path.join(root, 'configs/zoo-tasks.json'), 'utf8'));

beforeAll(() => {
  registerBuiltinArchitectures();
  registerBuiltinDatasets();
});

describe('task sets and the held-out rule', () => {
  it('configs/zoo-tasks.json: >= 150 tasks (every pair, sampled triples and 5-sets, all-class), 3 architectures, its held-out list is the rule\'s', () => {
    const raw = tasksConfig();
    const { config, jobs } = resolveZooConfig(raw);
    const tasks = [...new Map(jobs.map((j) => [j.task.id, j.task])).values()];
    expect(tasks.length).toBeGreaterThanOrEqual(150);
    for (const ds of ['mnist', 'fashion-mnist']) {
      const of = (k: number) => tasks.filter((t) => t.dataset === ds && t.classes.length === k).length;
      expect([of(2), of(3), of(5), of(10)]).toEqual([45, 20, 10, 1]);
    }
    expect(new Set(jobs.map((j) => j.arch.label))).toEqual(new Set(['mlp-16', 'mlp-32', 'cnn-s']));
    expect(jobs).toHaveLength(tasks.length * 3 * 6);
    // held out: >= 12 drawn pairs and 4 drawn triples beyond the straddle kind, which is held out whole
    const held = tasks.filter((t) => t.heldOut);
    expect(held.map((t) => t.id).sort()).toEqual([...config.heldOut.tasks].sort());
    const [a, b] = [new Set([7, 9]), new Set([1, 8])]; // Sneaker, Ankle boot | Trouser, Bag
    const straddles = (t: { dataset: string; classIndices: number[] }) => t.dataset === 'fashion-mnist' && t.classIndices.some((c) => a.has(c)) && t.classIndices.some((c) => b.has(c));
    expect(held.filter((t) => !straddles(t) && t.classes.length === 2).length).toBeGreaterThanOrEqual(12);
    expect(held.filter((t) => !straddles(t) && t.classes.length === 3).length).toBeGreaterThanOrEqual(4);
    const training = tasks.filter((t) => !t.heldOut);
    expect(training.filter(straddles)).toEqual([]); // the two groups are never trained together
    expect(held.filter(straddles).filter((t) => t.classes.length === 2)).toHaveLength(4);
    expect(training.length).toBeGreaterThan(100);
    // every job records the support seed of its task, the same for all networks of a task
    const bySupport = new Map<string, Set<number>>();
    for (const j of jobs) bySupport.set(j.task.id, (bySupport.get(j.task.id) ?? new Set()).add(j.supportSeed!));
    expect([...bySupport.values()].every((s) => s.size === 1)).toBe(true);
  });

  it('a list that is not the rule\'s is refused, naming the difference; rules are seeded and checked', () => {
    const raw = tasksConfig();
    const dropped = { ...raw, heldOut: { ...raw.heldOut, tasks: raw.heldOut.tasks.slice(1) } };
    expect(() => resolveZooConfig(dropped)).toThrow(new RegExp(`must list exactly the ${raw.heldOut.tasks.length} tasks /heldOutRule picks; missing ${raw.heldOut.tasks[0].replace(/\+/g, '\\+')}`));
    const set = { dataset: 'mnist', sample: [{ size: 3, count: 5 }], seed: 1 };
    expect(expandTaskSet(set).map((t) => t.id)).toEqual(expandTaskSet(set).map((t) => t.id));
    expect(expandTaskSet({ ...set, seed: 2 }).map((t) => t.id)).not.toEqual(expandTaskSet(set).map((t) => t.id));
    expect(() => expandTaskSet({ dataset: 'mnist', sample: [{ size: 9, count: 11 }] })).toThrow(/11 subsets of 9 classes asked for, but only 10 exist/);
    expect(() => expandTaskSet({ dataset: 'mnist', sample: [{ size: 10, count: 1 }] })).toThrow(/use "all": true/);
    const pairs = expandTaskSet({ dataset: 'mnist', pairs: true });
    expect(heldOutByRule(pairs, { seed: 3, pairs: 5, triples: 0 })).toEqual(heldOutByRule(pairs, { seed: 3, pairs: 5, triples: 0 }));
    expect(heldOutByRule(pairs, { seed: 3, pairs: 5, triples: 0 })).not.toEqual(heldOutByRule(pairs, { seed: 4, pairs: 5, triples: 0 }));
    expect(() => heldOutByRule(pairs, { seed: 3, pairs: 50, triples: 0 })).toThrow(/50 held-out pairs asked for, but only 45/);
    expect(() => heldOutByRule(pairs, { seed: 3, pairs: 1, triples: 1 })).toThrow(/1 held-out triples asked for, but only 0/);
    expect(() => heldOutByRule(pairs, { seed: 0, pairs: 0, triples: 0, straddle: [{ dataset: 'mnist', groups: [['1', '2'], ['2', '3']] }] })).toThrow(/share class 2/);
    expect(() => heldOutByRule(pairs, { seed: 0, pairs: 0, triples: 0, straddle: [{ dataset: 'mnist', groups: [['1'], ['eleven']] }] })).toThrow(/unknown class "eleven"/);
    expect(() => resolveZooConfig({ ...raw, taskSets: [{ dataset: 'cifar10', pairs: true }] })).toThrow(/taskSets\/0: unknown dataset "cifar10"/);
    expect(() => resolveZooConfig({ ...raw, tasks: [], taskSets: [] })).toThrow(/no tasks/);
  });
});

describe('a tiny real build from task sets', () => {
  it('builds, marks held-out tasks, records each network\'s split seeds, and its test subset reproduces the recorded accuracy', async () => {
    await initBackend({ backend: 'wasm', threads: 1, native: false, log: () => {} });
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'igpg-taskzoo-'));
    const cfg = {
      name: 'tiny-tasks',
      taskSets: [{ dataset: 'mnist', sample: [{ size: 2, count: 3 }, { size: 3, count: 2 }], seed: 0 }],
      heldOutRule: { seed: 1, pairs: 1, triples: 1 },
      heldOut: { tasks: [] as string[], seeds: [] },
      architectures: [{ name: 'mlp', spec: { hidden: [8], activation: 'relu', inputPool: 4 }, label: 'mlp8' }],
      seeds: 1, epochs: [1], optimizer: { learningRate: 0.01, batchSize: 32 }, trainLimit: 200, testLimit: 100,
    };
    cfg.heldOut.tasks = heldOutByRule(expandTaskSet(cfg.taskSets[0]), cfg.heldOutRule);
    const t0 = performance.now();
    const r = await buildZoo(cfg, { out, plugins: ['@igpg/architectures', '@igpg/datasets'], workers: 1, progress: false });
    const seconds = (performance.now() - t0) / 1000;
    expect(r.trained).toBe(5);
    console.log(`tiny task zoo: ${r.trained} networks in ${seconds.toFixed(1)} s (${(r.trained / seconds).toFixed(2)} networks/s, one worker, 200 train samples, 1 epoch)`);
    const m = readManifest(out, { verify: true });
    expect(m.entries.filter((e) => e.heldOut.task).map((e) => e.task.id).sort()).toEqual([...cfg.heldOut.tasks].sort());
    const e = m.entries[0];
    expect(e.splits).toMatchObject({ trainLimit: 200, testLimit: 100 });
    expect(e.splits!.supportSeed).toBeGreaterThan(0);
    const w = loadNetworkSafetensors(path.join(out, e.weights.file));
    const net = getArchitecture(w.arch).build(w.spec, 1);
    assignWeights(net, w.flat);
    const test = await entryTestSplit(e);
    expect((await evaluateNetwork(net, test)).accuracy).toBe(e.test.accuracy); // exactly the builder's test subset
    const other = await entryTestSplit({ ...e, splits: { ...e.splits!, testSeed: e.splits!.testSeed + 1 } });
    expect(Array.from(other.y.dataSync())).not.toEqual(Array.from(test.y.dataSync()));
    tf.dispose([test.x, test.y, other.x, other.y]);
    net.dispose();
    fs.rmSync(out, { recursive: true, force: true });
  }, 300_000);
});

describe('igpg zoo tasks', () => {
  it('prints the expanded tasks and exactly the held-out list the config carries', async () => {
    const { spawnSync } = await import('node:child_process');
    const r = spawnSync(process.execPath, [path.join(root, 'packages/cli/dist/main.js'), 'zoo', 'tasks', '--config', path.join(root, 'configs/zoo-tasks.json'), '--json'], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { tasks: string[]; heldOut: string[] };
    expect(out.tasks).toHaveLength(152);
    expect(out.heldOut).toEqual(tasksConfig().heldOut.tasks);
  }, 60_000);
});
