import type { ParamInfo } from './types';

/**
 * Tensor layouts. We store tfjs layout; PyTorch differs for kernels:
 *  - conv kernel: tfjs/Keras [kh, kw, in, out]  ->  PyTorch [out, in, kh, kw]  (permute 3, 2, 0, 1)
 *  - dense kernel: tfjs/Keras [in, out]         ->  PyTorch [out, in]          (transpose)
 *  - a dense kernel fed by a flattened NHWC map (`flattenedFrom` = [h, w, c]) also has its
 *    input rows reordered from (h, w, c) to PyTorch's (c, h, w) flatten order.
 * Everything else (biases, norms, embeddings, tokens) is the same in both.
 */
export type WeightLayout = 'tfjs' | 'torch';

function permute(data: Float32Array, shape: number[], perm: number[]): Float32Array {
  const rank = shape.length;
  const outShape = perm.map((p) => shape[p]);
  const inStrides = new Array<number>(rank);
  let s = 1;
  for (let i = rank - 1; i >= 0; i--) {
    inStrides[i] = s;
    s *= shape[i];
  }
  const stridesForOut = perm.map((p) => inStrides[p]);
  const out = new Float32Array(data.length);
  const idx = new Array<number>(rank).fill(0);
  for (let o = 0; o < out.length; o++) {
    let src = 0;
    for (let i = 0; i < rank; i++) src += idx[i] * stridesForOut[i];
    out[o] = data[src];
    for (let i = rank - 1; i >= 0; i--) {
      if (++idx[i] < outShape[i]) break;
      idx[i] = 0;
    }
  }
  return out;
}

function inversePerm(perm: number[]): number[] {
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => (inv[p] = i));
  return inv;
}

/** The plan to go from tfjs layout to torch layout for one parameter: a list of (shape, perm) steps. */
function torchSteps(info: ParamInfo): { shape: number[]; perm: number[] }[] {
  const { shape } = info;
  if (info.role !== 'kernel') return [];
  if (shape.length === 4) return [{ shape, perm: [3, 2, 0, 1] }];
  if (shape.length !== 2) return [];
  const [rows, cols] = shape;
  const steps: { shape: number[]; perm: number[] }[] = [];
  if (info.flattenedFrom) {
    const [h, w, c] = info.flattenedFrom;
    if (h * w * c !== rows) throw new Error(`"${info.name}": flattenedFrom [${info.flattenedFrom}] does not match ${rows} input rows`);
    steps.push({ shape: [h, w, c, cols], perm: [2, 0, 1, 3] }); // rows (h,w,c) -> (c,h,w)
  }
  steps.push({ shape: [rows, cols], perm: [1, 0] });
  return steps;
}

/** A parameter's shape in the given layout. */
export function layoutShape(info: ParamInfo, layout: WeightLayout): number[] {
  if (layout === 'tfjs') return [...info.shape];
  const steps = torchSteps(info);
  if (!steps.length) return [...info.shape];
  const last = steps[steps.length - 1];
  return last.perm.map((p) => last.shape[p]);
}

/** Convert one parameter's values from tfjs layout to `layout`. */
export function toLayout(info: ParamInfo, data: Float32Array, layout: WeightLayout): Float32Array {
  if (layout === 'tfjs') return data;
  return torchSteps(info).reduce((d, step) => permute(d, step.shape, step.perm), data);
}

/** Convert one parameter's values from `layout` back to tfjs layout (the inverse of `toLayout`). */
export function fromLayout(info: ParamInfo, data: Float32Array, layout: WeightLayout): Float32Array {
  if (layout === 'tfjs') return data;
  const steps = torchSteps(info).reverse();
  return steps.reduce((d, step) => {
    const permutedShape = step.perm.map((p) => step.shape[p]);
    return permute(d, permutedShape, inversePerm(step.perm));
  }, data);
}
