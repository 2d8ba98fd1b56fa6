import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { assignWeights, flattenRecord, flattenWeights, unflattenWeights, weightRecord } from './weights';
import { linearArch } from './testing-arch.fixture';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('weights', () => {
  const arch = linearArch();
  const spec = { inputShape: [3], classes: 2 } as never;

  it('flatten -> unflatten -> assign is bit-identical and leaks nothing', () => {
    const before = tf.memory().numTensors;
    const [a, b] = [arch.build(spec, 1), arch.build(spec, 2)];
    const flat = flattenWeights(a);
    expect(flat.length).toBe(8);
    const parts = unflattenWeights(arch.describe(spec), flat);
    expect([...parts.keys()]).toEqual(['fc.weight', 'fc.bias']);
    expect(Array.from(parts.get('fc.bias')!)).toEqual(Array.from(a.params[1].dataSync()));
    assignWeights(b, flat);
    expect(Buffer.from(flattenWeights(b).buffer).equals(Buffer.from(flat.buffer))).toBe(true);
    a.dispose();
    b.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('weightRecord names shapes; flattenRecord inverts it and names what is wrong', () => {
    const infos = arch.describe(spec);
    const flat = Float32Array.from({ length: 8 }, (_, i) => i);
    const rec = weightRecord(infos, flat);
    expect(rec['fc.weight'].shape).toEqual([3, 2]);
    expect(Array.from(flattenRecord(infos, rec))).toEqual(Array.from(flat));
    expect(() => flattenRecord(infos, { 'fc.weight': rec['fc.weight'] })).toThrow(/missing tensor "fc.bias"/);
    expect(() => flattenRecord(infos, { ...rec, extra: rec['fc.bias'] })).toThrow(/unexpected tensors extra/);
    expect(() => flattenRecord(infos, { ...rec, 'fc.bias': { shape: [3], data: new Float32Array(3) } })).toThrow(/"fc.bias" has shape \[3\], expected \[2\]/);
  });

  it('rejects a vector of the wrong length', () => {
    const net = arch.build(spec, 1);
    expect(() => assignWeights(net, new Float32Array(7))).toThrow(/7 values but network "test-linear" has 8/);
    expect(() => unflattenWeights(arch.describe(spec), new Float32Array(9))).toThrow(/9 values but the architecture has 8/);
    net.dispose();
  });
});
