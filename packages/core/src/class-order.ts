import type { ParamInfo } from './sdk/types';
import { getDataset } from './sdk/dataset';
import { datasetLexicon, parseInstruction } from './encoders/lexicon';
import { classSlug, getTaskPhrasing, resolveClasses, type Task } from './zoo/task';

// Class order of a network's outputs. Zoo networks, and so generated ones, put the classes of a task in the
// dataset's label order (the canonical order: Task.classes). A user who asks for "sneaker vs sandal" gets output 0 =
// Sneaker, output 1 = Sandal: the output layer's units are permuted after generation (function unchanged otherwise).

/**
 * The order of a task's classes a user asked for: `classes` (names or slugs) if given, else the order in which the
 * instruction names them when it names exactly the task's classes, else the canonical (dataset) order.
 * Returns indices into task.classes (output j of the network should be task.classes[order[j]]).
 * @example classOrder(task, 'sneaker vs sandal') // [1, 0] for fashion-mnist:sandal+sneaker
 */
export function classOrder(task: Task, instruction?: string, classes?: string[]): number[] {
  const identity = task.classes.map((_, i) => i);
  const ds = getDataset(task.dataset);
  let wanted: number[] | undefined; // dataset class indices, in the user's order
  if (classes?.length) {
    const sorted = resolveClasses(ds, classes); // validates names; sorted
    if (sorted.join() !== [...task.classIndices].sort((a, b) => a - b).join()) {
      throw new Error(`class order [${classes.join(', ')}] does not name the classes of task "${task.id}" (${task.classes.join(', ')})`);
    }
    wanted = classes.map((c) => indexOfClass(ds.classes, c));
  } else if (instruction) {
    const p = parseInstruction(instruction, [datasetLexicon(ds, getTaskPhrasing(ds.name) ?? {})]);
    if (p.dataset === ds.name && p.classes.length === task.classIndices.length && p.classes.every((i) => task.classIndices.includes(i))) wanted = p.classes;
  }
  if (!wanted) return identity;
  return wanted.map((i) => task.classIndices.indexOf(i));
}

function indexOfClass(names: string[], c: string): number {
  const i = names.indexOf(c);
  return i >= 0 ? i : names.map(classSlug).indexOf(classSlug(c));
}

/** The task with its classes in `order` (indices into task.classes): loads its data with labels in that order. */
export function reorderTask(task: Task, order: number[]): Task {
  return { ...task, classes: order.map((i) => task.classes[i]), classIndices: order.map((i) => task.classIndices[i]) };
}

/**
 * Permute the output units of flat canonical weights: new output j = old output order[j]. The output layer is the
 * last layer's kernel (shape [..., k]) and bias ([k]). Returns a new array.
 * @example const w = permuteOutputs(infos, flat, [1, 0]); // swap a 2-class network's outputs
 */
export function permuteOutputs(infos: ParamInfo[], flat: Float32Array, order: number[]): Float32Array {
  if ([...order].sort((a, b) => a - b).some((v, i) => v !== i)) throw new Error(`permuteOutputs: order [${order.join(', ')}] is not a permutation of 0..${order.length - 1}`);
  return selectOutputs(infos, flat, order);
}

/**
 * Keep only some output units of flat canonical weights, in the order given: new output j = old output keep[j].
 * With every index once this is a permutation (permuteOutputs); with fewer it cuts a network down to a class subset,
 * e.g. an all-digits MLP to a 4-vs-9 one (the "cut" baseline, ../shared/design/GENERATION.md). `infos` describe the
 * input network; the result has the layout of the same architecture with keep.length classes. Returns a new array.
 * @example const w49 = selectOutputs(infos10, flat10, [4, 9]); // outputs 0 and 1 are the old outputs 4 and 9
 */
export function selectOutputs(infos: ParamInfo[], flat: Float32Array, keep: number[]): Float32Array {
  const last = Math.max(...infos.map((p) => p.layer));
  const outputs = infos.filter((p) => p.layer === last && (p.role === 'kernel' || p.role === 'bias'));
  if (!outputs.length) throw new Error('selectOutputs: the last layer has no kernel or bias to select from');
  const k = outputs[0].shape[outputs[0].shape.length - 1];
  if (!keep.length || new Set(keep).size !== keep.length || keep.some((j) => !Number.isInteger(j) || j < 0 || j >= k)) {
    throw new Error(`selectOutputs: keep [${keep.join(', ')}] must be distinct output indices in 0..${k - 1}`);
  }
  const size = (p: ParamInfo) => p.shape.reduce((a, b) => a * b, 1);
  const total = infos.reduce((a, p) => a + size(p), 0);
  if (total !== flat.length) throw new Error(`selectOutputs: ${flat.length} weights for parameters of ${total} values`);
  const m = keep.length;
  const out = new Float32Array(total - outputs.reduce((a, p) => a + (size(p) / k) * (k - m), 0));
  let src = 0, dst = 0;
  for (const p of infos) {
    const n = size(p);
    if (!outputs.includes(p)) {
      out.set(flat.subarray(src, src + n), dst);
      dst += n;
    } else {
      if (p.shape[p.shape.length - 1] !== k) throw new Error(`selectOutputs: output parameter "${p.name}" has shape [${p.shape.join(', ')}], expected ${k} outputs last`);
      for (let r = 0; r < n / k; r++) for (let j = 0; j < m; j++) out[dst++] = flat[src + r * k + keep[j]]; // row-major [..., k]: outputs last
    }
    src += n;
  }
  return out;
}
