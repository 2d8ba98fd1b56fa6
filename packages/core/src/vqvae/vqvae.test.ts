import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, shutdownBackend } from '../backend/init';
import { readJsonl } from '../util/jsonl';
import { fitTokenizer, type Tokenizer } from '../tokenizer';
import { decodeWeights, encodeWeights, createVqvae, type Vqvae } from './model';
import { trainVqvae } from './train';
import { saveVqvae, loadVqvae } from './io';
import { codeUsage } from './usage';
import { irisAccuracy, irisZoo } from './zoo.fixture';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'igpg-vq-'));
let zoo: ReturnType<typeof irisZoo>;
let tok: Tokenizer;
let vq: Vqvae;
let dir: string;
const model = { codesPerChunk: 4, codebookSize: 128, codeDim: 8, hidden: [64] };

beforeAll(async () => {
  await initBackend({ backend: 'wasm', threads: 1 });
  zoo = irisZoo(12, 60); // 12 real Iris MLPs (131 params each)
  tok = fitTokenizer(zoo, { chunkSize: 8 });
  dir = tmp();
  ({ vq } = await trainVqvae({ dir, tokenizer: tok, networks: zoo, progress: false, config: { steps: 400, batchSize: 128, checkpointEvery: 100, model } }));
});
afterAll(() => {
  vq?.dispose();
  shutdownBackend();
});

