import * as tf from '@tensorflow/tfjs-core';
import { wasmKernelsMode } from '../backend/kernels';
import { loadNative } from '../backend/native';
import { elementOffset, heapViews, sizeOf, type WasmBackendLike } from '../backend/wasm_memory';

/*
 * Adam with a fused update. tfjs's AdamOptimizer runs ~12 kernels per variable per step
 * (each a pass over the variable plus an allocation); on wasm with the native addon this
 * subclass updates each variable, its first and second moments in place on the wasm heap
 * in one native pass. Same arithmetic as tfjs (bias-corrected moments, epsilon outside the
 * square root), same state (moments as `<name>/m`, `<name>/v` variables, accBeta1/2,
 * iterations), so getWeights/setWeights checkpoints are interchangeable with tf.train.adam.
 * Anywhere else (cpu, wasm without the addon, tfjs-node) it is tfjs's AdamOptimizer.
 */

type WasmDataLike = { refCount?: number };
type OptimizerVariable = { originalName: string; variable: tf.Variable };

/** tf.AdamOptimizer whose update is one native pass per variable on wasm + native addon. */
export class FusedAdamOptimizer extends tf.AdamOptimizer {
  /** Whether the last applyGradients took the native path (for tests and benchmarks). */
  lastUpdateNative = false;

  /** Change the learning rate between steps (schedules); tfjs keeps the field protected. */
  setLearningRate(lr: number): void {
    if (!Number.isFinite(lr) || lr < 0) throw new Error(`setLearningRate: learning rate must be a finite number ≥ 0, got ${lr}`);
    this.learningRate = lr;
  }

  override applyGradients(variableGradients: tf.NamedTensorMap | { name: string; tensor: tf.Tensor }[]): void {
    const native = fusedTarget();
    const list = Array.isArray(variableGradients)
      ? variableGradients.map((v) => ({ name: v.name, grad: v.tensor }))
      : Object.keys(variableGradients).map((name) => ({ name, grad: variableGradients[name] }));
    const vars = list.map(({ name }) => tf.engine().registeredVariables[name]);
    const ok = native !== null && vars.every((v, i) => v !== undefined && v.dtype === 'float32' &&
      (list[i].grad == null || (list[i].grad.dtype === 'float32' && list[i].grad.size === v.size)));
    this.lastUpdateNative = ok;
    if (!ok) return super.applyGradients(variableGradients as Parameters<tf.AdamOptimizer['applyGradients']>[0]);
    const self = this as unknown as {
      accumulatedFirstMoment: OptimizerVariable[]; accumulatedSecondMoment: OptimizerVariable[];
      accBeta1: tf.Variable; accBeta2: tf.Variable; beta1: number; beta2: number; epsilon: number;
      learningRate: number; incrementIterations(): void;
    };
    const c1 = 1 - self.accBeta1.dataSync()[0], c2 = 1 - self.accBeta2.dataSync()[0];
    const wb = tf.backend() as unknown as WasmBackendLike;
    const { addon } = native!;
    tf.tidy(() => {
      list.forEach(({ name, grad }, i) => {
        const value = vars[i];
        self.accumulatedFirstMoment[i] ??= { originalName: `${name}/m`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
        self.accumulatedSecondMoment[i] ??= { originalName: `${name}/v`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
        if (grad == null) return;
        const m = self.accumulatedFirstMoment[i].variable, v = self.accumulatedSecondMoment[i].variable;
        // In-place writes are safe only on data no other tensor shares (a variable made by
        // tf.variable(t) shares t's data while t lives): give such a variable its own copy.
        for (const t of [value, m, v]) {
          const data = wb.dataIdMap.get(t.dataId) as WasmDataLike | undefined;
          if (data?.refCount !== 1) t.assign(tf.add(t, 0));
        }
        const heap = heapViews(wb).f32; // after any allocation above
        addon.adam(heap, elementOffset(wb, value), elementOffset(wb, grad), elementOffset(wb, m), elementOffset(wb, v),
          sizeOf(value.shape), self.learningRate, self.beta1, self.beta2, self.epsilon, c1, c2);
      });
      self.accBeta1.assign(tf.mul(self.accBeta1, self.beta1));
      self.accBeta2.assign(tf.mul(self.accBeta2, self.beta2));
    });
    self.incrementIterations();
  }
}

/** The native addon when the fused path applies: the wasm backend with kernels patched to native. */
function fusedTarget(): ReturnType<typeof loadNative> {
  if (tf.getBackend() !== 'wasm' || wasmKernelsMode() !== 'native') return null;
  return loadNative();
}

/**
 * Adam (Kingma & Ba 2015) as tf.train.adam, with a fused native update on wasm when the
 * addon is loaded. Defaults as tf.train.adam (beta1 0.9, beta2 0.999, epsilon the backend's).
 * @example const opt = createAdam(3e-4); opt.minimize(() => loss(), false, vars);
 */
export function createAdam(learningRate = 0.001, beta1 = 0.9, beta2 = 0.999, epsilon?: number): FusedAdamOptimizer {
  for (const [k, x] of [['learningRate', learningRate], ['beta1', beta1], ['beta2', beta2]] as const) {
    if (!Number.isFinite(x) || x < 0 || ((k === 'beta1' || k === 'beta2') && x >= 1)) {
      throw new Error(`createAdam: ${k} must be a finite number${k === 'learningRate' ? ' ≥ 0' : ' in [0, 1)'}, got ${x}`);
    }
  }
  return new FusedAdamOptimizer(learningRate, beta1, beta2, epsilon);
}
