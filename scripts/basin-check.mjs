#!/usr/bin/env node
// How far from its training networks can a working network of the aligned zoo be? For every seen (task,
// architecture), in the canonical space of a generator bundle's canonicalizer, this scores networks made from the
// row's aligned training seeds without any training:
//   mean        the plain mean of all seeds (the eval's aligned-zoo-mean baseline)
//   recombine-k every unit (its incoming weights and bias) taken from one of k random seeds: what a prior that
//               samples each neuron's token independently of the others would make
//   midpoint    the midpoint of two random seeds; interp-0.4 the point 40% of the way from one to the other
//   ...+REPAIR  the same, with every hidden layer's pre-activations reset per unit to the interpolation of the two
//               seeds' means and standard deviations on the task's support set (5 images per class), REPAIR
//               (Jordan et al. 2022); architectures with a Keras layer description only
//   matched-midpoint+REPAIR  the midpoint of two seeds after the second is matched to the first (weight matching
//               between the two, core's matchParents), REPAIRed: what `sampler.blend` makes from two samples
// each beside its relative distance to the nearest seed (distance / the median leave-one-out nearest distance of
// the seeds: 1 = as novel as an independently trained seed). It is the measurement behind the "not copies" target
// in the README: the zoo's basin holds interpolations, not recombinations.
// Usage: node scripts/basin-check.mjs [--generator runs/default] [--zoo zoo/default] [--n 4] [--seed 1] [--out file.json]
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const core = require('@igpg/core');
const tf = require('@tensorflow/tfjs-core');
const { registerBuiltinArchitectures } = require('@igpg/architectures');
const { registerBuiltinDatasets } = require('@igpg/datasets');

