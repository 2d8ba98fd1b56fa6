// Blending: a new network from several networks of one aligned basin. In the canonical space the networks of a task
// share one basin (README, "What this says"): the plain mean of two aligned seeds keeps most of their function at
// half a seed's distance from either, while every single seed is a point the prior has memorised. What the
// average loses is mostly the scale of each unit's pre-activations (averaging shrinks them); REPAIR (Jordan et al.
// 2022) resets each hidden unit's pre-activation mean and standard deviation, measured on a few images, to the
// average of the parents' statistics, by rescaling the unit's incoming weights and bias: one pass, no gradient.
import * as tf from '@tensorflow/tfjs-core';
import type { ParamInfo } from '../sdk/types';
import type { KerasActivation, KerasLayer } from '../sdk/keras';
import { applyPermutations, type PermutationGroup } from '../sdk/permutations';
import { flattenWeightMap, unflattenWeights } from '../sdk/weights';
import { bestAssignment, matchWeights } from './match';

/** Unit statistics of one hidden weighted layer on a batch: per output unit (channel) pre-activation mean and std. */
interface UnitStats { mean: Float32Array; std: Float32Array }

/**
 * Activations by their Keras name. Written here rather than taken from @igpg/architectures (whose `activate` is
 * the same): core sits below the architecture plugins and cannot import them.
 */
function activation(x: tf.Tensor, act: KerasActivation): tf.Tensor {
  switch (act) {
    case 'linear': return x;
    case 'tanh': return tf.tanh(x);
    case 'relu': return tf.relu(x);
    case 'sigmoid': return tf.sigmoid(x);
    case 'gelu': return tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1));
  }
}

/**
 * Run flat weights through Keras layers on x (N, ...inputShape): the logits, and each hidden weighted layer's unit
 * statistics. With `targets`, each hidden layer's units are first rescaled to those statistics, and the rescaled
 * kernels and biases are written into `flat` (the caller's copy).
 */
function forward(layers: KerasLayer[], infos: ParamInfo[], flat: Float32Array, x: tf.Tensor, targets?: UnitStats[]): { logits: tf.Tensor2D; stats: UnitStats[]; hidden: Map<string, tf.Tensor> } {
  const tensors = unflattenWeights(infos, flat); // views into flat: REPAIR's rescaling writes through them
  const shapes = new Map(infos.map((p) => [p.name, p.shape]));
  const weighted = layers.filter((l) => l.type === 'dense' || l.type === 'conv2d');
  const last = weighted[weighted.length - 1];
  const stats: UnitStats[] = [];
  const hidden = new Map<string, tf.Tensor>(); // hidden weighted layer's kernel name -> its output (after the activation)
  let h = x;
  for (const l of layers) {
    if (l.type === 'dense' || l.type === 'conv2d') {
      const K = tensors.get(l.kernel), B = tensors.get(l.bias);
      if (!K || !B) throw new Error(`blend: layer "${l.name}" names parameters ${l.kernel}/${l.bias}, which the architecture does not describe`);
      const k = tf.tensor(K, shapes.get(l.kernel));
      const b = tf.tensor1d(B);
      let z = l.type === 'dense' ? tf.add(tf.matMul(h as tf.Tensor2D, k as tf.Tensor2D), b) : tf.add(tf.conv2d(h as tf.Tensor4D, k as tf.Tensor4D, 1, 'valid'), b);
      if (l !== last) {
        const { mean, variance } = tf.moments(z, z.shape.slice(0, -1).map((_, i) => i));
        const m = mean.dataSync() as Float32Array, sd = Float32Array.from(variance.dataSync(), (v) => Math.sqrt(v + 1e-8));
        stats.push({ mean: Float32Array.from(m), std: sd });
        const t = targets?.[stats.length - 1];
        if (t) {
          const units = m.length, scale = Float32Array.from(sd, (v, c) => t.std[c] / v);
          // Kernels keep their output unit last (dense [in, out], conv [kh, kw, in, out]).
          for (let j = 0; j < K.length; j++) K[j] *= scale[j % units];
          for (let c = 0; c < units; c++) B[c] = (B[c] - m[c]) * scale[c] + t.mean[c];
          z = tf.add(tf.mul(tf.sub(z, mean), tf.tensor1d(scale)), tf.tensor1d(t.mean));
        }
      }
      h = activation(z, l.activation);
      if (l !== last) hidden.set(l.kernel, h);
    } else if (l.type === 'maxPooling2d') h = tf.maxPool(h as tf.Tensor4D, l.poolSize, l.poolSize, 'valid');
    else if (l.type === 'averagePooling2d') h = tf.avgPool(h as tf.Tensor4D, l.poolSize, l.poolSize, 'valid');
    else if (l.type === 'flatten') h = tf.reshape(h, [h.shape[0], -1]);
    else if (l.type === 'activation') h = activation(h, l.activation);
  }
  return { logits: h as tf.Tensor2D, stats, hidden };
}

/** Images for a blend's statistics and score: x (N, ...inputShape) and labels 0..classes-1. */
export interface BlendImages { x: tf.Tensor; labels: Int32Array }

/**
 * The average of aligned networks (flat canonical weights, same architecture), each parent weighted by its share
 * (default equal; shares are normalised to sum 1). With `repair` (images and the architecture's Keras layers) the
 * average is REPAIRed on the images: every hidden unit's pre-activation mean and std set to the same weighted
 * average of the parents'. Returns a new vector; the parents are not changed.
 * @example const child = blendNetworks([a, b], { layers: plugin.layers(spec), infos, images });
 * @example const nearA = blendNetworks([a, b], undefined, [0.6, 0.4]);
 */
