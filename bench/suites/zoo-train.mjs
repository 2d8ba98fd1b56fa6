// Zoo training throughput (issue 13, item 4): networks/s of the zoo's own training (data loading, every epoch,
// the checkpoint evaluations) batched (zoo/train-batch.ts, all seeds of a task in one graph) against one by one
// (trainJob, what the builder ran before), both on wasm with 1 thread as a zoo worker runs; and against PyTorch
// training the same networks one by one (bench/zoo_train_torch.py on /usr/bin/python3, 1 and 2 threads, the
// faster taken; bench/torch.mjs), alternating rounds. The networks are the default zoo's: mlp-16, mlp-32 and cnn-s on
// mnist:all, its optimizer and limits. Quick mode batches 6 CNN-s (36 took ~8 min a round at load 9); --long all 36.
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runTorch, sideBySide } from '../torch.mjs';

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

/** A job's train and test splits as one float32 file for bench/zoo_train_torch.py: images (NHWC) then labels, train then test. */
async function writeSplits(dataset, job, file) {
  const load = (split, limit) => dataset.load({ split, classes: job.task.classIndices, limit, seed: job.dataSeed });
  const splits = [await load('train', job.trainLimit), await load('test', job.testLimit)];
  const parts = splits.flatMap((d) => [d.x.dataSync(), Float32Array.from(d.y.dataSync())]);
  fs.writeFileSync(file, Buffer.concat(parts.map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength))));
  const out = { shape: splits[0].x.shape.slice(1), counts: splits.map((d) => d.y.shape[0]), classes: job.task.classes.length };
  splits.forEach((d) => { d.x.dispose(); d.y.dispose(); });
  return out;
}

export async function run(ctx) {
  const { core, tf } = ctx;
  require('../../packages/architectures/dist/index.js').registerBuiltinArchitectures();
  require('../../packages/datasets/dist/index.js').registerBuiltinDatasets();
  const wasm1 = ctx.backends.find((b) => b.backend === 'wasm' && b.threads === 1) ?? { backend: 'wasm', threads: 1, native: true };
  await core.initBackend({ backend: 'wasm', threads: 1, native: wasm1.native ?? true });
  const rounds = ctx.long ? 3 : 2;
  // one-by-one is S times slower: time fewer networks that way, networks/s is per network either way
  const cases = [
    { arch: 'mlp-16', batch: 36, single: ctx.long ? 12 : 4 },
    { arch: 'mlp-32', batch: 36, single: ctx.long ? 12 : 4 },
    { arch: 'cnn-s', batch: ctx.long ? 36 : 6, single: ctx.long ? 6 : 2 },
  ];
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'igpg-bench-zoo-'));
  const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const rows = [];
  for (const c of cases) {
    const config = zooConfig(c.arch, c.batch);
    const { jobs } = core.resolveZooConfig(config);
    const dataset = core.getDataset('mnist');
    const sink = () => {};
    await core.trainBatch(jobs.slice(0, 2), dataset, sink); // warm-up: kernels, the dataset cache
    const file = path.join(tmp, `${c.arch}.f32`);
    const data = await writeSplits(dataset, jobs[0], file); // PyTorch trains on the first job's images
    const single = []; // ms per network, one by one
    // each round: batched, one by one, then PyTorch one by one at 1 and 2 threads (ms per network throughout)
    const side = await sideBySide({
      rounds,
      ours: async () => {
        const before = tf.memory().numTensors;
        const batched = (await timed(() => core.trainBatch(jobs, dataset, sink))) * 1000 / c.batch;
        single.push((await timed(async () => { for (const j of jobs.slice(0, c.single)) await core.trainBatch([j], dataset, sink, { batched: false }); })) * 1000 / c.single);
        if (tf.memory().numTensors !== before) throw new Error(`zoo-train: ${tf.memory().numTensors - before} tensors leaked`);
        return batched;
      },
      torch: (threads) => runTorch('zoo_train_torch.py', ['--config', JSON.stringify(config), '--arch', c.arch, '--data', file,
        '--shape', data.shape.join(','), '--counts', data.counts.join(','), '--classes', String(data.classes)], { threads, steps: c.single, warmup: 1 }),
    });
    const perSec = (ms) => +(1000 / ms).toFixed(2);
    const row = {
      arch: c.arch, batch: c.batch, networksPerSecBatched: perSec(side.oursMedianMs), networksPerSecOneByOne: perSec(med(single)),
      speedupVsOneByOne: +(med(single) / side.oursMedianMs).toFixed(2),
      range: `${(Math.min(...single) / Math.max(...side.oursMs)).toFixed(1)}-${(Math.max(...single) / Math.min(...side.oursMs)).toFixed(1)}x`,
      torchNetworksPerSec1: side.torch1Ms?.map(perSec).join(' / ') ?? null, torchNetworksPerSec2: side.torch2Ms?.map(perSec).join(' / ') ?? null,
      speedupVsTorch: side.speedup, speedupVsTorchRange: side.speedupRange ?? null,
      oneByOneVsTorch: side.torchMedianMs ? +(side.torchMedianMs / med(single)).toFixed(2) : null, load1: ctx.load(),
    };
    if (side.note) row.torchNote = side.note;
    rows.push({ ...row, torch: side });
    ctx.log(`${c.arch}: batched ${row.networksPerSecBatched} networks/s, one by one ${row.networksPerSecOneByOne} (${row.speedupVsOneByOne}x), PyTorch ${side.torchMedianMs ? perSec(side.torchMedianMs) : 'n/a'} (${row.speedupVsTorch ?? side.note}x)`);
  }
  fs.rmSync(tmp, { recursive: true, force: true });
  return {
    rows: rows.map(({ torch: _t, ...r }) => r), torch: Object.fromEntries(rows.map((r) => [r.arch, r.torch])),
    config: { task: 'mnist:all', backend: 'wasm 1 thread (as a zoo worker)', rounds, timed: 'whole trainBatch: data loading, training, checkpoint evaluations; PyTorch (bench/zoo_train_torch.py): init, training, the same evaluations, data already in memory' },
  };
}
