import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerBuiltinArchitectures } from '@igpg/architectures';
import { registerBuiltinDatasets } from '@igpg/datasets';
import { getDataset } from '../sdk/dataset';
import { checkpointRecord, type CheckpointRecord } from '../zoo/checkpoint';
import { resolveZooConfig, stableHash, type ZooJob } from '../zoo/config';
import { trainJob } from '../zoo/train';
import { checkZooJobPayload, zooJobPayload, type ZooJobResult } from './payload';
import { verifyZooResult } from './verify';

// A real job (iris, tiny MLP) trained here; its result is then tampered with in every way a bad
// worker or a corrupted transfer could, and each must be rejected with the reason.
let job: ZooJob;
let records: CheckpointRecord[];
const result = (): ZooJobResult => ({ version: 1, key: job.key, worker: 'test/1', checkpoints: records.map((r) => ({ entry: structuredClone(r.entry), weights: Buffer.from(r.bytes).toString('base64') })) });

describe('zoo queue payloads and results', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
    registerBuiltinArchitectures();
    registerBuiltinDatasets();
    const { jobs } = resolveZooConfig({ tasks: ['iris:all'], architectures: [{ name: 'mlp', spec: { hidden: [4] }, label: 'm4' }], seeds: 1, epochs: [1, 2], optimizer: { learningRate: 0.05, batchSize: 16 } });
    job = jobs[0];
    records = [];
    const before = tf.memory().numTensors;
    await trainJob(job, getDataset('iris'), (c) => void records.push(checkpointRecord(job, c, 'cpu')));
    expect(tf.memory().numTensors).toBe(before);
  });

  it('accepts a genuine result and returns the same bytes and entries', () => {
    const got = verifyZooResult(job, result());
    expect(got.map((r) => stableHash(r.entry))).toEqual(records.map((r) => stableHash(r.entry)));
    expect(Buffer.from(got[1].bytes).equals(Buffer.from(records[1].bytes))).toBe(true);
  });

  it('rejects tampered results, naming what is wrong', () => {
    const tamper = (f: (r: ZooJobResult) => void) => {
      const r = result();
      f(r);
      return () => verifyZooResult(job, r);
    };
    expect(tamper((r) => (r.key = 'iris:all/m4/s9'))).toThrow(/result is for job "iris:all\/m4\/s9"/);
    expect(tamper((r) => r.checkpoints.pop())).toThrow(/epochs \[1\], expected \[1, 2\]/);
    expect(tamper((r) => ((r.checkpoints[0].entry as { seed: number }).seed = 7))).toThrow(/field "seed" is 7, the job says 0/);
    expect(tamper((r) => ((r.checkpoints[0].entry as { extra?: number }).extra = 1))).toThrow(/unknown key "extra"/);
    // One flipped byte in the weights: the checksum catches it.
    expect(tamper((r) => {
      const b = Buffer.from(r.checkpoints[1].weights, 'base64');
      b[b.length - 1] ^= 1;
      r.checkpoints[1].weights = b.toString('base64');
    })).toThrow(/checksum .* does not match/);
    // A NaN weight with a checksum that matches (a worker that computed garbage): refused as non-finite.
    expect(tamper((r) => {
      const b = Buffer.from(r.checkpoints[1].weights, 'base64');
      b.writeFloatLE(NaN, b.length - 4);
      const entry = r.checkpoints[1].entry as { weights: { sha256: string } };
      entry.weights.sha256 = require('node:crypto').createHash('sha256').update(b).digest('hex');
      r.checkpoints[1].weights = b.toString('base64');
    })).toThrow(/non-finite value/);
    expect(tamper((r) => (r.checkpoints[0].weights = '###'))).toThrow(/not valid base64/);
  });

  it('checks job payloads against the schema, the size cap and the registries', () => {
    expect(checkZooJobPayload(zooJobPayload('a'.repeat(64), job)).job.key).toBe(job.key);
    const bad = (f: (p: ReturnType<typeof zooJobPayload>) => void) => {
      const p = structuredClone(zooJobPayload('a'.repeat(64), job));
      f(p);
      return () => checkZooJobPayload(p);
    };
    expect(bad((p) => ((p.job.task as { dataset: string }).dataset = 'nope'))).toThrow(/dataset "nope" is not registered/);
    expect(bad((p) => (p.job.arch.params = 3))).toThrow(/says 3 parameters, the spec has/);
    expect(bad((p) => (p.job.arch.spec = { ...p.job.arch.spec, hidden: [5] }))).toThrow(/parameters, the spec has/);
    expect(bad((p) => (p.job.epochs = [2, 1]))).toThrow(/strictly increasing/);
    expect(bad((p) => (p.job.epochs = [100000]))).toThrow(/must be <= 1000/);
    expect(bad((p) => (p.job.key = 'iris:all/m4/s3'))).toThrow(/does not match its task, label and seed/);
    expect(bad((p) => ((p as { plugins?: string[] }).plugins = ['evil-module']))).toThrow(/unknown key "plugins"/);
    expect(bad((p) => (p.job.task.instructions = ['x'.repeat(70_000)]))).toThrow(/over the 65536-byte limit/);
  });
});
