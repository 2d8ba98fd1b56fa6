import type * as tf from '@tensorflow/tfjs-core';
import { hasKernel, runKernel } from './kernel';
import type { FusedOp } from './types';

export const DECODE_ATTENTION = 'IgpgDecodeAttention';

/**
 * Attention of ONE new token per sequence over a KV cache, writing its key and value into the cache IN PLACE.
 * qkv (B, 3d) = [q (pre-scaled by 1/√hs) | k | v] of the new token; kbuf, vbuf (B, nh, C, hs) hold keys and values
 * of positions < pos and receive the new ones at pos; y (B, d) = softmax(q·K[0..pos]ᵀ)·V[0..pos], per head.
 */
function decodeAttentionJs(qkv: Float32Array, kbuf: Float32Array, vbuf: Float32Array, y: Float32Array, B: number, nh: number, C: number, hs: number, pos: number): void {
  const d = nh * hs;
  const p = new Float32Array(pos + 1);
  for (let b = 0; b < B; b++) {
    const row = b * 3 * d;
    for (let h = 0; h < nh; h++) {
      const base = (b * nh + h) * C * hs, q = row + h * hs, at = base + pos * hs;
      for (let j = 0; j < hs; j++) {
        kbuf[at + j] = qkv[row + d + h * hs + j];
        vbuf[at + j] = qkv[row + 2 * d + h * hs + j];
      }
      let mx = -Infinity;
      for (let t = 0; t <= pos; t++) {
        let sc = 0;
        const k = base + t * hs;
        for (let j = 0; j < hs; j++) sc += qkv[q + j] * kbuf[k + j];
        p[t] = sc;
        if (sc > mx) mx = sc;
      }
      let sum = 0;
      for (let t = 0; t <= pos; t++) { p[t] = Math.exp(p[t] - mx); sum += p[t]; }
      const o = b * d + h * hs;
      for (let j = 0; j < hs; j++) y[o + j] = 0;
      for (let t = 0; t <= pos; t++) {
        const w = p[t] / sum, v = base + t * hs;
        for (let j = 0; j < hs; j++) y[o + j] += w * vbuf[v + j];
      }
    }
  }
}

export const decodeAttentionOp: FusedOp = {
  name: 'decodeAttention',
  kernels: [{
    // writes into its kbuf and vbuf inputs (a KV cache's private buffers); generation only, no gradient
    name: DECODE_ATTENTION, inputs: ['qkv', 'kbuf', 'vbuf'],
    outShapes: ([qkv]) => [[qkv[0], qkv[1] / 3]],
    run: ([qkv, k, v], [y], [sq, sk], attrs) => decodeAttentionJs(qkv, k, v, y, sq[0], sk[1], sk[2], sk[3], attrs.pos as number),
    native: (a, heap, [qkv, k, v, y], [sq, sk], attrs) => a.decodeAttention(heap, qkv, k, v, y, sq[0], sk[1], sk[2], sk[3], attrs.pos as number),
  }],
  gradients: [],
};

/** Whether decodeAttention has a kernel on the current backend (wasm and cpu); elsewhere use concat + matMul. */
export const hasDecodeAttention = () => hasKernel(DECODE_ATTENTION);

/**
 * One new token's attention over a KV cache (see decodeAttentionJs): qkv (B, 3d), kbuf/vbuf (B, nh, C, hs) -> (B, d).
 * Writes the token's key and value into kbuf and vbuf at `pos`: pass buffers that nothing else reads.
 */
export function decodeAttention(qkv: tf.Tensor2D, kbuf: tf.Tensor4D, vbuf: tf.Tensor4D, pos: number): tf.Tensor2D {
  const [B, nh, C, hs] = kbuf.shape;
  if (qkv.shape[0] !== B || qkv.shape[1] !== 3 * nh * hs || vbuf.shape.join() !== kbuf.shape.join()) {
    throw new Error(`decodeAttention: qkv [${qkv.shape}] and caches [${kbuf.shape}], [${vbuf.shape}] do not fit (B, 3·nh·hs), (B, nh, C, hs)`);
  }
  if (!Number.isInteger(pos) || pos < 0 || pos >= C) throw new Error(`decodeAttention: position ${pos} is outside the cache [0, ${C})`);
  return runKernel(DECODE_ATTENTION, { qkv, kbuf, vbuf }, { pos }) as tf.Tensor2D;
}
