import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerArchitecture, unregisterArchitecture } from './sdk/architecture';
import { flattenWeights } from './sdk/weights';
import { hiddenArch } from './sdk/testing-arch.fixture';
import { fitCanonicalizer } from './canon/canonicalizer';
import { chunkKind, fitTokenizer } from './tokenizer';
import { trainVqvae } from './vqvae/train';
import { kindIds } from './vqvae/model';
import { codecSpace, decodeNetwork, encodeNetwork } from './codec';

const arch = hiddenArch('codec-test-hidden');
const ref = (hidden = 6) => ({ name: arch.name, spec: { inputShape: [5], classes: 3, hidden } });
const flatOf = (seed: number, hidden = 6) => {
  const net = arch.build(ref(hidden).spec, seed);
  const f = flattenWeights(net);
  net.dispose();
  return f;
};
let tmp = '';

beforeAll(async () => {
  await tf.setBackend('cpu');
  registerArchitecture(arch);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'igpg-codec-'));
});
afterAll(() => {
  unregisterArchitecture(arch.name);
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('weight codec', () => {
  it('aligns, centers, quantizes with per-kind codebooks and decodes back close to the aligned weights', async () => {
    const infos = arch.describe(ref().spec);
    const zoo = [1, 2, 3, 4, 5, 6].map((s) => ({ architecture: ref(), flat: flatOf(s) }));
    const { canon, aligned } = fitCanonicalizer(zoo);
    const centered = aligned.map((a) => ({ infos, flat: codecSpace(canon, ref(), a.flat, { aligned: true }) }));
    const tokenizer = fitTokenizer(centered, { chunkSize: 8 });
    const before = tf.memory().numTensors;
    const { vq } = await trainVqvae({ dir: tmp, tokenizer, networks: centered, progress: false, scope: 'codec-vq',
      config: { steps: 60, batchSize: 32, checkpointEvery: 0, perKind: true, model: { codesPerChunk: 3, codebookSize: 16, codeDim: 8, hidden: [16] } } });
    // two kinds: the 6 hidden units (5 inputs + bias) and the 3 output units (6 inputs + bias)
    expect(vq.config.kinds).toEqual(['0/2:kernel:6:0/1', '1/2:kernel:7:0/1']);
    const codec = { tokenizer, vq, canon };
    const { codes, positions } = encodeNetwork(codec, ref(), infos, zoo[0].flat);
    expect(codes.length).toBe(9 * 3);
    expect(codes.every((c) => c >= 0 && c < 16)).toBe(true);
    expect(Array.from(kindIds(vq.config.kinds, positions)!)).toEqual([0, 0, 0, 0, 0, 0, 1, 1, 1]);
    const back = decodeNetwork(codec, ref(), infos, codes);
    const err = back.reduce((a, v, i) => a + (v - aligned[0].flat[i]) ** 2, 0) / back.length;
    const spread = aligned[0].flat.reduce((a, v) => a + v * v, 0) / back.length;
    expect(err).toBeLessThan(spread); // a real reconstruction, not noise
    vq.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('maps an unseen chunk kind to the known kind of the same layer and role with the nearest length', () => {
    const kinds = ['0/2:kernel:6:0/1', '1/2:kernel:7:0/1'];
    const wider = [{ layer: 1, layers: 2, role: 'kernel' as const, length: 9, part: 0, parts: 1 }, { layer: 0, layers: 2, role: 'kernel' as const, length: 6, part: 0, parts: 1 }];
    expect(chunkKind(wider[1] as never)).toBe(kinds[0]);
    expect(Array.from(kindIds(kinds, wider as never)!)).toEqual([1, 0]);
    expect(kindIds([], wider as never)).toBeUndefined();
  });
});
