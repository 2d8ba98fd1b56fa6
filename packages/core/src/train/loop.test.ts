import { describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { readJsonl } from '../util/jsonl';
import { readCheckpointMeta } from './checkpoint';
import { runTrainingLoop } from './loop';
import { toyRun } from './loop.fixture';

const fixture = path.join(__dirname, 'loop.fixture.ts');
const tsx = path.resolve(__dirname, '../../../../node_modules/.bin/tsx');
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'igpg-loop-'));

describe('runTrainingLoop', () => {
  it('a run killed with SIGKILL resumes to bit-identical weights', () => {
    const straight = tmp(), killed = tmp();
    const ref = JSON.parse(execFileSync(tsx, [fixture, straight, '20'], { encoding: 'utf8' })).sha256;
    const dead = spawnSync(tsx, [fixture, killed, '20', '12'], { encoding: 'utf8' });
    expect(String(dead.signal ?? dead.status)).toMatch(/SIGKILL|137/);
    expect(readCheckpointMeta(killed)!.step).toBe(10);
    expect(readJsonl(path.join(killed, 'metrics.jsonl')).length).toBe(12); // steps 11, 12 logged before the kill
    const resumed = JSON.parse(execFileSync(tsx, [fixture, killed, '20'], { encoding: 'utf8' })).sha256;
    expect(resumed).toBe(ref);
    const rows = readJsonl<{ step: number; loss: number }>(path.join(killed, 'metrics.jsonl'));
    expect(rows.map((r) => r.step)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    const refRows = readJsonl<{ step: number; loss: number }>(path.join(straight, 'metrics.jsonl'));
    expect(rows.map((r) => r.loss)).toEqual(refRows.map((r) => r.loss));
    expect(fs.readdirSync(killed).filter((f) => f.endsWith('.safetensors'))).toEqual(['weights-20.safetensors']);
  }, 120_000);

  it('in process: same seed reproduces, resume with more steps continues, no tensor leaks', async () => {
    const a = tmp(), b = tmp();
    const before = tf.memory().numTensors;
    const h20 = await toyRun(a, 20);
    expect(tf.memory().numTensors).toBe(before);
    await toyRun(b, 10);
    expect(await toyRun(b, 20)).toBe(h20); // '/steps' may differ on resume
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses a changed config, another kind, and an occupied dir without resume', async () => {
    await tf.setBackend('cpu');
    const dir = tmp();
    const w = tf.variable(tf.zeros([2]), true, 'cfg/w');
    const base = { dir, kind: 'toy', steps: 2, checkpointEvery: 1, variables: [w], progress: false as const, step: () => ({ loss: 0 }) };
    await runTrainingLoop({ ...base, config: { lr: 1 }, resume: false });
    await expect(runTrainingLoop({ ...base, config: { lr: 1 }, resume: false })).rejects.toThrow(/already holds a toy checkpoint.*resume: true/);
    await expect(runTrainingLoop({ ...base, config: { lr: 2 }, resume: true })).rejects.toThrow(/\/lr: 1 -> 2/);
    await expect(runTrainingLoop({ ...base, kind: 'prior', config: { lr: 1 }, resume: true })).rejects.toThrow(/"toy" checkpoint, not "prior"/);
    const schema = { type: 'object', additionalProperties: false, properties: { lr: { type: 'number' } } };
    await expect(runTrainingLoop({ ...base, dir: tmp(), schema, config: { lr: 1, lf: 2 }, resume: true })).rejects.toThrow(/unknown key "lf"/);
    w.dispose();
  });
});