describe('VQ-VAE on a real (Iris MLP) zoo', () => {
  it('training lowers the masked reconstruction loss and logs usage', () => {
    const rows = readJsonl<{ step: number; recon: number; perplexity: number; used: number; deadCodes: number }>(path.join(dir, 'metrics.jsonl'));
    expect(rows.length).toBe(400);
    const avg = (r: typeof rows) => r.reduce((a, b) => a + b.recon, 0) / r.length;
    expect(avg(rows.slice(-20))).toBeLessThan(avg(rows.slice(0, 20)) / 3);
    expect(rows.at(-1)!.perplexity).toBeGreaterThan(10);
    // codebook usage snapshots for the dashboard: one per 50 steps, counts summed over the window (B * codesPerChunk each step)
    const usage = readJsonl<{ step: number; codeCounts: number[] }>(path.join(dir, 'codebook-usage.jsonl'));
    expect(usage.map((u) => u.step)).toEqual([50, 100, 150, 200, 250, 300, 350, 400]);
    expect(usage[0].codeCounts).toHaveLength(128);
    expect(usage[0].codeCounts.reduce((a, b) => a + b, 0)).toBe(50 * 128 * 4);
    const ckpt = JSON.parse(fs.readFileSync(path.join(dir, 'checkpoint.json'), 'utf8'));
    expect(ckpt.extra.tokenizer).toEqual(tok.toJSON());
    expect(fs.existsSync(path.join(dir, 'model', 'vqvae.json'))).toBe(true);
  });

  it('decode(encode(w)) has the architecture\'s shape and stays close to w; usage is reported', () => {
    const before = tf.memory().numTensors;
    const enc = zoo.map((n) => encodeWeights(vq, tok, n.infos, n.flat));
    expect(enc[0].codes.length).toBe(enc[0].positions.length * 4);
    let err = 0, energy = 0, accDrop = 0;
    zoo.forEach((n, k) => {
      const back = decodeWeights(vq, tok, n.infos, enc[k].codes);
      expect(back.length).toBe(n.flat.length);
      back.forEach((v, i) => { err += (v - n.flat[i]) ** 2; energy += n.flat[i] ** 2; });
      accDrop += n.accuracy - irisAccuracy(back);
    });
    expect(err / energy).toBeLessThan(0.15); // relative squared error
    expect(accDrop / zoo.length).toBeLessThan(0.3); // Iris nets are fragile; the zoo-scale check is functionalCheck
    expect(zoo.reduce((a, n) => a + n.accuracy, 0) / zoo.length - accDrop / zoo.length).toBeGreaterThan(0.66); // far above chance (1/3)
    const u = codeUsage(enc, 128);
    expect(u.counts.reduce((a, b) => a + b, 0)).toBe(enc.length * enc[0].codes.length);
    expect(u.perLayer.map((l) => l.layer)).toEqual([0, 1]);
    expect(u.perplexity).toBeGreaterThan(5);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('save/load round-trips exactly; mismatched pairs and versions are clear errors', () => {
    const out = tmp();
    saveVqvae(out, vq, tok);
    expect(() => createVqvae(model)).toThrow(/scope "vqvae" is used by another live model/);
    const { vq: vq2, tokenizer } = loadVqvae(out); // picks a free scope next to the live 'vqvae'
    expect(vq2.variables[0].name.startsWith('vqvae_2/')).toBe(true);
    const { codes } = encodeWeights(vq2, tokenizer, zoo[0].infos, zoo[0].flat);
    expect(Array.from(codes)).toEqual(Array.from(encodeWeights(vq, tok, zoo[0].infos, zoo[0].flat).codes));
    expect(Array.from(decodeWeights(vq2, tokenizer, zoo[0].infos, codes))).toEqual(Array.from(decodeWeights(vq, tok, zoo[0].infos, codes)));
    const other = fitTokenizer(zoo.slice(0, 3), { chunkSize: 8 });
    expect(() => encodeWeights(vq2, other, zoo[0].infos, zoo[0].flat)).toThrow(/not the one the VQ-VAE was trained with/);
    expect(() => encodeWeights(vq2, fitTokenizer(zoo, { chunkSize: 4 }), zoo[0].infos, zoo[0].flat)).toThrow(/chunk size 4 does not match/);
    expect(() => decodeWeights(vq2, tokenizer, zoo[0].infos, [1, 2, 3])).toThrow(/3 codes, the architecture needs/);
    expect(() => vq2.decodeChunks([0, 1, 2, 999])).toThrow(/code 999 is outside the codebook/);
    vq2.dispose();
    const meta = JSON.parse(fs.readFileSync(path.join(out, 'vqvae.json'), 'utf8'));
    fs.writeFileSync(path.join(out, 'vqvae.json'), JSON.stringify({ ...meta, version: 7 }));
    expect(() => loadVqvae(out, 'vqvae3')).toThrow(/version 7/);
    fs.writeFileSync(path.join(out, 'vqvae.json'), JSON.stringify({ ...meta, config: { ...meta.config, codebookSize: 64 } }));
    expect(() => loadVqvae(out, 'vqvae4')).toThrow(/shape/);
  });

  it('same seed reproduces; a resumed run matches an unbroken one; no leaks', async () => {
    const before = tf.memory().numTensors;
    const cfg = { steps: 12, batchSize: 64, checkpointEvery: 4, model: { ...model, seed: 5 } };
    const a = await trainVqvae({ scope: 'va', dir: tmp(), tokenizer: tok, networks: zoo, progress: false, config: cfg });
    const resumedDir = tmp();
    // abort after the step-8 checkpoint (the same config: the LR schedule depends on steps)
    const abort = (s: number) => { if (s === 8) throw new Error('abort'); };
    await expect(trainVqvae({ scope: 'vb', dir: resumedDir, tokenizer: tok, networks: zoo, progress: false, config: cfg, onCheckpoint: abort })).rejects.toThrow('abort');
    const b = await trainVqvae({ scope: 'vb', dir: resumedDir, tokenizer: tok, networks: zoo, progress: false, config: cfg });
    expect(b.result.startStep).toBe(8);
    a.vq.variables.forEach((v, i) => expect(Array.from(b.vq.variables[i].dataSync())).toEqual(Array.from(v.dataSync())));
    a.vq.dispose();
    b.vq.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(() => createVqvae({ quantizer: 'kmeans' } as never)).toThrow(/quantizer: must be equal to one of the allowed values/);
  });

  it('trains with the product EMA and the Gumbel quantizers too', async () => {
    for (const quantizer of ['ema', 'gumbel'] as const) {
      const d = tmp();
      const { vq: v } = await trainVqvae({ scope: `q_${quantizer}`, dir: d, tokenizer: tok, networks: zoo, progress: false,
        config: { steps: 60, batchSize: 128, lr: 3e-3, model: { ...model, quantizer, anneal: 0.02, minTemperature: 0.1 } } });
      const rows = readJsonl<{ recon: number }>(path.join(d, 'metrics.jsonl'));
      const avg = (r: typeof rows) => r.reduce((a, b) => a + b.recon, 0) / r.length;
      expect(avg(rows.slice(-10))).toBeLessThan(avg(rows.slice(0, 10)));
      const { codes } = encodeWeights(v, tok, zoo[0].infos, zoo[0].flat);
      expect(decodeWeights(v, tok, zoo[0].infos, codes).length).toBe(zoo[0].flat.length);
      v.dispose();
    }
  });
});
