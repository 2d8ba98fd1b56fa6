// The functional check of a weight codec (codec.ts): every zoo network rebuilt from its own codes, its accuracy
// compared with the original. It sits beside codec.ts, not in vqvae/, because it runs the whole codec (canon too).
import * as tf from '@tensorflow/tfjs-core';
import { getArchitecture } from './sdk/architecture';
import type { DatasetSplit } from './sdk/dataset';
import { assignWeights } from './sdk/weights';
import type { ZooEntry } from './zoo/manifest';
import { openZoo } from './zoo/reader';
import { entryTestKey, entryTestSplit } from './zoo/splits';
import { evaluateNetwork } from './zoo/evaluate';
import type { Tokenizer } from './tokenizer';
import type { Vqvae } from './vqvae/model';
import { decodeNetwork, encodeNetwork } from './codec';
import { createProgress, type ProgressOptions } from './util/progress';
import type { Canonicalizer } from './canon/canonicalizer';

/** One network of the functional check: test accuracy of its own weights and of their VQ-VAE reconstruction. */
export interface FunctionalRow {
  id: string;
  arch: string;
  dataset: string;
  original: number;
  reconstructed: number;
  /** original - reconstructed, in accuracy points (x100). */
  drop: number;
  /** MSE of the reconstructed weights against the originals. */
  mse: number;
}

/**
 * THE FUNCTIONAL CHECK: rebuild every zoo network from its own codes and compare test accuracies. Weight files are
 * verified (size + sha256) before use; with `canon`, networks are aligned first, as the tokenizer stage trains.
 * Architectures and datasets must be registered (loadPlugins(['@igpg/architectures', '@igpg/datasets'])).
 * `within` (points) gives the summary fraction of networks whose drop is at most that much.
 * @example const r = await functionalCheck('zoo', vq, tokenizer, { limit: 1000 }); r.fractionWithin // 0.97
 */
export async function functionalCheck(zooDir: string, vq: Vqvae, tok: Tokenizer,
  opts: { limit?: number; within?: number; entries?: (e: ZooEntry) => boolean; progress?: Partial<ProgressOptions> | false; canon?: Canonicalizer } = {}) {
  const zoo = openZoo(zooDir);
  const entries = zoo.entries.filter(opts.entries ?? (() => true));
  if (!entries.length) throw new Error(`functionalCheck: no zoo entries selected in ${zooDir}`);
  const within = opts.within ?? 0.5;
  const rows: FunctionalRow[] = [];
  const progress = createProgress({ label: 'functional check', total: entries.length, ...(opts.progress === false ? { silent: true } : opts.progress) });
  // each network on the test subset it was built with (one load per task for zoos that share it)
  const splits = new Map<string, DatasetSplit>();
  let kept = 0; // networks within `within` points so far
  try {
    for (const e of entries) {
      const arch = getArchitecture(e.architecture.name);
      const infos = zoo.infos(e);
      const raw = zoo.flat(e);
      // the codec works in the canonical space (same function, permuted units), so compare there
      const flat = opts.canon ? opts.canon.align(e.architecture, raw).flat : raw;
      const codec = { tokenizer: tok, vq, canon: opts.canon };
      const back = decodeNetwork(codec, e.architecture, infos, encodeNetwork(codec, e.architecture, infos, flat, { aligned: true }).codes);
      // the builder's test subset where the zoo recorded it (entry.splits), else the first `limit` test samples
      // one split held at a time (entries come sorted by id, so a task's or a job's entries are adjacent)
      const key = entryTestKey(e, { limit: opts.limit });
      if (!splits.has(key)) {
        for (const d of splits.values()) tf.dispose([d.x, d.y]);
        splits.clear();
        splits.set(key, await entryTestSplit(e, { limit: opts.limit }));
      }
      const data = splits.get(key)!;
      const net = arch.build(e.architecture.spec, e.seed);
      try {
        assignWeights(net, flat);
        const original = (await evaluateNetwork(net, data)).accuracy;
        assignWeights(net, back);
        const reconstructed = (await evaluateNetwork(net, data)).accuracy;
        let mse = 0;
        for (let i = 0; i < flat.length; i++) mse += (back[i] - flat[i]) ** 2;
        rows.push({ id: e.id, arch: e.architecture.label ?? e.architecture.name, dataset: e.task.dataset, original, reconstructed, drop: 100 * (original - reconstructed), mse: mse / flat.length });
        if (rows[rows.length - 1].drop <= within + 1e-9) kept++;
      } finally {
        net.dispose();
      }
      progress.update(rows.length, { within: kept / rows.length });
    }
  } finally {
    progress.stop();
    for (const d of splits.values()) tf.dispose([d.x, d.y]);
  }
  const drops = rows.map((r) => r.drop).sort((a, b) => a - b);
  return {
    rows,
    /** Fraction of networks whose accuracy dropped by at most `within` points. */
    fractionWithin: kept / rows.length, // 1e-9 above: 100*(a-b) of exact 0.5-point drops is 0.5000000000000004
    within,
    meanDrop: drops.reduce((a, b) => a + b, 0) / drops.length,
    medianDrop: drops[Math.floor(drops.length / 2)],
    meanMse: rows.reduce((a, r) => a + r.mse, 0) / rows.length,
  };
}
