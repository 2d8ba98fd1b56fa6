import * as tf from '@tensorflow/tfjs-core';
import { countParams, defineArchitecture, hasIm2col, im2col, maxPool, specSchema, type ArchitecturePlugin, type KerasLayer } from '@igpg/core';
import { ACTIVATIONS, activate, buildNetwork, conv, dense, denseBatched, describePlan, fmt, listWords, shapeWords, weightAndBias, type Activation, type Planned } from './layers';

/**
 * Schürholt et al.'s model-zoo CNNs: three conv layers (valid padding, each followed by optional
 * max-pooling and the activation) -> flatten -> FC(hidden) -> FC(classes).
 * PyTorch names: conv1, conv2, conv3, fc1, fc2 (see the README for the matching nn.Module).
 */
export interface ZooCnnSpec {
  inputShape: number[]; // [h, w, c]
  classes: number;
  channels: number[];   // output channels of conv1..conv3
  kernels: number[];    // square kernel sizes
  pools: number[];      // max-pool window (= stride) after each conv; 1 = none
  hidden: number;       // units of fc1
  activation: Activation;
}

function schema(defaults: Omit<ZooCnnSpec, 'inputShape' | 'classes'>): object {
  const triple = (def: number[], min: number) => ({ type: 'array', items: { type: 'integer', minimum: min }, minItems: 3, maxItems: 3, default: def });
  return specSchema({ minItems: 3, maxItems: 3, description: '[height, width, channels]' }, {
    channels: triple(defaults.channels, 1),
    kernels: triple(defaults.kernels, 1),
    pools: triple(defaults.pools, 1),
    hidden: { type: 'integer', minimum: 1, default: defaults.hidden },
    activation: { enum: [...ACTIVATIONS], default: defaults.activation },
  });
}

/** Spatial size after each conv + pool stage: [[h, w] after conv1/pool1, ...]. */
function stageSizes(spec: ZooCnnSpec): [number, number][] {
  let [h, w] = spec.inputShape;
  return spec.kernels.map((k, i) => {
    const p = spec.pools[i];
    const [ch, cw] = [h - k + 1, w - k + 1];
    if (ch < 1 || cw < 1) throw new Error(`conv${i + 1}: a ${k}x${k} kernel does not fit a ${h}x${w} map; use smaller kernels or larger inputs`);
    [h, w] = [Math.floor(ch / p), Math.floor(cw / p)];
    if (h < 1 || w < 1) throw new Error(`pool${i + 1}: a ${p}x${p} pool does not fit a ${ch}x${cw} map; use pools of 1`);
    return [h, w];
  });
}

function plan(spec: ZooCnnSpec): Planned[] {
  const sizes = stageSizes(spec);
  const out: Planned[] = [];
  let cin = spec.inputShape[2];
  spec.channels.forEach((c, i) => {
    out.push(...weightAndBias(`conv${i + 1}`, [spec.kernels[i], spec.kernels[i], cin, c], i));
    cin = c;
  });
  const [h, w] = sizes[2];
  out.push(...weightAndBias('fc1', [h * w * cin, spec.hidden], 3, { flattenedFrom: [h, w, cin] }));
  out.push(...weightAndBias('fc2', [spec.hidden, spec.classes], 4));
  return out;
}

