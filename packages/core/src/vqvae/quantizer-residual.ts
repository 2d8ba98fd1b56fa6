import * as tf from '@tensorflow/tfjs-core';
import { emaQuantizer, type EmaQuantizerOptions } from './quantizer-ema';
import { straightThrough, type EmaUpdated } from './ops';
import type { QuantizerFactory } from './registry';
import { hasResidualQuantize, residualQuantize } from '../backend/residual_vq';
import { hasLiveViews } from '../backend/live_data';

/**
 * Residual VQ (Zeghidour et al. 2021, SoundStream; lucidrains `ResidualVQ`): `levels` EMA codebooks, each
 * quantizing what the previous ones left, so one latent gets `levels` codes whose vectors sum to its
 * reconstruction. Error falls with every level, which is what weights need: a few-percent error already costs accuracy.
 * indices are level-minor: (M * levels,), row m's codes at [m*levels, (m+1)*levels).
 * @example const q = residualQuantizer({ levels: 4, codebookSize: 256, dim: 8 }); q.quantize(z).indices // (M*4,)
 */
export function residualQuantizer(opts: EmaQuantizerOptions & { levels: number }) {
  const L = opts.levels;
  const scope = opts.scope ?? 'rvq';
  const stages = Array.from({ length: L }, (_, k) => emaQuantizer({ ...opts, seed: (opts.seed ?? 1) * 1000 + k, scope: `${scope}/level${k}` }));
  const beta = opts.commitmentWeight ?? 0.25;
  const nK = opts.kinds ?? 1;

  /** Residual inputs of every level and the codes, without gradients. z (M, D) -> { inputs[k] (M, D), idx[k] (M,) }. */
  const descend = (z: tf.Tensor2D, given?: tf.Tensor2D, kinds?: tf.Tensor1D) => {
    const inputs: tf.Tensor2D[] = [], idx: tf.Tensor1D[] = [];
    let r = z;
    stages.forEach((s, k) => {
      inputs.push(r);
      const i = given ? (tf.reshape(tf.slice(given, [0, k], [-1, 1]), [-1]) as tf.Tensor1D) : (s.quantize(r, { kinds }).indices);
      idx.push(i);
      r = tf.sub(r, s.lookup(i)) as tf.Tensor2D;
    });
    return { inputs, idx, total: tf.sub(z, r) as tf.Tensor2D };
  };

  /**
   * descend(z) off the gradient tape (inside a customGrad, whose inner kernels tfjs does not record), its gradient
   * zero as the composition's is (total = z − r: I − I): total (M, D) and indices (M*L,). On the tape, the backward
   * pass walked every level's distance products.
   */
  const descendOffTape = (z: tf.Tensor2D, kinds?: tf.Tensor1D) => {
    let indices: tf.Tensor1D | undefined;
    const detached = tf.customGrad(((x: tf.Tensor2D) => {
      const { idx, total } = descend(x, undefined, kinds);
      indices = tf.keep(tf.reshape(tf.stack(idx, 1), [-1]) as tf.Tensor1D); // (M*L,); the customGrad's scope would dispose it
      return { value: total, gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy) };
    }) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (x: tf.Tensor2D) => tf.Tensor2D;
    const total = detached(z);
    // a kept tensor outlives every scope: hand the caller's scope a tracked copy (a shared buffer) instead
    const tracked = tf.clone(indices!);
    indices!.dispose();
    return { total, indices: tracked };
  };

  const quantizer: EmaUpdated = {
    kind: 'residual',
    codebookSize: opts.codebookSize,
    dim: opts.dim,
    variables: stages.flatMap((s) => s.variables),
    trainable: [],
    quantize(z, o = {}) {
      return tf.tidy(() => {
        if (hasResidualQuantize()) {
          // the whole descent as one kernel with no gradient (backend/residual_vq.ts): the same total and codes
          // (up to ties in the distances), without 24 levels of small kernels on the tape
          const { total, indices } = residualQuantize(z, stages.map((s) => s.codebook()), nK > 1 ? o.kinds : undefined, opts.codebookSize);
          const commitLoss = tf.mul(beta, tf.mean(tf.square(tf.sub(z, total)))) as tf.Scalar;
          return { quantized: straightThrough(z, total), indices, commitLoss };
        }
        const { total, indices } = descendOffTape(z, o.kinds);
        const commitLoss = tf.mul(beta, tf.mean(tf.square(tf.sub(z, total)))) as tf.Scalar;
        return { quantized: straightThrough(z, total), indices, commitLoss };
      });
    },
    lookup(indices) {
      return tf.tidy(() => {
        const byRow = tf.reshape(indices, [-1, L]) as tf.Tensor2D; // (M, L)
        return stages.map((s, k) => s.lookup(tf.reshape(tf.slice(byRow, [0, k], [-1, 1]), [-1]) as tf.Tensor1D)).reduce((a, b) => tf.add(a, b)) as tf.Tensor2D;
      });
    },
    codebook: () => stages[0].codebook(),
    update(z, indices, step, kinds) {
      if (hasLiveViews()) {
        // on the host, level by level: r (M, D) is level k's input; its next input uses the codebook as it was in the
        // forward pass, i.e. before level k's update
        let r = Float32Array.from(z.dataSync() as Float32Array), next = new Float32Array(r.length);
        const idx = indices.dataSync();
        let dead = 0;
        stages.forEach((s, k) => {
          dead += s.updateOnHost(r, idx, L, k, step, kinds, k + 1 < L ? next : undefined);
          [r, next] = [next, r];
        });
        return { deadCodes: dead };
      }
      // residuals from the codebooks as they were in the forward pass, then update every level
      const { inputs, idx } = tf.tidy(() => {
        const d = descend(z, tf.reshape(indices, [-1, L]) as tf.Tensor2D);
        return { inputs: d.inputs.map((t) => tf.keep(t)), idx: d.idx.map((t) => tf.keep(t)) };
      });
      let dead = 0;
      stages.forEach((s, k) => { dead += s.update(inputs[k], idx[k], step, kinds).deadCodes; });
      tf.dispose([...inputs.slice(1), ...idx]); // inputs[0] is z, owned by the caller
      return { deadCodes: dead };
    },
    initFrom(z, step, kinds) {
      // level 0 from z; level k from the residuals left by levels < k
      let r = tf.clone(z);
      const kt = kinds && tf.tensor1d(kinds, 'int32');
      stages.forEach((s) => {
        s.initFrom(r, step, kinds);
        const next = tf.tidy(() => tf.sub(r, s.lookup(s.quantize(r, { kinds: kt }).indices)) as tf.Tensor2D);
        r.dispose();
        r = next;
      });
      r.dispose();
      kt?.dispose();
    },
    dispose: () => stages.forEach((s) => s.dispose()),
  };
  return quantizer;
}
export type ResidualQuantizer = ReturnType<typeof residualQuantizer>;

/** Registry entry 'residual' (quantizers.ts): one latent per chunk, coded by l levels. Variables under `rvq/`, as saved models have them. */
export const residualFactory: QuantizerFactory = {
  rowsPerChunk: () => 1,
  perKindCodebooks: true,
  scope: 'rvq',
  create: (o) => residualQuantizer({
    levels: o.levels, codebookSize: o.codebookSize, dim: o.dim, decay: o.decay, commitmentWeight: o.commitmentWeight,
    deadCodeThreshold: o.deadCodeThreshold, seed: o.seed, kinds: o.kinds, scope: o.scope,
  }),
};
