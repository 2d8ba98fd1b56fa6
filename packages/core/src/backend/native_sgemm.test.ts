import { afterAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, shutdownBackend } from './init';
import { loadNative, type NativeAddon } from './native';

// The native sgemm gives the same bits for 1, 2 and 4 threads (issue 13): C is cut into tiles fixed by the
// shape, each one single-threaded OpenBLAS call. OpenBLAS's own threads do not (1 vs 2 threads differ on
// e.g. a (67 × 901) output with K = 700, both transposed), so a version that let OpenBLAS thread fails here.

const native = loadNative();

/** [transA, transB, M, N, K, batch, beta, strideB 0 (B shared by every batch)] */
type Case = [boolean, boolean, number, number, number, number, number, boolean];
const CASES: Case[] = [
  [false, false, 300, 517, 77, 1, 0, false], // ragged in both dims of 128 × 256 tiles
  [true, false, 130, 257, 64, 1, 0, false],
  [false, true, 515, 130, 200, 1, 0, false],
  [true, true, 67, 901, 700, 1, 0, false], // a shape OpenBLAS's threads round differently
  [true, true, 129, 129, 1000, 1, 0, false], // few tiles: halved to 64 × 64, ragged
  [false, false, 130, 70, 300, 6, 0, false], // batched
  [false, true, 100, 90, 250, 4, 0, true], // batched, B broadcast
  [false, false, 200, 300, 50, 1, 1, false], // beta = 1 (the fused linear's bias)
  [true, false, 1, 3000, 700, 1, 0, false], // one row
  [false, false, 3000, 1, 700, 1, 0, false], // one column
];

/** Fill a heap with A, B (and C for beta) from a seed; offsets in floats. */
function setUp([ta, tb, M, N, K, batch, , shareB]: Case, seed: number) {
  const sA = M * K, sB = shareB ? 0 : K * N, sC = M * N;
  const aOff = 0, bOff = aOff + batch * sA, cOff = bOff + (shareB ? K * N : batch * K * N);
  const heap = new Float32Array(cOff + batch * sC);
  let s = seed >>> 0;
  for (let i = 0; i < cOff + batch * sC; i++) { // a small LCG: inputs in [-0.5, 0.5), C's start too
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    heap[i] = s / 2 ** 32 - 0.5;
  }
  const at = (b: number, i: number, k: number) => heap[aOff + b * sA + (ta ? k * M + i : i * K + k)];
  const bt = (b: number, k: number, j: number) => heap[bOff + b * sB + (tb ? j * K + k : k * N + j)];
  return { heap, aOff, bOff, cOff, sA, sB, sC, at, bt };
}

function run(addon: NativeAddon, c: Case, threads: number) {
  const [ta, tb, M, N, K, batch, beta] = c;
  const h = setUp(c, 7);
  const c0 = h.heap.slice(h.cOff); // C before (for beta)
  addon.setThreads(threads);
  addon.sgemm(h.heap, ta, tb, M, N, K, h.aOff, h.bOff, h.cOff, batch, h.sA, h.sB, h.sC, beta);
  return { c: h.heap.slice(h.cOff), c0, h };
}

describe.skipIf(!native)('native sgemm: deterministic threads', () => {
  const addon = native!.addon;
  const saved = addon.getThreads();
  afterAll(() => {
    addon.setThreads(saved);
    shutdownBackend();
  });

  it('tiles are fixed by the shape: 128 × 256, halved while there are fewer than 8', () => {
    expect(addon.sgemmTiles(4096, 1024, 1)).toEqual([128, 256]);
    expect(addon.sgemmTiles(4096, 128, 1)).toEqual([128, 128]); // clamped to the matrix
    expect(addon.sgemmTiles(128, 1024, 1)).toEqual([128, 128]);
    expect(addon.sgemmTiles(128, 128, 1)).toEqual([64, 64]); // dW of a d = 128 layer
    expect(addon.sgemmTiles(256, 256, 64)).toEqual([128, 256]); // attention: enough tiles from the batch
    expect(addon.sgemmTiles(5, 7, 1)).toEqual([5, 7]);
    expect(() => addon.setThreads(0)).toThrow(/threads must be 1-64/);
  });

  it('gives bit-identical C for 1, 2 and 4 threads, over ragged edges, transposes, batches and beta', () => {
    let ragged = 0;
    for (const c of CASES) {
      const [, , M, N, K, batch, beta] = c;
      const [tm, tn] = addon.sgemmTiles(M, N, batch);
      if (M % tm !== 0 || N % tn !== 0) ragged++;
      const one = run(addon, c, 1);
      // right, not merely repeatable: against a float64 product at a few places
      for (const [b, i, j] of [[0, 0, 0], [batch - 1, M - 1, N - 1], [batch >> 1, M >> 1, (N * 2) / 3 | 0]]) {
        let want = beta * one.c0[b * M * N + i * N + j];
        for (let k = 0; k < K; k++) want += one.h.at(b, i, k) * one.h.bt(b, k, j);
        expect(one.c[b * M * N + i * N + j], `${c} at ${[b, i, j]}`).toBeCloseTo(want, 4);
      }
      const bits = new Uint32Array(one.c.buffer);
      for (const threads of [2, 4]) {
        const other = new Uint32Array(run(addon, c, threads).c.buffer);
        const first = bits.findIndex((v, i) => v !== other[i]);
        expect(first, `${c}: ${threads} threads differ from 1 at element ${first}`).toBe(-1);
      }
    }
    expect(ragged).toBeGreaterThanOrEqual(6); // the cases do exercise partial tiles
  });

  it('tf.matMul on wasm gives the same bits with blasThreads 1, 2 and 4, and leaks no tensors', async () => {
    const results: Uint32Array[][] = [];
    for (const blasThreads of [1, 2, 4]) {
      await initBackend({ backend: 'wasm', threads: 2, blasThreads });
      const before = tf.memory().numTensors;
      const out = tf.tidy(() => {
        const a = tf.randomNormal([2, 300, 200], 0, 1, 'float32', 1), b = tf.randomNormal([2, 270, 200], 0, 1, 'float32', 2);
        const c = tf.randomNormal([2, 270, 300], 0, 1, 'float32', 4), w = tf.randomNormal([200, 333], 0, 1, 'float32', 3);
        const d = tf.randomNormal([700, 67], 0, 1, 'float32', 5), e = tf.randomNormal([901, 700], 0, 1, 'float32', 6);
        return [tf.matMul(a, b, false, true), tf.matMul(a, c, true, true), tf.matMul(tf.reshape(a, [600, 200]), w), tf.matMul(d, e, true, true)];
      });
      results.push(out.map((t) => new Uint32Array(t.dataSync().buffer.slice(0))));
      tf.dispose(out);
      expect(tf.memory().numTensors).toBe(before);
    }
    for (const r of results.slice(1)) r.forEach((bits, i) => expect(bits).toEqual(results[0][i]));
  });
});