const { values } = parseArgs({ options: {
  generator: { type: 'string', default: 'runs/default' }, zoo: { type: 'string', default: 'zoo/default' },
  n: { type: 'string', default: '4' }, seed: { type: 'string', default: '1' }, out: { type: 'string' },
} });
const n = Number(values.n);
if (!Number.isInteger(n) || n < 1) { console.error(`basin-check: --n ${values.n}: expected a positive integer`); process.exit(2); }
await core.initBackend({ log: () => {} });
registerBuiltinArchitectures();
registerBuiltinDatasets();
const config = core.readJson(path.join(values.generator, 'config.json'));
const canon = core.Canonicalizer.load(path.join(values.generator, config.components.codec));
const zoo = core.openZoo(values.zoo);
const rng = core.createRng(`${values.seed}/basin-check`);
const rows = new Map();
for (const e of zoo.finals()) {
  if (e.heldOut.seed || e.heldOut.task) continue;
  const key = `${e.task.id} [${e.architecture.label}]`;
  if (!rows.has(key)) rows.set(key, []);
  rows.get(key).push(e);
}
const tests = new Map();
async function accuracy(arch, flat, task) {
  if (!tests.has(task.id)) tests.set(task.id, await core.getDataset(task.dataset).load({ split: 'test', classes: task.classIndices, limit: 1000, seed: 7 }));
  const net = core.getArchitecture(arch.name).build(arch.spec, 1);
  try {
    core.assignWeights(net, flat);
    return (await core.evaluateNetwork(net, tests.get(task.id))).accuracy;
  } finally {
    net.dispose();
  }
}
const dist = (a, b) => { let t = 0; for (let i = 0; i < a.length; i++) t += (a[i] - b[i]) ** 2; return Math.sqrt(t); };
const { median, mean } = core; // the eval's (an even count's median is the mean of the two middle values)
/** (1 - lam) a + lam b, REPAIRed on the support images when `repair` is given (core's blendNetworks). */
const interpolate = (a, b, lam, repair) => core.blendNetworks([a, b], repair, [1 - lam, lam]);
const out = [];
for (const [key, entries] of rows) {
  const arch = { name: entries[0].architecture.name, spec: entries[0].architecture.spec };
  const task = entries[0].task;
  const infos = zoo.infos(entries[0]);
  const seeds = entries.map((e) => canon.align(arch, zoo.flat(e)).flat);
  const nearest = (f, skip = -1) => Math.min(...seeds.map((g, i) => (i === skip ? Infinity : dist(f, g))));
  const typical = median(seeds.map((f, i) => nearest(f, i)));
  // the unit of each flat value: (layer, output unit); kernels, biases and conv filters keep their units last
  const unitOf = new Int32Array(seeds[0].length);
  const units = new Map();
  let o = 0;
  for (const p of infos) {
    const size = p.shape.reduce((a, b) => a * b, 1), last = p.shape[p.shape.length - 1];
    for (let j = 0; j < size; j++) {
      const u = `${p.layer}/${j % last}`;
      if (!units.has(u)) units.set(u, units.size);
      unitOf[o + j] = units.get(u);
    }
    o += size;
  }
  const pick = (k) => rng.shuffle([...seeds.keys()]).slice(0, k);
  const recombine = (k) => {
    const from = pick(k), choice = Int32Array.from({ length: units.size }, () => from[rng.int(k)]);
    return Float32Array.from(seeds[0], (_, j) => seeds[choice[unitOf[j]]][j]);
  };
  const plugin = core.getArchitecture(arch.name);
  const layers = plugin.layers?.(core.validateSpec(plugin, arch.spec));
  const support = layers && await core.taskSupportSet(task, 5, 1);
  const repair = layers && { layers, infos, images: { x: tf.tensor(support.x, [support.labels.length, ...arch.spec.inputShape]), labels: support.labels } };
  const between = (lam, r) => () => { const [a, b] = pick(2); return interpolate(seeds[a], seeds[b], lam, r); };
  const groups = plugin.symmetry?.(core.validateSpec(plugin, arch.spec)).groups ?? [];
  const matched = (r) => () => { const [a, b] = core.matchParents(pick(2).map((i) => seeds[i]), infos, groups); return interpolate(a, b, 0.5, r); };
  const avg = Float32Array.from(seeds[0], (_, j) => mean(seeds.map((s) => s[j])));
  const row = { row: key, pretrainedMedian: median(entries.map((e) => e.test.accuracy)), seeds: seeds.length, mean: { accuracy: await accuracy(arch, avg, task), relative: nearest(avg) / typical } };
  for (const [name, make] of [['recombine-2', () => recombine(2)], ['recombine-4', () => recombine(4)], ['recombine-all', () => recombine(seeds.length)], ['midpoint', between(0.5)], ['interp-0.4', between(0.4)], ...(repair ? [['midpoint+REPAIR', between(0.5, repair)], ['interp-0.4+REPAIR', between(0.4, repair)], ['matched-midpoint+REPAIR', matched(repair)]] : [])]) {
    const accs = [], rel = [];
    for (let i = 0; i < n; i++) {
      const f = make();
      accs.push(await accuracy(arch, f, task));
      rel.push(nearest(f) / typical);
    }
    row[name] = { accuracy: mean(accs), relative: median(rel) };
  }
  repair?.images.x.dispose();
  out.push(row);
  const cell = (c) => `${(100 * c.accuracy).toFixed(1).padStart(5)} @${c.relative.toFixed(2)}`;
  console.log(`${key.padEnd(54)} pretrained ${(100 * row.pretrainedMedian).toFixed(1)}  mean ${cell(row.mean)}  recombine-2 ${cell(row['recombine-2'])}  recombine-4 ${cell(row['recombine-4'])}  recombine-all ${cell(row['recombine-all'])}  midpoint ${cell(row.midpoint)}  interp-0.4 ${cell(row['interp-0.4'])}${repair ? `  midpoint+REPAIR ${cell(row['midpoint+REPAIR'])}  interp-0.4+REPAIR ${cell(row['interp-0.4+REPAIR'])}  matched-midpoint+REPAIR ${cell(row['matched-midpoint+REPAIR'])}` : ''}`);
}
const kinds = ['mean', 'recombine-2', 'recombine-4', 'recombine-all', 'midpoint', 'interp-0.4', 'midpoint+REPAIR', 'interp-0.4+REPAIR', 'matched-midpoint+REPAIR'];
const summary = Object.fromEntries(kinds.map((k) => [k, out.filter((r) => r[k])]).filter(([, rs]) => rs.length).map(([k, rs]) => [k, {
  medianRatio: median(rs.map((r) => r[k].accuracy / r.pretrainedMedian)), medianRelative: median(rs.map((r) => r[k].relative)),
  rowsAt95: `${rs.filter((r) => r[k].accuracy >= 0.95 * r.pretrainedMedian).length}/${rs.length}`,
}]));
console.log(`median over rows (accuracy / pretrained median @ relative distance): ${Object.entries(summary).map(([k, v]) => `${k} ${v.medianRatio.toFixed(3)} @${v.medianRelative.toFixed(2)} (rows >= 95%: ${v.rowsAt95})`).join(', ')}`);
if (values.out) core.writeJsonAtomic(values.out, { summary, rows: out });
core.shutdownBackend();
