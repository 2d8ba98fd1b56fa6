// Shared conformance checks for architecture plugins (used by each *.test.ts; excluded from the build).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { expect, it, beforeAll } from 'vitest';
import {
  assignWeights, countParams, flattenWeights, loadNetworkSafetensors, loadTfjsWeights, saveNetworkSafetensors, saveTfjsWeights,
  type ArchitecturePlugin, type BaseSpec, type Network,
} from '@igpg/core';

const bitsEqual = (a: Float32Array, b: Float32Array) =>
  a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

function batch(spec: BaseSpec, n: number, seed: number) {
  const x = tf.randomNormal([n, ...spec.inputShape], 0, 1, 'float32', seed);
  const y = tf.tidy(() => tf.oneHot(tf.tensor1d(Array.from({ length: n }, (_, i) => i % spec.classes), 'int32'), spec.classes));
  return { x, y };
}

/** Register the standard conformance tests for one plugin + spec. */
export function conformance<S extends BaseSpec>(plugin: ArchitecturePlugin<S>, spec: S, expected: { params?: number } = {}) {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('builds with parameters matching describe() (count, shapes, order)', () => {
    const infos = plugin.describe(spec);
    const net = plugin.build(spec, 1);
    expect(net.params.map((p) => p.shape)).toEqual(infos.map((i) => i.shape));
    expect(net.params.reduce((n, p) => n + p.size, 0)).toBe(countParams(infos));
    if (expected.params !== undefined) expect(countParams(infos)).toBe(expected.params);
    expect(new Set(infos.map((i) => i.name)).size).toBe(infos.length);
    const layers = infos.map((i) => i.layer);
    expect(layers[0]).toBe(0);
    layers.slice(1).forEach((l, i) => expect(l === layers[i] || l === layers[i] + 1).toBe(true));
    expect(plugin.summary(spec)).toContain(countParams(infos).toLocaleString('en-US'));
    net.dispose();
  });

  it('same seed gives the same weights, another seed different ones', () => {
    const [a, b, c] = [plugin.build(spec, 3), plugin.build(spec, 3), plugin.build(spec, 4)];
    expect(bitsEqual(flattenWeights(a), flattenWeights(b))).toBe(true);
    expect(bitsEqual(flattenWeights(a), flattenWeights(c))).toBe(false);
    [a, b, c].forEach((n) => n.dispose());
  });

  it('forward gives (N, classes) finite logits; one SGD step lowers the loss; no tensors leak', () => {
    const before = tf.memory().numTensors;
    const net = plugin.build(spec, 2);
    const { x, y } = batch(spec, 8, 11);
    const lossFn = () => tf.losses.softmaxCrossEntropy(y, net.apply(x, { training: true })) as tf.Scalar;
    const logits = net.apply(x);
    expect(logits.shape).toEqual([8, spec.classes]);
    expect(logits.dataSync().every(Number.isFinite)).toBe(true);
    logits.dispose();
    const loss0 = tf.tidy(() => lossFn().dataSync()[0]);
    tf.tidy(() => {
      const { grads } = tf.variableGrads(lossFn, net.params);
      expect(Object.keys(grads).length).toBe(net.params.length); // every parameter gets a gradient
      for (const v of net.params) v.assign(tf.sub(v, tf.mul(grads[v.name], 0.05)));
    });
    const loss1 = tf.tidy(() => lossFn().dataSync()[0]);
    expect(loss1).toBeLessThan(loss0);
    net.dispose();
    x.dispose();
    y.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('round-trips weights bit-identically through safetensors (tfjs and torch layouts) and tfjs format', () => {
    const before = tf.memory().numTensors;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `igpg-${plugin.name}-`));
    const infos = plugin.describe(spec);
    const net = plugin.build(spec, 5);
    const flat = flattenWeights(net);
    const weights = { arch: plugin.name, spec: spec as unknown as Record<string, unknown>, infos, flat };
    const fresh: Network = plugin.build(spec, 6);
    const x = tf.randomNormal([4, ...spec.inputShape], 0, 1, 'float32', 12);
    try {
      for (const layout of ['tfjs', 'torch'] as const) {
        const file = path.join(dir, `w-${layout}.safetensors`);
        saveNetworkSafetensors(file, weights, { layout });
        const back = loadNetworkSafetensors(file, infos);
        expect(back.layout).toBe(layout);
        expect(back.arch).toBe(plugin.name);
        expect(back.spec).toEqual(spec);
        expect(bitsEqual(back.flat, flat)).toBe(true);
      }
      saveTfjsWeights(path.join(dir, 'tfjs'), weights);
      const back = loadTfjsWeights(path.join(dir, 'tfjs'), infos);
      expect(bitsEqual(back.flat, flat)).toBe(true);
      // the manifest is the standard tfjs one: tf.io.decodeWeights reads it
      const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'tfjs', 'model.json'), 'utf8')).weightsManifest[0].weights;
      const bin = fs.readFileSync(path.join(dir, 'tfjs', 'weights.bin'));
      const decoded = tf.io.decodeWeights(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.length), manifest);
      expect(bitsEqual(decoded[infos[0].name].dataSync() as Float32Array, flat.subarray(0, decoded[infos[0].name].size))).toBe(true);
      Object.values(decoded).forEach((t) => t.dispose());
      // assigning the loaded weights into another network reproduces the outputs exactly
      assignWeights(fresh, back.flat);
      const [ya, yb] = [net.apply(x), fresh.apply(x)];
      expect(bitsEqual(ya.dataSync() as Float32Array, yb.dataSync() as Float32Array)).toBe(true);
      ya.dispose();
      yb.dispose();
    } finally {
      net.dispose();
      fresh.dispose();
      x.dispose();
      fs.rmSync(dir, { recursive: true, force: true });
    }
    expect(tf.memory().numTensors).toBe(before);
  });
}
