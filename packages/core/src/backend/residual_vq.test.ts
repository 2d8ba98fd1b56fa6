import { afterAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, shutdownBackend } from './init';
import { loadNative } from './native';
import { hasResidualQuantize, RESIDUAL_QUANTIZE, residualQuantize } from './residual_vq';
import { residualQuantizer } from '../vqvae/quantizer-residual';
import { emaLevelJs } from '../vqvae/quantizer-ema';
import { trainVqvae } from '../vqvae/train';
import { fitTokenizer } from '../tokenizer';
import { irisZoo } from '../vqvae/zoo.fixture';

// The one-kernel residual descent (issue 13) against the tfjs composition it replaces, on cpu (plain JS) and on wasm
// with the native addon; the host-side EMA update native against JS (the same bits); no leaks.

const native = loadNative();
const M = 96, C = 32, D = 8, L = 5;
afterAll(() => shutdownBackend());

/** The composition's codes: per level the nearest code (squared distance, the first on ties), then r −= e[code]. */
function reference(z: tf.Tensor2D, es: tf.Tensor2D[], kinds?: Int32Array, perKind = C): Int32Array {
  const r = z.arraySync().map((row) => Float32Array.from(row)), idx = new Int32Array(M * L);
  es.map((e) => e.arraySync()).forEach((e, k) => {
    r.forEach((row, m) => {
      const c0 = kinds ? kinds[m] * perKind : 0, c1 = kinds ? c0 + perKind : e.length;
      const d = (c: number) => e[c].reduce((s, v, j) => s + (row[j] - v) ** 2, 0);
      let best = c0;
      for (let c = c0; c < c1; c++) if (d(c) < d(best)) best = c;
      idx[m * L + k] = best;
      e[best].forEach((v, j) => { row[j] = Math.fround(row[j] - v); });
    });
  });
  return idx;
}

async function checkAgainstComposition(kinds?: Int32Array, nK = 1) {
  const before = tf.memory().numTensors;
  const z = tf.randomNormal([M, D], 0, 1, 'float32', 3) as tf.Tensor2D;
  const es = Array.from({ length: L }, (_, k) => tf.randomNormal([C * nK, D], 0, 1 / (k + 1), 'float32', 10 + k) as tf.Tensor2D);
  const kt = kinds && tf.tensor1d(kinds, 'int32');
  const { total, indices } = residualQuantize(z, es, kt, C);
  const idx = indices.dataSync() as Int32Array;
  expect(indices.dtype).toBe('int32');
  expect(indices.shape).toEqual([M * L]);
  // each level's code is the nearest one of the residual the chosen codes leave (ties in floats aside: within 1e-4)
  const ev = es.map((e) => e.arraySync()), zs = z.arraySync();
  const r = zs.map((row) => Float32Array.from(row));
  for (let k = 0; k < L; k++) {
    for (let m = 0; m < M; m++) {
      const c0 = kinds ? kinds[m] * C : 0, c1 = kinds ? c0 + C : C * nK;
      const d = (c: number) => ev[k][c].reduce((s, v, j) => s + (r[m][j] - v) ** 2, 0);
      const c = idx[m * L + k];
      expect(c >= c0 && c < c1).toBe(true);
      let best = Infinity;
      for (let q = c0; q < c1; q++) best = Math.min(best, d(q));
      expect(d(c) - best).toBeLessThan(1e-4);
      ev[k][c].forEach((v, j) => { r[m][j] = Math.fround(r[m][j] - v); });
    }
  }
  // total = z − (the residual after every level), as the composition computes it
  const t = total.arraySync();
  zs.forEach((row, m) => row.forEach((v, j) => expect(t[m][j]).toBe(Math.fround(v - r[m][j]))));
  // the reference picks the same codes on these (tie-free) inputs
  expect(Array.from(idx)).toEqual(Array.from(reference(z, es, kinds, C)));
  tf.dispose([z, ...es, total, indices, ...(kt ? [kt] : [])]);
  expect(tf.memory().numTensors).toBe(before);
}

