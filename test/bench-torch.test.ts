import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error plain ESM bench helper without types
import { meanStep, runTorch, sideBySide, torchInfo } from '../bench/torch.mjs';

// The bench's PyTorch side (bench/torch.mjs + bench/*_torch.py) on tiny configs: each script runs, and its last line
// parses into the result the suites read. Skipped (with the reason) where /usr/bin/python3 has no torch.
const info = torchInfo() as { version?: string; skipped?: string };
// each script imports torch first: tens of seconds on the shared 2 cores under load
const tiny = { threads: 1, steps: 2, warmup: 1, timeoutMs: 300_000 };
const SLOW = 600_000;

/** The fields every script's result has, with sane values. */
function expectResult(r: Record<string, unknown>, steps = 2) {
  expect(r.error).toBeUndefined();
  expect(r.threads).toBe(1);
  expect(r.torch).toBe(info.version);
  const ms = r.msPerStep as number[];
  expect(ms).toHaveLength(steps);
  for (const m of ms) expect(m).toBeGreaterThan(0);
  expect(r.bestMs).toBe(Math.min(...ms));
  expect(meanStep(r)).toBeCloseTo(ms.reduce((a, b) => a + b, 0) / steps, 6);
}

describe.skipIf(!info.version)(`bench PyTorch scripts (${info.skipped ?? info.version})`, () => {
  it('gpt_step_torch.py times a tiny GPT step', () => {
    const r = runTorch('gpt_step_torch.py', ['--config', JSON.stringify({ vocabSize: 16, dModel: 8, nLayers: 1, nHeads: 2, contextLength: 8, batch: 2 })], tiny);
    expectResult(r);
    expect(r.tokensPerStep).toBe(16);
  }, SLOW);

  it('vqvae_torch.py times a tiny residual VQ-VAE step', () => {
    const r = runTorch('vqvae_torch.py', ['--config', JSON.stringify({ chunkSize: 4, codesPerChunk: 2, codebookSize: 4, codeDim: 2, hidden: [4], batchSize: 8, chunks: 20 })], tiny);
    expectResult(r);
    expect(r.chunksPerStep).toBe(8);
  }, SLOW);

  it('prior_torch.py times a tiny prior step', () => {
    const config = { dModel: 8, nLayers: 1, nHeads: 2, contextLength: 8, depthHidden: 8, codesPerChunk: 2, codebookSize: 4, condDim: 4, instructionBuckets: 16, architectureBuckets: 16, positionFeatures: 6, batch: 2, T: 5 };
    const r = runTorch('prior_torch.py', ['--config', JSON.stringify(config)], tiny);
    expectResult(r);
    expect(r.codesPerStep).toBe(2 * 5 * 2);
  }, SLOW);

  it('zoo_train_torch.py trains tiny mlp and cnn-s networks on the images it is given', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'igpg-bench-torch-'));
    try {
      const [h, w, n, m] = [20, 20, 12, 6];
      const values = new Float32Array((n + m) * (h * w + 1));
      let o = 0;
      for (const count of [n, m]) {
        for (let i = 0; i < count * h * w; i++) values[o++] = (i % 7) / 7;
        for (let i = 0; i < count; i++) values[o++] = i % 3;
      }
      const file = path.join(dir, 'splits.f32');
      fs.writeFileSync(file, Buffer.from(values.buffer));
      const config = {
        architectures: [{ name: 'mlp', label: 'mlp-4', spec: { hidden: [4], activation: 'relu', inputPool: 4 } }, { name: 'cnn-s', label: 'cnn-s' }],
        epochs: [1, 2], optimizer: { name: 'adam', learningRate: 0.01, batchSize: 4 },
      };
      for (const arch of ['mlp-4', 'cnn-s']) {
        const r = runTorch('zoo_train_torch.py', ['--config', JSON.stringify(config), '--arch', arch, '--data', file, '--shape', `${h},${w},1`, '--counts', `${n},${m}`, '--classes', '3'], tiny);
        expectResult(r);
        expect(r.networksPerSec).toBeGreaterThan(0);
        expect(r.lastTestAccuracy).toBeGreaterThanOrEqual(0);
      }
      // a data file that does not match --counts: a one-line error, no result
      const bad = runTorch('zoo_train_torch.py', ['--config', JSON.stringify(config), '--arch', 'mlp-4', '--data', file, '--shape', `${h},${w},1`, '--counts', `${n + 1},${m}`, '--classes', '3'], tiny);
      expect(bad.error).toMatch(/floats, expected/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, SLOW);

  it('bad input to a script is a one-line error', () => {
    expect(runTorch('gpt_step_torch.py', ['--config', '{not json'], tiny).error).toMatch(/--config is not JSON/);
  }, SLOW);

  it('sideBySide alternates and takes the faster thread count as the baseline', async () => {
    const calls: string[] = [];
    const side = await sideBySide({
      rounds: 2,
      ours: (r: number) => { calls.push(`ours${r}`); return 10; },
      torch: (t: number, r: number) => { calls.push(`torch${t}.${r}`); return { msPerStep: t === 1 ? [30, 30] : [20, 20] }; },
    });
    expect(calls).toEqual(['ours0', 'torch1.0', 'torch2.0', 'ours1', 'torch1.1', 'torch2.1']);
    expect(side.baselineThreads).toBe(2);
    expect(side.speedup).toBe(2);
    expect(side.speedupRange).toBe('2.00-2.00');
    expect(side.uptime).toHaveLength(3);
  });
});

describe('bench PyTorch side without torch', () => {
  it('skips with a note naming the interpreter', () => {
    const out = execFileSync(process.execPath, ['--input-type=module', '-e',
      "import { torchInfo, sideBySide } from './bench/torch.mjs'; const s = await sideBySide({ rounds: 1, ours: () => 5, torch: () => { throw new Error('must not run'); } }); console.log(JSON.stringify({ info: torchInfo(), s }));"],
    { encoding: 'utf8', cwd: path.join(__dirname, '..'), env: { ...process.env, IGPG_BENCH_PYTHON: '/nonexistent/python3' } });
    const { info: missing, s } = JSON.parse(out.trim().split('\n').pop()!);
    expect(missing.skipped).toMatch(/\/nonexistent\/python3 cannot import torch/);
    expect(s.speedup).toBeNull();
    expect(s.note).toBe(missing.skipped);
    expect(s.oursMs).toEqual([5]);
  });
});
