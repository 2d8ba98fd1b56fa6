import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { FileIntegrityError } from '../io/atomic';
import { CheckpointMismatchError, configDiff, loadCheckpoint, saveCheckpoint } from './checkpoint';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'igpg-ckpt-'));
const lossOf = (w: tf.Variable) => () => tf.sum(tf.square(w)) as tf.Scalar;

describe('checkpoint', () => {
  it('round-trips variables and Adam state exactly: the next step matches', async () => {
    await tf.setBackend('cpu');
    const before = tf.memory().numTensors;
    const dir = tmp();
    const w = tf.tidy(() => tf.variable(tf.tensor1d([1, 2, 3]), true, 'ck/w'));
    const ema = tf.tidy(() => tf.variable(tf.tensor2d([[5, 6]]), false, 'ck/ema'));
    const opt = tf.train.adam(0.1);
    for (let i = 0; i < 3; i++) opt.minimize(lossOf(w));
    await saveCheckpoint(dir, { kind: 't', step: 3, config: { a: 1 }, variables: [w, ema], optimizer: opt, extra: { cursor: 3 } });
    opt.minimize(lossOf(w)); // the unkilled run's step 4
    const expected = Array.from(w.dataSync());
    tf.dispose([w, ema]);
    opt.dispose();

    const w2 = tf.tidy(() => tf.variable(tf.zeros([3]), true, 'ck/w'));
    const ema2 = tf.tidy(() => tf.variable(tf.zeros([1, 2]), false, 'ck/ema'));
    const opt2 = tf.train.adam(0.1);
    const meta = await loadCheckpoint(dir, { kind: 't', config: { a: 1 }, variables: [w2, ema2], optimizer: opt2 });
    expect(meta!.step).toBe(3);
    expect(meta!.extra).toEqual({ cursor: 3 });
    expect(Array.from(ema2.dataSync())).toEqual([5, 6]);
    opt2.minimize(lossOf(w2)); // the resumed run's step 4
    expect(Array.from(w2.dataSync())).toEqual(expected);
    tf.dispose([w2, ema2]);
    opt2.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('names what is wrong: version, config, shape, corruption', async () => {
    const dir = tmp();
    const w = tf.variable(tf.zeros([2]), true, 'bad/w');
    await saveCheckpoint(dir, { kind: 't', step: 1, config: { k: 4, nested: { c: 8 } }, variables: [w] });
    await expect(loadCheckpoint(dir, { kind: 't', config: { k: 4, nested: { c: 16 } }, variables: [w] })).rejects.toThrow(/\/nested\/c: 8 -> 16/);
    const v3 = tf.variable(tf.zeros([3]), true, 'bad/w3');
    await expect(loadCheckpoint(dir, { kind: 't', variables: [v3] })).rejects.toThrow(/weights-1\.safetensors: lacks 1 of the 1 variables this model needs \("bad\/w3"\)/);
    const metaFile = path.join(dir, 'checkpoint.json');
    const meta = JSON.parse(fs.readFileSync(metaFile, 'utf8'));
    fs.writeFileSync(metaFile, JSON.stringify({ ...meta, version: 99 }));
    await expect(loadCheckpoint(dir, { kind: 't', variables: [w] })).rejects.toThrow(CheckpointMismatchError);
    await expect(loadCheckpoint(dir, { kind: 't', variables: [w] })).rejects.toThrow(/version 99.*reads version 1/);
    fs.writeFileSync(metaFile, JSON.stringify(meta));
    const wf = path.join(dir, meta.weights.file);
    const bytes = fs.readFileSync(wf);
    bytes[bytes.length - 1] ^= 1;
    fs.writeFileSync(wf, bytes);
    await expect(loadCheckpoint(dir, { kind: 't', variables: [w] })).rejects.toThrow(FileIntegrityError);
    tf.dispose([w, v3]);
    expect(configDiff({ a: 1 }, { a: 1 })).toEqual([]);
  });
});
