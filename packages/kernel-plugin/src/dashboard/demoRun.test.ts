import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { loadVqvae, readJsonl } from '@igpg/core';
import { registerBuiltinArchitectures } from '@igpg/architectures';
import { runDemoVqvae } from './demoRun';

const zoo = path.resolve(__dirname, '../../../../zoo/default');

describe('runDemoVqvae', () => {
  it("runs core's tokenizer stage on zoo networks: loss falls, VQ metrics logged, a loadable VQ-VAE, reproducible by seed, no tensor leaks", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'igpg-demo-vq-'));
    try {
      registerBuiltinArchitectures();
      await tf.ready();
      const before = tf.memory().numTensors;
      const a = path.join(dir, 'a'), b = path.join(dir, 'b');
      const r = await runDemoVqvae({ out: a, zoo, steps: 60, seed: 3 });
      expect(tf.memory().numTensors).toBe(before);
      await runDemoVqvae({ out: b, zoo, steps: 60, seed: 3 });
      expect(r.metrics).toBe(path.join(a, 'run', 'metrics.jsonl'));
      const ra = readJsonl<Record<string, number>>(r.metrics), rb = readJsonl<Record<string, number>>(path.join(b, 'run', 'metrics.jsonl'));
      expect(ra).toHaveLength(60);
      expect(ra.map((row) => row.loss)).toEqual(rb.map((row) => row.loss));
      expect(r.finalLoss).toBe(ra[59].loss);
      const head = ra.slice(0, 5).reduce((s, row) => s + row.loss, 0), tail = ra.slice(-5).reduce((s, row) => s + row.loss, 0);
      expect(tail).toBeLessThan(head);
      expect(ra[59].perplexity).toBeGreaterThan(1);
      expect(ra[59].used).toBeGreaterThan(0);
      const usage = readJsonl<{ step: number; codeCounts: number[] }>(path.join(a, 'run', 'codebook-usage.jsonl'));
      expect(usage.map((u) => u.step)).toEqual([50, 60]); // the trainer's usage snapshots, for the dashboard's heatmap
      // the stage's own output: 8 networks, and a VQ-VAE that loads as any trained one does
      expect(JSON.parse(fs.readFileSync(path.join(a, 'stage.json'), 'utf8')).networks).toBe(8);
      const { vq } = loadVqvae(a);
      expect(vq.config.codebookSize).toBe(32);
      vq.dispose();
      expect(tf.memory().numTensors).toBe(before);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects a folder without a zoo and a bad network count, naming them', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'igpg-demo-vq-'));
    try {
      await expect(runDemoVqvae({ out: path.join(dir, 'c'), zoo: path.join(dir, 'no-zoo') })).rejects.toThrow(/no-zoo: no zoo here/);
      await expect(runDemoVqvae({ out: path.join(dir, 'c'), zoo, networks: 0 })).rejects.toThrow(/networks must be a positive integer, got 0/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
