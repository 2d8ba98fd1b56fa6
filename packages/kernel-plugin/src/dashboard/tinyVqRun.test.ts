import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { readJsonl } from '@igpg/core';
import { runTinyVq } from './tinyVqRun';

describe('runTinyVq', () => {
  it('learns (loss falls), logs VQ metrics, reproduces with a seed, and leaks no tensors', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'igpg-vq-'));
    try {
      await tf.ready();
      const before = tf.memory().numTensors;
      const a = path.join(dir, 'a.jsonl'), b = path.join(dir, 'b.jsonl');
      await runTinyVq({ file: a, steps: 60, seed: 3 });
      expect(tf.memory().numTensors).toBe(before);
      await runTinyVq({ file: b, steps: 60, seed: 3 });
      const ra = readJsonl<Record<string, number & number[]>>(a), rb = readJsonl<Record<string, number & number[]>>(b);
      expect(ra).toHaveLength(60);
      expect(ra.map((r) => r.loss)).toEqual(rb.map((r) => r.loss));
      const head = ra.slice(0, 5).reduce((s, r) => s + r.loss, 0), tail = ra.slice(-5).reduce((s, r) => s + r.loss, 0);
      expect(tail).toBeLessThan(head * 0.7);
      const last = ra[ra.length - 1];
      expect(last.codeCounts.reduce((s: number, c: number) => s + c, 0)).toBe(32);
      expect(last.deadCodes + last.usedFraction * 16).toBeCloseTo(16);
      expect(last.perplexity).toBeGreaterThan(1);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
