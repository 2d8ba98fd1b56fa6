#!/usr/bin/env node
// The codec's functional check on a fixed sample, for comparing codecs side by side: the final checkpoints of a few
// seeds of every (task, architecture) of the zoo, each aligned, encoded, decoded and scored on its task's test
// split, beside its own accuracy. Prints the mean, median and 90th percentile of the drop in points.
// (`igpg vqvae train --check` runs the same check, functionalCheck, right after training.)
// Usage: node scripts/codec-check.mjs --codec runs/default/vqvae [--zoo zoo/default] [--seeds 0,1,10,11]
//          [--limit 1000] [--out file.json]
import { parseArgs } from 'node:util';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const core = require('@igpg/core');
const { registerBuiltinArchitectures } = require('@igpg/architectures');
const { registerBuiltinDatasets } = require('@igpg/datasets');

const { values } = parseArgs({ options: {
  codec: { type: 'string', default: 'runs/default/vqvae' }, zoo: { type: 'string', default: 'zoo/default' },
  seeds: { type: 'string', default: '0,1,10,11' }, limit: { type: 'string', default: '1000' }, out: { type: 'string' },
} });
const seeds = new Set(values.seeds.split(',').map(Number));
const limit = Number(values.limit);
if ([...seeds].some((s) => !Number.isInteger(s) || s < 0) || !Number.isInteger(limit) || limit < 1) {
  console.error(`codec-check: --seeds ${values.seeds} --limit ${values.limit}: expected a comma-separated list of seeds and a positive test limit`);
  process.exit(2);
}
await core.initBackend({ log: () => {} });
registerBuiltinArchitectures();
registerBuiltinDatasets();
const { vq, tokenizer } = core.loadVqvae(values.codec);
const canon = core.Canonicalizer.load(values.codec);
const finals = new Set(core.openZoo(values.zoo).finals().map((e) => e.id));
const r = await core.functionalCheck(values.zoo, vq, tokenizer, { canon, limit, entries: (e) => finals.has(e.id) && seeds.has(e.seed), progress: false });
const drops = r.rows.map((x) => x.drop).sort((a, b) => a - b);
const at = (q) => drops[Math.min(drops.length - 1, Math.floor(q * drops.length))];
const summary = { codec: values.codec, networks: drops.length, meanDrop: drops.reduce((a, b) => a + b, 0) / drops.length, medianDrop: at(0.5), p90Drop: at(0.9) };
console.log(`${values.codec}: ${summary.networks} networks, drop in points: mean ${summary.meanDrop.toFixed(2)}, median ${summary.medianDrop.toFixed(2)}, 90th percentile ${summary.p90Drop.toFixed(2)}`);
if (values.out) core.writeJsonAtomic(values.out, { summary, rows: r.rows });
vq.dispose();
core.shutdownBackend();
