#!/usr/bin/env node
// Render the README figures to report/figures/*.png through headless Chromium (Plotly.toImage).
// Usage: npm run figures -- [--results report/results.json] [--metrics report/vqvae-metrics.jsonl]
//                           [--codes report/codes.json] [--out report/figures] [--partial]
// Inputs that are missing are named (with what writes them); the run fails unless --partial is given.
import { parseArgs } from 'node:util';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
let plugin;
try {
  plugin = require('@igpg/kernel-plugin');
} catch (e) {
  console.error(`figures: cannot load @igpg/kernel-plugin (${e.message.split('\n')[0]}); run \`npm run build\` first`);
  process.exit(2);
}
const { buildReadmeFigures, renderPng, README_FIGURE_DEFAULTS } = plugin;

const { values } = parseArgs({
  options: {
    results: { type: 'string' }, metrics: { type: 'string' }, codes: { type: 'string' },
    out: { type: 'string', default: 'report/figures' }, partial: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  console.log(`npm run figures -- [--results ${README_FIGURE_DEFAULTS.results}] [--metrics ${README_FIGURE_DEFAULTS.metrics}] [--codes ${README_FIGURE_DEFAULTS.codes}] [--out report/figures] [--partial]`);
  process.exit(0);
}

await prepareDefaults();
const { figs, missing } = buildReadmeFigures({ results: values.results, metrics: values.metrics, codes: values.codes });
for (const m of missing) console.error(`figures: ${m}`);
const names = Object.keys(figs);
if (names.length) {
  const t0 = Date.now();
  const files = await renderPng(figs, values.out);
  console.log(`figures: wrote ${files.join(', ')} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}
if (names.length === 0) {
  console.error('figures: nothing to render: none of the inputs exist yet (see above); run the pipeline or pass --results/--metrics/--codes');
  process.exit(1);
}
if (missing.length && !values.partial) {
  console.error(`figures: ${missing.length} input(s) missing; rendered the rest. Pass --partial to accept a partial set.`);
  process.exit(1);
}

// The default inputs, derived from the shipped pipeline when they are not there yet:
// report/vqvae-metrics.jsonl from the default VQ-VAE run, report/codes.json by encoding a few default-zoo networks.
async function prepareDefaults() {
  const fs = await import('node:fs');
  const path = await import('node:path');
  const vqDir = 'runs/default/vqvae', zoo = 'zoo/default';
  require('@igpg/core').unpackZoo(zoo); // shipped packed (zoo/default.tar.gz)
  if (!values.metrics && !fs.existsSync(README_FIGURE_DEFAULTS.metrics) && fs.existsSync(path.join(vqDir, 'run', 'metrics.jsonl'))) {
    fs.mkdirSync(path.dirname(README_FIGURE_DEFAULTS.metrics), { recursive: true });
    fs.copyFileSync(path.join(vqDir, 'run', 'metrics.jsonl'), README_FIGURE_DEFAULTS.metrics);
  }
  if (values.codes || fs.existsSync(README_FIGURE_DEFAULTS.codes) || !fs.existsSync(path.join(vqDir, 'vqvae.json')) || !fs.existsSync(path.join(zoo, 'manifest.json'))) return;
  const core = require('@igpg/core');
  require('@igpg/architectures').registerBuiltinArchitectures();
  await core.initBackend({ log: () => {} });
  try {
    const { vq, tokenizer } = core.loadVqvae(vqDir);
    const codec = { vq, tokenizer, canon: core.Canonicalizer.load(vqDir) }; // the codes the prior learns: aligned, reference subtracted
    // one final checkpoint per architecture, from the first task
    const picked = new Map();
    for (const n of core.loadZooNetworks(zoo, core.isTrainingEntry, { lastEpochOnly: true })) if (!picked.has(n.entry.architecture.label)) picked.set(n.entry.architecture.label, n);
    const chunks = [];
    for (const n of picked.values()) {
      const { codes, positions } = core.encodeNetwork(codec, n.entry.architecture, n.infos, n.flat);
      const l = vq.config.codesPerChunk;
      positions.forEach((position, i) => chunks.push({ network: n.entry.id, task: n.entry.task.id, position, codes: Array.from(codes.subarray(i * l, (i + 1) * l)) }));
    }
    vq.dispose();
    core.writeJsonAtomic(README_FIGURE_DEFAULTS.codes, { codebookSize: vq.config.codebookSize, chunks });
    console.log(`figures: wrote ${README_FIGURE_DEFAULTS.codes} (${picked.size} default-zoo networks encoded)`);
  } finally {
    core.shutdownBackend();
  }
}
