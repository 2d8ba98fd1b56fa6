// Generation with an empty instruction: the dataset condition (k support samples per class) alone must say which
// task is meant (issue #11). A prior trained with each condition dropped on its own (condDropout) has seen the
// support set without the instruction; given only support samples of a task, drawn with another seed than the
// ones it was trained on, it must generate that task's network.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { registerBuiltinArchitectures } from '@igpg/architectures';
import { registerBuiltinDatasets } from '@igpg/datasets';
import { initBackend, shutdownBackend } from '../backend/init';
import { getDataset } from '../sdk/dataset';
import { resolveArchitecture } from './resolve';
import { createTokenizer } from '../tokenizer';
import { createVqvae, tokenizerHash } from '../vqvae/model';
import { Prior, PREFIX } from '../prior/prior';
import { trainPrior } from '../prior/train';
import { priorExamples } from '../prior/examples';
import { generate, rank } from '../generate';
import { taskSupportSet } from '../pipeline/zoo-networks';
import { makeTask } from '../zoo/task';
import { createRng } from '../rng';

// The network is a tiny 2-class MLP (its weights only have to differ per task); the condition is real MNIST digits.
const architecture = { name: 'mlp', spec: { inputShape: [2], classes: 2, hidden: [6] } }; // 2*6 + 6 + 6*2 + 2 = 32 values
const randomFlat = (seed: number) => { const r = createRng(seed); return Float32Array.from({ length: 32 }, () => r.normal() * 0.5); };
let tmp: string;

beforeAll(async () => {
  await initBackend({ backend: 'wasm', threads: 1, native: false, log: () => {} });
  registerBuiltinArchitectures();
  registerBuiltinDatasets();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'support-only-'));
});
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
  shutdownBackend();
});

describe('generation from the support set alone', () => {
  it('an empty instruction uses the null instruction vector, and the support set picks the task; no leaks', async () => {
    // Two tasks of one dataset: only the classes differ. (Not 2-D blobs: the set encoder standardises each support
    // set, so two pairs of Gaussian clusters look alike to it; digits keep their shapes.)
    const ds = getDataset('mnist');
    const tasks = [makeTask(ds, ['0', '1']), makeTask(ds, ['4', '9'])];
    const trainSupport = await Promise.all(tasks.map((t) => taskSupportSet(t, 5, 1)));
    const otherSupport = await Promise.all(tasks.map((t) => taskSupportSet(t, 5, 7))); // other samples of the same classes
    expect(Array.from(otherSupport[0].x)).not.toEqual(Array.from(trainSupport[0].x));
    const before = tf.memory().numTensors;
    const tokenizer = createTokenizer({ chunkSize: 8, grouping: 'layer' });
    const vqvae = createVqvae({ chunkSize: 8, codesPerChunk: 2, codebookSize: 32, codeDim: 4, hidden: [16], tokenizerHash: tokenizerHash(tokenizer) }, 'so-vq');
    const examples = priorExamples(tasks.map((t, i) => ({ architecture, flat: randomFlat(i + 1), instructions: t.instructions, dataset: trainSupport[i] })), { tokenizer, vq: vqvae });
    expect(Array.from(examples[0].codes)).not.toEqual(Array.from(examples[1].codes));
    const prior = new Prior({ codebookSize: 32, codesPerChunk: 2, chunkSize: 8, dModel: 32, nLayers: 1, nHeads: 2, contextLength: 12, condDim: 16, instructionBuckets: 1024, architectureBuckets: 256, condDropout: 0.5, seed: 2, tokenizerHash: tokenizerHash(tokenizer) }, { scope: 'so-prior' });
    const res = await trainPrior({ prior, examples, dir: path.join(tmp, 'run'), config: { steps: 200, batchSize: 8, lr: 1e-2, checkpointEvery: 0, seed: 1 }, progress: false });
    expect(res.last.loss).toBeLessThan(0.5);

    // '' is the null instruction vector: the same prefix as an instruction dropped by the CFG mask
    const cond = { instruction: '', architecture: resolveArchitecture(architecture).condition, dataset: otherSupport[0] };
    const keep = new Float32Array(PREFIX).fill(1);
    keep[0] = 0;
    const [empty, dropped] = [prior.prefix([cond]), prior.prefix([{ ...cond, instruction: 'anything at all' }], keep)];
    expect(Array.from(empty.dataSync())).toEqual(Array.from(dropped.dataSync()));
    // a batch mixing an empty instruction and a real one keeps each row's own condition
    const mixed = prior.prefix([cond, { ...cond, instruction: tasks[1].instructions[0] }]);
    const alone = prior.prefix([{ ...cond, instruction: tasks[1].instructions[0] }]);
    expect(Array.from(mixed.dataSync().slice(0, empty.size))).toEqual(Array.from(empty.dataSync()));
    const tail = mixed.dataSync().slice(empty.size);
    Array.from(alone.dataSync()).forEach((v, i) => expect(tail[i]).toBeCloseTo(v, 6));
    tf.dispose([empty, dropped, mixed, alone]);

    for (const [i, support] of otherSupport.entries()) {
      for (const instruction of ['', undefined]) {
        const r = await generate({ prior, tokenizer, vqvae, architecture, instruction, dataset: support, sampler: { topK: 1 }, n: 1, seed: 3, build: false });
        expect(Array.from(r.codes[0]), `task ${tasks[i].id}, instruction ${JSON.stringify(instruction)}`).toEqual(Array.from(examples[i].codes));
      }
    }
    // rank with the support set alone: each task's network is the more likely under its own support set
    const cands = examples.map((e, i) => ({ id: tasks[i].id, codes: e.codes }));
    expect(rank(cands, { prior, tokenizer, vqvae, architecture, dataset: otherSupport[1] })[0].id).toBe(tasks[1].id);
    // neither an instruction nor a support set: a clear error
    await expect(generate({ prior, tokenizer, vqvae, architecture, instruction: ' ', n: 1 })).rejects.toThrow(/instruction is empty .*or give a dataset support set/);
    await expect(generate({ prior, tokenizer, vqvae, architecture, n: 1 })).rejects.toThrow(/instruction is empty/);
    prior.dispose(); vqvae.dispose();
    expect(tf.memory().numTensors).toBe(before);
  }, 300_000);
});
