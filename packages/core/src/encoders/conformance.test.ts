// A user's own instruction encoder: the README's keyword-count encoder passes checkInstructionEncoder, is plugged
// into a prior through the registry, trained, saved and rebuilt from the checkpoint; broken encoders are caught.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { registerBuiltinArchitectures } from '@igpg/architectures';
import { registerBuiltinDatasets } from '@igpg/datasets';
import { initBackend, shutdownBackend } from '../backend/init';
import { createTokenizer } from '../tokenizer';
import { createVqvae, tokenizerHash } from '../vqvae/model';
import { Prior } from '../prior/prior';
import { trainPrior } from '../prior/train';
import { priorExamples } from '../prior/examples';
import { loadPrior } from '../prior/checkpoint';
import { generate } from '../generate';
import { createRng } from '../rng';
import type { InstructionEncoder } from './instruction';
import { builtinInstructionEncoders, createInstructionEncoder, registerInstructionEncoder, unregisterInstructionEncoder } from './registry';
import { checkInstructionEncoder } from './conformance';

// The README's example encoder ("Your own encoder"), as written there.
const keywords = (config: { words: string[] }): InstructionEncoder => ({
  kind: 'keyword-counts', dim: config.words.length, variables: {},
  encode: (texts) => tf.tensor2d(texts.flatMap((t) => config.words.map((w) => t.split(w).length - 1)), [texts.length, config.words.length]),
  config: () => ({ ...config }), dispose: () => {},
});

const architecture = { name: 'mlp', spec: { inputShape: [4], classes: 2, hidden: [6] } }; // 44 values
const randomFlat = (seed: number) => { const r = createRng(seed); return Float32Array.from({ length: 44 }, () => r.normal() * 0.5); };
let tmp: string;

beforeAll(async () => {
  await initBackend({ backend: 'wasm', threads: 1, native: false, log: () => {} });
  registerBuiltinArchitectures();
  registerBuiltinDatasets(); // the concept encoder's lexicon is the registered datasets' words
  registerInstructionEncoder({ name: 'keyword-counts', create: (c) => keywords(c as { words: string[] }) });
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'encoder-conformance-'));
});
afterAll(() => {
  unregisterInstructionEncoder('keyword-counts');
  fs.rmSync(tmp, { recursive: true, force: true });
  shutdownBackend();
});

describe('checkInstructionEncoder', () => {
  it('passes every built-in encoder and the README example; leaves them usable; no leaks', () => {
    const before = tf.memory().numTensors;
    const small: Record<string, Record<string, unknown>> = { 'hashed-ngrams': { buckets: 256, dim: 8 }, concepts: { vectors: 'none' } }; // default config otherwise
    const builtins = builtinInstructionEncoders.map((f) => createInstructionEncoder({ kind: f.name, ...small[f.name] }, `cf/${f.name}`));
    const encs = [...builtins, keywords({ words: ['digit', 'sandal', 'four'] })];
    for (const enc of encs) {
      expect(() => checkInstructionEncoder(enc), enc.kind).not.toThrow();
      const v = enc.encode(['tell a sandal from a sneaker']);
      expect(v.shape).toEqual([1, enc.dim]);
      v.dispose();
      enc.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('names what a broken encoder gets wrong', () => {
    const before = tf.memory().numTensors;
    const base = keywords({ words: ['digit', 'sandal', 'four'] });
    const leaked: tf.Tensor[] = [];
    const broken: [string, InstructionEncoder, RegExp][] = [
      ['wrong shape', { ...base, dim: 5 }, /gave shape \[3, 3\], expected \[3, 5\]/],
      ['leaks', { ...base, encode: (t) => { leaked.push(tf.scalar(1)); return base.encode(t); } }, /left 1 tensor behind/],
      ['batch-dependent', { ...base, encode: (t) => tf.tidy(() => { const x = base.encode(t); return tf.sub(x, tf.mean(x, 0)) as tf.Tensor2D; }) }, /row 0 of a batch differs from the same instruction encoded alone/],
      ['constant', { ...base, encode: (t) => tf.ones([t.length, 3]) as tf.Tensor2D }, /every instruction gave the same vector/],
      ['not JSON', { ...base, config: () => ({ f: () => 1 }) as never }, /plain JSON object/],
      ['unregistered', { ...base, kind: 'nobody-registered-me' }, /registerInstructionEncoder\(\{ name: 'nobody-registered-me'/],
      ['config misses something', { ...keywords({ words: ['digit', 'sandal', 'four'] }), config: () => ({ words: ['digit', 'sandal', 'sneaker'] }) }, /rebuilt from config\(\) .* encodes differently/],
    ];
    for (const [what, enc, want] of broken) expect(() => checkInstructionEncoder(enc), what).toThrow(want);
    tf.dispose(leaked);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a custom encoder plugged into a prior: trained with it, rebuilt from the checkpoint by its factory, generates per instruction', async () => {
    const before = tf.memory().numTensors;
    const tokenizer = createTokenizer({ chunkSize: 8, grouping: 'layer' });
    const vqvae = createVqvae({ chunkSize: 8, codesPerChunk: 2, codebookSize: 32, codeDim: 4, hidden: [16], tokenizerHash: tokenizerHash(tokenizer) }, 'cf-vq');
    const examples = priorExamples([
      { architecture, flat: randomFlat(1), instructions: ['classify the digit images', 'which digit is it'] },
      { architecture, flat: randomFlat(2), instructions: ['classify the sandal images', 'which sandal is it'] },
    ], { tokenizer, vq: vqvae });
    const encoder = keywords({ words: ['digit', 'sandal'] });
    checkInstructionEncoder(encoder);
    const prior = new Prior({ codebookSize: 32, codesPerChunk: 2, chunkSize: 8, dModel: 32, nLayers: 1, nHeads: 2, contextLength: 12, condDim: 16, architectureBuckets: 256, condDropout: 0, seed: 2, tokenizerHash: tokenizerHash(tokenizer) },
      { scope: 'cf-prior', instructionEncoder: encoder });
    const dir = path.join(tmp, 'run');
    const res = await trainPrior({ prior, examples, dir, config: { steps: 150, batchSize: 8, lr: 1e-2, checkpointEvery: 0, seed: 1 }, progress: false });
    expect(res.last.loss).toBeLessThan(0.1);
    prior.dispose();
    const loaded = await loadPrior(dir); // rebuilt through the registry from the saved kind + config
    expect(loaded.instructionEncoder.kind).toBe('keyword-counts');
    expect(loaded.instructionEncoder.config()).toEqual({ words: ['digit', 'sandal'] });
    for (const [text, want] of [['a digit classifier please', 0], ['sandal or not?', 1]] as const) {
      const r = await generate({ prior: loaded, tokenizer, vqvae, architecture, instruction: text, sampler: { topK: 1 }, n: 1, seed: 3, build: false });
      expect(Array.from(r.codes[0]), text).toEqual(Array.from(examples[want].codes));
    }
    loaded.dispose(); vqvae.dispose();
    expect(tf.memory().numTensors).toBe(before);
  }, 300_000);
});
