// VQ-VAE training throughput on the default token layout: ms/step and chunks/s of trainVqvae with configs/default.json's
// tokenizer and vqvae (residual quantizer, K=64, l=24, C=256, D=64, hidden [256], batch 256), on the default zoo's
// architectures (MLP-16, MLP-32, CNN-s) with Gaussian stand-in weights (speed does not depend on their values),
// against the same steps in PyTorch (bench/vqvae_torch.py, 1 and 2 threads, alternating with ours; bench/torch.mjs).
// Quick: the fastest backend only (the last wasm configuration); --long: every backend.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { defaultLayout } from '../default-layout.mjs';
import { runTorch, sideBySide } from '../torch.mjs';

export async function run(ctx) {
  const { core } = ctx;
  const { config, architectures } = defaultLayout(core);
  const rng = core.createRng('bench-vqvae');
  const count = (infos) => infos.reduce((n, p) => n + p.shape.reduce((a, b) => a * b, 1), 0);
  // 8 networks of each default-zoo architecture
  const networks = architectures.flatMap((a) => Array.from({ length: 8 }, () => ({ infos: a.infos, flat: Float32Array.from({ length: count(a.infos) }, () => 0.2 * rng.normal()) })));
  const tokenizer = core.fitTokenizer(networks, config.tokenizer);
  const chunks = networks.reduce((n, w) => n + tokenizer.encodeLayout(w.infos).positions.length, 0);
  const { steps: _s, checkpointEvery: _c, importance: _i, ...train } = config.vqvae; // importance only weighs the mask
  const steps = ctx.long ? 40 : 16; // a step is ~10-30 ms now: 8 steps were within the noise of the 0-step run
  const fastest = ctx.backends.filter((b) => b.backend === 'wasm').pop();
  const rows = [];
  let side = null;
  for (const b of ctx.long ? ctx.backends : [fastest]) {
    await ctx.use(b);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'igpg-bench-vq-'));
    let n = 0;
    const trained = async (s) => {
      const t0 = performance.now();
      (await core.trainVqvae({ dir: path.join(dir, `r${n++}`), tokenizer, networks, progress: false, config: { ...train, steps: s, checkpointEvery: 0 } })).vq.dispose();
      return performance.now() - t0;
    };
    await trained(2); // warm-up (kernel set-up, first allocations)
    // ms per step: a run of `steps` less a 0-step run (chunking, init, the final save) in the same round
    const ours = async () => (await trained(steps) - await trained(0)) / steps;
    const torchConfig = JSON.stringify({ ...train.model, chunkSize: tokenizer.chunkSize, batchSize: train.batchSize, lr: train.lr, chunks });
    const result = b === fastest
      ? await sideBySide({ rounds: 3, ours, torch: (threads) => runTorch('vqvae_torch.py', ['--config', torchConfig], { threads, steps }) })
      : { oursMs: [await ours()], oursMedianMs: null };
    fs.rmSync(dir, { recursive: true, force: true });
    const ms = result.oursMedianMs ?? result.oursMs[0];
    rows.push({
      backend: b.label, steps, batch: train.batchSize, msPerStep: +ms.toFixed(1), chunksPerSec: Math.round(train.batchSize / (ms / 1000)),
      torchMs1: result.torch1Ms?.join(' / ') ?? null, torchMs2: result.torch2Ms?.join(' / ') ?? null, speedupVsTorch: result.speedup ?? null, load1: ctx.load(),
    });
    if (b === fastest) side = result;
    ctx.log(`${b.label}: ${rows.at(-1).msPerStep} ms/step${result.speedup ? `, ${result.speedup}x PyTorch (${result.speedupRange}, ${result.baselineThreads} thread(s))` : result.note ? `; ${result.note}` : ''}`);
  }
  return {
    rows, torch: side,
    config: { tokenizer: config.tokenizer, model: train.model, batchSize: train.batchSize, lr: train.lr, chunks, networks: architectures.map((a) => `${a.label} x8`) },
    note: 'ms/step = (a run of `steps` steps - a 0-step run) / steps, whole trainVqvae (batch draw, forward, backward, Adam, EMA update, usage stats); PyTorch (bench/vqvae_torch.py) times the same steps after one warm-up; speedup = PyTorch ms / ours (> 1: ours faster), baseline the faster PyTorch thread count, range over alternating rounds',
  };
}
