import * as tf from '@tensorflow/tfjs-core';
import { countParams, defineArchitecture, specSchema, unflattenWeights } from '@igpg/core';
import { ACTIVATIONS, buildNetwork, dense, denseBatched, describePlan, fmt, listWords, shapeWords, weightAndBias, type Activation, type Planned } from './layers';

/**
 * A multilayer perceptron of any depth: flatten -> [Linear -> act] x hidden.length -> Linear(classes).
 * PyTorch names: layers.0, layers.1, ... (an nn.ModuleList of nn.Linear; see the README).
 */
export interface MlpSpec {
  inputShape: number[];
  classes: number;
  hidden: number[]; // widths of the hidden layers, input side first; [] = logistic regression
  activation: Activation;
  /** Average-pool an image input by this factor before flattening (PyTorch: nn.AvgPool2d(k)); 1 = off. */
  inputPool: number;
}

const schema = specSchema({ minItems: 1, maxItems: 3 }, {
  hidden: { type: 'array', items: { type: 'integer', minimum: 1 }, default: [32] },
  activation: { enum: [...ACTIVATIONS], default: 'relu' },
  inputPool: { type: 'integer', minimum: 1, default: 1 },
});

/** The input shape the first Linear sees: an image shrinks by `inputPool` (floor, like PyTorch's AvgPool2d). */
function pooledShape(spec: MlpSpec): number[] {
  if (spec.inputPool === 1) return spec.inputShape;
  if (spec.inputShape.length !== 3) throw new Error(`mlp: inputPool needs an image input [h, w, c], got inputShape [${spec.inputShape.join(', ')}]`);
  const [h, w, c] = spec.inputShape;
  if (h < spec.inputPool || w < spec.inputPool) throw new Error(`mlp: inputPool ${spec.inputPool} is larger than the ${h}x${w} input`);
  return [Math.floor(h / spec.inputPool), Math.floor(w / spec.inputPool), c];
}

function plan(spec: MlpSpec): Planned[] {
  const input = pooledShape(spec);
  const widths = [input.reduce((a, b) => a * b, 1), ...spec.hidden, spec.classes];
  // an image input is flattened; PyTorch flattens (c, h, w), we flatten (h, w, c)
  const flattenedFrom = input.length === 3 ? { flattenedFrom: input } : {};
  return widths.slice(1).flatMap((out, i) => weightAndBias(`layers.${i}`, [widths[i], out], i, i === 0 ? flattenedFrom : {}));
}

/**
 * MLP architecture.
 * @example const net = mlp.build({ inputShape: [4], classes: 3, hidden: [16, 16], activation: 'relu', inputPool: 1 }, 7);
 */
