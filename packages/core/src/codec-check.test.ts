import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildZoo } from './zoo/build';
import { readManifest } from './zoo/manifest';
import { loadPlugins } from './zoo/plugins';
import { getArchitecture } from './sdk/architecture';
import { loadNetworkSafetensors } from './io/safetensors';
import { initBackend, shutdownBackend } from './backend/init';
import { fitTokenizer } from './tokenizer';
import { trainVqvae } from './vqvae/train';
import { functionalCheck } from './codec-check';

// A tiny REAL zoo (MLPs trained on the blobs dataset by the zoo builder), then the functional check on it.
const plugins = ['@igpg/architectures', '@igpg/datasets'];
const zooConfig = {
  tasks: ['blobs-4:all'], architectures: [{ name: 'mlp', spec: { hidden: [8] }, label: 'mlp8' }], seeds: 6, epochs: [3],
  optimizer: { learningRate: 0.1, batchSize: 16 }, trainLimit: 200, testLimit: 100,
};
let zoo = '';
beforeAll(async () => {
  zoo = fs.mkdtempSync(path.join(os.tmpdir(), 'igpg-vqzoo-'));
  await buildZoo(zooConfig, { out: zoo, plugins, workers: 1, progress: false });
  await loadPlugins(plugins);
  await initBackend({ backend: 'wasm', threads: 1 });
});
afterAll(() => shutdownBackend());

describe('functionalCheck', () => {
  it('rebuilds every zoo network from its codes and scores original vs reconstructed on the test split', async () => {
    const m = readManifest(zoo);
    const nets = m.entries.map((e) => {
      const infos = getArchitecture(e.architecture.name).describe(e.architecture.spec);
      return { infos, flat: loadNetworkSafetensors(path.join(zoo, e.weights.file), infos).flat };
    });
    const tok = fitTokenizer(nets, { chunkSize: 4 });
    const { vq } = await trainVqvae({ scope: 'fc', dir: fs.mkdtempSync(path.join(os.tmpdir(), 'igpg-vqfc-')), tokenizer: tok, networks: nets, progress: false,
      config: { steps: 1000, batchSize: 128, lr: 5e-3, model: { codesPerChunk: 4, codebookSize: 64, codeDim: 4, hidden: [32] } } });
    const r = await functionalCheck(zoo, vq, tok, { limit: 100 });
    vq.dispose();
    expect(r.rows).toHaveLength(6);
    for (const row of r.rows) {
      // the original accuracy matches the zoo builder's test accuracy (another random 100-sample subset of the split)
      expect(Math.abs(row.original - m.entries.find((e) => e.id === row.id)!.test.accuracy)).toBeLessThan(0.1);
      expect(row.reconstructed).toBeGreaterThanOrEqual(0);
      expect(row.drop).toBeCloseTo(100 * (row.original - row.reconstructed), 6);
    }
    expect(r.meanDrop).toBeLessThan(8); // blobs are easy and 4 codes per 4 values is generous (measured: 3.3 points)
    expect(r.fractionWithin).toBeGreaterThan(0);
    await expect(functionalCheck(zoo, vq, tok, { entries: () => false })).rejects.toThrow(/no zoo entries selected/);
  });
});
