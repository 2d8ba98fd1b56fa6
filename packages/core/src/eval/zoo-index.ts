import * as fs from 'node:fs';
import * as path from 'node:path';
import { getArchitecture } from '../sdk/architecture';
import type { ParamInfo } from '../sdk/types';
import { loadNetworkSafetensors } from '../io/safetensors';
import { readJson } from '../io/atomic';
import { readManifest, type ZooEntry } from '../zoo/manifest';
import { stableHash, type ZooConfig } from '../zoo/config';
import type { Tokenizer } from '../tokenizer';
import { decodeWeights, encodeWeights, type Vqvae } from '../vqvae/model';
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
 * Weight files are read lazily (checksums verified by readManifest({ verify: true }) up front).
 */
export class ZooIndex {
  readonly entries: ZooEntry[];
  readonly config: Partial<ZooConfig>;
  private flats = new Map<string, Float32Array>();
  private codes = new Map<string, Int32Array>();
  private recons = new Map<string, Float32Array>();

  constructor(readonly dir: string) {
    if (!fs.existsSync(path.join(dir, 'manifest.json'))) throw new Error(`${dir}: no zoo here (expected ${path.join(dir, 'manifest.json')}); build one with \`igpg zoo build\``);
    this.entries = readManifest(dir, { verify: true }).entries;
    if (!this.entries.length) throw new Error(`${dir}: the zoo manifest has no entries; build the zoo first`);
    const cfg = path.join(dir, 'config.json');
    this.config = fs.existsSync(cfg) ? readJson<ZooConfig>(cfg) : {};
  }

  static specHash(e: ZooEntry): string {
    return stableHash({ name: e.architecture.name, spec: e.architecture.spec });
  }

  infos(e: ZooEntry): ParamInfo[] {
    return getArchitecture(e.architecture.name).describe(e.architecture.spec);
  }

  /** Flat canonical weights of a checkpoint (cached). */
  flat(e: ZooEntry): Float32Array {
    let f = this.flats.get(e.id);
    if (!f) {
      f = loadNetworkSafetensors(path.join(this.dir, e.weights.file), this.infos(e)).flat;
      this.flats.set(e.id, f);
    }
    return f;
  }

  /** VQ-VAE codes of a checkpoint (cached). */
  codesOf(e: ZooEntry, vq: Vqvae, tok: Tokenizer): Int32Array {
    let c = this.codes.get(e.id);
    if (!c) {
      c = encodeWeights(vq, tok, this.infos(e), this.flat(e)).codes;
      this.codes.set(e.id, c);
    }
    return c;
  }

  /** The checkpoint rebuilt from its own codes (cached). */
  reconstruction(e: ZooEntry, vq: Vqvae, tok: Tokenizer): Float32Array {
    let r = this.recons.get(e.id);
    if (!r) {
      r = decodeWeights(vq, tok, this.infos(e), this.codesOf(e, vq, tok));
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
    const last = new Map<string, ZooEntry>();
    for (const e of this.entries) if ((last.get(e.job)?.epoch ?? 0) < e.epoch) last.set(e.job, e);
    return [...last.values()];
  }

  /** Median pairwise L2 distance of the final checkpoints of a task and architecture (every seed); NaN for < 2. */
  typicalDistance(row: RowKey): number {
    const finals = this.finals().filter((e) => e.task.id === row.task.id && e.architecture.label === row.architecture.label);
    return medianPairwiseDistance(finals.map((e) => this.flat(e)));
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
