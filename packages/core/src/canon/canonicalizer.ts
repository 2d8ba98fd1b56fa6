import * as path from 'node:path';
import { getArchitecture, validateSpec } from '../sdk/architecture';
import { applyPermutations, invertPermutation, type PermutationGroup } from '../sdk/permutations';
import type { ParamInfo } from '../sdk/types';
import { flattenWeightMap, unflattenWeights } from '../sdk/weights';
import { readFileVerified, readJson, sha256, writeFileAtomic, writeJsonAtomic } from '../io/atomic';
import { decodeSafetensors, encodeSafetensors } from '../io/safetensors';
import { stableHash } from '../zoo/config';
import { matchWeights } from './match';

/**
 * The canonical weight space: every network of an architecture is permuted (hidden units, channels, heads: the
 * groups its plugin declares) to line up with ONE reference per architecture body, shared by all tasks. Random-init
 * zoos are multimodal by permutation (each seed lands in its own ordering of the same solution); aligned, a task's
 * networks sit in one basin, and a unit slot means the same feature in every network, which is what lets the prior
 * learn them (../shared/design/GENERATION.md: the mean of 36 aligned MLP seeds scores 75-95%, the plain mean 10%).
 *
 * The reference is fitted as in that measurement: start from the first network, align every network to it by
 * weight matching, replace it by the mean of the aligned networks, repeat `rounds` times. It holds only tensors
 * whose shape does not depend on the class count, so one reference serves every task of a body (the same
 * architecture and spec up to `classes`).
 */

/** A network to canonicalize: its architecture and flat weights in canonical (describe) order. */
export interface CanonNetwork {
  architecture: { name: string; spec: Record<string, unknown> };
  flat: Float32Array;
}

/** Per group: new unit u = original unit perm[u]. Empty for an architecture without declared symmetries. */
export type Permutations = Record<string, number[]>;

interface Body {
  key: string;
  name: string;
  spec: Record<string, unknown>;
  /** Class-independent tensors of the reference, by parameter name. */
  tensors: Map<string, Float32Array>;
  networks: number;
}

interface Resolved {
  infos: ParamInfo[];
  groups: PermutationGroup[];
  bodyKey: string;
  body: Record<string, unknown>;
  shared: Set<string>;
}

const CANON_FORMAT = 'igpg-canon';
const CANON_VERSION = 1;

interface CanonFile {
  format: typeof CANON_FORMAT;
  version: number;
  rounds: number;
  references: { key: string; architecture: string; body: Record<string, unknown>; tensors: string[]; networks: number }[];
  weights: { file: string; size: number; sha256: string };
}

/** The architecture's infos, groups, body key (spec without `classes`) and its class-independent tensor names. */
function resolve(arch: CanonNetwork['architecture']): Resolved {
  const plugin = getArchitecture(arch.name);
  const spec = validateSpec(plugin, arch.spec) as unknown as Record<string, unknown>;
  const infos = plugin.describe(spec);
  const groups = plugin.symmetry?.(spec).groups ?? [];
  const { classes, ...body } = spec;
  // tensors whose shape follows the class count (the output layer) cannot be shared across tasks
  const other = new Map(plugin.describe({ ...spec, classes: (classes as number) + 1 }).map((p) => [p.name, p.shape.join('x')]));
  const shared = new Set(infos.filter((p) => other.get(p.name) === p.shape.join('x')).map((p) => p.name));
  return { infos, groups, bodyKey: `${arch.name}/${stableHash(body).slice(0, 16)}`, body, shared };
}

const tensorsOf = (infos: ParamInfo[], flat: Float32Array) => new Map(unflattenWeights(infos, flat));

export class Canonicalizer {
  private readonly bodies: Map<string, Body>;

  constructor(bodies: Body[], readonly rounds: number) {
    this.bodies = new Map(bodies.map((b) => [b.key, b]));
  }

  /** The bodies this canonicalizer has a reference for: architecture name, spec without classes, networks fitted. */
  get references(): { key: string; architecture: string; body: Record<string, unknown>; networks: number }[] {
    return [...this.bodies.values()].map((b) => ({ key: b.key, architecture: b.name, body: b.spec, networks: b.networks }));
  }