describe.each([
  ['cpu', async () => { await initBackend({ backend: 'cpu' }); }],
  ...(native ? [['wasm + native', async () => { await initBackend({ backend: 'wasm', threads: 1, native: true, blasThreads: 2 }); }] as const] : []),
])('residualQuantize on %s', (_name, start) => {
  it('picks each level\'s nearest code and returns total = z − residual; no leaks', async () => {
    await start();
    expect(hasResidualQuantize()).toBe(true);
    await checkAgainstComposition();
  });

  it('keeps each row inside its kind\'s codes (per-kind codebooks)', async () => {
    await start();
    await checkAgainstComposition(Int32Array.from({ length: M }, (_, m) => (m * 5) % 3), 3);
  });

  it('the quantizer: straight-through and commitment gradients as the composition\'s; no gradient through the codes', async () => {
    await start();
    const before = tf.memory().numTensors;
    const q = residualQuantizer({ levels: L, codebookSize: C, dim: D, seed: 4, scope: `rq_${_name}` });
    const z = tf.randomNormal([M, D], 0, 1, 'float32', 7) as tf.Tensor2D, w = tf.randomNormal([M, D], 0, 1, 'float32', 8);
    q.initFrom(z, 0);
    const f = (x: tf.Tensor) => { const o = q.quantize(x as tf.Tensor2D); return tf.add(tf.sum(tf.mul(o.quantized, w)), o.commitLoss) as tf.Scalar; };
    const g = tf.grad(f)(z);
    // d/dz [sum(q·w) + β·mean((z − total)²)] = w + 2β(z − total)/(M·D), total constant
    const expected = tf.tidy(() => {
      const total = q.quantize(z).quantized; // eval: the code vectors' sum (up to z + (total − z) rounding)
      return tf.add(w, tf.mul(tf.sub(z, total), (2 * 0.25) / (M * D)));
    });
    expect(tf.tidy(() => tf.max(tf.abs(tf.sub(g, expected))).dataSync()[0])).toBeLessThan(1e-5);
    tf.dispose([z, w, g, expected]);
    q.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('the kernel has a registered (zero) gradient', async () => {
    await start();
    expect(tf.getGradient(RESIDUAL_QUANTIZE)).toBeDefined();
  });
});

describe.skipIf(!native)('native EMA update', () => {
  it('emaLevel and emaRestart give the bits of the JS update', () => {
    const { addon } = native!;
    const Mr = 200, Cr = 64, Dr = 16, stride = 3, offset = 1;
    let s = 12345;
    const rand = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32 - 0.5);
    const z = Float32Array.from({ length: Mr * Dr }, rand), idx = Int32Array.from({ length: Mr * stride }, () => Math.floor((rand() + 0.5) * Cr));
    const e = Float32Array.from({ length: Cr * Dr }, rand), size = Float32Array.from({ length: Cr }, () => rand() + 0.6), avg = Float32Array.from({ length: Cr * Dr }, rand);
    const js = [e.slice(), size.slice(), avg.slice(), new Float32Array(Mr * Dr)], nat = [e.slice(), size.slice(), avg.slice(), new Float32Array(Mr * Dr)];
    emaLevelJs(z, js[3], idx, stride, offset, js[0], js[1], js[2], 0.95, 1e-5);
    addon.emaLevel(z, nat[3], idx, stride, offset, nat[0], nat[1], nat[2], 0.95, 1e-5);
    js.forEach((a, i) => expect(Array.from(new Uint32Array(nat[i].buffer))).toEqual(Array.from(new Uint32Array(a.buffer))));
    const dead = Int32Array.from([0, 5, 63]), rows = Int32Array.from([7, 199, 0]);
    addon.emaRestart(z, dead, rows, nat[0], nat[2], nat[1], 0.5);
    dead.forEach((c, i) => {
      expect(Array.from(nat[0].subarray(c * Dr, (c + 1) * Dr))).toEqual(Array.from(z.subarray(rows[i] * Dr, (rows[i] + 1) * Dr)));
      expect(Array.from(nat[2].subarray(c * Dr, (c + 1) * Dr))).toEqual(Array.from(z.subarray(rows[i] * Dr, (rows[i] + 1) * Dr), (v) => Math.fround(v * 0.5)));
      expect(nat[1][c]).toBe(0.5);
    });
    expect(() => addon.emaRestart(z, Int32Array.from([64]), Int32Array.from([0]), nat[0], nat[2], nat[1], 0.5)).toThrow(/out of range/);
  });
});

describe.skipIf(!native)('residual VQ-VAE training on wasm + native', () => {
  it('gives the same bits for 1 and 2 BLAS threads (the tiled sgemm), run after run', async () => {
    const zoo = irisZoo(6, 40), tok = fitTokenizer(zoo, { chunkSize: 8 });
    // 256 rows x 256 codes x 32 dims: each level's distance product is big enough for the addon's pool (>= 2^21 FMA)
    const model = { codesPerChunk: 6, codebookSize: 256, codeDim: 32, hidden: [32], quantizer: 'residual' };
    const train = async (blasThreads: number) => {
      await initBackend({ backend: 'wasm', threads: 1, native: true, blasThreads });
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'igpg-rvq-'));
      const before = tf.memory().numTensors;
      const { vq } = await trainVqvae({ dir, tokenizer: tok, networks: zoo, progress: false, config: { steps: 30, batchSize: 256, checkpointEvery: 0, model } });
      const bits = vq.variables.map((v) => Array.from(new Uint32Array(Float32Array.from(v.dataSync() as Float32Array).buffer)));
      vq.dispose();
      expect(tf.memory().numTensors).toBe(before);
      fs.rmSync(dir, { recursive: true, force: true });
      return bits;
    };
    const one = await train(1), two = await train(2), again = await train(1);
    expect(two).toEqual(one);
    expect(again).toEqual(one);
  });
});

describe('residual quantizer on wasm without the addon (the composition, off the tape)', () => {
  it('has no fused kernel; quantize, its gradient and update leave no tensors, even inside a tidy', async () => {
    await initBackend({ backend: 'wasm', threads: 1, native: false });
    expect(hasResidualQuantize()).toBe(false);
    const q = residualQuantizer({ levels: 3, codebookSize: 8, dim: 4, seed: 2, scope: 'rq_plain' });
    const z = tf.randomNormal([16, 4], 0, 1, 'float32', 9) as tf.Tensor2D;
    const before = tf.memory().numTensors;
    tf.tidy(() => { q.quantize(z); }); // the codes are made inside a customGrad: they must not outlive the tidy
    tf.grad((x: tf.Tensor) => q.quantize(x as tf.Tensor2D).commitLoss)(z).dispose();
    const o = q.quantize(z);
    q.update(z, o.indices, 0);
    tf.dispose([o.quantized, o.indices, o.commitLoss]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(z);
    q.dispose();
  });
});
