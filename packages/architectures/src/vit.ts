import * as tf from '@tensorflow/tfjs-core';
import { countParams, defineArchitecture, specSchema } from '@igpg/core';
import { buildNetwork, conv, dense, describePlan, fmt, layerNorm, shapeWords, weightAndBias, type Planned } from './layers';

/**
 * A tiny vision transformer (Dosovitskiy et al. 2021) with pre-LN blocks, named as timm's VisionTransformer
 * (patch_embed.proj, cls_token, pos_embed, blocks.{i}.norm1|attn.qkv|attn.proj|norm2|mlp.fc1|mlp.fc2, norm|fc_norm, head),
 * so that a torch-layout export loads into `timm.models.VisionTransformer(...)` by name (see the README).
 */
export interface VitSpec {
  inputShape: number[];
  classes: number;
  patchSize: number;
  dim: number;       // embedding width
  depth: number;     // transformer blocks
  heads: number;
  mlpRatio: number;  // MLP hidden = floor(dim * mlpRatio), as timm
  pool: 'cls' | 'mean'; // timm global_pool 'token' (with a class token) or 'avg' (no class token, fc_norm)
}

const schema = specSchema({ minItems: 3, maxItems: 3 }, {
  patchSize: { type: 'integer', minimum: 1, default: 7 },
  dim: { type: 'integer', minimum: 1, default: 32 },
  depth: { type: 'integer', minimum: 1, default: 2 },
  heads: { type: 'integer', minimum: 1, default: 2 },
  mlpRatio: { type: 'number', exclusiveMinimum: 0, default: 2 },
  pool: { enum: ['cls', 'mean'], default: 'cls' },
});

function geometry(spec: VitSpec) {
  const [h, w, c] = spec.inputShape;
  const p = spec.patchSize;
  if (h % p || w % p) throw new Error(`vit: patchSize ${p} must divide the input height ${h} and width ${w}`);
  if (spec.dim % spec.heads) throw new Error(`vit: dim ${spec.dim} must be a multiple of heads ${spec.heads}`);
  const hidden = Math.floor(spec.dim * spec.mlpRatio);
  if (hidden < 1) throw new Error(`vit: dim * mlpRatio = ${spec.dim * spec.mlpRatio} leaves no MLP units`);
  const patches = (h / p) * (w / p);
  return { c, p, patches, tokens: patches + (spec.pool === 'cls' ? 1 : 0), hidden, headDim: spec.dim / spec.heads };
}

function plan(spec: VitSpec): Planned[] {
  const { c, p, tokens, hidden } = geometry(spec);
  const d = spec.dim;
  const norm = (name: string, layer: number): Planned[] => [
    { name: `${name}.weight`, role: 'gamma', shape: [d], layer, init: { kind: 'ones' } },
    { name: `${name}.bias`, role: 'beta', shape: [d], layer, init: { kind: 'zeros' } },
  ];
  const linear = (name: string, shape: number[], layer: number): Planned[] => [
    { name: `${name}.weight`, role: 'kernel', shape, layer, init: { kind: 'normal', std: 0.02 } },
    { name: `${name}.bias`, role: 'bias', shape: [shape[1]], layer, init: { kind: 'zeros' } },
  ];
  const out: Planned[] = [...weightAndBias('patch_embed.proj', [p, p, c, d], 0)];
  if (spec.pool === 'cls') out.push({ name: 'cls_token', role: 'embedding', shape: [1, 1, d], layer: 0, init: { kind: 'normal', std: 0.02 } });
  out.push({ name: 'pos_embed', role: 'position', shape: [1, tokens, d], layer: 0, init: { kind: 'normal', std: 0.02 } });
  let layer = 1;
  for (let i = 0; i < spec.depth; i++) {
    const b = `blocks.${i}`;
    out.push(...norm(`${b}.norm1`, layer++), ...linear(`${b}.attn.qkv`, [d, 3 * d], layer++), ...linear(`${b}.attn.proj`, [d, d], layer++));
    out.push(...norm(`${b}.norm2`, layer++), ...linear(`${b}.mlp.fc1`, [d, hidden], layer++), ...linear(`${b}.mlp.fc2`, [hidden, d], layer++));
  }
  out.push(...norm(spec.pool === 'cls' ? 'norm' : 'fc_norm', layer++));
  out.push(...linear('head', [d, spec.classes], layer));
  return out;
}

