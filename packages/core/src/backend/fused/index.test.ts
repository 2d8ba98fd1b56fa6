import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, shutdownBackend } from '../init';
import { loadNative } from '../native';
import { checkFusedOp, expectMatchesComposition, rn } from './against_composition.fixture';
import { hasKernel, runKernel } from './kernel';
import { FUSED_OPS, fusedKernelNames, registerFusedOp, registerFusedOps, type FusedOp } from '.';

// The fused-op list as a whole: every entry is a well-formed op (the same check a new one must pass, shown on a toy),
// the loop registers them all. Each op's own test against its tfjs composition is beside it (<op>.test.ts).

const native = loadNative()?.addon ?? null;

// ---- A toy fused op, as a contributor would add one: one file with the op and its function, one line in FUSED_OPS. ----
const TOY_CUBE = 'IgpgToyCube';
/** y = x³ in one kernel; dy/dx = 3x². */
const toyCubeOp: FusedOp = {
  name: 'toyCube',
  kernels: [{ name: TOY_CUBE, inputs: ['x'], outShapes: ([x]) => [x], run: ([x], [y]) => { for (let i = 0; i < x.length; i++) y[i] = x[i] * x[i] * x[i]; } }],
  gradients: [{ kernelName: TOY_CUBE, inputsToSave: ['x'], gradFunc: (dy, [x]) => ({ x: () => tf.mul(dy as tf.Tensor, tf.mul(tf.square(x), 3)) }) }],
};
/** The op function: the kernel where registered, else the composition. */
const toyCube = (x: tf.Tensor) => (hasKernel(TOY_CUBE) ? runKernel(TOY_CUBE, { x }) as tf.Tensor : tf.tidy(() => tf.mul(tf.mul(x, x), x)));

describe('the fused-op list', () => {
  beforeAll(() => initBackend({ backend: 'wasm', threads: 1 }));
  afterAll(() => shutdownBackend());

  it('every op in the list is well formed, its kernels named once, and registered by the loop for cpu and wasm in list order', () => {
    for (const op of FUSED_OPS) checkFusedOp(op);
    const names = FUSED_OPS.flatMap((op) => fusedKernelNames(op, native !== null));
    expect(new Set(names).size).toBe(names.length);
    expect(registerFusedOps(native)).toEqual(names);
    for (const op of FUSED_OPS) {
      for (const k of op.kernels) for (const backend of ['cpu', 'wasm']) expect(tf.getKernel(k.name, backend), `${k.name} ${backend}`).toBeDefined();
      for (const k of op.nativeOnly ?? []) expect(tf.getKernel(k.kernelName, 'wasm') !== undefined, k.kernelName).toBe(native !== null);
      for (const g of op.gradients) expect(tf.getGradient(g.kernelName), g.kernelName).toBeDefined();
    }
  });

  it('a toy fused op passes the same checks once registered, and trains; no leaks', async () => {
    checkFusedOp(toyCubeOp);
    registerFusedOp(toyCubeOp, native);
    await expectMatchesComposition(toyCubeOp, () => {
      const x = rn([5, 7], 31);
      return [toyCube(x), tf.grad((t: tf.Tensor) => tf.sum(tf.mul(toyCube(t), rn([5, 7], 32))))(x)];
    });
    for (const backend of ['cpu', 'wasm']) {
      await tf.setBackend(backend);
      const opt = tf.train.sgd(0.05); // its learning-rate scalar lives as long as it does
      const before = tf.memory().numTensors;
      // a few SGD steps through the op: w -> w - lr * d/dw mean((x w)^3 - t)^2 lowers the loss
      const w = tf.tidy(() => tf.variable(tf.mul(rn([7, 1], 33), 0.3)));
      const x = rn([16, 7], 34), t = rn([16, 1], 35);
      const loss = () => tf.mean(tf.square(tf.sub(toyCube(tf.matMul(x, w)), t))) as tf.Scalar;
      const first = tf.tidy(() => loss().dataSync()[0]);
      for (let s = 0; s < 20; s++) tf.dispose(opt.minimize(loss, true, [w]));
      expect(tf.tidy(() => loss().dataSync()[0])).toBeLessThan(first);
      tf.dispose([w, x, t]);
      expect(tf.memory().numTensors).toBe(before);
      opt.dispose();
    }
  });
});
