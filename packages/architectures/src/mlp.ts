import * as tf from '@tensorflow/tfjs-core';
import { countParams, defineArchitecture } from '@igpg/core';
import { ACTIVATIONS, buildNetwork, dense, describePlan, fmt, listWords, shapeWords, weightAndBias, type Activation, type Planned } from './layers';

/**
 * A multilayer perceptron of any depth: flatten -> [Linear -> act] x hidden.length -> Linear(classes).
 * PyTorch names: layers.0, layers.1, ... (an nn.ModuleList of nn.Linear; see the README).
 */
export interface MlpSpec {
  inputShape: number[];
  classes: number;
  hidden: number[]; // widths of the hidden layers, input side first; [] = logistic regression
  activation: Activation;
}

const schema = {
  type: 'object',
  additionalProperties: false,
  required: ['inputShape', 'classes'],
  properties: {
    inputShape: { type: 'array', items: { type: 'integer', minimum: 1 }, minItems: 1, maxItems: 3 },
    classes: { type: 'integer', minimum: 2 },
    hidden: { type: 'array', items: { type: 'integer', minimum: 1 }, default: [32] },
    activation: { enum: [...ACTIVATIONS], default: 'relu' },
  },
};

function plan(spec: MlpSpec): Planned[] {
  const widths = [spec.inputShape.reduce((a, b) => a * b, 1), ...spec.hidden, spec.classes];
  // an image input is flattened; PyTorch flattens (c, h, w), we flatten (h, w, c)
  const flattenedFrom = spec.inputShape.length === 3 ? { flattenedFrom: spec.inputShape } : {};
  return widths.slice(1).flatMap((out, i) => weightAndBias(`layers.${i}`, [widths[i], out], i, i === 0 ? flattenedFrom : {}));
}

/**
 * MLP architecture.
 * @example const net = mlp.build({ inputShape: [4], classes: 3, hidden: [16, 16] }, 7);
 */
export const mlp = defineArchitecture<MlpSpec>({
  name: 'mlp',
  schema,
  describe: (spec) => describePlan(plan(spec)),
  summary(spec) {
    const n = countParams(describePlan(plan(spec)));
    const layers = spec.hidden.length + 1;
    const hidden = spec.hidden.length ? ` with ${spec.hidden.length === 1 ? 'a ' : ''}${listWords(spec.hidden)}-unit hidden layer${spec.hidden.length > 1 ? 's' : ''} (${spec.activation})` : '';
    return `a ${layers}-layer MLP${hidden}, ${fmt(n)} parameters, on ${shapeWords(spec.inputShape)} with ${spec.classes} classes`;
  },
  build(spec, seed) {
    const depth = spec.hidden.length + 1;
    return buildNetwork('mlp', spec, plan(spec), seed, (p, x) => {
      let h = tf.reshape(x, [x.shape[0], -1]) as tf.Tensor2D; // (N, prod(inputShape))
      for (let i = 0; i < depth; i++) {
        h = dense(h, p[`layers.${i}.weight`], p[`layers.${i}.bias`], i < depth - 1 ? spec.activation : 'linear'); // (N, width_i)
      }
      return h; // (N, classes) logits
    });
  },
});
