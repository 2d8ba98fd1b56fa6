import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildZoo } from './build';
import { isTrainingEntry, lastEpochs, openZoo } from './reader';

const tiny = {
  name: 'reader',
  tasks: ['blobs-4:all'],
  architectures: [{ name: 'mlp', spec: { hidden: [4] }, label: 'mlp4' }],
  seeds: 3,
  epochs: [1, 2],
  optimizer: { learningRate: 0.1, batchSize: 16 },
  trainLimit: 64,
  testLimit: 32,
  heldOut: { seeds: [2] },
};
let dir = '';

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'igpg-reader-'));
  await buildZoo(tiny, { out: dir, plugins: ['@igpg/architectures', '@igpg/datasets'], workers: 1, progress: false });
}, 120_000);

describe('openZoo', () => {
  it('reads entries, config, final checkpoints and verified weights (cached)', () => {
    const zoo = openZoo(dir);
    expect(zoo.entries).toHaveLength(6);
    expect(zoo.config.name).toBe('reader');
    expect(zoo.finals().map((e) => e.epoch)).toEqual([2, 2, 2]);
    expect(lastEpochs(zoo.entries)).toEqual(zoo.finals());
    expect(zoo.entries.filter(isTrainingEntry)).toHaveLength(4); // seed 2 is held out
    const e = zoo.finals()[0];
    const w = zoo.flat(e);
    expect(w.length).toBe(2 * 4 + 4 + 4 * 4 + 4);
    expect(zoo.flat(e)).toBe(w); // cached
  });

  it('refuses a corrupt weight file naming it, and a folder that is not a zoo', () => {
    const zoo = openZoo(dir);
    const e = zoo.finals()[1];
    const file = path.join(dir, e.weights.file);
    const bytes = fs.readFileSync(file);
    bytes[bytes.length - 1] ^= 0xff;
    fs.writeFileSync(file, bytes);
    expect(() => zoo.flat(e)).toThrow(new RegExp(path.basename(file)));
    expect(() => openZoo(path.join(dir, 'nope'))).toThrow(/no zoo here .*manifest\.json.*igpg zoo build/);
  });
});
