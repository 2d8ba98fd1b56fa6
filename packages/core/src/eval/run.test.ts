import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { registerBuiltinArchitectures } from '@igpg/architectures';
import { registerBuiltinDatasets } from '@igpg/datasets';
import { initBackend, shutdownBackend } from '../backend/init';
import { buildZoo } from '../zoo/build';
import { readManifest } from '../zoo/manifest';
import { trainPriorStage, trainTokenizerStage } from '../pipeline/stages';
import { writeGeneratorConfig } from '../pipeline/generator';
import { validate } from '../util/config';
import { runEvaluation } from './run';
import { evalResultsSchema, type EvalResults } from './results';

// A real tiny pipeline: a zoo of 2-D MLPs on synthetic blobs (buildZoo), a tokenizer fit on it, a VQ-VAE and a prior
// trained for a few steps. The numbers are poor by design; the test checks the report is complete and consistent.
const tiny = {
  name: 'eval-tiny',
  tasks: ['blobs-4:blob-0+blob-1', 'blobs-4:blob-1+blob-2+blob-3', 'blobs-4:blob-1+blob-3'], // the 3-class task contains the held-out pair: its cut baseline
  architectures: [{ name: 'mlp', spec: { hidden: [8] }, label: 'mlp8' }],
  seeds: 3,
  epochs: [2, 4],
  optimizer: { learningRate: 0.1, batchSize: 16 },
  trainLimit: 160,
  testLimit: 80,
  heldOut: { tasks: ['blobs-4:blob-1+blob-3'], seeds: [2] },
};
let root: string;
const dirs = () => ({ zoo: path.join(root, 'zoo'), generator: path.join(root, 'bundle') });

beforeAll(async () => {
  await initBackend({ backend: 'wasm', threads: 1, native: false, log: () => {} });
  registerBuiltinArchitectures();
  registerBuiltinDatasets();
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'igpg-eval-'));
  const d = dirs();
  await buildZoo(tiny, { out: d.zoo, plugins: ['@igpg/architectures', '@igpg/datasets'], workers: 1, progress: false });
  // the real stages: align + tokenizer + VQ-VAE (its loss weighted by each weight's Fisher importance), then the prior, then the bundle's config.json
  const codec = await trainTokenizerStage({ zoo: d.zoo, out: path.join(d.generator, 'vqvae'), tokenizer: { chunkSize: 8 }, progress: false,
    vqvae: { steps: 80, batchSize: 64, checkpointEvery: 0, importance: { examples: 16, batchSize: 4 }, model: { codesPerChunk: 2, codebookSize: 32, codeDim: 4, hidden: [32] } } });
  codec.vq.dispose();
  const p = await trainPriorStage({ zoo: d.zoo, vqvae: path.join(d.generator, 'vqvae'), out: path.join(d.generator, 'prior'), supportK: 0, progress: false,
    prior: { dModel: 32, nLayers: 1, nHeads: 2, contextLength: 48, condDim: 16, instructionBuckets: 1024, architectureBuckets: 256, seed: 1 },
    train: { steps: 40, batchSize: 8, lr: 1e-2, checkpointEvery: 0, seed: 1 } });
  p.prior.dispose();
  p.vq.dispose();
  writeGeneratorConfig(d.generator);
}, 240_000);
afterAll(() => {
  if (root) fs.rmSync(root, { recursive: true, force: true });
  shutdownBackend();
});

const inUnit = (x: number | null | undefined) => x === null || x === undefined || (x >= 0 && x <= 1);

