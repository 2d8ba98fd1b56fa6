// A tiny real architecture (one dense layer) for the SDK and IO tests. Not exported from the package.
import * as tf from '@tensorflow/tfjs-core';
import { defineArchitecture, type BaseSpec } from './architecture';

export interface LinearSpec extends BaseSpec {
  scale: number;
}

/** logits = x @ W * scale + b, on flat inputs. */
export function linearArch(name = 'test-linear') {
  return defineArchitecture<LinearSpec>({
    name,
    schema: {
      type: 'object',
      additionalProperties: false,
      required: ['inputShape', 'classes'],
      properties: {
        inputShape: { type: 'array', items: { type: 'integer', minimum: 1 }, minItems: 1, maxItems: 1 },
        classes: { type: 'integer', minimum: 2 },
        scale: { type: 'number', exclusiveMinimum: 0, default: 1 },
      },
    },
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
