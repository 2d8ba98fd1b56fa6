// Generation speed of the IGPG prior: tokens/s and network parameters/s with and without the KV cache, batched over
// n samples, and the time to generate networks of ~10k, 100k and 1M parameters (prior -> codes -> VQ-VAE ->
// weights; building the tfjs network is not counted). TARGETS (2-core machine): KV cache >= 5x faster than
// without; a 1M-parameter network in < 60 s.
import { createRequire } from 'node:module';
import os from 'node:os';

const require = createRequire(import.meta.url);

// A prior of realistic size for this machine (d 128, 4 layers, context 256), and chunks of 1,024 values -> 4 codes
// (the paper's public code uses chunks of 4,096-12,288 values). Weights are untrained: speed only.
export const PRIOR = { codebookSize: 512, codesPerChunk: 4, chunkSize: 1024, dModel: 128, nLayers: 4, nHeads: 4, contextLength: 256, condDim: 64, seed: 1 };
const VQ = { chunkSize: 1024, codesPerChunk: 4, codebookSize: 512, codeDim: 8, hidden: [256] };

/** An MLP parameter list with about `target` parameters (width chosen to fit), 4 layers. */
function mlpInfos(target) {
  const w = Math.max(4, Math.round((-(64 + 10 + 3) + Math.sqrt((64 + 13) ** 2 + 8 * target)) / 4));
  const dims = [64, w, w, w, 10];
  return dims.slice(1).flatMap((out, l) => [
    { name: `layers.${l}.weight`, role: 'kernel', shape: [dims[l], out], layer: l },
    { name: `layers.${l}.bias`, role: 'bias', shape: [out], layer: l },
  ]);
}
/** CPU seconds (user + system, all threads) since c0: shows how much of the wall time the machine gave us. */
const cpu = (c0) => { const c = process.cpuUsage(c0); return +((c.user + c.system) / 1e6).toFixed(2); };
const count = (infos) => infos.reduce((n, p) => n + p.shape.reduce((a, b) => a * b, 1), 0);

export async function run(ctx) {
  const { core, tf } = ctx;
  const vqMod = require('../../packages/core/dist/vqvae/model.js');
  const threads = os.cpus().length;
  const be = ctx.backends.filter((b) => b.backend === 'wasm').pop();
  const info = await ctx.use(be);
  ctx.log(`backend ${be.label} (${info.threads} threads)`);
  const prior = new core.Prior(PRIOR, { scope: 'bench-gen' });
  const tokenizer = core.createTokenizer({ chunkSize: VQ.chunkSize });
  const vqvae = vqMod.createVqvae(VQ, 'bench-vq');
  const arch = (infos) => core.architectureCondition('mlp', `MLP ${infos.filter((p) => p.role === 'kernel').map((p) => p.shape[1]).join('-')}, relu`, infos);
  const cond = (infos) => ({ instruction: 'classify MNIST digits 0 to 9', architecture: arch(infos) });
  const rows = [];

  // 1) Per-token speed, with and without the KV cache, n = 1 and n = 8, over the same ~2 windows of tokens
  //    (without the cache every token re-runs its whole window).
  const infos100k = mlpInfos(100_000);
  const all = tokenizer.encodeLayout(infos100k).positions;
  const layout = { places: all.slice(0, Math.ceil(380 / PRIOR.codesPerChunk)) };
  const N = layout.places.length * PRIOR.codesPerChunk;
  for (const [n, useCache] of [[1, true], [1, false], [8, true]]) {
    {
      core.sampleCodes(prior, cond(infos100k), layout, { n, seed: 0, useCache }); // warm-up (JIT, kernel set-up), same work
      const c0 = process.cpuUsage(), times = [];
      for (let r = 0; r < 3; r++) {
        const t = performance.now();
        core.sampleCodes(prior, cond(infos100k), layout, { n, seed: 0, useCache });
        times.push((performance.now() - t) / 1000);
      }
      const s = times.sort((a, b) => a - b)[1]; // median of 3
      rows.push({ what: `sample n=${n} ${useCache ? 'KV cache' : 'no cache'}`, tokens: N * n, seconds: +s.toFixed(2), cpuSeconds: +(cpu(c0) / 3).toFixed(2), tokensPerSec: Math.round((N * n) / s), paramsPerSec: Math.round((N * n * VQ.chunkSize) / PRIOR.codesPerChunk / s) });
      ctx.log(JSON.stringify(rows[rows.length - 1]));
    }
  }
  const speed = (n, c) => rows.find((r) => r.what === `sample n=${n} ${c ? 'KV cache' : 'no cache'}`).tokensPerSec;
  const cacheSpeedup = { n1: +(speed(1, true) / speed(1, false)).toFixed(1) };

  // 2) Whole networks: codes -> weights, ~10k, 100k, 1M parameters (n = 1, KV cache).
  const sizes = [10_000, 100_000, 1_000_000];
  for (const target of sizes) {
    const infos = mlpInfos(target);
    const layout = { places: tokenizer.encodeLayout(infos).positions };
    const t = performance.now(), c0 = process.cpuUsage();
    const [codes] = core.sampleCodes(prior, cond(infos), layout, { n: 1, seed: 0 });
    const tCodes = performance.now();
    const flat = vqMod.decodeWeights(vqvae, tokenizer, infos, codes);
    const s = (performance.now() - t) / 1000;
    rows.push({ what: `network ${count(infos)} params`, tokens: codes.length, seconds: +s.toFixed(2), cpuSeconds: cpu(c0), tokensPerSec: Math.round(codes.length / ((tCodes - t) / 1000)), paramsPerSec: Math.round(flat.length / s) });
    ctx.log(JSON.stringify(rows[rows.length - 1]));
  }
  const oneM = rows[rows.length - 1].seconds;
  prior.dispose();
  vqvae.dispose();
  ctx.log(`KV cache speedup: n=1 ${cacheSpeedup.n1}x (target >= 5x); 1M-param network ${oneM} s (target < 60 s); load ${os.loadavg()[0].toFixed(1)}`);
  void tf; void threads;
  return {
    config: { prior: PRIOR, vqvae: VQ, backend: be.label, threads: info.threads },
    targets: { cacheSpeedupAtLeast: 5, oneMillionParamsUnderSeconds: 60 },
    cacheSpeedup, oneMillionParamsSeconds: oneM,
    met: { cache: cacheSpeedup.n1 >= 5, oneMillion: oneM < 60 },
    rows,
  };
}
