// VQ-VAE training throughput: chunks/s of trainVqvae (default residual quantizer, K=16, l=4, C=512, D=8, hidden [128])
// per backend. The weights are Gaussian stand-ins with CNN-s's layout (speed does not depend on their values).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const cnnS = [
  ['conv1.weight', 'kernel', [5, 5, 1, 8], 0], ['conv1.bias', 'bias', [8], 0],
  ['conv2.weight', 'kernel', [5, 5, 8, 6], 1], ['conv2.bias', 'bias', [6], 1],
  ['conv3.weight', 'kernel', [2, 2, 6, 4], 2], ['conv3.bias', 'bias', [4], 2],
  ['fc1.weight', 'kernel', [36, 20], 3], ['fc1.bias', 'bias', [20], 3],
  ['fc2.weight', 'kernel', [20, 10], 4], ['fc2.bias', 'bias', [10], 4],
].map(([name, role, shape, layer]) => ({ name, role, shape, layer }));

export async function run(ctx) {
  const { core } = ctx;
  const rng = core.createRng('bench-vqvae');
  const networks = Array.from({ length: 16 }, () => ({ infos: cnnS, flat: Float32Array.from({ length: 2464 }, () => 0.2 * rng.normal()) }));
  const tokenizer = core.fitTokenizer(networks, { chunkSize: 16 });
  const batchSize = 512;
  const rows = [];
  for (const b of ctx.backends) {
    await ctx.use(b);
    const steps = b.backend === 'cpu' ? (ctx.long ? 20 : 5) : (ctx.long ? 200 : 40);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'igpg-bench-vq-'));
    const config = { steps, batchSize, checkpointEvery: 0, model: { codesPerChunk: 4, codebookSize: 512, codeDim: 8, hidden: [128] } };
    // warm-up run (kernel compilation, first allocations), then the timed one
    (await core.trainVqvae({ dir: path.join(dir, 'warm'), tokenizer, networks, progress: false, config: { ...config, steps: 2 } })).vq.dispose();
    const t0 = performance.now();
    const { vq } = await core.trainVqvae({ dir: path.join(dir, 'run'), tokenizer, networks, progress: false, config });
    const ms = performance.now() - t0;
    vq.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
    rows.push({ backend: b.label, steps, batch: batchSize, msPerStep: +(ms / steps).toFixed(1), chunksPerSec: Math.round((steps * batchSize) / (ms / 1000)) });
    ctx.log(`${b.label}: ${rows.at(-1).chunksPerSec} chunks/s`);
  }
  return { rows, config: { chunkSize: 16, codesPerChunk: 4, codebookSize: 512, codeDim: 8, hidden: [128], quantizer: 'residual' } };
}
