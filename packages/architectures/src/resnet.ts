import * as tf from '@tensorflow/tfjs-core';
import { countParams, defineArchitecture, specSchema } from '@igpg/core';
import { ACTIVATIONS, activate, buildNetwork, conv, dense, describePlan, fmt, listWords, shapeWords, weightAndBias, type Activation, type Planned } from './layers';

/**
 * A small normalisation-free ResNet (basic blocks, He et al. 2016, without batch-norm so that the
 * network is deterministic and every parameter is trainable):
 *   stem conv 3x3 -> stages of blocks [conv 3x3 -> act -> conv 3x3, + shortcut, act] -> global mean pool -> head.
 * The first block of every stage after the first halves the resolution (stride 2); a 1x1 conv shortcut
 * is used wherever the shape changes. PyTorch names: stem, stages.{s}.{b}.conv1|conv2|shortcut, head.
 */
export interface ResnetSpec {
  inputShape: number[];
  classes: number;
  stem: number; // stem channels
  stages: { blocks: number; channels: number }[];
  activation: Activation;
}

const schema = specSchema({ minItems: 3, maxItems: 3 }, {
  stem: { type: 'integer', minimum: 1, default: 8 },
  stages: {
    type: 'array',
    minItems: 1,
    default: [{ blocks: 1, channels: 8 }, { blocks: 1, channels: 16 }],
    items: {
      type: 'object',
      additionalProperties: false,
      required: ['blocks', 'channels'],
      properties: { blocks: { type: 'integer', minimum: 1 }, channels: { type: 'integer', minimum: 1 } },
    },
  },
  activation: { enum: [...ACTIVATIONS], default: 'relu' },
});

interface Block {
  prefix: string;
  stride: number;
  shortcut: boolean;
}

function blocks(spec: ResnetSpec): Block[] {
  const out: Block[] = [];
  let cin = spec.stem;
  spec.stages.forEach((stage, s) => {
    for (let b = 0; b < stage.blocks; b++) {
      const stride = s > 0 && b === 0 ? 2 : 1;
      out.push({ prefix: `stages.${s}.${b}`, stride, shortcut: stride !== 1 || cin !== stage.channels });
      cin = stage.channels;
    }
  });
  return out;
}

function plan(spec: ResnetSpec): Planned[] {
  const out: Planned[] = [...weightAndBias('stem', [3, 3, spec.inputShape[2], spec.stem], 0)];
  let layer = 1;
  let cin = spec.stem;
  const channels = spec.stages.flatMap((s) => new Array<number>(s.blocks).fill(s.channels));
  blocks(spec).forEach((blk, i) => {
    const c = channels[i];
    out.push(...weightAndBias(`${blk.prefix}.conv1`, [3, 3, cin, c], layer++));
    out.push(...weightAndBias(`${blk.prefix}.conv2`, [3, 3, c, c], layer++));
    if (blk.shortcut) out.push(...weightAndBias(`${blk.prefix}.shortcut`, [1, 1, cin, c], layer++));
    cin = c;
  });
  out.push(...weightAndBias('head', [cin, spec.classes], layer));
  return out;
}

/**
 * Two kinds of groups. A block's internal channels (conv1's outputs, act, conv2's inputs) are its own. The residual
 * stream's channels are added together at every block, so one permutation must hold along a whole stream segment:
 * from the tensor that writes it (the stem, or a shortcut conv together with its block's conv2) through every
 * identity block after it (their conv1 inputs, conv2 outputs and biases) to the next shortcut's and conv1's inputs, or
 * to head's rows (global mean pooling and the activation act per channel).
 */
function symmetry(spec: ResnetSpec) {
  const channels = spec.stages.flatMap((s) => new Array<number>(s.blocks).fill(s.channels));
  const kernelOut = (name: string) => [{ param: `${name}.weight`, axis: 3 }, { param: `${name}.bias`, axis: 0 }];
  let stream = { name: 'stem', size: spec.stem, axes: kernelOut('stem') }; // the segment being written
  const groups = [stream]; // in forward order
  blocks(spec).forEach(({ prefix, shortcut }, i) => {
    const c = channels[i];
    groups.push({ name: `${prefix}.conv1`, size: c, axes: [...kernelOut(`${prefix}.conv1`), { param: `${prefix}.conv2.weight`, axis: 2 }] });
    stream.axes.push({ param: `${prefix}.conv1.weight`, axis: 2 });
    if (shortcut) {
      stream.axes.push({ param: `${prefix}.shortcut.weight`, axis: 2 });
      stream = { name: `${prefix}.shortcut`, size: c, axes: kernelOut(`${prefix}.shortcut`) };
      groups.push(stream);
    }
    stream.axes.push(...kernelOut(`${prefix}.conv2`)); // conv2's output is added to the stream it joins
  });
  stream.axes.push({ param: 'head.weight', axis: 0 });
  return {
    groups,
    unhandled: spec.activation === 'tanh' ? 'sign flips of tanh channels (of a block, or of a whole stream segment) are not aligned' : undefined,
  };
}

/**
 * ResNet architecture.
 * @example const net = getArchitecture('resnet').build({ inputShape: [28, 28, 1], classes: 10, stages: [{ blocks: 2, channels: 8 }] }, 3);
 */
export const resnet = defineArchitecture<ResnetSpec>({
  name: 'resnet',
  schema,
  describe: (spec) => describePlan(plan(spec)),
  summary(spec) {
    const n = countParams(describePlan(plan(spec)));
    const nBlocks = spec.stages.reduce((a, s) => a + s.blocks, 0);
    return `a ResNet with ${nBlocks} residual block${nBlocks > 1 ? 's' : ''} in ${spec.stages.length} stage${spec.stages.length > 1 ? 's' : ''} of ${listWords(spec.stages.map((s) => s.channels))} channels, ${fmt(n)} parameters, on ${shapeWords(spec.inputShape)} with ${spec.classes} classes`;
  },
  symmetry,
  build(spec, seed) {
    const act = spec.activation;
    const fusedAct = act === 'relu' ? 'relu' : 'linear';
    const list = blocks(spec);
    return buildNetwork('resnet', spec, plan(spec), seed, (p, x) => {
      let h = conv(x as tf.Tensor4D, p['stem.weight'], p['stem.bias'], { pad: 1, act }); // (N, H, W, stem)
      for (const { prefix, stride, shortcut } of list) {
        const w = (name: string) => [p[`${prefix}.${name}.weight`], p[`${prefix}.${name}.bias`]] as const;
        const r1 = conv(h, ...w('conv1'), { stride, pad: 1, act }); // (N, H/stride, W/stride, c)
        const r2 = conv(r1, ...w('conv2'), { pad: 1, act: 'linear' }); // (N, H/stride, W/stride, c)
        const skip = shortcut ? conv(h, ...w('shortcut'), { stride, pad: 0 }) : h; // (N, H/stride, W/stride, c)
        const sum = tf.add(r2, skip) as tf.Tensor4D;
        h = (fusedAct === 'relu' ? tf.relu(sum) : activate(sum, act)) as tf.Tensor4D;
      }
      const pooled = tf.mean(h, [1, 2]) as tf.Tensor2D; // (N, c) global average pool
      return dense(pooled, p['head.weight'], p['head.bias']); // (N, classes) logits
    });
  },
});
