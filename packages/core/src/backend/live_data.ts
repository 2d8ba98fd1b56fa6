import * as tf from '@tensorflow/tfjs-core';
import { elementOffset, heapViews, sizeOf, type WasmBackendLike } from './wasm_memory';

/*
 * In-place access to tensor data on the backends that keep it in JS-visible memory: the wasm heap and the cpu
 * backend's arrays. For host-side loops over small state (the VQ-VAE's EMA codebooks) that would otherwise be a
 * dozen kernels per codebook, or a read and a re-upload.
 */

type BackendWithRefs = tf.KernelBackend & { refCount(dataId: object): number };

/**
 * A live view of t's data (float32 or int32) on wasm or cpu, else null. Writing through it changes t (and every
 * tensor sharing its data: see ownData). A wasm view is only good until the next allocation, which may grow the heap.
 * @example const v = liveView(variable); if (v) v[0] = 1;
 */
export function liveView(t: tf.Tensor): Float32Array | Int32Array | null {
  if (t.dtype !== 'float32' && t.dtype !== 'int32') return null;
  const name = tf.getBackend();
  if (name === 'wasm') {
    const wb = tf.backend() as unknown as WasmBackendLike;
    const views = heapViews(wb), o = elementOffset(wb, t);
    return (t.dtype === 'int32' ? views.i32 : views.f32).subarray(o, o + sizeOf(t.shape));
  }
  if (name === 'cpu') {
    const values = (tf.backend() as unknown as { data: { get(id: object): { values?: unknown } } }).data.get(t.dataId).values;
    return values instanceof Float32Array || values instanceof Int32Array ? values : null;
  }
  return null;
}

/** Whether liveView works on the current backend. */
export const hasLiveViews = () => tf.getBackend() === 'wasm' || tf.getBackend() === 'cpu';

/**
 * Give each variable data of its own (a copy where another tensor shares it: tf.variable(t) shares t's data while t
 * lives), so that writes through liveView reach nothing else. Call before taking the views: the copies allocate.
 */
export function ownData(vars: tf.Variable[]): void {
  const backend = tf.backend() as BackendWithRefs;
  tf.tidy(() => {
    for (const v of vars) if (backend.refCount(v.dataId) !== 1) v.assign(tf.add(v, 0));
  });
}