/**
 * Per block: the MLP's hidden units (GELU acts per unit); the attention heads, as blocks of headDim columns of q, k and
 * v and of rows of proj (softmax acts per head); and one reordering of the dimensions inside a head, shared by q, k, v
 * and every head (q.k and att.v sum over them). And the residual stream's d features, tied through every block:
 * LayerNorm's mean and variance do not depend on the feature order, its gamma and beta follow it.
 */
function symmetry(spec: VitSpec) {
  const { hidden, headDim } = geometry(spec);
  const { dim: d, heads } = spec;
  const qkv = [d, 3, heads, headDim]; // qkv kernel [d, 3d], columns as timm's reshape(B, N, 3, H, hd)
  const normAxes = (name: string) => [{ param: `${name}.weight`, axis: 0 }, { param: `${name}.bias`, axis: 0 }];
  const stream: { name: string; size: number; axes: { param: string; axis: number; view?: number[] }[] } = {
    name: 'stream',
    size: d,
    axes: [
      { param: 'patch_embed.proj.weight', axis: 3 }, { param: 'patch_embed.proj.bias', axis: 0 },
      ...(spec.pool === 'cls' ? [{ param: 'cls_token', axis: 2 }] : []), { param: 'pos_embed', axis: 2 },
    ],
  };
  const groups = [stream];
  for (let i = 0; i < spec.depth; i++) {
    const b = `blocks.${i}`;
    stream.axes.push(...normAxes(`${b}.norm1`), { param: `${b}.attn.qkv.weight`, axis: 0 }, { param: `${b}.attn.proj.weight`, axis: 1 }, { param: `${b}.attn.proj.bias`, axis: 0 });
    stream.axes.push(...normAxes(`${b}.norm2`), { param: `${b}.mlp.fc1.weight`, axis: 0 }, { param: `${b}.mlp.fc2.weight`, axis: 1 }, { param: `${b}.mlp.fc2.bias`, axis: 0 });
    const attn = (name: string, size: number, axis: number) => ({
      name: `${b}.attn.${name}`,
      size,
      axes: [
        { param: `${b}.attn.qkv.weight`, axis, view: qkv }, // [d, 3, heads, hd]
        { param: `${b}.attn.qkv.bias`, axis: axis - 1, view: qkv.slice(1) }, // [3, heads, hd]
        { param: `${b}.attn.proj.weight`, axis: axis - 2, view: [heads, headDim, d] }, // proj rows are (head, hd)
      ],
    });
    groups.push(attn('heads', heads, 2), attn('headDim', headDim, 3));
    groups.push({ name: `${b}.mlp`, size: hidden, axes: [{ param: `${b}.mlp.fc1.weight`, axis: 1 }, { param: `${b}.mlp.fc1.bias`, axis: 0 }, { param: `${b}.mlp.fc2.weight`, axis: 0 }] });
  }
  stream.axes.push(...normAxes(spec.pool === 'cls' ? 'norm' : 'fc_norm'), { param: 'head.weight', axis: 0 });
  return {
    groups,
    unhandled:
      'within a head, q/k and v could each be reordered independently, head by head (2 x heads permutations of headDim per block); only one reordering shared by q, k, v and every head is declared. ' +
      'Token positions (pos_embed rows, the cls token) follow the patch grid and are no symmetry. Rescalings (q by a and k by 1/a, v by a and proj rows by 1/a, LayerNorm gamma and beta against the rows of the next kernel) are not aligned.',
  };
}

