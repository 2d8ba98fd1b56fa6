// munkres ships CommonJS (dist/munkres.cjs) but declares "type": "module", so TypeScript's Node16 resolution refuses a
// static import from this CommonJS package; require() loads the CommonJS build it exports for require.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { munkres } = require('munkres') as { munkres: (cost: number[][]) => [number, number][] };
import * as tf from '@tensorflow/tfjs-core';
import { axisRows, permuteAxis, type PermutationGroup } from '../sdk/permutations';
import type { ParamInfo } from '../sdk/types';

/**
 * Weight matching (Ainsworth et al. 2023, "Git Re-Basin", algorithm 1): find one permutation per group that makes
 * a network's units line up with a reference's, by coordinate ascent over the groups. For group g, with every other
 * group held fixed, the best permutation maximises sum_i <ref unit i, net unit perm[i]> over every axis g indexes:
 * one linear assignment problem (Hungarian algorithm, npm `munkres`). Sweeps repeat until no group changes.
 *
 * Only axes of tensors the reference has (same name and shape) are compared, so a reference shared by networks
 * with different class counts is matched on their common, class-independent tensors.
 */

export interface MatchOptions {
  /** At most this many sweeps over the groups (default 20; a sweep that changes nothing stops early). */
  maxSweeps?: number;
  /**
   * How unit similarities are summed: 'exact' (default) in float64 in JS, the canonicalizer's; 'blas' as one
   * float32 matmul per axis, for wide layers (the JS sums take about 1.5 s per sweep on a 1,344-unit MLP layer),
   * rounded differently, so near-ties may go the other way.
   */
  similarity?: 'exact' | 'blas';
}

/**
 * Similarity of reference units (rows) to network units (columns) along one group's axes: (size, size), row-major.
 * Axes on tensors in `skip` are left out.
 */
function similarity(g: PermutationGroup, shapeOf: Map<string, number[]>, cur: Map<string, Float32Array>, ref: Map<string, Float32Array>, skip: Set<string>, how: 'exact' | 'blas'): Float64Array {
  const n = g.size;
  const s = new Float64Array(n * n);
  for (const a of g.axes) {
    const r = ref.get(a.param);
    if (!r || skip.has(a.param)) continue;
    const view = a.view ?? shapeOf.get(a.param)!;
    const A = axisRows(cur.get(a.param)!, view, a.axis), R = axisRows(r, view, a.axis);
    const rest = A.length / n;
    if (how === 'blas') {
      const dots = tf.tidy(() => tf.matMul(tf.tensor2d(R, [n, rest]), tf.tensor2d(A, [n, rest]), false, true));
      const d = dots.dataSync();
      dots.dispose();
      for (let i = 0; i < n * n; i++) s[i] += d[i];
      continue;
    }
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let dot = 0;
        for (let k = 0; k < rest; k++) dot += R[i * rest + k] * A[j * rest + k];
        s[i * n + j] += dot;
      }
    }
  }
  return s;
}

/** The assignment that maximises the total similarity: sigma[i] = the network unit given reference slot i. */
export function bestAssignment(s: Float64Array, n: number): number[] {
  let max = -Infinity;
  for (const v of s) if (v > max) max = v;
  const cost = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => max - s[i * n + j]));
  const sigma = new Array<number>(n);
  for (const [i, j] of munkres(cost)) sigma[i] = j;
  return sigma;
}

/**
 * Permutations that align `tensors` (a network's named tensors, tfjs layout) to `reference` (named tensors; any
 * subset). Returns perms[group] with new unit u = old unit perm[u], and the aligned tensors.
 * @example const { perms, aligned } = matchWeights(infos, groups, tensorsOf(net), tensorsOf(reference));
 */
export function matchWeights(
  infos: ParamInfo[],
  groups: PermutationGroup[],
  tensors: Map<string, Float32Array>,
  reference: Map<string, Float32Array>,
  options: MatchOptions = {},
): { perms: Record<string, number[]>; aligned: Map<string, Float32Array>; sweeps: number } {
  const shapeOf = new Map(infos.map((p) => [p.name, p.shape]));
  const ref = new Map([...reference].filter(([name, data]) => shapeOf.has(name) && tensors.get(name)?.length === data.length));
  const cur = new Map(tensors);
  const perms: Record<string, number[]> = Object.fromEntries(groups.map((g) => [g.name, Array.from({ length: g.size }, (_, i) => i)]));
  const maxSweeps = options.maxSweeps ?? 20;
  // Sweep 0 goes input side first and compares only tensors whose other groups are already matched (a unit's
  // incoming weights and bias): a tensor still in its own arbitrary order on another axis is noise, and on narrow
  // networks (CNN-s's 8-6-4 channels) starting from that noise ends in a poor optimum (measured: the mean of 102
  // aligned CNN-s networks scored 19% on mnist:0-4 with plain coordinate ascent, see canon/README.md).
  const pending = new Map<string, number>();
  for (const g of groups) for (const a of g.axes) pending.set(a.param, (pending.get(a.param) ?? 0) + 1);
  let sweeps = 0;
  for (let changed = true; changed && sweeps < maxSweeps; sweeps++) {
    changed = false;
    for (const g of groups) {
      const skip = new Set<string>();
      if (sweeps === 0) {
        for (const a of g.axes) pending.set(a.param, pending.get(a.param)! - 1);
        for (const a of g.axes) if (pending.get(a.param)! > 0) skip.add(a.param);
      }
      if (!g.axes.some((a) => ref.has(a.param) && !skip.has(a.param))) continue;
      const sigma = bestAssignment(similarity(g, shapeOf, cur, ref, skip, options.similarity ?? 'exact'), g.size);
      if (sigma.every((j, i) => j === i)) continue;
      changed = true;
      perms[g.name] = sigma.map((j) => perms[g.name][j]);
      for (const a of g.axes) cur.set(a.param, permuteAxis(cur.get(a.param)!, a.view ?? shapeOf.get(a.param)!, a.axis, sigma));
    }
  }
  return { perms, aligned: cur, sweeps };
}
