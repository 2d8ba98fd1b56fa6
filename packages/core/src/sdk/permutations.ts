import type { ParamInfo } from './types';

/**
 * Permutation symmetries of an architecture: groups of hidden units (or channels, or attention heads) that can be
 * reordered together without changing the network's function. The canonicalizer (canon/) aligns every zoo
 * network to one reference by permuting these groups (weight matching, Ainsworth et al. 2023, "Git Re-Basin").
 *
 * A group lists every tensor axis its units index. Each tensor is in tfjs layout, viewed through `view` (a reshape
 * of its row-major data; default its own shape) and permuted along `axis` of that view. A dense kernel [in, out]
 * has its units on axis 1 (outgoing side of the layer) and on axis 0 of the next layer's kernel (incoming side);
 * a kernel fed by a flattened NHWC map [h*w*c, out] is viewed as [h*w, c, out] so that its channel axis is 1;
 * attention heads are blocks: a qkv kernel [d, 3d] viewed as [d, 3, heads, headDim] has its heads on axis 2.
 */
export interface PermutedAxis {
  /** Parameter name, as in describe(). */
  param: string;
  /** Axis of the view that the group's units index. */
  axis: number;
  /** Reshape of the tensor (same number of values) in which `axis` is taken; default the tensor's shape. */
  view?: number[];
}

export interface PermutationGroup {
  /** A stable name, e.g. "layers.0" (the hidden units of the first layer). */
  name: string;
  /** Number of units the group permutes. */
  size: number;
  axes: PermutedAxis[];
}

/**
 * What an architecture plugin declares about its symmetries: the groups, and in words what it does not handle
 * (sign flips of tanh units, the residual stream of a ViT, ...). Plugins without a declaration are not aligned.
 */
export interface PermutationSymmetry {
  groups: PermutationGroup[];
  /** Symmetries the groups leave out, in words (shown by `igpg inspect` and the plugin guide). */
  unhandled?: string;
}

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** Check groups against the parameter list: known params, views that reshape exactly, axes of the group's size. */
export function checkPermutationGroups(arch: string, infos: ParamInfo[], groups: PermutationGroup[]): void {
  const byName = new Map(infos.map((p) => [p.name, p]));
  const names = new Set<string>();
  for (const g of groups) {
    const where = `architecture "${arch}", permutation group "${g.name}"`;
    if (names.has(g.name)) throw new Error(`${where}: the name is used twice`);
    names.add(g.name);
    if (!Number.isInteger(g.size) || g.size < 1) throw new Error(`${where}: size must be a positive integer, got ${g.size}`);
    if (!g.axes.length) throw new Error(`${where}: lists no axes`);
    for (const a of g.axes) {
      const p = byName.get(a.param);
      if (!p) throw new Error(`${where}: unknown parameter "${a.param}" (known: ${infos.map((i) => i.name).join(', ')})`);
      const view = a.view ?? p.shape;
      if (size(view) !== size(p.shape)) throw new Error(`${where}: view [${view}] of "${a.param}" has ${size(view)} values, the tensor [${p.shape}] has ${size(p.shape)}`);
      if (!Number.isInteger(a.axis) || a.axis < 0 || a.axis >= view.length) throw new Error(`${where}: axis ${a.axis} is outside the view [${view}] of "${a.param}"`);
      if (view[a.axis] !== g.size) throw new Error(`${where}: axis ${a.axis} of "${a.param}" (view [${view}]) has ${view[a.axis]} entries, the group permutes ${g.size}`);
    }
  }
}

/** Strides of a row-major shape. */
function strides(shape: number[]): number[] {
  const s = new Array<number>(shape.length);
  let k = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = k;
    k *= shape[i];
  }
  return s;
}

/**
 * The tensor as a (units, rest) matrix along `axis` of `view`: row u holds every value whose axis index is u, in
 * row-major order of the other axes. Returns the row-major (units * rest) values.
 */
export function axisRows(data: Float32Array, view: number[], axis: number): Float32Array {
  const n = view[axis];
  const st = strides(view);
  const outer = size(view.slice(0, axis)), inner = st[axis];
  const rest = data.length / n;
  const out = new Float32Array(data.length);
  for (let u = 0; u < n; u++) {
    let o = u * rest;
    for (let a = 0; a < outer; a++) {
      const base = a * n * inner + u * inner;
      for (let i = 0; i < inner; i++) out[o++] = data[base + i];
    }
  }
  return out;
}

/**
 * Reorder `data` along `axis` of `view` so that new unit u is old unit perm[u]. Returns a new array.
 * @example permuteAxis(Float32Array.from([1, 2, 3, 4]), [2, 2], 1, [1, 0]) // [2, 1, 4, 3]
 */
export function permuteAxis(data: Float32Array, view: number[], axis: number, perm: ArrayLike<number>): Float32Array {
  const n = view[axis];
  if (perm.length !== n) throw new Error(`permuteAxis: a permutation of ${perm.length} for an axis of ${n}`);
  const st = strides(view);
  const outer = size(view.slice(0, axis)), inner = st[axis];
  const out = new Float32Array(data.length);
  for (let a = 0; a < outer; a++) {
    for (let u = 0; u < n; u++) {
      const dst = a * n * inner + u * inner, src = a * n * inner + perm[u] * inner;
      out.set(data.subarray(src, src + inner), dst);
    }
  }
  return out;
}

/** Whether `perm` is a permutation of 0..n-1. */
export function isPermutation(perm: ArrayLike<number>, n: number): boolean {
  if (perm.length !== n) return false;
  const seen = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const p = perm[i];
    if (!Number.isInteger(p) || p < 0 || p >= n || seen[p]) return false;
    seen[p] = 1;
  }
  return true;
}

/** The inverse permutation: inv[perm[u]] = u. */
export function invertPermutation(perm: ArrayLike<number>): number[] {
  const inv = new Array<number>(perm.length);
  for (let u = 0; u < perm.length; u++) inv[perm[u]] = u;
  return inv;
}

/**
 * Apply one permutation per group to a network's named tensors (tfjs layout). `perms[g.name]` maps new unit u to
 * old unit perm[u]; a group without an entry stays as it is. Returns new arrays; the input is not changed.
 */
export function applyPermutations(infos: ParamInfo[], tensors: Map<string, Float32Array>, groups: PermutationGroup[], perms: Record<string, ArrayLike<number>>): Map<string, Float32Array> {
  const out = new Map(tensors);
  const shapeOf = new Map(infos.map((p) => [p.name, p.shape]));
  for (const g of groups) {
    const perm = perms[g.name];
    if (!perm) continue;
    if (!isPermutation(perm, g.size)) throw new Error(`permutation of group "${g.name}" is not a permutation of 0..${g.size - 1}`);
    for (const a of g.axes) out.set(a.param, permuteAxis(out.get(a.param)!, a.view ?? shapeOf.get(a.param)!, a.axis, perm));
  }
  return out;
}
