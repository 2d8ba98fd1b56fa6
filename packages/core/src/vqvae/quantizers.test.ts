import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { emaQuantizer } from './quantizer-ema';
import { gumbelQuantizer, gumbelTemperature } from './quantizer-gumbel';
import { residualQuantizer } from './quantizer-residual';
import { kindPenalty, lookup, squaredDistances, stopGradient, straightThrough, type Quantizer } from './ops';
import { builtinQuantizers } from './quantizers';
import { getQuantizer, listQuantizers, registerQuantizer, unregisterQuantizer, type QuantizerFactory, type QuantizerFactoryOptions } from './registry';
import { createVqvae, decodeWeights, encodeWeights, vqvaeConfigSchema } from './model';
import { trainVqvae } from './train';
import { loadVqvae } from './io';
import { readJsonl } from '../util/jsonl';
import { fitTokenizer } from '../tokenizer';
import { irisZoo } from './zoo.fixture';

// ---- The extension point: a whole quantizer plugin, as it would sit in its own file (one file + one line). ----
/**
 * The VQ-VAE paper's own quantizer (van den Oord et al. 2017, eq. 3): the nearest code, straight-through to z; the
 * codebook is trained by the optimizer through ||sg(z) - e||^2, and beta ||z - sg(e)||^2 holds the encoder to it.
 * Per-kind codebooks: kind k's rows may only take codes [k*C, (k+1)*C) (kindPenalty).
 */
function sgdQuantizer(o: QuantizerFactoryOptions): Quantizer {
  const C = o.codebookSize, D = o.dim;
  const embed = tf.tidy(() => tf.variable<tf.Rank.R2>(tf.randomNormal([C * o.kinds, D], 0, 1, 'float32', o.seed), true, `${o.scope}/embed`)); // (kinds*C, D)
  return {
    kind: 'sgd', codebookSize: C, dim: D, variables: [embed], trainable: [embed],
    quantize: (z, q = {}) => tf.tidy(() => {
      const d = squaredDistances(z, embed); // (M, kinds*C)
      const indices = tf.argMin(q.kinds && o.kinds > 1 ? tf.add(d, kindPenalty(q.kinds, o.kinds, C)) : d, 1) as tf.Tensor1D; // (M,)
      const e = lookup(embed, indices); // (M, D), differentiable in the codebook
      const codebookLoss = tf.mean(tf.square(tf.sub(stopGradient(z), e)));
      const commit = tf.mean(tf.square(tf.sub(z, stopGradient(e))));
      return { quantized: straightThrough(z, e), indices, commitLoss: tf.add(codebookLoss, tf.mul(o.commitmentWeight, commit)) as tf.Scalar };
    }),
    lookup: (indices) => lookup(embed, indices),
    codebook: () => embed,
    dispose: () => embed.dispose(),
  };
}
const sgdFactory: QuantizerFactory = { rowsPerChunk: (levels) => levels, perKindCodebooks: true, create: sgdQuantizer };
// ---- end of the plugin; the one line: ----
registerQuantizer('sgd', sgdFactory);
afterAll(() => { unregisterQuantizer('sgd'); });
beforeAll(() => tf.setBackend('cpu'));

const data = (m: number, d: number, seed: number) => tf.randomNormal([m, d], 0, 1, 'float32', seed) as tf.Tensor2D;

