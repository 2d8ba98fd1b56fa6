// A tiny real architecture (one dense layer) for the SDK and IO tests. Not exported from the package, and kept out
// of dist/ (*.fixture.ts is excluded in tsconfig.json).
import * as tf from '@tensorflow/tfjs-core';
import { defineArchitecture, specSchema, type BaseSpec } from './architecture';

interface LinearSpec extends BaseSpec {
  scale: number;
}

/** logits = x @ W * scale + b, on flat inputs. */
export function linearArch(name = 'test-linear') {
  return defineArchitecture<LinearSpec>({
    name,
    schema: specSchema({ minItems: 1, maxItems: 1 }, { scale: { type: 'number', exclusiveMinimum: 0, default: 1 } }),
    describe: (spec) => [
      { name: 'fc.weight', role: 'kernel', shape: [spec.inputShape[0], spec.classes], layer: 0 },
      { name: 'fc.bias', role: 'bias', shape: [spec.classes], layer: 0 },
    ],
    summary: (spec) => `a linear classifier on ${spec.inputShape[0]} inputs with ${spec.classes} classes`,
    build(spec, seed) {
      const w = tf.tidy(() => tf.variable(tf.randomUniform([spec.inputShape[0], spec.classes], -1, 1, 'float32', seed + 1)));
      const b = tf.tidy(() => tf.variable(tf.randomUniform([spec.classes], -1, 1, 'float32', seed + 2)));
      return {
        arch: name,
        spec: spec as unknown as Record<string, unknown>,
        params: [w, b],
        apply: (x) => tf.tidy(() => tf.add(tf.mul(tf.matMul(x as tf.Tensor2D, w), spec.scale), b) as tf.Tensor2D),
        dispose: () => [w, b].forEach((v) => v.dispose()),
      };
    },
  });
}

interface HiddenSpec extends BaseSpec {
  hidden: number;
}

/** logits = relu(x @ W0 + b0) @ W1 + b1 on flat inputs, with its hidden units declared as a permutation group. */
export function hiddenArch(name = 'test-hidden') {
  return defineArchitecture<HiddenSpec>({
    name,
    schema: specSchema({ minItems: 1, maxItems: 1 }, { hidden: { type: 'integer', minimum: 1, default: 6 } }),
    describe: (spec) => [
      { name: 'fc0.weight', role: 'kernel', shape: [spec.inputShape[0], spec.hidden], layer: 0 },
      { name: 'fc0.bias', role: 'bias', shape: [spec.hidden], layer: 0 },
      { name: 'fc1.weight', role: 'kernel', shape: [spec.hidden, spec.classes], layer: 1 },
      { name: 'fc1.bias', role: 'bias', shape: [spec.classes], layer: 1 },
    ],
    summary: (spec) => `a one-hidden-layer MLP with ${spec.hidden} units on ${spec.inputShape[0]} inputs with ${spec.classes} classes`,
    symmetry: (spec) => ({
      groups: [{ name: 'fc0', size: spec.hidden, axes: [{ param: 'fc0.weight', axis: 1 }, { param: 'fc0.bias', axis: 0 }, { param: 'fc1.weight', axis: 0 }] }],
    }),
    build(spec, seed) {
      const shapes = [[spec.inputShape[0], spec.hidden], [spec.hidden], [spec.hidden, spec.classes], [spec.classes]];
      const params = shapes.map((s, i) => tf.tidy(() => tf.variable(tf.randomNormal(s, 0, 0.5, 'float32', seed * 10 + i + 1))));
      const [w0, b0, w1, b1] = params;
      return {
        arch: name,
        spec: spec as unknown as Record<string, unknown>,
        params,
        apply: (x) => tf.tidy(() => tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(x as tf.Tensor2D, w0), b0)) as tf.Tensor2D, w1), b1) as tf.Tensor2D),
        dispose: () => params.forEach((v) => v.dispose()),
      };
    },
  });
}
