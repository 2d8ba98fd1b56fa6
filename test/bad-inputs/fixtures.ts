// A tiny real generator (zoo -> VQ-VAE -> prior, built with the binary), and corrupt copies of its files.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { igpg } from './run';

export const zooConfig = {
  name: 'bad-inputs', tasks: ['blobs-4:all'], architectures: [{ name: 'mlp', spec: { hidden: [4] }, label: 'mlp4' }],
  seeds: 2, epochs: [1], optimizer: { learningRate: 0.1, batchSize: 32 }, trainLimit: 100, testLimit: 50,
};
export const pipelineConfig = {
  tokenizer: { chunkSize: 8 },
  vqvae: { steps: 6, batchSize: 16, checkpointEvery: 3, model: { codebookSize: 16, codesPerChunk: 2, hidden: [8] } },
  prior: { dModel: 16, nLayers: 1, nHeads: 2, contextLength: 32, instructionBuckets: 64, architectureBuckets: 64 },
  priorTrain: { steps: 4, batchSize: 4, checkpointEvery: 2 },
  supportK: 2,
};

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/**
 * Copy a generator bundle, rewrite its prior's weights with `edit`, and record the new size and sha256 in the
 * checkpoint and its digest in the bundle's config.json (so only the content check can catch the defect).
 */
function corruptPrior(src: string, dst: string, edit: (bytes: Buffer, headerLen: number, header: Record<string, any>) => Buffer, keepChecksum = true): void {
  fs.cpSync(src, dst, { recursive: true });
  const metaFile = path.join(dst, 'prior', 'checkpoint.json');
  const meta = JSON.parse(fs.readFileSync(metaFile, 'utf8'));
  const wFile = path.join(dst, 'prior', meta.weights.file);
  const bytes = fs.readFileSync(wFile);
  const n = Number(bytes.readBigUInt64LE(0));
  const out = edit(bytes, n, JSON.parse(bytes.subarray(8, 8 + n).toString()));
  fs.writeFileSync(wFile, out);
  if (keepChecksum) {
    meta.weights.size = out.length;
    meta.weights.sha256 = sha(out);
    fs.writeFileSync(metaFile, JSON.stringify(meta));
    const bundleFile = path.join(dst, 'config.json');
    const bundle = JSON.parse(fs.readFileSync(bundleFile, 'utf8'));
    bundle.digests['prior/checkpoint.json'] = sha(fs.readFileSync(metaFile));
    fs.writeFileSync(bundleFile, JSON.stringify(bundle));
  }
}

export interface Fixtures {
  /** gen is a generator bundle (config.json, vqvae/, prior/); the corrupt ones are copies of it. */
  dir: string; zoo: string; gen: string; vq: string; prior: string; file: string; empty: string;
  nanPrior: string; truncatedPrior: string; overlapPrior: string; nanZoo: string; badSafetensors: string;
  config: (name: string, value: unknown) => string;
}

export async function buildFixtures(dir: string): Promise<Fixtures> {
  const config = (name: string, value: unknown) => {
    const f = path.join(dir, name);
    fs.writeFileSync(f, typeof value === 'string' || Buffer.isBuffer(value) ? value : JSON.stringify(value));
    return f;
  };
  const zoo = path.join(dir, 'zoo'), gen = path.join(dir, 'gen'), vq = path.join(gen, 'vqvae'), prior = path.join(gen, 'prior');
  const zooFile = config('zoo.json', zooConfig), pipe = config('pipeline.json', pipelineConfig);
  for (const args of [
    ['zoo', 'build', '--config', zooFile, '--out', zoo, '--workers', '1'],
    ['vqvae', 'train', '--zoo', zoo, '--out', vq, '--config', pipe],
    ['prior', 'train', '--zoo', zoo, '--vqvae', vq, '--out', prior, '--config', pipe],
  ]) {
    const r = await igpg(args, 180_000);
    if (r.code !== 0) throw new Error(`fixture step failed: igpg ${args.join(' ')}\n${r.stderr}`);
  }
  const file = config('a-file.txt', 'not a folder');
  const empty = path.join(dir, 'empty-folder');
  fs.mkdirSync(empty);

  const nanPrior = path.join(dir, 'gen-nan');
  corruptPrior(gen, nanPrior, (b, n) => { const o = Buffer.from(b); o.writeFloatLE(NaN, 8 + n); return o; });
  const truncatedPrior = path.join(dir, 'gen-truncated');
  corruptPrior(gen, truncatedPrior, (b) => b.subarray(0, b.length - 100), false);
  const overlapPrior = path.join(dir, 'gen-overlap');
  corruptPrior(gen, overlapPrior, (b, n, h) => {
    const names = Object.keys(h).filter((k) => k !== '__metadata__');
    const [first, second] = names.sort((x, y) => h[x].data_offsets[0] - h[y].data_offsets[0]);
    const len = h[second].data_offsets[1] - h[second].data_offsets[0];
    h[second].data_offsets = [h[first].data_offsets[0], h[first].data_offsets[0] + len]; // lies on top of the first
    const json = JSON.stringify(h).padEnd(n, ' ');
    const o = Buffer.from(b);
    o.write(json, 8, 'utf8');
    return o;
  });

  // A zoo whose first weight file is all NaN, with the entry's size and sha256 matching (a checksum alone passes it).
  const nanZoo = path.join(dir, 'zoo-nan');
  fs.cpSync(zoo, nanZoo, { recursive: true });
  const manifest = JSON.parse(fs.readFileSync(path.join(nanZoo, 'manifest.json'), 'utf8'));
  const e = manifest.entries[0];
  const w = fs.readFileSync(path.join(nanZoo, e.weights.file));
  const n = Number(w.readBigUInt64LE(0));
  for (let o = 8 + n; o + 4 <= w.length; o += 4) w.writeFloatLE(NaN, o);
  fs.writeFileSync(path.join(nanZoo, e.weights.file), w);
  e.weights.sha256 = sha(w);
  fs.writeFileSync(path.join(nanZoo, 'manifest.json'), JSON.stringify(manifest));

  const badSafetensors = config('bad.safetensors', Buffer.from([1, 2, 3]));
  return { dir, zoo, gen, vq, prior, file, empty, nanPrior, truncatedPrior, overlapPrior, nanZoo, badSafetensors, config };
}
