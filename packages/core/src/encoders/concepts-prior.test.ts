// End to end: a prior conditioned through the concept encoder, trained on the zoo's templated instructions only,
// generates the right network for hand-written paraphrases it never saw (greedy decoding).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { registerBuiltinArchitectures } from '@igpg/architectures';
import { registerBuiltinDatasets } from '@igpg/datasets';
import { initBackend, shutdownBackend } from '../backend/init';
import { getDataset } from '../sdk/dataset';
import { createTokenizer } from '../tokenizer';
import { createVqvae, tokenizerHash } from '../vqvae/model';
import { Prior } from '../prior/prior';
import { trainPrior } from '../prior/train';
import { priorExamples } from '../prior/examples';
import { generate } from '../generate';
import { makeTask } from '../zoo/task';
import { createRng } from '../rng';
import { conceptInstructionEncoder } from './concepts';

const architecture = { name: 'mlp', spec: { inputShape: [4], classes: 2, hidden: [6] } }; // 4*6 + 6 + 6*2 + 2 = 44 values
const randomFlat = (seed: number) => { const r = createRng(seed); return Float32Array.from({ length: 44 }, () => r.normal() * 0.5); };
let tmp: string;

beforeAll(async () => {
  await initBackend({ backend: 'wasm', threads: 1, native: false, log: () => {} });
  registerBuiltinArchitectures();
  registerBuiltinDatasets();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'concept-prior-'));
});
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
  shutdownBackend();
});

describe('a prior with the concept encoder', () => {
  it('trained on templated instructions, generates the right network for unseen paraphrases', async () => {
    const before = tf.memory().numTensors;
    const tasks = [makeTask(getDataset('mnist'), ['4', '9']), makeTask(getDataset('mnist'), ['1', '7']), makeTask(getDataset('fashion-mnist'), ['Sandal', 'Sneaker'])];
    const tokenizer = createTokenizer({ chunkSize: 8, grouping: 'layer' });
    const vqvae = createVqvae({ chunkSize: 8, codesPerChunk: 2, codebookSize: 32, codeDim: 4, hidden: [16], tokenizerHash: tokenizerHash(tokenizer) }, 'cp-vq');
    const examples = priorExamples(tasks.map((t, i) => ({ architecture, flat: randomFlat(i + 1), instructions: t.instructions })), { tokenizer, vq: vqvae });
    const prior = new Prior({ codebookSize: 32, codesPerChunk: 2, chunkSize: 8, dModel: 32, nLayers: 1, nHeads: 2, contextLength: 12, condDim: 16, architectureBuckets: 256, condDropout: 0, seed: 2, tokenizerHash: tokenizerHash(tokenizer) },
      { scope: 'cp-prior', instructionEncoder: conceptInstructionEncoder({ vectors: 'none' }) });
    const res = await trainPrior({ prior, examples, dir: path.join(tmp, 'run'), config: { steps: 150, batchSize: 8, lr: 1e-2, checkpointEvery: 0, seed: 1 }, progress: false });
    expect(res.last.loss).toBeLessThan(0.1);
    const paraphrases: [string, number][] = [
      ['fours versus nines', 0], ['is it a nine or a four?', 0], ['tell a 4 from a 9', 0],
      ['ones vs sevens', 1], ['is this digit a 7 or a 1', 1],
      ['sneaker vs sandal', 2], ['is it a sandal or a sneaker', 2],
    ];
    for (const [text, want] of paraphrases) {
      expect(tasks[want].instructions).not.toContain(text);
      const r = await generate({ prior, tokenizer, vqvae, architecture, instruction: text, sampler: { topK: 1 }, n: 1, seed: 3, build: false });
      expect(Array.from(r.codes[0]), text).toEqual(Array.from(examples[want].codes));
    }
    prior.dispose(); vqvae.dispose();
    expect(tf.memory().numTensors).toBe(before);
  }, 300_000);
});
