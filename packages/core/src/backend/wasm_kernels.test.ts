import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, shutdownBackend } from './init';
import { loadNative } from './native';
import { patchWasmKernels } from './wasm_kernels';

// Each patched wasm kernel against the cpu backend: same values within 1e-5, no leaked tensors.

/** Run f on `backend` with fixed inputs; returns plain arrays (tensors disposed). */
async function on(backend: 'cpu' | 'wasm', f: () => tf.Tensor | tf.Tensor[]): Promise<number[][]> {
  await tf.setBackend(backend);
  const out = tf.tidy(f);
  const list = Array.isArray(out) ? out : [out];
  const values = list.map((t) => Array.from(t.dataSync()));
  tf.dispose(list);
  return values;
}

async function expectSame(f: () => tf.Tensor | tf.Tensor[], tol = 1e-5): Promise<void> {
  await tf.setBackend('wasm');
  const before = tf.memory().numTensors;
  const w = await on('wasm', f);
  await tf.setBackend('wasm');
  expect(tf.memory().numTensors).toBe(before);
  const c = await on('cpu', f);
  expect(w.length).toBe(c.length);
  w.forEach((arr, i) => {
    expect(arr.length).toBe(c[i].length);
    const maxErr = arr.reduce((m, v, j) => Math.max(m, Math.abs(v - c[i][j]) / Math.max(1, Math.abs(c[i][j]))), 0);
    expect(maxErr).toBeLessThan(tol);
  });
}

// Inputs are made on the current backend from seeds, so both backends see the same numbers.
const rn = (shape: number[], seed: number, scale = 1) => tf.mul(tf.randomNormal(shape, 0, 1, 'float32', seed), scale);

const native = loadNative();
const modes: { name: string; native: boolean }[] = [{ name: 'xnnpack', native: false }];
if (native) modes.push({ name: 'native sgemm', native: true });

