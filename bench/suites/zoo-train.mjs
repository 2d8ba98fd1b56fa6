// Zoo training throughput (issue 13, item 4): networks/s of the zoo's own training (data loading, every epoch,
// the checkpoint evaluations) batched (zoo/train-batch.ts, all seeds of a task in one graph) against one by one
// (trainJob, what the builder ran before), both on wasm with 1 thread as a zoo worker runs; and against PyTorch
// training the same networks one by one (bench/zoo_train_torch.py on /usr/bin/python3, 1 and 2 threads, the
// faster taken). The networks are the default zoo's: mlp-16 and cnn-s on mnist:all, its optimizer and limits.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

/** The default zoo's settings, one task, `seeds` seeds of one architecture. */
function zooConfig(arch, seeds) {
  const def = JSON.parse(fs.readFileSync(path.join(here, '../../zoo/default.json'), 'utf8'));
  const a = def.architectures.find((x) => x.label === arch);
  return {
    name: 'bench', tasks: ['mnist:all'], architectures: [{ name: a.name, spec: a.spec, label: a.label }], seeds,
    epochs: def.epochs, optimizer: def.optimizer, trainLimit: def.trainLimit, testLimit: def.testLimit, heldOut: { tasks: [], seeds: [] },
  };
}

async function timed(fn) {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
}

/** PyTorch one by one on the same networks and settings; null when /usr/bin/python3 has no torch. */
function torchRun(arch, config, networks, threads) {
  try {
    const outText = execFileSync('/usr/bin/python3', [path.join(here, '../zoo_train_torch.py'), '--arch', arch, '--networks', String(networks), '--threads', String(threads),
      '--config', JSON.stringify(config)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 600_000 });
    return JSON.parse(outText.trim().split('\n').pop());
  } catch (e) {
    return { error: String(e.stderr || e.message).trim().split('\n').pop() };
  }
}

export async function run(ctx) {
  const { core, tf } = ctx;
  require('../../packages/architectures/dist/index.js').registerBuiltinArchitectures();
  require('../../packages/datasets/dist/index.js').registerBuiltinDatasets();
  const wasm1 = ctx.backends.find((b) => b.backend === 'wasm' && b.threads === 1) ?? { backend: 'wasm', threads: 1, native: true };
  await core.initBackend({ backend: 'wasm', threads: 1, native: wasm1.native ?? true });
  const reps = ctx.long ? 3 : 1;
  // one-by-one is S times slower: time fewer networks that way, networks/s is per network either way
  const cases = [
    { arch: 'mlp-16', batch: 36, single: ctx.long ? 12 : 6 },
    { arch: 'cnn-s', batch: 36, single: ctx.long ? 6 : 3 },
  ];
  const rows = [];
  for (const c of cases) {
    const config = zooConfig(c.arch, c.batch);
    const { jobs } = core.resolveZooConfig(config);
    const dataset = core.getDataset('mnist');
    const sink = () => {};
    await core.trainBatch(jobs.slice(0, 2), dataset, sink); // warm-up: kernels, the dataset cache
    const batched = [], single = [];
    for (let r = 0; r < reps; r++) { // alternate, so load drifts hit both
      const before = tf.memory().numTensors;
      batched.push(c.batch / await timed(() => core.trainBatch(jobs, dataset, sink)));
      single.push(c.single / await timed(async () => { for (const j of jobs.slice(0, c.single)) await core.trainBatch([j], dataset, sink, { batched: false }); }));
      if (tf.memory().numTensors !== before) throw new Error(`zoo-train: ${tf.memory().numTensors - before} tensors leaked`);
    }
    const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const torch = [1, 2].map((t) => ({ threads: t, ...torchRun(c.arch, config, c.single, t) }));
    const okTorch = torch.filter((t) => t.networksPerSec);
    const bestTorch = okTorch.length ? Math.max(...okTorch.map((t) => t.networksPerSec)) : null;
    const row = {
      arch: c.arch, batch: c.batch, networksPerSecBatched: +med(batched).toFixed(2), networksPerSecOneByOne: +med(single).toFixed(2),
      speedupVsOneByOne: +(med(batched) / med(single)).toFixed(2),
      range: `${(Math.min(...batched) / Math.max(...single)).toFixed(1)}-${(Math.max(...batched) / Math.min(...single)).toFixed(1)}x`,
      torchNetworksPerSec1: torch[0].networksPerSec ?? null, torchNetworksPerSec2: torch[1].networksPerSec ?? null,
      speedupVsTorch: bestTorch ? +(med(batched) / bestTorch).toFixed(2) : null, load1: ctx.load(),
    };
    if (!okTorch.length) row.torchError = torch[0].error;
    rows.push(row);
    ctx.log(`${c.arch}: batched ${row.networksPerSecBatched} networks/s, one by one ${row.networksPerSecOneByOne} (${row.speedupVsOneByOne}x), PyTorch ${bestTorch ?? 'n/a'} (${row.speedupVsTorch ?? 'n/a'}x)`);
  }
  return { rows, config: { task: 'mnist:all', backend: 'wasm 1 thread (as a zoo worker)', reps, timed: 'whole trainBatch: data loading, training, checkpoint evaluations' } };
}
