// Shared conformance checks for architecture plugins (used by each *.test.ts; excluded from the build).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { expect, it, beforeAll } from 'vitest';
import {
  assignWeights, countParams, createRng, flattenWeights, loadNetworkSafetensors, loadTfjsWeights, saveNetworkSafetensors, saveTfjsWeights,
  unflattenWeights, type ArchitecturePlugin, type BaseSpec, type Network, type ParamInfo,
} from '@igpg/core';

const bitsEqual = (a: Float32Array, b: Float32Array) =>
  a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

function batch(spec: BaseSpec, n: number, seed: number) {
  const x = tf.randomNormal([n, ...spec.inputShape], 0, 1, 'float32', seed);
  const y = tf.tidy(() => tf.oneHot(tf.tensor1d(Array.from({ length: n }, (_, i) => i % spec.classes), 'int32'), spec.classes));
  return { x, y };
}

type Group = NonNullable<ReturnType<NonNullable<ArchitecturePlugin['symmetry']>>>['groups'][number];

/**
 * Apply one permutation per group (new unit u = old unit perm[u]) with tf.gather on each axis's view: a reference
 * written apart from the SDK's permuteAxis, so that the test checks the declarations and not the helper against itself.
 */
function permute(infos: ParamInfo[], tensors: Map<string, Float32Array>, groups: Group[], perms: number[][]): Map<string, Float32Array> {
  const out = new Map(tensors);
  const shapeOf = new Map(infos.map((p) => [p.name, p.shape]));
  groups.forEach((g, i) => {
    for (const a of g.axes) {
      const view = a.view ?? shapeOf.get(a.param)!;
      out.set(a.param, tf.tidy(() => tf.gather(tf.tensor(out.get(a.param)!, view), perms[i], a.axis).dataSync() as Float32Array).slice());
    }
  });
  return out;
}

const flatOf = (infos: ParamInfo[], tensors: Map<string, Float32Array>) => {
  const flat = new Float32Array(countParams(infos));
  let offset = 0;
  for (const p of infos) {
    flat.set(tensors.get(p.name)!, offset);
    offset += tensors.get(p.name)!.length;
  }
  return flat;
};

/** A random permutation of 0..n-1 other than the identity (when n > 1). */
function shuffled(rng: ReturnType<typeof createRng>, n: number): number[] {
  const identity = Array.from({ length: n }, (_, i) => i);
  for (;;) {
    const p = rng.shuffle([...identity]);
    if (n < 2 || p.some((v, i) => v !== i)) return p;
  }
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

  it.skipIf(!plugin.symmetry)('declared permutations keep the logits, change the weights, and invert bit for bit; no tensors leak', () => {
    const before = tf.memory().numTensors;
    const infos = plugin.describe(spec);
    const { groups } = plugin.symmetry!(spec);
    expect(groups.length).toBeGreaterThan(0);
    const net = plugin.build(spec, 7);
    const x = tf.randomNormal([6, ...spec.inputShape], 0, 1, 'float32', 13);
    // jitter every tensor so that no axis hides behind zeros or ones (zero biases, LayerNorm 1/0 at init)
    const rng = createRng(`${plugin.name}/permutations`);
    const jittered = new Map([...unflattenWeights(infos, flattenWeights(net))].map(([name, data]) => {
      const rms = Math.sqrt(data.reduce((a, v) => a + v * v, 0) / data.length);
      return [name, data.map((v) => v + (rms > 0 ? 0.5 * rms : 0.05) * rng.normal())];
    }));
    const logitsOf = (tensors: Map<string, Float32Array>) => {
      assignWeights(net, flatOf(infos, tensors));
      const y = net.apply(x);
      const values = y.dataSync() as Float32Array;
      y.dispose();
      return values;
    };
    const maxDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
    const reference = logitsOf(jittered);
    expect(reference.every(Number.isFinite)).toBe(true);
    const perms = groups.map((g) => shuffled(rng, g.size));
    try {
      // each group alone: a missing or a wrong axis shows in the logits
      groups.forEach((g, i) => {
        const permuted = permute(infos, jittered, [g], [perms[i]]);
        expect(maxDiff(logitsOf(permuted), reference), `group "${g.name}"`).toBeLessThanOrEqual(1e-5);
        if (g.size > 1) expect(bitsEqual(flatOf(infos, permuted), flatOf(infos, jittered)), `group "${g.name}" changes the weights`).toBe(false);
      });
      // every group at once, then the inverses (in reverse order) restore the weights exactly
      const permuted = permute(infos, jittered, groups, perms);
      expect(maxDiff(logitsOf(permuted), reference)).toBeLessThanOrEqual(1e-5);
      const inverses = perms.map((p) => { const inv = new Array<number>(p.length); p.forEach((v, u) => (inv[v] = u)); return inv; });
      const back = permute(infos, permuted, [...groups].reverse(), [...inverses].reverse());
      expect(bitsEqual(flatOf(infos, back), flatOf(infos, jittered))).toBe(true);
    } finally {
      net.dispose();
      x.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
  });
}
