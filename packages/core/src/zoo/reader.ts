import * as fs from 'node:fs';
import * as path from 'node:path';
import { readFileVerified, readJson } from '../io/atomic';
import { loadNetworkSafetensors } from '../io/safetensors';
import { getArchitecture } from '../sdk/architecture';
import type { ParamInfo } from '../sdk/types';
import { readManifest, type ZooEntry } from './manifest';
import { unpackZoo } from './pack';
import type { ZooConfig } from './config';

/**
 * THE way to read a zoo folder: the manifest is the one source of truth (entries/ is the builder's resume log), and
 * every weight file is verified (size + sha256 against the manifest, finite values) before its weights are used.
 * Weights are cached per entry, so the stages that read one zoo several times read each file once.
 */
export interface Zoo {
  readonly dir: string;
  readonly entries: ZooEntry[];
  /** The zoo config it was built from ({} when the folder has none). */
  readonly config: Partial<ZooConfig>;
  /** The architecture's parameter list for an entry. */
  infos(e: ZooEntry): ParamInfo[];
  /** Flat canonical-order weights of a checkpoint (verified, cached). */
  flat(e: ZooEntry): Float32Array;
  /** The final-epoch checkpoint of every job (task x architecture x seed). */
  finals(): ZooEntry[];
}

/** Checkpoints IGPG may learn from: neither their task nor their seed is held out. */
export const isTrainingEntry = (e: ZooEntry) => !e.heldOut.task && !e.heldOut.seed;

/** Keep each network's last checkpoint only (a zoo may also record earlier epochs of the same run). */
export function lastEpochs(entries: ZooEntry[]): ZooEntry[] {
  const last = new Map<string, number>();
  for (const e of entries) last.set(e.job, Math.max(e.epoch, last.get(e.job) ?? 0));
  return entries.filter((e) => e.epoch === last.get(e.job));
}

/**
 * Open a zoo folder. Errors name the folder and what to do: no manifest, or no entries. A zoo shipped packed
 * (`<dir>.tar.gz`, as zoo/default is) is unpacked into `dir` first, or its unpacked copy refreshed (zoo/pack.ts).
 * @example const zoo = openZoo('zoo/default'); const w = zoo.flat(zoo.finals()[0]);
 */
export function openZoo(dir: string): Zoo {
  unpackZoo(dir);
  if (!fs.existsSync(path.join(dir, 'manifest.json'))) throw new Error(`${dir}: no zoo here (expected ${path.join(dir, 'manifest.json')}); build one with \`igpg zoo build\``);
  const entries = readManifest(dir).entries;
  if (!entries.length) throw new Error(`${dir}: the zoo manifest has no entries; build the zoo first (\`igpg zoo build\`)`);
  const cfgFile = path.join(dir, 'config.json');
  const config = fs.existsSync(cfgFile) ? readJson<ZooConfig>(cfgFile) : {};
  const flats = new Map<string, Float32Array>();
  const infosOf = new Map<string, ParamInfo[]>();
  const infos = (e: ZooEntry) => {
    const key = `${e.architecture.name}|${JSON.stringify(e.architecture.spec)}`;
    let i = infosOf.get(key);
    if (!i) {
      i = getArchitecture(e.architecture.name).describe(e.architecture.spec);
      infosOf.set(key, i);
    }
    return i;
  };
  return {
    dir,
    entries,
    config,
    infos,
    flat(e) {
      let f = flats.get(e.id);
      if (f) return f;
      const file = path.join(dir, e.weights.file);
      readFileVerified(file, e.weights); // size + sha256 against the manifest
      f = loadNetworkSafetensors(file, infos(e)).flat; // shapes checked; NaN/Inf rejected with the tensor's name
      flats.set(e.id, f);
      return f;
    },
    finals: () => lastEpochs(entries),
  };
}