/**
 * ViT architecture.
 * @example const net = getArchitecture('vit').build({ inputShape: [28, 28, 1], classes: 10, patchSize: 7, dim: 32, depth: 2, heads: 2 }, 5);
 */
export const vit = defineArchitecture<VitSpec>({
  name: 'vit',
  schema,
  describe: (spec) => describePlan(plan(spec)),
  summary(spec) {
    const n = countParams(describePlan(plan(spec)));
    const { patches } = geometry(spec);
    return `a vision transformer with ${spec.depth} block${spec.depth > 1 ? 's' : ''} of width ${spec.dim} and ${spec.heads} head${spec.heads > 1 ? 's' : ''} on ${patches} patches of ${spec.patchSize}×${spec.patchSize}, ${fmt(n)} parameters, on ${shapeWords(spec.inputShape)} with ${spec.classes} classes`;
  },
  symmetry,
  build(spec, seed) {
    const { tokens, headDim } = geometry(spec);
    const { dim: d, heads } = spec;
    const normName = spec.pool === 'cls' ? 'norm' : 'fc_norm';
    return buildNetwork('vit', spec, plan(spec), seed, (p, x) => {
      const n = x.shape[0];
      const lin = (t: tf.Tensor, name: string, act: 'linear' | 'gelu' = 'linear') =>
        tf.reshape(dense(tf.reshape(t, [-1, t.shape[t.shape.length - 1]]) as tf.Tensor2D, p[`${name}.weight`], p[`${name}.bias`], act), [n, tokens, -1]);
      const patches = conv(x as tf.Tensor4D, p['patch_embed.proj.weight'], p['patch_embed.proj.bias'], { stride: spec.patchSize }); // (N, H/p, W/p, D)
      let h: tf.Tensor = tf.reshape(patches, [n, -1, d]); // (N, P, D), row-major patches as timm's flatten(2)
      if (spec.pool === 'cls') h = tf.concat([tf.tile(p['cls_token'], [n, 1, 1]), h], 1); // (N, T, D)
      h = tf.add(h, p['pos_embed']); // (N, T, D)
      for (let i = 0; i < spec.depth; i++) {
        const b = `blocks.${i}`;
        // attention: qkv (N, T, 3D) -> (3, N, heads, T, hd), as timm's reshape(B, N, 3, H, hd).permute(2, 0, 3, 1, 4)
        const a = layerNorm(h, p[`${b}.norm1.weight`], p[`${b}.norm1.bias`]);
        const qkv = tf.transpose(tf.reshape(lin(a, `${b}.attn.qkv`), [n, tokens, 3, heads, headDim]), [2, 0, 3, 1, 4]);
        const [q, k, v] = tf.unstack(qkv); // each (N, heads, T, hd)
        const att = tf.softmax(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(headDim))); // (N, heads, T, T)
        const y = tf.reshape(tf.transpose(tf.matMul(att, v), [0, 2, 1, 3]), [n, tokens, d]); // (N, T, D)
        h = tf.add(h, lin(y, `${b}.attn.proj`));
        // MLP
        const m = layerNorm(h, p[`${b}.norm2.weight`], p[`${b}.norm2.bias`]);
        h = tf.add(h, lin(lin(m, `${b}.mlp.fc1`, 'gelu'), `${b}.mlp.fc2`)); // (N, T, D)
      }
      // cls: the class token; mean: the average token. LayerNorm is per token, so norm-then-pick = pick-then-norm.
      const pooled = spec.pool === 'cls' ? tf.squeeze(tf.slice(h, [0, 0, 0], [n, 1, d]), [1]) : tf.mean(h, 1); // (N, D)
      const z = layerNorm(pooled, p[`${normName}.weight`], p[`${normName}.bias`]) as tf.Tensor2D;
      return dense(z, p['head.weight'], p['head.bias']); // (N, classes) logits
    });
  },
});