describe('runEvaluation (quick) on a real tiny zoo', () => {
  it('writes a complete, valid, consistent report; reruns reproduce it; no tensor leaks', async () => {
    const out = path.join(root, 'report');
    const before = tf.memory().numTensors;
    const opts = { ...dirs(), out, seed: 3, quick: true, progress: false, command: 'vitest eval quick' };
    const res = await runEvaluation(opts);
    expect(tf.memory().numTensors).toBe(before);
    expect(fs.existsSync(path.join(out, 'results.json'))).toBe(true);
    const md = fs.readFileSync(path.join(out, 'REPORT.md'), 'utf8');
    const json = JSON.parse(fs.readFileSync(path.join(out, 'results.json'), 'utf8')) as EvalResults;
    validate(evalResultsSchema, json, 'results.json');

    // rows: both seen tasks, the held-out seed row, the held-out task
    expect(json.rows.map((r) => `${r.group}:${r.task}`)).toEqual([
      'seen:blobs-4:blob-0+blob-1', 'seen:blobs-4:blob-1+blob-2+blob-3', 'heldOutSeed:blobs-4:blob-0+blob-1', 'heldOutTask:blobs-4:blob-1+blob-3']);
    for (const r of json.rows) {
      expect(r.pretrained.min).toBeLessThanOrEqual(r.pretrained.median);
      expect(r.pretrained.median).toBeLessThanOrEqual(r.pretrained.max);
      expect(r.pretrained.median).toBeGreaterThan(0.6); // blobs are easy: the zoo learned them
      expect(r.chance).toBe(1 / r.classes.length);
      if (r.group === 'heldOutSeed') {
        expect(r.generated).toBeNull();
        expect(r.referenceRelative).toBeGreaterThan(0);
        continue;
      }
      expect(r.generated!.samples).toHaveLength(2);
      expect(r.generated!.best).toBeGreaterThanOrEqual(r.generated!.mean);
      expect(Object.keys(r.generatedFinetuned!)).toEqual(['1']);
      expect(Object.keys(r.randomFinetuned!)).toEqual(['1', '3', '5']);
      for (const s of [r.generated!, r.generatedFinetuned!['1'], ...Object.values(r.randomFinetuned!)]) {
        expect(s.samples.every(inUnit)).toBe(true);
        expect(s.best).toBe(Math.max(...s.samples));
      }
      const m = r.memorization!;
      expect(m.nearest).toHaveLength(2);
      expect(m.typicalDistance).toBeGreaterThan(0);
      for (const q of m.nearest) {
        expect(q.relative).toBeCloseTo(q.distance / m.typicalDistance, 6);
        expect(inUnit(q.noisyAccuracy) && inUnit(q.generatedAccuracy)).toBe(true);
      }
      expect(m.generatedMean).toBeCloseTo(r.generated!.mean, 6); // the same networks, the same test data
      const b = r.baselines!;
      expect(b.noisy).toBeCloseTo(m.noisyMean, 6);
      expect(inUnit(b.nearest)).toBe(true);
      if (r.group === 'seen') expect(inUnit(b.alignedMean) && b.alignedMean !== null).toBe(true);
      else expect(b.alignedMean).toBeNull();
      expect(r.paraphrases).toHaveLength(1);
      expect(readManifest(dirs().zoo).entries.some((e) => e.task.instructions.includes(r.paraphrases![0].instruction))).toBe(false);
      const ret = r.retrieval!;
      expect(ret.candidates).toBe(6); // 3 seeds x 2 epochs
      expect(ret.top1.accuracy).toBeLessThanOrEqual(ret.best);
      if (r.classes.length === 3) expect(ret.taskMatch).toBeNull(); // the only 3-class task: nothing to tell it from
      else expect(ret.taskMatch).not.toBeNull();
      if (r.group !== 'heldOutTask') expect(r.cut).toBeNull();
    }
    // the cut: the 3-class task's training seeds (0, 1; seed 2 is held out) cut to blob-1 + blob-3
    const held = json.rows.find((r) => r.group === 'heldOutTask')!;
    expect(held.cut).toMatchObject({ candidates: 2, tasks: ['blobs-4:blob-1+blob-2+blob-3'] });
    expect(held.cut!.from).toMatch(/^blobs-4:blob-1\+blob-2\+blob-3\//);
    expect(held.cut!.best).toBeGreaterThanOrEqual(held.cut!.median);
    expect(held.cut!.best).toBeGreaterThan(0.6); // the 3-class networks know blobs 1 and 3: cut, they still tell them apart
    // issue #11's targets, recomputed from the rows
    const target = (name: string) => json.targets.find((t) => t.name === name)!;
    expect(target('held-out-vs-pretrained').met).toBe(held.generated!.mean >= 0.8 * held.pretrained.median);
    expect(target('held-out-beats-cut').met).toBe(held.generated!.mean > held.cut!.best);
    expect(target('held-out-transfer').met).toBe(held.generatedFinetuned!['1'].mean >= held.randomFinetuned!['5'].mean);
    expect(target('held-out-beats-cut').value).toContain(held.cut!.from);
    // conditioning: 3 generating rows, two of them 2-class (comparable), one 3-class (alone in its layout)
    expect(json.conditioning.matrix).toHaveLength(3);
    const gen = json.rows.filter((r) => r.generated);
    json.conditioning.matrix.forEach((line, i) => line.forEach((x, j) => expect(x === null).toBe(gen[i].classes.length !== gen[j].classes.length)));
    expect(json.conditioning.matrix.flat().every(inUnit)).toBe(true);
    const c = json.conditioning;
    expect(target('conditioning-fidelity').met).toBe(c.diagonalBest! >= 0.9 && c.diagonalMean! - c.offDiagonalMean! >= 0.3);
    const drops = gen.flatMap((r) => r.paraphrases!.map((q) => r.generated!.mean - q.mean));
    expect(target('paraphrases').met).toBe(drops.reduce((a, b) => a + b, 0) / drops.length <= 0.03);
    // no dataset condition in this run (supportShots 0): nothing to generate from the support images alone
    expect(json.rows.every((r) => r.emptyInstruction === null)).toBe(true);
    expect(target('empty-instruction')).toMatchObject({ met: null, value: expect.stringMatching(/supportShots 0/) });
    json.rows.filter((r) => r.generated).forEach((r, i) => expect(json.conditioning.matrix[i][i]).toBeCloseTo(r.generated!.mean, 6));
    // cross-architecture: one held-out variant, generated for (the tokenizer falls back on role/fan-in stats)
    expect(json.crossArchitecture).toHaveLength(1);
    expect(json.crossArchitecture[0].architecture.label).toBe('mlp-wider');
    expect((json.crossArchitecture[0].architecture.spec as { hidden: number[] }).hidden).toEqual([12]);
    // targets: every one present; reproducibility not checked on the first run
    expect(json.targets.map((t) => t.name)).toEqual(['seen-no-training', 'seen-best-of-n', 'beats-baselines', 'held-out-no-training', 'held-out-one-epoch', 'held-out-vs-pretrained', 'held-out-beats-cut', 'held-out-transfer', 'conditioning-fidelity', 'paraphrases', 'empty-instruction', 'not-copies', 'retrieval', 'cross-architecture', 'reproducible']);
    expect(json.targets.find((t) => t.name === 'reproducible')!.met).toBeNull();
    expect(json.meta.machine.cores).toBeGreaterThan(0);
    expect(json.meta.backend).toMatch(/wasm/);
    expect(json.meta.command).toBe('vitest eval quick');
    expect(md).toMatch(/# IGPG evaluation report/);
    expect(md).toContain(json.memorizationVerdict);
    expect(md).toMatch(/## Held-out tasks/);
    expect(md).toMatch(/\| cut: best \(median\) of n seen \|.*\| random \+5 ep mean \/ best \|/);
    expect(md).toMatch(/PNG plots skipped: no renderer given/);
    expect(res.meta.resultsHash).toBe(json.meta.resultsHash);

    // same command + seed -> same results, and the report says so
    const again = await runEvaluation(opts);
    expect(again.meta.resultsHash).toBe(res.meta.resultsHash);
    expect(again.meta.reproduced).toEqual({ previousHash: res.meta.resultsHash, same: true });
    expect(again.targets.find((t) => t.name === 'reproducible')!.met).toBe(true);
    expect(tf.memory().numTensors).toBe(before);
    // a previous report of another results schema (older code, other fields) is not a rerun: not compared
    const prev = JSON.parse(fs.readFileSync(path.join(out, 'results.json'), 'utf8')) as EvalResults;
    fs.writeFileSync(path.join(out, 'results.json'), JSON.stringify({ ...prev, meta: { ...prev.meta, schemaHash: '0'.repeat(64) } }));
    expect((await runEvaluation(opts)).meta.reproduced).toBeNull();

    // a dataset condition (k shots per class) and a task filter
    const cond = await runEvaluation({ ...opts, out: path.join(root, 'report-cond'), supportShots: 2, tasks: ['blobs-4:blob-0+blob-1'] });
    expect(cond.meta.options).toMatchObject({ supportShots: 2, tasks: ['blobs-4:blob-0+blob-1'] });
    expect(cond.rows.map((r) => r.group)).toEqual(['seen', 'heldOutSeed']);
    expect(cond.meta.resultsHash).not.toBe(res.meta.resultsHash);
    // with a support set, the seen row also generates from it alone (empty instruction), and the target is checked
    const seenCond = cond.rows.find((r) => r.group === 'seen')!;
    expect(seenCond.emptyInstruction!.samples).toHaveLength(2);
    expect(seenCond.emptyInstruction!.samples.every(inUnit)).toBe(true);
    expect(cond.rows.find((r) => r.group === 'heldOutSeed')!.emptyInstruction).toBeNull();
    const emptyTarget = cond.targets.find((t) => t.name === 'empty-instruction')!;
    expect(emptyTarget.met).toBe(seenCond.generated!.mean - seenCond.emptyInstruction!.mean <= 0.05);
    expect(fs.readFileSync(path.join(root, 'report-cond', 'REPORT.md'), 'utf8')).toContain('(empty: support images only)');
    expect(tf.memory().numTensors).toBe(before);
  }, 240_000);

  it('fails clearly on missing inputs, unknown tasks and bad options', async () => {
    const d = dirs();
    await expect(runEvaluation({ ...d, generator: path.join(root, 'nope'), out: path.join(root, 'r2'), progress: false })).rejects.toThrow(/generator bundle not found: .*nope.*config\.json.*npm run demo/);
    await expect(runEvaluation({ ...d, zoo: path.join(root, 'nozoo'), out: path.join(root, 'r2'), progress: false })).rejects.toThrow(/zoo not found.*igpg zoo build/);
    await expect(runEvaluation({ ...d, tasks: ['mnist:all'], out: path.join(root, 'r2'), progress: false })).rejects.toThrow(/unknown task "mnist:all"; the zoo has: blobs-4:blob-0\+blob-1/);
    await expect(runEvaluation({ ...d, samples: 0, progress: false })).rejects.toThrow(/samples must be a positive integer/);
    expect(fs.existsSync(path.join(root, 'r2'))).toBe(false);
  });
});
