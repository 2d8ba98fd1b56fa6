import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { elementOffset, heapViews, sizeOf, type WasmBackendLike } from '../wasm_memory';
import type { NativeAddon } from '../native';
import type { FusedKernel } from './types';

// Kernel plumbing: one FusedKernel description, two backends. Shared by the op files of this folder.

export const last = (s: number[]) => s[s.length - 1];

export function checkDtypes(k: Pick<FusedKernel, 'name' | 'inputs' | 'dtypes'>, infos: TensorInfo[]): void {
  infos.forEach((t, i) => {
    const want = k.dtypes?.[i] ?? 'float32';
    if (t.dtype !== want) throw new Error(`${k.name}: input '${k.inputs[i]}' must be ${want}, got ${t.dtype}`);
  });
}

function wasmConfig(k: FusedKernel, native: NativeAddon | null): KernelConfig {
  const kernelFunc: KernelFunc = ({ inputs, backend, attrs }) => {
    const wb = backend as unknown as WasmBackendLike;
    const ins = k.inputs.map((n) => inputs[n] as TensorInfo);
    checkDtypes(k, ins);
    const shapes = ins.map((t) => t.shape);
    const outs = k.outShapes(shapes, attrs ?? {}).map((s) => wb.makeOutput(s, 'float32'));
    const views = heapViews(wb); // after makeOutput: allocation may grow the heap
    const heap = views.f32;
    const offs = [...ins, ...outs].map((t) => elementOffset(wb, t));
    if (native && k.native) {
      k.native(native, heap, offs, shapes, attrs ?? {});
    } else {
      const view = (t: TensorInfo, o: number) => (t.dtype === 'int32' ? views.i32 : heap).subarray(o, o + sizeOf(t.shape)) as Float32Array;
      k.run(ins.map((t, i) => view(t, offs[i])), outs.map((t, i) => view(t, offs[ins.length + i])), shapes, attrs ?? {});
    }
    return outs.length === 1 ? outs[0] : outs;
  };
  return { kernelName: k.name, backendName: 'wasm', kernelFunc };
}

interface CpuBackendLike {
  data: { get(dataId: object): { values: Float32Array } }; // Int32Array for int32 tensors
  makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): TensorInfo;
}

function cpuConfig(k: FusedKernel): KernelConfig {
  const kernelFunc: KernelFunc = ({ inputs, backend, attrs }) => {
    const cb = backend as unknown as CpuBackendLike;
    const ins = k.inputs.map((n) => inputs[n] as TensorInfo);
    checkDtypes(k, ins);
    const shapes = ins.map((t) => t.shape);
    const outShapes = k.outShapes(shapes, attrs ?? {});
    const outVals = outShapes.map((s) => new Float32Array(sizeOf(s)));
    k.run(ins.map((t) => cb.data.get(t.dataId).values), outVals, shapes, attrs ?? {});
    const outs = outShapes.map((s, i) => cb.makeTensorInfo(s, 'float32', outVals[i]));
    return outs.length === 1 ? outs[0] : outs;
  };
  return { kernelName: k.name, backendName: 'cpu', kernelFunc };
}

/**
 * Register one fused kernel for wasm (its native version when `native` is given) and cpu, replacing any earlier
 * registration, and its gradient if it has none yet. registerFusedOps runs every kernel of FUSED_OPS through it.
 */
export function registerFusedKernel(k: FusedKernel, native: NativeAddon | null, gradient?: tf.GradConfig): void {
  for (const config of [wasmConfig(k, native), cpuConfig(k)]) {
    if (tf.getKernel(config.kernelName, config.backendName)) tf.unregisterKernel(config.kernelName, config.backendName);
    tf.registerKernel(config);
  }
  if (gradient && !tf.getGradient(gradient.kernelName)) tf.registerGradient(gradient);
}

/** Run a registered kernel by name. */
export const runKernel = (name: string, inputs: tf.NamedTensorMap, attrs: NamedAttrMap = {}) =>
  tf.engine().runKernel(name, inputs, attrs) as tf.Tensor | tf.Tensor[];

/** Whether a kernel of this name is registered on the current backend (else an op runs its composition). */
export const hasKernel = (name: string) => tf.getKernel(name, tf.getBackend()) !== undefined;
