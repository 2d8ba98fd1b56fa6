import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerArchitecture, unregisterArchitecture } from '../sdk/architecture';
import { applyPermutations } from '../sdk/permutations';
import { assignWeights, flattenWeights, unflattenWeights } from '../sdk/weights';
import { hiddenArch, linearArch } from '../sdk/testing-arch.fixture';
import { createRng } from '../rng';
import { Canonicalizer, fitCanonicalizer } from './canonicalizer';
import { matchWeights } from './match';

const arch = hiddenArch('canon-test-hidden');
const linear = linearArch('canon-test-linear');
const spec = (classes = 3) => ({ inputShape: [5], classes, hidden: 6 });
const ref = (classes = 3) => ({ name: arch.name, spec: spec(classes) });
const infos = arch.describe(spec());

/** A random permutation of 0..n-1 from a seed. */
function shuffle(n: number, seed: number): number[] {
  const rng = createRng(`perm/${seed}`);
  const p = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [p[i], p[j]] = [p[j], p[i]];
  }
  return p;
}
const flatOf = (seed: number, classes = 3) => {
  const net = arch.build(spec(classes), seed);
  const f = flattenWeights(net);
  net.dispose();
  return f;
};
/** `flat` with its hidden units reordered by a seeded permutation (the same function). */
function permuted(flat: Float32Array, seed: number, classes = 3): Float32Array {
  const inf = arch.describe(spec(classes));
  const t = applyPermutations(inf, new Map(unflattenWeights(inf, flat)), arch.symmetry!(spec(classes)).groups, { fc0: shuffle(6, seed) });
  return Float32Array.from(inf.flatMap((p) => [...t.get(p.name)!]));
}
function logits(flat: Float32Array, classes = 3): Float32Array {
  const net = arch.build(spec(classes), 1);
  assignWeights(net, flat);
  const x = tf.randomNormal([7, 5], 0, 1, 'float32', 3);
  const y = net.apply(x);
  const out = y.dataSync() as Float32Array;
  tf.dispose([x, y]);
  net.dispose();
  return out;
}

beforeAll(async () => {
  await tf.setBackend('cpu');
  registerArchitecture(arch);
  registerArchitecture(linear);
});
afterAll(() => {
  unregisterArchitecture(arch.name);
  unregisterArchitecture(linear.name);
});

describe('weight matching', () => {
  it('recovers the permutation of a permuted copy exactly', () => {
    const base = flatOf(1);
    const copy = permuted(base, 7);
    const { perms, aligned } = matchWeights(infos, arch.symmetry!(spec()).groups, new Map(unflattenWeights(infos, copy)), new Map(unflattenWeights(infos, base)));
    expect(perms.fc0).not.toEqual([0, 1, 2, 3, 4, 5]);
    for (const p of infos) expect(Array.from(aligned.get(p.name)!)).toEqual(Array.from(unflattenWeights(infos, base).get(p.name)!));
  });
});

describe('canonicalizer', () => {
  it('aligns permuted copies of one network onto one ordering, keeps the function, and restores the original bit for bit', () => {
    const base = flatOf(2);
    const zoo = [1, 2, 3, 4].map((s) => ({ architecture: ref(), flat: permuted(base, s) }));
    const before = tf.memory().numTensors;
    const { canon, aligned } = fitCanonicalizer(zoo, { rounds: 2 });
    // every copy lands on the same weights: the zoo collapses to one point
    for (const a of aligned) expect(Array.from(a.flat)).toEqual(Array.from(aligned[0].flat));
    const l0 = logits(zoo[0].flat), l1 = logits(aligned[0].flat);
    l0.forEach((v, i) => expect(Math.abs(v - l1[i])).toBeLessThan(1e-5));
    zoo.forEach((n, i) => expect(Array.from(canon.restore(n.architecture, aligned[i].flat, aligned[i].perms))).toEqual(Array.from(n.flat)));
    expect(tf.memory().numTensors).toBe(before);
  });

  it('shares one reference across class counts, matched on the class-independent tensors only', () => {
    const { canon } = fitCanonicalizer([{ architecture: ref(3), flat: flatOf(3, 3) }, { architecture: ref(4), flat: flatOf(4, 4) }]);
    expect(canon.references).toHaveLength(1);
    expect([...canon.reference(ref(4))!.keys()].sort()).toEqual(['fc0.bias', 'fc0.weight']);
    const other = flatOf(5, 4);
    const { flat } = canon.align(ref(4), permuted(other, 9, 4));
    const l0 = logits(other, 4), l1 = logits(flat, 4);
    l0.forEach((v, i) => expect(Math.abs(v - l1[i])).toBeLessThan(1e-5));
  });

  it('centers on the reference and back exactly; leaves architectures without symmetry alone', () => {
    const { canon } = fitCanonicalizer([1, 2, 3].map((s) => ({ architecture: ref(), flat: flatOf(s) })));
    const f = flatOf(6);
    const c = canon.center(ref(), f);
    expect(Array.from(c)).not.toEqual(Array.from(f));
    canon.uncenter(ref(), c).forEach((v, i) => expect(Math.abs(v - f[i])).toBeLessThan(1e-6));
    const lin = { name: linear.name, spec: { inputShape: [5], classes: 3 } };
    const w = Float32Array.from({ length: 18 }, (_, i) => i);
    expect(canon.align(lin, w)).toEqual({ flat: w, perms: {}, aligned: false });
    expect(canon.center(lin, w)).toBe(w);
  });

  it('saves and loads (checksummed); a corrupt weight file is refused', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'igpg-canon-'));
    const { canon } = fitCanonicalizer([1, 2].map((s) => ({ architecture: ref(), flat: flatOf(s) })));
    canon.save(dir);
    const back = Canonicalizer.load(dir);
    const probe = permuted(flatOf(8), 3);
    expect(Array.from(back.align(ref(), probe).flat)).toEqual(Array.from(canon.align(ref(), probe).flat));
    const file = path.join(dir, 'canon.safetensors');
    const bytes = fs.readFileSync(file);
    bytes[bytes.length - 1] ^= 0xff;
    fs.writeFileSync(file, bytes);
    expect(() => Canonicalizer.load(dir)).toThrow(/canon\.safetensors/);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('rejects a bad round count', () => {
    expect(() => fitCanonicalizer([{ architecture: ref(), flat: flatOf(1) }], { rounds: 0 })).toThrow(/rounds must be a positive integer/);
  });
});
