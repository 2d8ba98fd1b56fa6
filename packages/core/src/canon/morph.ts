import { createRng } from '../rng';
import { countParams, validateSpec, type AnyArchitecture } from '../sdk/architecture';
import type { PermutationGroup } from '../sdk/permutations';
import type { ParamInfo } from '../sdk/types';
import type { Canonicalizer } from './canonicalizer';

/*
 * Function-preserving widening (Net2WiderNet, Chen et al. 2016) through an architecture's permutation groups: a
 * network of a narrower spec becomes one of a wider spec with the same function. Every new unit of a group copies
 * a seeded random unit of the narrow network (its incoming weights and bias: the group's axes on the parameters of
 * the group's first layer) and the consumers' weights of every copy (the group's axes on later layers) are divided
 * by the number of copies, so the next layer sums to what it summed before. It needs nothing but the symmetry a
 * plugin already declares for alignment, so a third-party architecture gets it by declaring its groups.
 *
 * Only groups whose axes sit on at most two layers (producer, consumer) qualify: a residual stream's units feed
 * many layers and are produced by several, and copying them is not the simple rule above.
 */

/** A planned widening: narrow flat weights (describe() order) -> wide flat weights with the same function. */
export interface WideningPlan {
  map(narrow: Float32Array): Float32Array;
}

interface Factor {
  /** Size of this factor of the row-major index, in the narrow and the wide tensor. */
  narrow: number;
  wide: number;
  /** The group this factor indexes (none: a plain axis that must not change), and whether it is a consumer side. */
  group?: string;
  consumer?: boolean;
}

const product = (v: number[]) => v.reduce((a, b) => a * b, 1);

/** The row-major factors of one parameter, cut at every group axis of it (inner factor first). */
function factorsOf(info: ParamInfo, axes: { group: PermutationGroup; view: number[]; axis: number; consumer: boolean }[]): { cuts: number[]; at: Map<number, { group: string; consumer: boolean }> } {
  const total = product(info.shape);
  const cuts = new Set<number>([1, total]);
  const at = new Map<number, { group: string; consumer: boolean }>();
  for (const a of axes) {
    const inner = product(a.view.slice(a.axis + 1));
    cuts.add(inner);
    cuts.add(inner * a.view[a.axis]);
    at.set(inner, { group: a.group.name, consumer: a.consumer });
  }
  return { cuts: [...cuts].sort((x, y) => x - y), at };
}

/** The group axes touching each parameter, with the side each one is on; throws where the simple rule does not hold. */
function axesByParam(arch: string, infos: ParamInfo[], groups: PermutationGroup[]) {
  const byName = new Map(infos.map((p) => [p.name, p]));
  const out = new Map<string, { group: PermutationGroup; view: number[]; axis: number; consumer: boolean }[]>();
  for (const g of groups) {
    const layers = [...new Set(g.axes.map((a) => byName.get(a.param)!.layer))].sort((a, b) => a - b);
    if (layers.length > 2) throw new Error(`architecture "${arch}": permutation group "${g.name}" spans layers ${layers.join(', ')} (a residual stream); widening copies units of groups with one producer and one consumer layer only`);
    for (const a of g.axes) {
      const p = byName.get(a.param)!;
      const list = out.get(a.param) ?? [];
      list.push({ group: g, view: a.view ?? p.shape, axis: a.axis, consumer: p.layer !== layers[0] });
      out.set(a.param, list);
    }
  }
  return out;
}

/**
 * Plan the widening of `plugin`'s narrow spec into its wide spec. Throws, naming what differs, when the wide spec is
 * not the narrow one with some groups widened (another depth, a changed kernel size, a group that shrinks).
 * @example const wide = planWidening(mlp, { ...spec, hidden: [16] }, { ...spec, hidden: [24] }, 1).map(narrowFlat);
 */
