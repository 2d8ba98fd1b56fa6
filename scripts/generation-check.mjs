#!/usr/bin/env node
// A quick look at a generator bundle: for every (task, architecture) of the zoo, generate n networks for the task's
// first manifest instruction and score them on the task's test split, beside the zoo's pretrained median.
// (`npm run eval` is the full report with baselines; this is the minute-long check used while tuning, and the
// source of the ablation rows in the README.)
// Usage: node scripts/generation-check.mjs --generator runs/default [--zoo zoo/default] [--n 4] [--seed 1] [--temperature t] [--sampled-levels n] [--candidates k]
//          [--temperature T] [--sampled-levels L] [--out file.json]
import * as fs from 'node:fs';
import { parseArgs } from 'node:util';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const core = require('@igpg/core');
const { registerBuiltinArchitectures } = require('@igpg/architectures');
const { registerBuiltinDatasets } = require('@igpg/datasets');

const { values } = parseArgs({ options: {
  generator: { type: 'string', default: 'runs/default' }, zoo: { type: 'string', default: 'zoo/default' },
  n: { type: 'string', default: '4' }, seed: { type: 'string', default: '1' },
  temperature: { type: 'string' }, 'sampled-levels': { type: 'string' }, candidates: { type: 'string' }, out: { type: 'string' },
} });
const num = (name, v) => {
  const x = Number(v);
  if (!Number.isFinite(x) || x < 0) { console.error(`generation-check: --${name} ${v}: expected a number >= 0`); process.exit(2); }
  return x;
};
const sampler = {
  ...(values.temperature !== undefined && { temperature: num('temperature', values.temperature) }),
  ...(values['sampled-levels'] !== undefined && { sampledLevels: num('sampled-levels', values['sampled-levels']) }),
  ...(values.candidates !== undefined && { candidates: num('candidates', values.candidates) }),
};
const t0 = Date.now();
await core.initBackend({ log: () => {} });
registerBuiltinArchitectures();
registerBuiltinDatasets();
const g = await core.loadGenerator(values.generator);
const zoo = core.openZoo(values.zoo);
const rows = new Map();
for (const e of zoo.finals()) {
  if (e.heldOut.seed) continue;
  const key = `${e.task.id} [${e.architecture.label}]`;
  if (!rows.has(key)) rows.set(key, []);
  rows.get(key).push(e);
}
const out = [];
for (const [key, entries] of rows) {
  const e0 = entries[0];
  const median = core.median(entries.map((e) => e.test.accuracy));
  const r = await core.generateForTask(g, { instruction: e0.task.instructions[0], architecture: e0.architecture, task: e0.task.id, n: num('n', values.n), seed: num('seed', values.seed), evaluate: true, sampler });
  r.networks.forEach((net) => net.dispose());
  const mean = core.mean(r.accuracies);
  const row = { row: key, group: e0.heldOut.task ? 'held-out task' : 'seen', pretrainedMedian: median, generatedMean: mean, generatedBest: Math.max(...r.accuracies), ratio: mean / median, chance: 1 / e0.task.classes.length };
  out.push(row);
  console.log(`${key.padEnd(58)} ${row.group.padEnd(13)} pretrained ${(100 * median).toFixed(1)}  generated ${(100 * mean).toFixed(1)} / ${(100 * row.generatedBest).toFixed(1)}  ratio ${row.ratio.toFixed(3)}`);
}
const seen = out.filter((r) => r.group === 'seen');
const sorted = seen.map((r) => r.ratio).sort((a, b) => a - b);
const summary = { seenRows: seen.length, medianRatio: sorted[Math.floor(sorted.length / 2)], rowsAt95: seen.filter((r) => r.ratio >= 0.95).length, seconds: (Date.now() - t0) / 1000, generator: values.generator, sampler: { ...g.sampler, ...sampler } };
console.log(`seen rows: median ratio ${summary.medianRatio.toFixed(3)}, ${summary.rowsAt95}/${summary.seenRows} rows >= 0.95 of the pretrained median (${summary.seconds.toFixed(0)} s)`);
if (values.out) fs.writeFileSync(values.out, JSON.stringify({ summary, rows: out }, null, 1) + '\n');
g.dispose();
core.shutdownBackend();