describe('wasm kernels vs cpu', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'wasm', threads: 2, blasThreads: 2 }); // 2 BLAS threads: batched products split over threads
  });
  afterAll(() => shutdownBackend());

  for (const mode of modes) {
    it(`BatchMatMul (${mode.name}): plain, transposed, batched, broadcast`, async () => {
      patchWasmKernels(mode.native ? native!.addon : null);
      const s = 1 / 8;
      for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
        await expectSame(() => tf.matMul(rn(ta ? [48, 33] : [33, 48], 1, s), rn(tb ? [17, 48] : [48, 17], 2, s), ta, tb));
        await expectSame(() => tf.matMul(rn(ta ? [6, 40, 9] : [6, 9, 40], 3, s), rn(tb ? [6, 11, 40] : [6, 40, 11], 4, s), ta, tb));
      }
      await expectSame(() => tf.matMul(rn([2, 3, 5, 7], 5), rn([7, 4], 6))); // b broadcast over batch
      await expectSame(() => tf.matMul(rn([5, 7], 5), rn([3, 7, 4], 6))); // a broadcast over batch
      await expectSame(() => tf.matMul(rn([2, 1, 5, 7], 5), rn([1, 3, 7, 4], 6))); // odd broadcast: stock kernel
      await expectSame(() => tf.matMul(rn([4, 0], 7), rn([0, 3], 8))); // K = 0
      patchWasmKernels(native?.addon ?? null);
    });
  }

  it('Sum over leading axes (native column sums), other axes and the bias-add gradient', async () => {
    await expectSame(() => tf.sum(rn([37, 19], 30), 0));
    await expectSame(() => tf.sum(rn([3, 5, 19], 31), [1, 0], true));
    await expectSame(() => [tf.sum(rn([3, 5, 4], 32), 1), tf.sum(rn([3, 5, 4], 33), -1), tf.sum(rn([3, 5], 34))]); // stock kernel
    await expectSame(() => tf.sum(tf.ones([4, 3], 'int32'), 0)); // int32: stock kernel
    await expectSame(() => tf.sum(rn([0, 3], 35), 0));
    await expectSame(() => tf.grad((b: tf.Tensor) => tf.sum(tf.mul(tf.add(rn([64, 33], 36), b), rn([64, 33], 37))))(rn([33], 38)));
  });

  it('Identity (tf.clone) shares data without copying; each copy outlives the other', async () => {
    await tf.setBackend('wasm');
    const before = tf.memory().numTensors;
    const x = tf.tensor1d([1, 2, 3]);
    const y = tf.clone(x);
    const wb = tf.backend() as unknown as { dataIdMap: { get(d: object): { memoryOffset: number; refCount: number } } };
    expect(wb.dataIdMap.get(y.dataId)!.memoryOffset).toBe(wb.dataIdMap.get(x.dataId)!.memoryOffset);
    expect(wb.dataIdMap.get(x.dataId)!.refCount).toBe(2);
    x.dispose();
    expect(Array.from(y.dataSync())).toEqual([1, 2, 3]);
    y.dispose();
    expect(tf.memory().numTensors).toBe(before);
    await expectSame(() => tf.clone(rn([4, 5], 40)));
  });

  it('GatherV2: embedding rows (fast path), other axes, int32 data, bad ids', async () => {
    const ids = () => tf.tensor2d([[3, 0, 4], [4, 4, 1]], [2, 3], 'int32');
    await expectSame(() => tf.gather(rn([5, 7], 41), ids()));
    await expectSame(() => tf.gather(rn([5, 2, 3], 42), tf.tensor1d([4, 0], 'int32')));
    await expectSame(() => tf.gather(rn([4, 5], 43), tf.tensor1d([4, 0, 2], 'int32'), 1)); // axis 1: stock kernel
    await expectSame(() => tf.gather(tf.tensor2d([[1, 2], [3, 4]], [2, 2], 'int32'), tf.tensor1d([1, 1, 0], 'int32')));
    await tf.setBackend('wasm');
    const before = tf.memory().numTensors;
    expect(() => tf.tidy(() => tf.gather(rn([3, 2], 44), tf.tensor1d([0, 3], 'int32')))).toThrow(/index value 3 is not in \[0, 2\]/);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('Slice: rows, inner blocks, whole trailing axes, rank 1 and 4, int32, empty; stock kernel for bool', async () => {
    await expectSame(() => tf.slice(rn([9, 5], 51), [3, 0], [1, 5])); // one row (a position-table lookup)
    await expectSame(() => tf.slice(rn([6, 7], 52), [1, 2], [4, 3])); // inner block: one run per row
    await expectSame(() => tf.slice(rn([2, 4, 6, 3], 53), [0, 0, 2, 0], [2, 4, 3, 3])); // (B, nh, t, hs) cache prefix
    await expectSame(() => tf.slice(rn([2, 3, 4, 5], 54), [1, 1, 1, 1], [1, 2, 2, 3]));
    await expectSame(() => tf.slice(rn([10], 55), [4], [-1]));
    await expectSame(() => tf.slice(tf.tensor2d([[1, 2, 3], [4, 5, 6]], [2, 3], 'int32'), [0, 1], [2, 2]));
    await expectSame(() => tf.slice(rn([3, 4], 56), [1, 0], [0, 4]));
    await expectSame(() => tf.cast(tf.slice(tf.tensor1d([1, 0, 1, 1], 'bool'), [1], [2]), 'float32'));
  });

  it('UnsortedSegmentSum and the gradient of gather (embeddings)', async () => {
    await expectSame(() => tf.unsortedSegmentSum(rn([6, 3, 2], 9), tf.tensor1d([0, 2, 2, 4, 0, 1], 'int32'), 5));
    await expectSame(() => tf.unsortedSegmentSum(tf.tensor1d([1, 2, 3, 4], 'int32'), tf.tensor1d([1, 1, 0, 3], 'int32'), 4));
    await expectSame(() => tf.grad((E: tf.Tensor) => tf.sum(tf.mul(tf.gather(E, tf.tensor2d([[1, 3], [3, 0]], [2, 2], 'int32')), rn([2, 2, 4], 10))))(rn([5, 4], 11)));
  });

  it('Conv2DBackpropFilter and DepthwiseConv2d gradients (bridged to cpu)', async () => {
    const x = () => rn([2, 7, 7, 3], 12);
    for (const [stride, pad] of [[1, 'same'], [2, 'valid']] as const) {
      await expectSame(() => tf.grad((w: tf.Tensor) => tf.sum(tf.conv2d(x() as tf.Tensor4D, w as tf.Tensor4D, stride, pad)))(rn([3, 3, 3, 4], 13)));
      await expectSame(() => tf.grads((a: tf.Tensor, w: tf.Tensor) => tf.sum(tf.depthwiseConv2d(a as tf.Tensor4D, w as tf.Tensor4D, stride, pad)))([x(), rn([3, 3, 3, 2], 14)]));
    }
  });

  it('a small conv net training step matches cpu (conv, pool, dense, softmax CE)', async () => {
    const step = () => {
      const w1 = rn([3, 3, 1, 4], 20, 0.3), w2 = rn([4 * 4 * 4, 3], 21, 0.2), img = rn([2, 8, 8, 1], 22);
      const labels = tf.oneHot(tf.tensor1d([0, 2], 'int32'), 3);
      return tf.grads((a: tf.Tensor, b: tf.Tensor) => {
        const h = tf.avgPool(tf.relu(tf.conv2d(img as tf.Tensor4D, a as tf.Tensor4D, 1, 'same')), 2, 2, 'valid'); // (2,4,4,4)
        const m = tf.maxPool(h, 1, 1, 'same');
        return tf.losses.softmaxCrossEntropy(labels, tf.matMul(tf.reshape(m, [2, 64]), b as tf.Tensor2D));
      })([w1, w2]);
    };
    await expectSame(step);
  });
});
