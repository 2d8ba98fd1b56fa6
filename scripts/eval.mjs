#!/usr/bin/env node
// The full evaluation report on the default zoo and the default checkpoints:
//   zoo/default/ (built from zoo/default.json), runs/default (the generator bundle)  ->  report/results.json, report/REPORT.md, report/plots/*.png
// Usage: npm run eval -- [--seed 0] [--samples 5] [--out report] [--quick] [--tasks id,id]
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const fail = (msg, code = 1) => {
  console.error(`eval: ${msg}`);
  process.exit(code);
};
let core, architectures, datasets, kernel;
try {
  core = require('@igpg/core');
  architectures = require('@igpg/architectures');
  datasets = require('@igpg/datasets');
} catch (e) {
  fail(`cannot load the igpg packages (${e.message.split('\n')[0]}); run \`npm run build\` first`, 2);
}
if (typeof core.runEvaluation !== 'function') fail('@igpg/core has no runEvaluation; run `npm run build` first', 2);
try {
  kernel = require('@igpg/kernel-plugin');
} catch {
  kernel = null; // no PNG plots; the report says so
}

const { values } = parseArgs({
  options: {
    seed: { type: 'string', default: '0' }, samples: { type: 'string' }, out: { type: 'string', default: 'report' },
    quick: { type: 'boolean', default: false }, tasks: { type: 'string' }, help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  console.log('npm run eval -- [--seed 0] [--samples 5] [--out report] [--quick] [--tasks id,id]');
  process.exit(0);
}
const int = (name, v) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) fail(`--${name} ${v}: expected a non-negative integer`);
  return n;
};

const inputs = {
  zoo: ['zoo/default', 'manifest.json', '`npm run demo` (or `igpg zoo build --config zoo/default.json --out zoo/default`)'],
  generator: ['runs/default', 'config.json', '`npm run demo` (it trains the bundle: VQ-VAE into runs/default/vqvae, prior into runs/default/prior, then config.json)'],
};
try {
  core.unpackZoo(inputs.zoo[0]); // the repository ships zoo/default packed (zoo/default.tar.gz)
} catch (e) {
  fail(e.message);
}
const missing = Object.entries(inputs).filter(([, [dir, file]]) => !fs.existsSync(path.join(dir, file)));
if (missing.length) {
  fail(`missing input${missing.length > 1 ? 's' : ''}:\n${missing.map(([what, [dir, file, how]]) => `  - ${what}: ${path.join(dir, file)} not found; build it with ${how}`).join('\n')}`);
}

const command = ['npm run eval --', ...process.argv.slice(2)].join(' ');
const t0 = Date.now();
try {
  const info = await core.initBackend();
  console.error(`eval: backend ${info.name} (${info.threads} threads${info.native ? `, ${info.native}` : ''})`);
  architectures.registerBuiltinArchitectures();
  datasets.registerBuiltinDatasets();
  const res = await core.runEvaluation({
    zoo: inputs.zoo[0], generator: inputs.generator[0], out: values.out, seed: int('seed', values.seed),
    samples: values.samples === undefined ? undefined : int('samples', values.samples), quick: values.quick,
    tasks: values.tasks ? values.tasks.split(',').map((t) => t.trim()).filter(Boolean) : undefined, command,
    renderPng: kernel ? (figs, dir) => kernel.renderPng(figs, dir) : undefined,
  });
  for (const t of res.targets) console.log(`${t.met === null ? 'not checked' : t.met ? 'MET    ' : 'NOT MET'}  ${t.name}: ${t.value}`);
  console.log(res.memorizationVerdict);
  console.log(`eval: wrote ${path.join(values.out, 'REPORT.md')} and ${path.join(values.out, 'results.json')} in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
} catch (e) {
  console.error(`eval: ${e.message}`);
  process.exitCode = 1;
} finally {
  core.shutdownBackend();
}
