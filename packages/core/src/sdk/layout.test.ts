import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '../rng';
import { fromLayout, layoutShape, toLayout } from './layout';
import type { ParamInfo } from './types';

const rand = (n: number, seed: number) => {
  const rng = createRng(seed);
  return Float32Array.from({ length: n }, () => rng.normal());
};

beforeAll(async () => {
  await tf.setBackend('cpu');
});

// Reference PyTorch semantics written out by hand: NCHW input, weight [out, in, kh, kw], valid padding.
function torchConv(x: Float32Array, [c, h, w]: number[], wt: Float32Array, [o, , kh, kw]: number[]): Float32Array {
  const [oh, ow] = [h - kh + 1, w - kw + 1];
  const y = new Float32Array(o * oh * ow);
  for (let co = 0; co < o; co++)
    for (let i = 0; i < oh; i++)
      for (let j = 0; j < ow; j++) {
        let s = 0;
        for (let ci = 0; ci < c; ci++)
          for (let a = 0; a < kh; a++) for (let b = 0; b < kw; b++) s += x[(ci * h + i + a) * w + j + b] * wt[((co * c + ci) * kh + a) * kw + b];
        y[(co * oh + i) * ow + j] = s;
      }
  return y;
}

describe('torch layout', () => {
  it('conv kernels [kh, kw, in, out] -> [out, in, kh, kw] compute the same convolution', () => {
    const info: ParamInfo = { name: 'conv.weight', role: 'kernel', shape: [3, 2, 2, 4], layer: 0 };
    const k = rand(48, 1);
    const xHWC = rand(5 * 4 * 2, 2); // one image, (5, 4, 2)
    const ours = tf.tidy(() => tf.conv2d(tf.tensor4d(xHWC, [1, 5, 4, 2]), tf.tensor4d(k, [3, 2, 2, 4]), 1, 'valid').dataSync()); // (1, 3, 3, 4)
    const xCHW = toLayout({ ...info, shape: [5, 4, 2, 1] }, xHWC, 'torch'); // same permutation, reused: (h, w, c) -> (c, h, w)
    const theirs = torchConv(xCHW, [2, 5, 4], toLayout(info, k, 'torch'), layoutShape(info, 'torch')); // (4, 3, 3)
    expect(layoutShape(info, 'torch')).toEqual([4, 2, 3, 2]);
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) for (let c = 0; c < 4; c++) expect(theirs[(c * 3 + i) * 3 + j]).toBeCloseTo(ours[(i * 3 + j) * 4 + c], 4);
  });

  it('a dense kernel after a flatten takes PyTorch (c, h, w) order and [out, in] shape', () => {
    const info: ParamInfo = { name: 'fc.weight', role: 'kernel', shape: [2 * 3 * 4, 5], layer: 1, flattenedFrom: [2, 3, 4] };
    const w = rand(24 * 5, 3);
    const fmap = rand(24, 4); // NHWC feature map (2, 3, 4), flattened as tfjs does
    const ours = tf.tidy(() => tf.matMul(tf.tensor2d(fmap, [1, 24]), tf.tensor2d(w, [24, 5])).dataSync());
    const wt = toLayout(info, w, 'torch'); // [5, 24]
    const flatCHW = new Float32Array(24);
    for (let h = 0; h < 2; h++) for (let x = 0; x < 3; x++) for (let c = 0; c < 4; c++) flatCHW[(c * 2 + h) * 3 + x] = fmap[(h * 3 + x) * 4 + c];
    expect(layoutShape(info, 'torch')).toEqual([5, 24]);
    for (let o = 0; o < 5; o++) {
      let s = 0;
      for (let i = 0; i < 24; i++) s += wt[o * 24 + i] * flatCHW[i];
      expect(s).toBeCloseTo(ours[o], 4);
    }
  });

  it('fromLayout inverts toLayout exactly; biases and embeddings are unchanged', () => {
    const infos: ParamInfo[] = [
      { name: 'a', role: 'kernel', shape: [3, 3, 2, 5], layer: 0 },
      { name: 'b', role: 'kernel', shape: [12, 7], layer: 1, flattenedFrom: [2, 2, 3] },
      { name: 'c', role: 'kernel', shape: [4, 6], layer: 2 },
      { name: 'd', role: 'position', shape: [1, 5, 4], layer: 0 },
    ];
    for (const info of infos) {
      const data = rand(info.shape.reduce((a, b) => a * b, 1), 9);
      const there = toLayout(info, data, 'torch');
      expect(Array.from(fromLayout(info, there, 'torch'))).toEqual(Array.from(data));
    }
    expect(layoutShape(infos[3], 'torch')).toEqual([1, 5, 4]);
  });
});