  /**
   * Permute a network into the canonical space (function unchanged). A network whose architecture declares no
   * symmetry, or whose body has no reference, is returned as it is with `aligned: false`.
   * @example const { flat, perms } = canon.align({ name: 'mlp', spec }, zooFlat);
   */
  align(arch: CanonNetwork['architecture'], flat: Float32Array): { flat: Float32Array; perms: Permutations; aligned: boolean } {
    const r = resolve(arch);
    const body = this.bodies.get(r.bodyKey);
    if (!body || !r.groups.length) return { flat, perms: {}, aligned: false };
    const { perms, aligned } = matchWeights(r.infos, r.groups, tensorsOf(r.infos, flat), body.tensors);
    return { flat: flattenWeightMap(r.infos, aligned), perms, aligned: true };
  }

  /**
   * Undo `align`: the original network from its canonical weights and the permutations `align` returned.
   * @example canon.restore(arch, canon.align(arch, flat).flat, perms) // == flat, bit for bit
   */
  restore(arch: CanonNetwork['architecture'], flat: Float32Array, perms: Permutations): Float32Array {
    const r = resolve(arch);
    const inverse = Object.fromEntries(Object.entries(perms).map(([g, p]) => [g, invertPermutation(p)]));
    return flattenWeightMap(r.infos, applyPermutations(r.infos, tensorsOf(r.infos, flat), r.groups, inverse));
  }

  /**
   * Canonical weights minus the reference (its class-independent tensors; the rest is left as it is): what the
   * codec quantizes. Aligned units sit near their reference slot, so the residual has far less to code.
   * `uncenter` adds the reference back. Architectures without a reference are returned unchanged.
   */
  center(arch: CanonNetwork['architecture'], flat: Float32Array): Float32Array {
    return this.shift(arch, flat, -1);
  }

  /** The inverse of `center`. */
  uncenter(arch: CanonNetwork['architecture'], flat: Float32Array): Float32Array {
    return this.shift(arch, flat, 1);
  }

  private shift(arch: CanonNetwork['architecture'], flat: Float32Array, sign: 1 | -1): Float32Array {
    const r = resolve(arch);
    const body = this.bodies.get(r.bodyKey);
    if (!body) return flat;
    const out = Float32Array.from(flat);
    let o = 0;
    for (const p of r.infos) {
      const n = p.shape.reduce((a, b) => a * b, 1);
      const ref = body.tensors.get(p.name);
      if (ref && ref.length === n) for (let j = 0; j < n; j++) out[o + j] += sign * ref[j];
      o += n;
    }
    return out;
  }

  /** The reference network's class-independent tensors for an architecture (undefined without one). */
  reference(arch: CanonNetwork['architecture']): Map<string, Float32Array> | undefined {
    return this.bodies.get(resolve(arch).bodyKey)?.tensors;
  }

  /** Save as `<dir>/canon.json` + `<dir>/canon.safetensors` (atomic; weights first). */
  save(dir: string): void {
    const bodies = [...this.bodies.values()];
    const tensors: Record<string, { shape: number[]; data: Float32Array }> = {};
    bodies.forEach((b, i) => b.tensors.forEach((data, name) => (tensors[`${i}/${name}`] = { shape: [data.length], data })));
    const bytes = encodeSafetensors(tensors, { format: CANON_FORMAT });
    writeFileAtomic(path.join(dir, 'canon.safetensors'), bytes);
    const file: CanonFile = {
      format: CANON_FORMAT, version: CANON_VERSION, rounds: this.rounds,
      references: bodies.map((b) => ({ key: b.key, architecture: b.name, body: b.spec, tensors: [...b.tensors.keys()], networks: b.networks })),
      weights: { file: 'canon.safetensors', size: bytes.length, sha256: sha256(bytes) },
    };
    writeJsonAtomic(path.join(dir, 'canon.json'), file);
  }