describe('quantizers', () => {
  it('EMA: straight-through gradient reaches z; commitment gradient pulls z towards its code', () => {
    const before = tf.memory().numTensors;
    const q = emaQuantizer({ codebookSize: 16, dim: 4, seed: 3, scope: 'tq1' });
    const z = data(32, 4, 1);
    const w = data(32, 4, 2);
    const g = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(q.quantize(x as tf.Tensor2D).quantized, w)))(z);
    expect(Array.from(g.dataSync())).toEqual(Array.from(w.dataSync())); // identity through the quantizer
    const gc = tf.grad((x: tf.Tensor) => q.quantize(x as tf.Tensor2D).commitLoss)(z);
    tf.tidy(() => {
      expect(tf.max(tf.abs(gc)).dataSync()[0]).toBeGreaterThan(0);
      expect(tf.sum(stopGradient(z)).dataSync()[0]).toBeCloseTo(tf.sum(z).dataSync()[0], 4);
    });
    tf.dispose([z, w, g, gc]);
    q.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('EMA: updates move used codes to their data, and dead codes restart from batch rows', () => {
    const before = tf.memory().numTensors;
    const q = emaQuantizer({ codebookSize: 8, dim: 2, decay: 0.5, deadCodeThreshold: 0.5, seed: 1, scope: 'tq2' });
    const z = tf.tensor2d([[10, 10], [10.2, 9.8], [-10, 5], [-9.8, 5.2]]); // far from the N(0,1) codebook
    const e0 = q.codebook().arraySync();
    let dead = 0;
    for (let s = 0; s < 6; s++) {
      const { indices, quantized, commitLoss } = q.quantize(z);
      dead += q.update(z, indices, s).deadCodes;
      tf.dispose([indices, quantized, commitLoss]);
    }
    expect(dead).toBeGreaterThan(0);
    const e = q.codebook().arraySync();
    expect(e).not.toEqual(e0);
    // every data row now has a code within 0.5 of it
    const d = tf.tidy(() => tf.min(tf.sum(tf.square(tf.sub(tf.expandDims(z, 1), tf.expandDims(q.codebook(), 0))), 2), 1).arraySync());
    for (const x of d) expect(x).toBeLessThan(0.25);
    z.dispose();
    q.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('EMA: the in-place host update matches the tfjs composition (decay, Laplace smoothing, no restarts); no leaks', () => {
    const before = tf.memory().numTensors;
    const decay = 0.9, eps = 1e-5;
    const q = emaQuantizer({ codebookSize: 16, dim: 4, decay, eps, deadCodeThreshold: 0, seed: 2, scope: 'tq_host' });
    const z = data(64, 4, 3);
    const [e0, size0, avg0] = q.variables.map((v) => tf.clone(v));
    const { indices, quantized, commitLoss } = q.quantize(z);
    const expected = tf.tidy(() => { // the composition update() ran before the host loops
      const onehot = tf.oneHot(indices, 16);
      const size = tf.add(tf.mul(size0, decay), tf.mul(tf.sum(onehot, 0), 1 - decay));
      const avg = tf.add(tf.mul(avg0, decay), tf.mul(tf.matMul(onehot, z, true, false), 1 - decay));
      const n = tf.sum(size);
      return [tf.div(avg, tf.expandDims(tf.mul(tf.div(tf.add(size, eps), tf.add(n, 16 * eps)), n), 1)), size, avg];
    });
    expect(q.update(z, indices, 0).deadCodes).toBe(0);
    q.variables.forEach((v, i) => expect(maxAbsDiff(v, expected[i])).toBeLessThan(1e-6));
    tf.dispose([z, e0, size0, avg0, indices, quantized, commitLoss, ...expected]);
    q.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('residual: each level lowers the error; codes decode by lookup', () => {
    const before = tf.memory().numTensors;
    const z = data(512, 4, 5);
    const errs = [1, 2, 4].map((levels) => {
      const q = residualQuantizer({ levels, codebookSize: 32, dim: 4, seed: 2, scope: `tq3_${levels}` });
      q.initFrom(z, 0);
      const e = tf.tidy(() => {
        const { quantized, indices } = q.quantize(z);
        expect(indices.shape).toEqual([512 * levels]);
        expect(tf.max(tf.abs(tf.sub(q.lookup(indices), quantized))).dataSync()[0]).toBeLessThan(1e-5);
        return tf.mean(tf.square(tf.sub(quantized, z))).dataSync()[0];
      });
      q.dispose();
      return e;
    });
    expect(errs[1]).toBeLessThan(errs[0] * 0.8);
    expect(errs[2]).toBeLessThan(errs[1] * 0.8);
    z.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('Gumbel: gradients reach projection and codebook; temperature anneals to its floor; seeded', () => {
    const before = tf.memory().numTensors;
    const q = gumbelQuantizer({ codebookSize: 16, dim: 4, seed: 1, scope: 'tq4' });
    const z = data(32, 4, 9);
    const { grads, value } = tf.variableGrads(() => tf.sum(tf.square(q.quantize(z, { training: true, seed: 11, step: 0 }).quantized)) as tf.Scalar, q.trainable);
    tf.tidy(() => { for (const v of q.trainable) expect(tf.max(tf.abs(grads[v.name])).dataSync()[0]).toBeGreaterThan(0); });
    const a = tf.tidy(() => q.quantize(z, { training: true, seed: 5, step: 3 }).quantized.arraySync());
    const b = tf.tidy(() => q.quantize(z, { training: true, seed: 5, step: 3 }).quantized.arraySync());
    expect(a).toEqual(b);
    expect(gumbelTemperature({ temperature: 1, anneal: 1e-2, minTemperature: 1e-4 }, 0)).toBe(1);
    expect(gumbelTemperature({ temperature: 1, anneal: 1e-2, minTemperature: 1e-4 }, 1e5)).toBe(1e-4);
    tf.dispose([z, value, ...Object.values(grads)]);
    q.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

// The quantizer options a VQ-VAE with the default config hands its factory (defaults read from the schema).
const C = 16, D = 4, L = 4, N = 12; // codes per codebook, code dim, codes per chunk, chunks
const defaults = Object.fromEntries((['decay', 'commitmentWeight', 'deadCodeThreshold', 'temperature', 'minTemperature', 'anneal'] as const)
  .map((k) => [k, vqvaeConfigSchema.properties[k].default])) as Pick<QuantizerFactoryOptions, 'decay' | 'commitmentWeight' | 'deadCodeThreshold' | 'temperature' | 'minTemperature' | 'anneal'>;
let made = 0; // a fresh variable scope per quantizer, so one failed test does not break the next with a name clash
const options = (name: string, kinds = 1): QuantizerFactoryOptions => ({ codebookSize: C, dim: D, levels: L, kinds, seed: 7, scope: `conf_${name}_${made++}`, ...defaults });
const maxAbsDiff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);

// Every registered quantizer (the built-ins and the plugin above) passes the same suite.
describe.each(listQuantizers().map((q) => q.name))('quantizer conformance: %s', (name) => {
  const plugin = getQuantizer(name);
  const rows = plugin.rowsPerChunk(L); // latent rows per chunk
  const M = N * rows;

  it('declares rows per chunk dividing l; quantize gives (M, D), indices (N*l,) in range, lookup(indices) = the eval forward values; no leaks', () => {
    expect(Number.isInteger(rows) && rows >= 1 && L % rows === 0).toBe(true);
    const before = tf.memory().numTensors;
    const q = plugin.create(options(name));
    expect([q.kind, q.codebookSize, q.dim]).toEqual([name, C, D]);
    expect(q.codebook().shape).toEqual([C, D]);
    expect(q.trainable.every((v) => q.variables.includes(v))).toBe(true);
    const z = data(M, D, 1);
    q.initFrom?.(z, 0);
    for (const training of [false, true]) {
      tf.tidy(() => {
        const { quantized, indices, commitLoss } = q.quantize(z, { training, seed: 3, step: 0 });
        expect(quantized.shape).toEqual([M, D]);
        expect(indices.shape).toEqual([N * L]);
        expect(indices.dtype).toBe('int32');
        expect(commitLoss.rank).toBe(0);
        expect(Number.isFinite(commitLoss.dataSync()[0])).toBe(true);
        for (const i of indices.dataSync()) expect(i >= 0 && i < C).toBe(true);
        const back = q.lookup(indices);
        expect(back.shape).toEqual([M, D]);
        if (!training) expect(maxAbsDiff(back, quantized)).toBeLessThan(1e-5); // no straight-through noise at eval
      });
    }
    z.dispose();
    q.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('gradients reach every row of z through the quantizer (straight-through); no leaks', () => {
    const before = tf.memory().numTensors;
    const q = plugin.create(options(name));
    const z = data(M, D, 2), w = data(M, D, 3);
    const g = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(q.quantize(x as tf.Tensor2D, { training: true, seed: 5, step: 0 }).quantized, w)))(z);
    expect(g.shape).toEqual([M, D]);
    const norms = tf.tidy(() => tf.sum(tf.abs(g), 1).dataSync());
    for (const n of norms) expect(Number.isFinite(n) && n > 0).toBe(true);
    tf.dispose([z, w, g]);
    q.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('update and initFrom (codebooks updated outside the optimizer, when it has them) keep shapes; no leaks', () => {
    const before = tf.memory().numTensors;
    const q = plugin.create(options(name));
    const z = data(M, D, 4);
    q.initFrom?.(z, 0);
    if (q.update) {
      for (let step = 0; step < 3; step++) {
        const { indices, quantized, commitLoss } = q.quantize(z, { training: true, seed: step, step });
        expect(q.update(z, indices, step).deadCodes).toBeGreaterThanOrEqual(0);
        tf.dispose([indices, quantized, commitLoss]);
      }
    }
    expect(q.variables.every((v) => !v.isDisposed)).toBe(true);
    expect(q.codebook().shape).toEqual([C, D]);
    z.dispose();
    q.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it.runIf(plugin.perKindCodebooks)('per-kind codebooks keep every row\'s codes inside its kind\'s slice; no leaks', () => {
    const before = tf.memory().numTensors;
    const nK = 3;
    const q = plugin.create(options(name, nK));
    expect(q.codebookSize).toBe(C); // per kind
    const chunkKinds = Int32Array.from({ length: N }, (_, c) => (c * 7) % nK);
    const rowKinds = Int32Array.from({ length: M }, (_, r) => chunkKinds[Math.floor(r / rows)]); // (M,)
    const z = data(M, D, 6);
    const kt = tf.tensor1d(rowKinds, 'int32');
    q.initFrom?.(z, 0, rowKinds);
    for (const training of [false, true]) {
      const idx = tf.tidy(() => {
        const { indices } = q.quantize(z, { training, seed: 1, step: 0, kinds: kt });
        if (q.update) q.update(z, indices, 0, rowKinds);
        return indices.dataSync();
      });
      idx.forEach((i, j) => {
        const k = chunkKinds[Math.floor(j / L)]; // codes of chunk c are [c*l, (c+1)*l)
        expect(i >= k * C && i < (k + 1) * C).toBe(true);
      });
    }
    tf.dispose([z, kt]);
    q.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('quantizer registry', () => {
  it('holds the built-ins (the schema enum by default); rejects duplicates; unknown names list the registered ones', () => {
    expect(Object.keys(builtinQuantizers)).toEqual(['ema', 'residual', 'gumbel']);
    expect(vqvaeConfigSchema.properties.quantizer.enum).toEqual(['ema', 'residual', 'gumbel']);
    expect(listQuantizers().map((q) => q.name)).toEqual(['ema', 'gumbel', 'residual', 'sgd']);
    expect(getQuantizer('residual').rowsPerChunk(4)).toBe(1);
    expect(getQuantizer('ema').rowsPerChunk(4)).toBe(4);
    expect(() => registerQuantizer('ema', sgdFactory)).toThrow(/quantizer "ema" is already registered/);
    expect(() => getQuantizer('kmeans')).toThrow(/unknown quantizer "kmeans"; registered: ema, gumbel, residual, sgd/);
    expect(() => createVqvae({ quantizer: 'kmeans' }, 'reg1')).toThrow(/quantizer: must be equal to one of the allowed values \(ema, gumbel, residual, sgd\)/);
    expect(() => createVqvae({ quantizer: 'gumbel', kinds: ['a', 'b'] }, 'reg2')).toThrow(/per-kind codebooks \(kinds\) need a quantizer that has them \(ema, residual, sgd\), not gumbel/);
    const before = tf.memory().numTensors;
    registerQuantizer('bad-rows', { ...sgdFactory, rowsPerChunk: () => 3 });
    expect(() => createVqvae({ quantizer: 'bad-rows', codesPerChunk: 4 }, 'reg3')).toThrow(/rowsPerChunk\(4\) is 3, not a divisor/);
    unregisterQuantizer('bad-rows');
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a plugin quantizer trains inside a VQ-VAE (per-kind codebooks), saves and loads by name; no leaks', async () => {
    const zoo = irisZoo(4, 40);
    const tok = fitTokenizer(zoo, { chunkSize: 8 });
    const before = tf.memory().numTensors;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'igpg-vq-plugin-'));
    const model = { quantizer: 'sgd', codesPerChunk: 2, codebookSize: 16, codeDim: 4, hidden: [16] };
    const { vq } = await trainVqvae({ scope: 'plug', dir, tokenizer: tok, networks: zoo, progress: false, config: { steps: 40, batchSize: 64, perKind: true, model } });
    expect(vq.quantizer.kind).toBe('sgd');
    expect(vq.config.kinds.length).toBeGreaterThan(1);
    expect(vq.trainable).toContain(vq.quantizer.codebook()); // the optimizer trains its codebook
    const rows = readJsonl<{ recon: number }>(path.join(dir, 'metrics.jsonl'));
    const avg = (r: typeof rows) => r.reduce((a, b) => a + b.recon, 0) / r.length;
    expect(avg(rows.slice(-10))).toBeLessThan(avg(rows.slice(0, 10)));
    const { codes } = encodeWeights(vq, tok, zoo[0].infos, zoo[0].flat);
    for (const c of codes) expect(c >= 0 && c < 16).toBe(true);
    const { vq: loaded, tokenizer } = loadVqvae(path.join(dir, 'model'), 'plug_loaded');
    expect(Array.from(encodeWeights(loaded, tokenizer, zoo[0].infos, zoo[0].flat).codes)).toEqual(Array.from(codes));
    expect(Array.from(decodeWeights(loaded, tokenizer, zoo[0].infos, codes))).toEqual(Array.from(decodeWeights(vq, tok, zoo[0].infos, codes)));
    vq.dispose();
    loaded.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
