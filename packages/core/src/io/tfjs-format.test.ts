import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTfjsWeights, saveTfjsWeights } from './tfjs-format';
import { linearArch } from '../sdk/testing-arch.fixture';
import { flattenWeights, type NetworkWeights } from '../sdk/weights';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'igpg-tfjs-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
beforeAll(async () => {
  await tf.setBackend('cpu');
});

function weights(): NetworkWeights {
  const arch = linearArch();
  const spec = { inputShape: [3], classes: 2, scale: 1 };
  const net = arch.build(spec as never, 1);
  const flat = flattenWeights(net);
  net.dispose();
  return { arch: arch.name, spec, infos: arch.describe(spec as never), flat };
}

describe('tfjs weights format', () => {
  it('writes a standard weights manifest + weights.bin and reads it back bit-identically', () => {
    const w = weights();
    const out = path.join(dir, 'ok');
    const model = saveTfjsWeights(out, w);
    expect(model.weightsManifest[0].weights).toEqual([
      { name: 'fc.weight', shape: [3, 2], dtype: 'float32' },
      { name: 'fc.bias', shape: [2], dtype: 'float32' },
    ]);
    expect(model.userDefinedMetadata.igpg).toMatchObject({ arch: 'test-linear', spec: w.spec, weightsBytes: 32 });
    const back = loadTfjsWeights(out, w.infos);
    expect(Buffer.from(back.flat.buffer).equals(Buffer.from(w.flat.buffer))).toBe(true);
    expect(back.spec).toEqual(w.spec);
  });

  it('detects a checksum mismatch and a truncated weights.bin', () => {
    const w = weights();
    const out = path.join(dir, 'bad');
    saveTfjsWeights(out, w);
    const bin = path.join(out, 'weights.bin');
    const bytes = fs.readFileSync(bin);
    bytes[5] ^= 0xff;
    fs.writeFileSync(bin, bytes);
    expect(() => loadTfjsWeights(out, w.infos)).toThrow(/checksum .* does not match/);
    fs.writeFileSync(bin, bytes.subarray(0, 20));
    expect(() => loadTfjsWeights(out, w.infos)).toThrow(/size 20 bytes, expected 32/);
  });

  it('rejects non-finite weights with the tensor name, and a mismatched architecture', () => {
    const w = weights();
    w.flat[7] = Infinity;
    saveTfjsWeights(path.join(dir, 'inf'), w);
    expect(() => loadTfjsWeights(path.join(dir, 'inf'), w.infos)).toThrow(/tensor "fc.bias" holds a non-finite value \(Infinity\)/);
    const ok = weights();
    saveTfjsWeights(path.join(dir, 'ok2'), ok);
    const other = linearArch().describe({ inputShape: [3], classes: 3 } as never);
    expect(() => loadTfjsWeights(path.join(dir, 'ok2'), other)).toThrow(/"fc.weight" has shape \[3,2\], expected \[3,3\]/);
  });
});