  /** Load what `save` wrote (checksum verified). */
  static load(dir: string): Canonicalizer {
    const metaFile = path.join(dir, 'canon.json');
    const meta = readJson<CanonFile>(metaFile);
    if (meta.format !== CANON_FORMAT) throw new Error(`${metaFile}: not a canonicalizer file (format "${meta.format}")`);
    if (meta.version !== CANON_VERSION) throw new Error(`${metaFile}: canonicalizer format version ${meta.version}, this code reads version ${CANON_VERSION}; refit it`);
    const weightsFile = path.join(dir, meta.weights.file);
    const { tensors } = decodeSafetensors(readFileVerified(weightsFile, meta.weights), { source: weightsFile });
    const bodies = meta.references.map((r, i): Body => {
      const map = new Map<string, Float32Array>();
      for (const name of r.tensors) {
        const t = tensors[`${i}/${name}`];
        if (!t) throw new Error(`${weightsFile}: reference "${r.key}" lacks tensor "${name}"`);
        map.set(name, t.data as Float32Array);
      }
      return { key: r.key, name: r.architecture, spec: r.body, tensors: map, networks: r.networks };
    });
    return new Canonicalizer(bodies, meta.rounds);
  }
}

export interface FitCanonicalizerOptions {
  /** Rounds of align-then-average (default 3, as measured in GENERATION.md). */
  rounds?: number;
  /** Called after each round with (round, rounds). */
  onRound?: (round: number, rounds: number) => void;
}

/**
 * Fit one reference per architecture body on a zoo and align every network to it.
 * Returns the canonicalizer and, per input network, its aligned weights and permutations (input order).
 * @example const { canon, aligned } = fitCanonicalizer(zoo.map((e) => ({ architecture: e.architecture, flat: e.flat })));
 */
export function fitCanonicalizer(networks: CanonNetwork[], options: FitCanonicalizerOptions = {}): { canon: Canonicalizer; aligned: { flat: Float32Array; perms: Permutations }[] } {
  const rounds = options.rounds ?? 3;
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`fitCanonicalizer: rounds must be a positive integer, got ${rounds}`);
  const resolved = networks.map((n) => resolve(n.architecture));
  const bodies = new Map<string, Body>();
  resolved.forEach((r, i) => {
    if (!r.groups.length || bodies.has(r.bodyKey)) return;
    const first = tensorsOf(r.infos, networks[i].flat);
    const tensors = new Map([...first].filter(([name]) => r.shared.has(name)).map(([name, t]) => [name, Float32Array.from(t)]));
    bodies.set(r.bodyKey, { key: r.bodyKey, name: networks[i].architecture.name, spec: r.body, tensors, networks: 0 });
  });
  let aligned: { flat: Float32Array; perms: Permutations }[] = [];
  for (let round = 1; round <= rounds; round++) {
    const canon = new Canonicalizer([...bodies.values()], rounds);
    aligned = networks.map((n) => canon.align(n.architecture, n.flat));
    // the new reference: the mean of the aligned networks (in float64)
    const sums = new Map<string, { sum: Map<string, Float64Array>; n: number }>();
    resolved.forEach((r, i) => {
      const b = bodies.get(r.bodyKey);
      if (!b) return;
      const acc = sums.get(r.bodyKey) ?? { sum: new Map([...b.tensors].map(([k, t]) => [k, new Float64Array(t.length)])), n: 0 };
      const t = tensorsOf(r.infos, aligned[i].flat);
      acc.sum.forEach((s, name) => {
        const v = t.get(name)!;
        for (let j = 0; j < s.length; j++) s[j] += v[j];
      });
      acc.n++;
      sums.set(r.bodyKey, acc);
    });
    for (const [key, acc] of sums) {
      const b = bodies.get(key)!;
      b.networks = acc.n;
      acc.sum.forEach((s, name) => b.tensors.set(name, Float32Array.from(s, (v) => v / acc.n)));
    }
    options.onRound?.(round, rounds);
  }
  // a final alignment against the final reference, so that every stored network matches what align() gives
  const canon = new Canonicalizer([...bodies.values()], rounds);
  aligned = networks.map((n) => canon.align(n.architecture, n.flat));
  return { canon, aligned: aligned.map(({ flat, perms }) => ({ flat, perms })) };
}