export function blendNetworks(parents: Float32Array[], repair?: { layers: KerasLayer[]; infos: ParamInfo[]; images: BlendImages }, shares?: number[]): Float32Array {
  if (!parents.length) throw new Error('blendNetworks: no parents to blend');
  const size = parents[0].length;
  for (const p of parents) if (p.length !== size) throw new Error(`blendNetworks: parents differ in length (${p.length} vs ${size}); blend networks of one architecture`);
  const raw = shares ?? parents.map(() => 1);
  const sum = raw.reduce((a, b) => a + b, 0);
  if (raw.length !== parents.length || raw.some((v) => !(v >= 0)) || !(sum > 0)) throw new Error(`blendNetworks: shares must be ${parents.length} non-negative numbers, not all 0; got [${raw.join(', ')}]`);
  const share = raw.map((v) => v / sum);
  const child = new Float32Array(size);
  parents.forEach((p, k) => { for (let j = 0; j < size; j++) child[j] += share[k] * p[j]; });
  if (!repair) return child;
  // The tidy returns nothing: handed a typed array, tf.tidy walks it element by element (14 s for 1M weights).
  tf.tidy(() => {
    const parentStats = parents.map((p) => forward(repair.layers, repair.infos, p, repair.images.x).stats);
    const mix = (pick: (s: UnitStats) => Float32Array, i: number) => Float32Array.from(pick(parentStats[0][i]), (_, c) => parentStats.reduce((t, ps, k) => t + share[k] * pick(ps[i])[c], 0));
    const targets = parentStats[0].map((_, i) => ({ mean: mix((s) => s.mean, i), std: mix((s) => s.std, i) }));
    forward(repair.layers, repair.infos, child, repair.images.x, targets);
  });
  return child;
}

/**
 * Mean cross-entropy (nats) of flat weights on labelled images, through the architecture's Keras layers: how a
 * blend is chosen among candidates when the caller gives a support set.
 * @example const nats = imagesLoss(plugin.layers(spec), infos, child, images);
 */
export function imagesLoss(layers: KerasLayer[], infos: ParamInfo[], flat: Float32Array, images: BlendImages): number {
  return tf.tidy(() => {
    const { logits } = forward(layers, infos, flat, images.x);
    const onehot = tf.oneHot(tf.tensor1d(images.labels, 'int32'), logits.shape[1]);
    const nll = tf.neg(tf.mean(tf.sum(tf.mul(onehot, tf.logSoftmax(logits)), 1)));
    return nll.dataSync()[0];
  });
}

/**
 * Parents permuted onto the first one: each later parent's units matched to the first's by weight matching over
 * every tensor (canon/match.ts, similarities summed by BLAS), function unchanged. The zoo's alignment matches every
 * network to one shared reference; two networks matched to each other line up more closely than two matched to a
 * third.
 * @example const [first, second] = matchParents([a, b], infos, plugin.symmetry(spec).groups);
 */
export function matchParents(parents: Float32Array[], infos: ParamInfo[], groups: PermutationGroup[]): Float32Array[] {
  if (parents.length < 2 || !groups.length) return parents;
  const first = unflattenWeights(infos, parents[0]);
  return [parents[0], ...parents.slice(1).map((p) => {
    const { aligned } = matchWeights(infos, groups, unflattenWeights(infos, p), first, { similarity: 'blas' });
    return flattenWeightMap(infos, aligned);
  })];
}

/**
 * matchParents by activations (Git Re-Basin's activation matching): each hidden layer's units of a later parent are
 * matched to the first parent's by the correlation of their outputs on `images` (one assignment per layer: permuting
 * one layer's units leaves every other layer's outputs as they are, so the layers are matched independently). Works
 * where every permutation group is the output units of one hidden dense/conv layer (MLPs, plain CNNs); anything
 * else (residual streams, attention heads) falls back to weight matching.
 * @example const [first, second] = matchParentsByActivations([a, b], infos, groups, plugin.layers(spec), images);
 */
export function matchParentsByActivations(parents: Float32Array[], infos: ParamInfo[], groups: PermutationGroup[], layers: KerasLayer[], images: BlendImages): Float32Array[] {
  if (parents.length < 2 || !groups.length) return parents;
  const shapes = new Map(infos.map((p) => [p.name, p.shape]));
  const layerOf = groups.map((g) => layers.find((l) => (l.type === 'dense' || l.type === 'conv2d') && g.axes.some((a) => a.param === l.kernel && a.axis === shapes.get(l.kernel)!.length - 1)));
  if (layerOf.some((l) => !l)) return matchParents(parents, infos, groups);
  const unitsOf = (h: tf.Tensor) => tf.tidy(() => {
    const rows = tf.reshape(h, [-1, h.shape[h.shape.length - 1]]);
    const { mean, variance } = tf.moments(rows, 0);
    return tf.transpose(tf.div(tf.sub(rows, mean), tf.sqrt(tf.add(variance, 1e-8)))); // (units, samples), standardised
  });
  const actsOf = (flat: Float32Array) => tf.tidy(() => {
    const { hidden } = forward(layers, infos, flat, images.x);
    return layerOf.map((l) => unitsOf(hidden.get((l as { kernel: string }).kernel)!));
  });
  const ref = actsOf(parents[0]);
  try {
    return [parents[0], ...parents.slice(1).map((p) => {
      const acts = actsOf(p);
      const perms = Object.fromEntries(groups.map((g, i) => {
        const t = tf.matMul(ref[i], acts[i], false, true); // (ref unit, unit)
        const sim = Float64Array.from(t.dataSync());
        t.dispose();
        return [g.name, bestAssignment(sim, g.size)];
      }));
      tf.dispose(acts);
      return flattenWeightMap(infos, applyPermutations(infos, unflattenWeights(infos, p), groups, perms));
    })];
  } finally {
    tf.dispose(ref);
  }
}
