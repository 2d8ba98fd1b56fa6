import type { ParamInfo } from '../sdk/types';
import type { ZooEntry } from '../zoo/manifest';
import { openZoo, type Zoo } from '../zoo/reader';
import { stableHash, type ZooConfig } from '../zoo/config';
import { decodeNetwork, encodeNetwork, type WeightCodec } from '../codec';
import type { Canonicalizer } from '../canon/canonicalizer';
import { medianPairwiseDistance } from './memorization';

/** Which report group a (task, architecture) row belongs to, from the manifest's heldOut flags. */
export type RowGroup = 'seen' | 'heldOutSeed' | 'heldOutTask';

/** One report row: a task on one zoo architecture, with the zoo checkpoints it draws on. */
export interface RowKey {
  group: RowGroup;
  task: ZooEntry['task'];
  architecture: ZooEntry['architecture'];
  /** stableHash of the full spec: networks with the same hash have the same weight layout. */
  specHash: string;
  /** Final-epoch checkpoints of this row's networks (one per seed). */
  finals: ZooEntry[];
  /** Every checkpoint (all epochs) of this task and architecture, held-out seeds included. */
  all: ZooEntry[];
}

/**
 * A zoo opened for evaluation: manifest entries, rows, and cached weights / codes per entry.
 * Weight files are read lazily through the zoo reader (size, sha256 and finite values verified on first use).
 */
export class ZooIndex {
  readonly entries: ZooEntry[];
  readonly config: Partial<ZooConfig>;
  private aligned = new Map<string, Float32Array>();
  private codes = new Map<string, Int32Array>();
  private recons = new Map<string, Float32Array>();

  private canon: Canonicalizer | undefined;

  private readonly zoo: Zoo;

  constructor(readonly dir: string) {
    this.zoo = openZoo(dir);
    this.entries = this.zoo.entries;
    this.config = this.zoo.config;
  }

  static specHash(e: ZooEntry): string {
    return stableHash({ name: e.architecture.name, spec: e.architecture.spec });
  }

  infos(e: ZooEntry): ParamInfo[] {
    return this.zoo.infos(e);
  }

  /** Flat canonical-order weights of a checkpoint (verified by the zoo reader, cached). */
  flat(e: ZooEntry): Float32Array {
    return this.zoo.flat(e);
  }

  /** Take distances, means and codes in this canonicalizer's space from now on (the generator's). */
  useCanonicalizer(canon: Canonicalizer | undefined): void {
    this.canon = canon;
    this.aligned.clear();
    this.codes.clear();
    this.recons.clear();
  }

  /** A checkpoint's weights in the canonical space (aligned to the canonicalizer's reference; cached). */
  canonical(e: ZooEntry): Float32Array {
    if (!this.canon) return this.flat(e);
    let f = this.aligned.get(e.id);
    if (!f) {
      f = this.canon.align(e.architecture, this.flat(e)).flat;
      this.aligned.set(e.id, f);
    }
    return f;
  }

  /** Codes of a checkpoint under a codec (cached; one codec per index). */
  codesOf(e: ZooEntry, codec: WeightCodec): Int32Array {
    let c = this.codes.get(e.id);
    if (!c) {
      c = encodeNetwork(codec, e.architecture, this.infos(e), this.canonical(e), { aligned: true }).codes;
      this.codes.set(e.id, c);
    }
    return c;
  }

  /** The checkpoint rebuilt from its own codes, in the canonical space (cached). */
  reconstruction(e: ZooEntry, codec: WeightCodec): Float32Array {
    let r = this.recons.get(e.id);
    if (!r) {
      r = decodeNetwork(codec, e.architecture, this.infos(e), this.codesOf(e, codec));
      this.recons.set(e.id, r);
    }
    return r;
  }

  /** Checkpoints the prior was trained on (neither task nor seed held out), all epochs, of one weight layout. */
  trainingCheckpoints(specHash: string): ZooEntry[] {
    return this.entries.filter((e) => !e.heldOut.task && !e.heldOut.seed && ZooIndex.specHash(e) === specHash);
  }

  /** Final-epoch entry of every job (task x architecture x seed). */
  finals(): ZooEntry[] {
    return this.zoo.finals();
  }

  /** Median pairwise L2 distance (canonical space) of the final checkpoints of a task and architecture (every seed); NaN for < 2. */
  typicalDistance(row: RowKey): number {
    const finals = this.finals().filter((e) => e.task.id === row.task.id && e.architecture.label === row.architecture.label);
    return medianPairwiseDistance(finals.map((e) => this.canonical(e)));
  }

  /**
   * The report rows: one per (task, architecture label) and group. Seen tasks give a "seen" row (training seeds)
   * and, when some seeds are held out, a "heldOutSeed" row; held-out tasks give a "heldOutTask" row.
   */
  rows(): RowKey[] {
    const finals = this.finals();
    const byKey = new Map<string, ZooEntry[]>();
    for (const e of this.entries) {
      const k = `${e.task.id}\u0000${e.architecture.label}`;
      byKey.set(k, [...(byKey.get(k) ?? []), e]);
    }
    const rows: RowKey[] = [];
    for (const all of byKey.values()) {
      const e0 = all[0];
      const mine = finals.filter((f) => f.task.id === e0.task.id && f.architecture.label === e0.architecture.label);
      const base = { task: e0.task, architecture: e0.architecture, specHash: ZooIndex.specHash(e0), all };
      if (e0.heldOut.task) rows.push({ ...base, group: 'heldOutTask', finals: mine });
      else {
        const seen = mine.filter((f) => !f.heldOut.seed), held = mine.filter((f) => f.heldOut.seed);
        if (seen.length) rows.push({ ...base, group: 'seen', finals: seen });
        if (held.length) rows.push({ ...base, group: 'heldOutSeed', finals: held });
      }
    }
    const order: Record<RowGroup, number> = { seen: 0, heldOutSeed: 1, heldOutTask: 2 };
    return rows.sort((a, b) => order[a.group] - order[b.group] || a.task.id.localeCompare(b.task.id) || a.architecture.label.localeCompare(b.architecture.label));
  }
}