export function planWidening(plugin: AnyArchitecture, narrowSpec: Record<string, unknown>, wideSpec: Record<string, unknown>, seed: number): WideningPlan {
  const name = plugin.name;
  if (!plugin.symmetry) throw new Error(`architecture "${name}" declares no permutation groups, so it cannot be widened`);
  const nInfos = plugin.describe(narrowSpec as never), wInfos = plugin.describe(wideSpec as never);
  const nGroups = plugin.symmetry(narrowSpec as never).groups, wGroups = plugin.symmetry(wideSpec as never).groups;
  if (nInfos.length !== wInfos.length || nInfos.some((p, i) => p.name !== wInfos[i].name)) throw new Error(`architecture "${name}": the two specs have different parameter lists (another depth?); widening keeps the layers and adds units`);
  if (nGroups.length !== wGroups.length || nGroups.some((g, i) => g.name !== wGroups[i].name)) throw new Error(`architecture "${name}": the two specs have different permutation groups`);
  const rng = createRng(`widen/${seed}`);
  // per group: the narrow unit each wide unit copies, and how many wide units copy each narrow one
  const source = new Map<string, { of: Int32Array; copies: Int32Array }>();
  nGroups.forEach((g, i) => {
    const n = g.size, m = wGroups[i].size;
    if (m < n) throw new Error(`architecture "${name}": group "${g.name}" has ${m} units in the wide spec and ${n} in the narrow one; widening cannot remove units`);
    const of = Int32Array.from({ length: m }, (_, j) => (j < n ? j : rng.int(n)));
    const copies = new Int32Array(n);
    for (const s of of) copies[s]++;
    source.set(g.name, { of, copies });
  });
  const nAxes = axesByParam(name, nInfos, nGroups), wAxes = axesByParam(name, wInfos, wGroups);
  const plans = wInfos.map((w, i) => {
    const nInfo = nInfos[i];
    const nf = factorsOf(nInfo, nAxes.get(nInfo.name) ?? []), wf = factorsOf(w, wAxes.get(w.name) ?? []);
    if (nf.cuts.length !== wf.cuts.length) throw new Error(`architecture "${name}": parameter "${w.name}" does not factor the same way in both specs`);
    const factors: Factor[] = [];
    for (let k = 0; k + 1 < wf.cuts.length; k++) {
      const tag = wf.at.get(wf.cuts[k]);
      const f: Factor = { narrow: nf.cuts[k + 1] / nf.cuts[k], wide: wf.cuts[k + 1] / wf.cuts[k], ...tag };
      if (!tag && f.narrow !== f.wide) throw new Error(`architecture "${name}": parameter "${w.name}" changes size along an axis no permutation group covers (${f.narrow} -> ${f.wide})`);
      factors.push(f);
    }
    return { size: product(w.shape), narrowSize: product(nInfo.shape), factors };
  });
  const narrowTotal = countParams(nInfos), wideTotal = countParams(wInfos);
  return {
    map(narrow) {
      if (narrow.length !== narrowTotal) throw new Error(`widening: got ${narrow.length} weights, the narrow spec has ${narrowTotal}`);
      const out = new Float32Array(wideTotal);
      let no = 0, wo = 0;
      for (const p of plans) {
        for (let j = 0; j < p.size; j++) {
          let rest = j, src = 0, stride = 1, scale = 1;
          for (const f of p.factors) { // inner factor first
            let u = rest % f.wide;
            rest = Math.floor(rest / f.wide);
            if (f.group) {
              const s = source.get(f.group)!;
              u = s.of[u];
              if (f.consumer) scale /= s.copies[u];
            }
            src += u * stride;
            stride *= f.narrow;
          }
          out[wo + j] = narrow[no + src] * scale;
        }
        no += p.narrowSize;
        wo += p.size;
      }
      return out;
    },
  };
}

/** A narrower or shallower trained spec a generator can make, and the map from its weights to the target's. */
export interface Morph {
  from: Record<string, unknown>;
  how: 'widened' | 'deepened';
  map(flat: Float32Array): Float32Array;
}

/**
 * How a generator can make `spec` when its canonicalizer has no reference for it: from the largest referenced spec
 * of the same plugin that `spec` widens (planWidening), else from one it deepens (the plugin's `deepen`, e.g. an
 * identity layer inserted into a ReLU MLP). Undefined when the canonicalizer knows `spec` itself, or none of these.
 * @example const m = planMorph(canon, mlp, { ...spec, hidden: [48] }, seed); const wide = m && m.map(narrowFlat);
 */
export function planMorph(canon: Canonicalizer, plugin: AnyArchitecture, spec: Record<string, unknown>, seed: number): Morph | undefined {
  if (canon.reference({ name: plugin.name, spec })) return undefined;
  let best: (Morph & { params: number }) | undefined;
  for (const r of canon.references) {
    if (r.architecture !== plugin.name) continue;
    let from: Record<string, unknown>;
    try {
      from = validateSpec(plugin, { ...r.body, classes: spec.classes }) as Record<string, unknown>;
    } catch {
      continue;
    }
    const params = countParams(plugin.describe(from as never));
    if (best && params <= best.params) continue;
    // each attempt throws when `spec` is not that kind of growth of `from`: try the next
    try {
      const plan = planWidening(plugin, from, spec, seed);
      best = { from, how: 'widened', map: plan.map, params };
      continue;
    } catch { /* not a widening */ }
    if (!plugin.deepen) continue;
    try {
      const map = plugin.deepen(from as never, spec as never);
      best = { from, how: 'deepened', map, params };
    } catch { /* not a deepening either */ }
  }
  return best && { from: best.from, how: best.how, map: best.map };
}
