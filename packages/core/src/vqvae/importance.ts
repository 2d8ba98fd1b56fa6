import * as tf from '@tensorflow/tfjs-core';
import '../backend/gradients'; // registers every op gradient (tfjs-core alone registers none)
import { getArchitecture } from '../sdk/architecture';
import { getDataset, type DatasetSplit } from '../sdk/dataset';
import { assignWeights } from '../sdk/weights';
import type { ParamInfo } from '../sdk/types';
import { toLayout } from '../sdk/layout';
import { createRng } from '../rng';
import type { Tokenizer } from '../tokenizer';

// Which weights matter to a network's function. A weight-space MSE spends the codec's bits evenly, on weights fed
// by always-black border pixels (untouched since init) as on the output layer. The diagonal of the empirical
// Fisher, E[(dL/dw)^2], is the classical second-order weight (Fisher merging, EWC, OBD): to second order, the loss
// a weight error e_i costs is about sum_i F_i e_i^2 / 2. The VQ-VAE's reconstruction loss weighted by it
// spends the codes where the function is.

export interface ImportanceOptions {
  /** Training examples the Fisher is averaged over (drawn by seed). */
  examples: number;
  /** Examples per gradient: the squared gradient of a small batch is the Fisher up to a 1/batch factor. */
  batchSize: number;
  /**
   * Weights are floor + (1 - floor) * F / mean(F), clipped at `cap`: no weight is quite free (the zoo's other tasks
   * may use it) and none dominates a batch.
   */
  floor: number;
  cap: number;
  seed: number;
}

const IMPORTANCE_DEFAULTS: ImportanceOptions = { examples: 128, batchSize: 8, floor: 0.1, cap: 50, seed: 1 };

/**
 * Diagonal empirical Fisher of a network's softmax cross-entropy on (x, y): per parameter value, in canonical flat
 * order, the mean over batches of the squared batch gradient.
 * @example const f = fisherDiagonal(net, split.x, split.y, 10, 8);
 */
export function fisherDiagonal(net: { params: tf.Variable[]; apply(x: tf.Tensor): tf.Tensor2D }, x: tf.Tensor, y: tf.Tensor1D, classes: number, batchSize: number): Float32Array {
  const n = y.shape[0];
  if (n < 1) throw new Error('fisherDiagonal: no examples');
  const sizes = net.params.map((p) => p.size);
  const out = new Float32Array(sizes.reduce((a, b) => a + b, 0));
  let batches = 0;
  for (let i = 0; i < n; i += batchSize, batches++) {
    const squares = tf.tidy(() => {
      const m = Math.min(batchSize, n - i);
      const xb = tf.slice(x, i, m), yb = tf.oneHot(tf.slice(y, i, m), classes);
      const { grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(yb, net.apply(xb)) as tf.Scalar, net.params);
      return tf.concat(net.params.map((p) => tf.reshape(tf.square(grads[p.name]), [-1])));
    });
    const s = squares.dataSync();
    for (let j = 0; j < out.length; j++) out[j] += s[j];
    squares.dispose();
  }
  for (let j = 0; j < out.length; j++) out[j] /= batches;
  return out;
}

/** A network to weigh: its architecture, weights (flat canonical order) and task. */
export interface WeighedNetwork {
  architecture: { name: string; spec: Record<string, unknown> };
  infos: ParamInfo[];
  flat: Float32Array;
  task: { id: string; dataset: string; classIndices: number[] };
}

/**
 * Per-value reconstruction weights of networks, in flat canonical order: the diagonal Fisher on `examples`
 * training examples of each network's task, normalised per network (mean 1), floored and capped. Task data is
 * loaded once per task.
 * @example const w = await networkImportance(nets, { examples: 128 }); // w[i].length === nets[i].flat.length
 */
export async function networkImportance(networks: WeighedNetwork[], options: Partial<ImportanceOptions> = {}, onNetwork?: (done: number, total: number) => void): Promise<Float32Array[]> {
  const o = { ...IMPORTANCE_DEFAULTS, ...options };
  if (!(o.examples >= 1) || !(o.batchSize >= 1)) throw new Error(`importance: examples and batchSize must be >= 1 (got ${o.examples}, ${o.batchSize})`);
  if (!(o.floor >= 0 && o.floor <= 1) || !(o.cap >= 1)) throw new Error(`importance: floor must be in [0, 1] and cap >= 1 (got ${o.floor}, ${o.cap})`);
  const data = new Map<string, DatasetSplit>();
  const out: Float32Array[] = [];
  try {
    for (const n of networks) {
      let d = data.get(n.task.id);
      if (!d) {
        d = await getDataset(n.task.dataset).load({ split: 'train', classes: n.task.classIndices, limit: o.examples, seed: createRng(`${o.seed}/importance/${n.task.id}`).tfSeed() });
        data.set(n.task.id, d);
      }
      const net = getArchitecture(n.architecture.name).build(n.architecture.spec, 1);
      try {
        assignWeights(net, n.flat);
        out.push(normalise(fisherDiagonal(net, d.x, d.y as tf.Tensor1D, n.task.classIndices.length, o.batchSize), o));
      } finally {
        net.dispose();
      }
      onNetwork?.(out.length, networks.length);
    }
  } finally {
    for (const d of data.values()) tf.dispose([d.x, d.y]);
  }
  return out;
}

function normalise(f: Float32Array, o: ImportanceOptions): Float32Array {
  let mean = 0;
  for (const v of f) mean += v / f.length;
  const w = new Float32Array(f.length);
  for (let j = 0; j < f.length; j++) w[j] = Math.min(o.cap, o.floor + (1 - o.floor) * (mean > 0 ? f[j] / mean : 1));
  return w;
}

/**
 * Importance in weight units -> the tokenizer's chunk layout (N*K, 0 on padding), scaled by std^2 of each tensor
 * so that it weighs errors of the normalised values the VQ-VAE reconstructs. Renormalised to mean 1 over the
 * real slots, so batches of different architectures weigh alike.
 */
export function chunkImportance(tok: Tokenizer, infos: ParamInfo[], importance: Float32Array): Float32Array {
  const layout = tok.encodeLayout(infos);
  if (importance.length !== layout.params) throw new Error(`chunkImportance: got ${importance.length} values, the architecture has ${layout.params}`);
  const st = tok.statsFor(infos);
  const scaled = new Float32Array(importance.length);
  let o = 0;
  infos.forEach((p, i) => {
    const n = p.shape.reduce((a, b) => a * b, 1);
    const t = new Float32Array(n);
    for (let j = 0; j < n; j++) t[j] = importance[o + j] * st[i].std * st[i].std;
    scaled.set(toLayout(p, t, tok.config.layout), o);
    o += n;
  });
  const out = new Float32Array(layout.source.length);
  let sum = 0, count = 0;
  for (let i = 0; i < out.length; i++) {
    const s = layout.source[i];
    if (s < 0) continue;
    out[i] = scaled[s];
    sum += out[i];
    count++;
  }
  const mean = sum / Math.max(1, count);
  if (mean > 0) for (let i = 0; i < out.length; i++) out[i] /= mean;
  return out;
}