export const mlp = defineArchitecture<MlpSpec>({
  name: 'mlp',
  schema,
  describe: (spec) => describePlan(plan(spec)),
  summary(spec) {
    const n = countParams(describePlan(plan(spec)));
    const layers = spec.hidden.length + 1;
    const hidden = spec.hidden.length ? ` with ${spec.hidden.length === 1 ? 'a ' : ''}${listWords(spec.hidden)}-unit hidden layer${spec.hidden.length > 1 ? 's' : ''} (${spec.activation})` : '';
    const pool = spec.inputPool > 1 ? ` average-pooled by ${spec.inputPool}` : '';
    return `a ${layers}-layer MLP${hidden}, ${fmt(n)} parameters, on ${shapeWords(spec.inputShape)}${pool} with ${spec.classes} classes`;
  },
  // hidden layer i's units: its kernel's columns, its bias, the next kernel's rows. ReLU/tanh/GELU/sigmoid are
  // elementwise, so any reordering of a layer's units keeps the function.
  symmetry: (spec) => ({
    groups: spec.hidden.map((width, i) => ({
      name: `layers.${i}`,
      size: width,
      axes: [{ param: `layers.${i}.weight`, axis: 1 }, { param: `layers.${i}.bias`, axis: 0 }, { param: `layers.${i + 1}.weight`, axis: 0 }],
    })),
    unhandled: spec.activation === 'tanh' ? 'sign flips of tanh units (w -> -w on both sides) are not aligned' : undefined,
  }),
  // Insert identity layers (weight I, bias 0): ReLU outputs are >= 0, so ReLU(I h) = h and the function is kept.
  deepen(shallow, deep) {
    const same = (k: keyof MlpSpec) => JSON.stringify(shallow[k]) === JSON.stringify(deep[k]);
    for (const k of ['inputShape', 'classes', 'activation', 'inputPool'] as const) if (!same(k)) throw new Error(`mlp: deepening keeps ${k}; ${JSON.stringify(shallow[k])} -> ${JSON.stringify(deep[k])}`);
    if (deep.activation !== 'relu') throw new Error(`mlp: only ReLU layers are kept by an inserted identity layer, got ${deep.activation}`);
    // deep layer j is shallow layer from[j], or an identity (-1) of the width before it
    const from: number[] = [];
    let i = 0;
    deep.hidden.forEach((w, j) => {
      if (i < shallow.hidden.length && w === shallow.hidden[i]) from.push(i++);
      else if (j > 0 && w === deep.hidden[j - 1]) from.push(-1);
      else throw new Error(`mlp: hidden [${deep.hidden}] is not [${shallow.hidden}] with identity layers inserted (an inserted layer has the width before it)`);
    });
    if (i < shallow.hidden.length) throw new Error(`mlp: hidden [${deep.hidden}] drops layers of [${shallow.hidden}]`);
    from.push(shallow.hidden.length); // the output layer
    const sInfos = describePlan(plan(shallow)), dInfos = describePlan(plan(deep));
    return (flat) => {
      const src = new Map(unflattenWeights(sInfos, flat));
      return Float32Array.from(dInfos.flatMap((p) => {
        const [, j, kind] = p.name.split('.');
        const s = from[Number(j)];
        if (s >= 0) return [...src.get(`layers.${s}.${kind}`)!];
        const n = p.shape[0];
        return kind === 'bias' ? new Array<number>(n).fill(0) : Array.from({ length: n * n }, (_, k) => (Math.floor(k / n) === k % n ? 1 : 0));
      }));
    };
  },
  // the same function in Keras terms: AveragePooling2D (when inputPool > 1) -> Flatten (NHWC) -> Dense x depth
  layers(spec) {
    const depth = spec.hidden.length + 1;
    const widths = [...spec.hidden, spec.classes];
    return [
      ...(spec.inputPool > 1 ? [{ type: 'averagePooling2d' as const, name: 'input_pool', poolSize: spec.inputPool }] : []),
      ...(spec.inputShape.length > 1 ? [{ type: 'flatten' as const, name: 'flatten' }] : []),
      ...widths.map((units, i) => ({
        type: 'dense' as const, name: `layers_${i}`, units, activation: i < depth - 1 ? spec.activation : ('linear' as const),
        kernel: `layers.${i}.weight`, bias: `layers.${i}.bias`,
      })),
    ];
  },
  // S networks at once (zoo/train-batch.ts): params stacked (S, ...shape), x (S, N, ...inputShape)
  applyBatched(spec, params, x) {
    const [S, N] = x.shape;
    return tf.tidy(() => {
      let h = x;
      if (spec.inputPool > 1) h = tf.avgPool(tf.reshape(x, [S * N, ...spec.inputShape] as [number, number, number, number]) as tf.Tensor4D, spec.inputPool, spec.inputPool, 'valid'); // (S*N, H/p, W/p, C)
      let z = tf.reshape(h, [S, N, -1]) as tf.Tensor3D; // (S, N, prod(pooled inputShape))
      const depth = spec.hidden.length + 1;
      for (let i = 0; i < depth; i++) z = denseBatched(z, params[2 * i], params[2 * i + 1], i < depth - 1 ? spec.activation : 'linear'); // (S, N, width_i)
      return z; // (S, N, classes) logits
    });
  },
  build(spec, seed) {
    const depth = spec.hidden.length + 1;
    return buildNetwork('mlp', spec, plan(spec), seed, (p, x) => {
      if (spec.inputPool > 1) x = tf.avgPool(x as tf.Tensor4D, spec.inputPool, spec.inputPool, 'valid'); // (N, H/p, W/p, C)
      let h = tf.reshape(x, [x.shape[0], -1]) as tf.Tensor2D; // (N, prod(pooled inputShape))
      for (let i = 0; i < depth; i++) {
        h = dense(h, p[`layers.${i}.weight`], p[`layers.${i}.bias`], i < depth - 1 ? spec.activation : 'linear'); // (N, width_i)
      }
      return h; // (N, classes) logits
    });
  },
});
