import { engine, getKernel } from '@tensorflow/tfjs-core';
import type { DataType, KernelBackend, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import type { WasmBackendLike } from '../wasm_memory';
import type { WasmKernel } from './types';

/*
 * Runs a `cpu` kernel for a kernel the wasm backend lacks: copies the inputs to the cpu
 * backend, runs its kernel, and copies the result back. Correct and simple, slow for big
 * tensors (the cpu kernels are plain JS); used for rarely hit kernels that training can
 * reach and tfjs-backend-wasm 4.22 lacks (see the list in index.ts), and as the fallback
 * of the conv gradients for NCHW and non-float32 inputs.
 */

function cpuBackend(): KernelBackend {
  const cpu = engine().findBackend('cpu');
  if (cpu == null) throw new Error("igpg: the 'cpu' backend is not registered; import '@tensorflow/tfjs-backend-cpu'");
  return cpu;
}

/** Kernel config for `wasm` that runs the `cpu` kernel `kernelName` on copied data. */
export function cpuBridgeConfig(kernelName: string): KernelConfig {
  const kernelFunc: KernelFunc = ({ inputs, backend, attrs }) => {
    const wb = backend as unknown as WasmBackendLike;
    const cpu = cpuBackend();
    const cpuKernel = getKernel(kernelName, 'cpu');
    if (cpuKernel === undefined) throw new Error(`igpg: no cpu kernel '${kernelName}' to bridge to`);
    const copies: TensorInfo[] = [];
    const cpuInputs: Record<string, TensorInfo> = {};
    for (const [name, t] of Object.entries(inputs) as [string, TensorInfo | undefined][]) {
      if (t == null) continue;
      const values = (backend as KernelBackend).readSync(t.dataId) as Float32Array | Int32Array | Uint8Array;
      const dataId = cpu.write(values.slice(), t.shape, t.dtype);
      cpuInputs[name] = { dataId, shape: t.shape, dtype: t.dtype };
      copies.push(cpuInputs[name]);
    }
    const result = cpuKernel.kernelFunc({ inputs: cpuInputs, backend: cpu, attrs });
    const results = Array.isArray(result) ? result : [result];
    const outs = results.map((r) => {
      const values = cpu.readSync(r.dataId) as Float32Array | Int32Array | Uint8Array;
      const out = wb.makeOutput(r.shape, r.dtype as DataType);
      (backend as unknown as { typedArrayFromHeap(t: TensorInfo): Float32Array }).typedArrayFromHeap(out).set(values);
      cpu.disposeData(r.dataId);
      return out;
    });
    for (const c of copies) cpu.disposeData(c.dataId);
    return Array.isArray(result) ? outs : outs[0];
  };
  return { kernelName, backendName: 'wasm', kernelFunc };
}

/** A kernel the wasm backend lacks, served by the `cpu` kernel of the same name: one line in the list. */
export function cpuBridgedKernel(kernelName: string): WasmKernel {
  return { kernelName, wrapsStock: false, make: () => cpuBridgeConfig(kernelName) };
}