/** Make a zoo-CNN architecture plugin with the given name and defaults. */
function zooCnn(name: string, defaults: Omit<ZooCnnSpec, 'inputShape' | 'classes'>, label: string): ArchitecturePlugin<ZooCnnSpec> {
  return defineArchitecture<ZooCnnSpec>({
    name,
    schema: schema(defaults),
    describe: (spec) => describePlan(plan(spec)),
    summary(spec) {
      const n = countParams(describePlan(plan(spec)));
      return `a 3-layer CNN (${label}) with ${listWords(spec.channels)} channels and a ${spec.hidden}-unit hidden layer, ${fmt(n)} parameters, on ${shapeWords(spec.inputShape)} with ${spec.classes} classes`;
    },
    // Each conv layer's output channels (max-pooling and the activation act per channel), and fc1's units. conv3's
    // channels reach fc1 through the NHWC flatten: fc1's kernel [h*w*c, hidden] is viewed as [h*w, c, hidden].
    symmetry(spec) {
      const [h, w] = stageSizes(spec)[2];
      const convs = spec.channels.map((c, i) => ({
        name: `conv${i + 1}`,
        size: c,
        axes: [
          { param: `conv${i + 1}.weight`, axis: 3 }, { param: `conv${i + 1}.bias`, axis: 0 },
          i < 2 ? { param: `conv${i + 2}.weight`, axis: 2 } : { param: 'fc1.weight', axis: 1, view: [h * w, c, spec.hidden] },
        ],
      }));
      const fc1 = { name: 'fc1', size: spec.hidden, axes: [{ param: 'fc1.weight', axis: 1 }, { param: 'fc1.bias', axis: 0 }, { param: 'fc2.weight', axis: 0 }] };
      return { groups: [...convs, fc1], unhandled: spec.activation === 'tanh' ? 'sign flips of tanh units are not aligned (they are a symmetry only where no max-pool sits between the unit and its activation, e.g. fc1)' : undefined };
    },
    // conv (valid) -> max-pool -> activation, as build() computes it (GELU: activation before the pool, which
    // build() does too; for monotone activations both orders give the same values)
    layers(spec) {
      const act = spec.activation;
      const stages = spec.channels.flatMap((filters, i): KerasLayer[] => {
        const conv = { type: 'conv2d' as const, name: `conv${i + 1}`, filters, kernelSize: spec.kernels[i], kernel: `conv${i + 1}.weight`, bias: `conv${i + 1}.bias` };
        const pool = spec.pools[i] > 1 ? [{ type: 'maxPooling2d' as const, name: `pool${i + 1}`, poolSize: spec.pools[i] }] : [];
        if (act === 'gelu' || act === 'relu') return [{ ...conv, activation: act }, ...pool];
        return [{ ...conv, activation: 'linear' as const }, ...pool, { type: 'activation' as const, name: `act${i + 1}`, activation: act }];
      });
      return [
        ...stages,
        { type: 'flatten' as const, name: 'flatten' },
        { type: 'dense' as const, name: 'fc1', units: spec.hidden, activation: act, kernel: 'fc1.weight', bias: 'fc1.bias' },
        { type: 'dense' as const, name: 'fc2', units: spec.classes, activation: 'linear' as const, kernel: 'fc2.weight', bias: 'fc2.bias' },
      ];
    },
    // S networks at once (zoo/train-batch.ts): each network's convs on its own slice, the rest batched
    applyBatched(spec, params, x) {
      return tf.tidy(() => {
        const [S, N] = x.shape;
        let h = x as tf.Tensor5D; // (S, N, H, W, C)
        for (let i = 0; i < 3; i++) h = convStageBatched(h, params[2 * i], params[2 * i + 1], spec.pools[i], spec.activation); // (S, N, h, w, c_i)
        const flat = tf.reshape(h, [S, N, -1]) as tf.Tensor3D; // (S, N, h*w*c), NHWC order per network
        const hidden = denseBatched(flat, params[6], params[7], spec.activation); // (S, N, hidden)
        return denseBatched(hidden, params[8], params[9]); // (S, N, classes) logits
      });
    },
    build(spec, seed) {
      return buildNetwork(name, spec, plan(spec), seed, (p, x) => {
        const h = convStages(spec, x as tf.Tensor4D, (i) => [p[`conv${i + 1}.weight`], p[`conv${i + 1}.bias`]]); // (N, h, w, c)
        const flat = tf.reshape(h, [h.shape[0], -1]) as tf.Tensor2D; // (N, h*w*c), NHWC order
        const hidden = dense(flat, p['fc1.weight'], p['fc1.bias'], spec.activation); // (N, hidden)
        return dense(hidden, p['fc2.weight'], p['fc2.bias']); // (N, classes) logits
      });
    },
  });
}

/** The three conv -> max-pool -> activation stages of one network; `layer(i)` gives conv i's [weight, bias]. */
function convStages(spec: ZooCnnSpec, x: tf.Tensor4D, layer: (i: number) => [tf.Tensor, tf.Tensor]): tf.Tensor4D {
  const act = spec.activation;
  let h = x; // (N, H, W, C)
  for (let i = 0; i < 3; i++) {
    const [[w, b], pool] = [layer(i), spec.pools[i]];
    if (act === 'gelu') {
      h = conv(h, w, b, { act }); // (N, H-k+1, W-k+1, c_i)
      if (pool > 1) h = tf.maxPool(h, pool, pool, 'valid'); // (N, H', W', c_i)
    } else {
      // monotone activation: pool first (same result as act-then-pool, on pool² fewer values); ReLU is fused
      h = conv(h, w, b, { act: act === 'relu' ? 'relu' : 'linear' });
      if (pool > 1) h = tf.maxPool(h, pool, pool, 'valid');
      if (act !== 'relu') h = activate(h, act) as tf.Tensor4D;
    }
  }
  return h;
}

/**
 * One conv -> max-pool -> activation stage of S networks, h (S, N, H, W, C), w (S, k, k, C, c), b (S, c). tfjs has no
 * grouped conv, so each network runs the stage on its own slice. Bias, pool and activation run per network too:
 * bias+pool+tanh as one op over (S*N, ...) drifted networks s > 0 by ~1e-2 after 4 Adam steps on wasm (cause not
 * found; train-batch.test.ts catches it), and wasm's fused conv rejects a sliced bias ("only supports rank-1 bias").
 */
function convStageBatched(h: tf.Tensor5D, w: tf.Tensor, b: tf.Tensor, pool: number, act: Activation): tf.Tensor5D {
  const S = h.shape[0];
  if (hasIm2col()) return convStageIm2col(h, w, b, pool, act);
  // network s's slice as a copy (gather): unstack's gradient (stack) fails on the tape's dy list
  const slice = (t: tf.Tensor, s: number) => tf.reshape(tf.gather(t, [s]), t.shape.slice(1));
  const ys = Array.from({ length: S }, (_, s) => {
    let y = tf.add(tf.conv2d(slice(h, s) as tf.Tensor4D, slice(w, s) as tf.Tensor4D, 1, 'valid'), slice(b, s)) as tf.Tensor4D; // (N, H-k+1, W-k+1, c)
    if (act === 'gelu') y = activate(y, act) as tf.Tensor4D;
    if (pool > 1) y = tf.maxPool(y, pool, pool, 'valid'); // (N, oh/p, ow/p, c)
    if (act !== 'gelu') y = activate(y, act) as tf.Tensor4D;
    return y;
  });
  return tf.stack(ys) as tf.Tensor5D; // (S, N, oh/p, ow/p, c)
}

/**
 * convStageBatched for all S networks at once: the patches of every network's inputs (im2col), one batched matmul
 * (S, N·oh·ow, k·k·C + 1)·(S, k·k·C + 1, c) with the bias as the filter's last row, then pool and activation over (S·N, ...): a handful of kernels per stage
 * instead of ~6 per network, and the gradients are batched matmuls and col2im.
 */
function convStageIm2col(h: tf.Tensor5D, w: tf.Tensor, b: tf.Tensor, pool: number, act: Activation): tf.Tensor5D {
  const [S, N, H, W, C] = h.shape, [, k, , , c] = w.shape;
  const [oh, ow] = [H - k + 1, W - k + 1];
  // patches with a ones column, the filter with its bias as the last row: the matmul adds the bias (a broadcast add
  // of (S, P, c) and its gradient's sum cost ~15% of a step on wasm)
  const cols = tf.reshape(im2col(tf.reshape(h, [S * N, H, W, C]) as tf.Tensor4D, k, true), [S, N * oh * ow, k * k * C + 1]); // (S, P, k*k*C+1)
  const wb = tf.concat([tf.reshape(w, [S, k * k * C, c]), tf.reshape(b, [S, 1, c])], 1) as tf.Tensor3D; // (S, k*k*C+1, c)
  const z = tf.matMul(cols as tf.Tensor3D, wb); // (S, P, c)
  let y = tf.reshape(z, [S * N, oh, ow, c]) as tf.Tensor4D;
  if (act === 'gelu') y = activate(y, act) as tf.Tensor4D;
  if (pool > 1) y = maxPool(y, pool); // (S*N, oh/p, ow/p, c)
  if (act !== 'gelu') y = activate(y, act) as tf.Tensor4D;
  return tf.reshape(y, [S, N, y.shape[1], y.shape[2], c]) as tf.Tensor5D;
}

/**
 * CNN-s (Schürholt et al. model zoos): conv 5x5 (8) -> pool 2 -> conv 5x5 (6) -> pool 2 -> conv 2x2 (4)
 * -> flatten (36 on 28x28) -> FC 20 -> FC classes, tanh. 2,464 parameters on 28x28x1 with 10 classes, 2,864 on 28x28x3.
 * @example const net = getArchitecture('cnn-s').build({ inputShape: [28, 28, 1], classes: 10 }, 1); // the registry's build fills the defaults
 */
export const cnnS = zooCnn('cnn-s', { channels: [8, 6, 4], kernels: [5, 5, 2], pools: [2, 2, 1], hidden: 20, activation: 'tanh' }, 'CNN-s');

/**
 * CNN-l (Schürholt et al. model zoos): conv 3x3 (16) -> pool 2 -> conv 3x3 (32) -> pool 2 -> conv 3x3 (15) -> pool 2
 * -> flatten -> FC 20 -> FC classes, tanh. 10,853 parameters on 32x32x3 with 10 classes (flatten 2x2x15 = 60);
 * 9,665 on 28x28x1. No conv/pool configuration reaches 10,853 on 28x28x1: see the README.
 */
export const cnnL = zooCnn('cnn-l', { channels: [16, 32, 15], kernels: [3, 3, 3], pools: [2, 2, 2], hidden: 20, activation: 'tanh' }, 'CNN-l');
