import { getArchitecture, validateSpec } from '../sdk/architecture';
import { flattenWeights } from '../sdk/weights';
import { stableHash } from '../zoo/config';
import type { EvalContext } from './context';
import type { ConditioningResult, CrossArchResult } from './results';
import { accStat, rowLabel } from './rows';
import { mean } from './stats';
import type { RowKey } from './zoo-index';

/**
 * Conditioning fidelity: networks generated for task A's instruction, evaluated on task B's test data. Only pairs
 * with the same weight layout (architecture, input shape, class count) are comparable; the rest stay null.
 */
export async function conditioningMatrix(ctx: EvalContext, rows: { key: RowKey; generated: Float32Array[] }[]): Promise<ConditioningResult> {
  const labels = rows.map((r) => rowLabel(r.key));
  const matrix: (number | null)[][] = [];
  for (const a of rows) {
    const line: (number | null)[] = [];
    for (const b of rows) {
      if (a.key.specHash !== b.key.specHash) { line.push(null); continue; }
      const arch = { name: b.key.architecture.name, spec: b.key.architecture.spec };
      const accs: number[] = [];
      for (const w of a.generated) accs.push(await ctx.accuracy(arch, w, b.key.task));
      line.push(mean(accs));
    }
    matrix.push(line);
  }
  const diag: number[] = [], off: number[] = [];
  let comparable = 0, best = 0;
  matrix.forEach((line, i) => line.forEach((v, j) => v !== null && (i === j ? diag : off).push(v)));
  labels.forEach((_, j) => {
    const col = matrix.map((line) => line[j]).filter((v): v is number => v !== null);
    if (col.length < 2) return;
    comparable++;
    if (matrix[j][j]! >= Math.max(...col)) best++;
  });
  const note = comparable ? undefined : 'no two tasks share a weight layout (same architecture, input shape and class count): nothing to cross-evaluate';
  return { labels, matrix, diagonalMean: diag.length ? mean(diag) : null, offDiagonalMean: off.length ? mean(off) : null, diagonalBest: comparable ? best / comparable : null, ...(note ? { note } : {}) };
}

/** A held-out architecture to generate for: a registered plugin, spec changes on top of a zoo spec, a label. */
export interface ArchitectureVariant {
  name: string;
  label: string;
  /** Spec keys to override (inputShape and classes come from the task). */
  spec: Record<string, unknown>;
}

const scale = (w: number) => Math.max(1, Math.round(w * 1.5));

/**
 * Default held-out variants of a zoo architecture: 1.5x wider (every `hidden` / `channels` width) and, for MLPs,
 * one layer deeper. An architecture with no such fields gets none (reported as not supported).
 */
export function defaultVariants(arch: { name: string; spec: Record<string, unknown> }): ArchitectureVariant[] {
  const s = arch.spec;
  const out: ArchitectureVariant[] = [];
  const wider: Record<string, unknown> = {};
  for (const k of ['hidden', 'channels', 'width', 'dim']) {
    const v = s[k];
    if (typeof v === 'number') wider[k] = scale(v);
    else if (Array.isArray(v) && v.length && v.every((x) => typeof x === 'number')) wider[k] = (v as number[]).map(scale);
  }
  if (Object.keys(wider).length) out.push({ name: arch.name, label: `${arch.name}-wider`, spec: wider });
  if (arch.name === 'mlp' && Array.isArray(s.hidden) && s.hidden.length) out.push({ name: arch.name, label: `${arch.name}-deeper`, spec: { hidden: [...(s.hidden as number[]), (s.hidden as number[]).at(-1)] } });
  return out;
}

/**
 * Cross-architecture generation: for each variant not in the zoo, generate n networks for a row's instruction and
 * compare with seeded random inits of the same variant (no training). A failure to generate is reported with its reason.
 */
export async function crossArchitecture(ctx: EvalContext, targets: { key: RowKey; variant: ArchitectureVariant }[]): Promise<CrossArchResult[]> {
  const zooSpecs = new Set(ctx.zoo.entries.map((e) => stableHash({ name: e.architecture.name, spec: e.architecture.spec })));
  const out: CrossArchResult[] = [];
  for (const { key, variant } of targets) {
    const chance = 1 / key.task.classes.length;
    const base = { task: key.task.id, chance, generated: null, randomInit: null };
    let spec: Record<string, unknown>;
    try {
      spec = validateSpec(getArchitecture(variant.name), { ...(variant.name === key.architecture.name ? key.architecture.spec : {}), ...variant.spec, inputShape: key.architecture.spec.inputShape, classes: key.task.classes.length }) as unknown as Record<string, unknown>;
    } catch (e) {
      out.push({ ...base, architecture: { name: variant.name, label: variant.label, spec: variant.spec }, supported: false, reason: `invalid variant: ${(e as Error).message}` });
      continue;
    }
    const architecture = { name: variant.name, label: variant.label, spec };
    if (zooSpecs.has(stableHash({ name: variant.name, spec }))) {
      out.push({ ...base, architecture, supported: false, reason: 'this variant is in the zoo, so it is not held out' });
      continue;
    }
    try {
      const gen = await ctx.generate(key.task.instructions[0], { name: variant.name, spec }, key.task, `cross/${variant.label}/${key.task.id}`);
      const g: number[] = [], r: number[] = [];
      for (const w of gen.weights) g.push(await ctx.accuracy(architecture, w, key.task));
      const plugin = getArchitecture(variant.name);
      for (let i = 0; i < ctx.opts.n; i++) {
        const net = plugin.build(spec, ctx.seedFor(`cross-random/${variant.label}/${key.task.id}/${i}`));
        try {
          r.push(await ctx.accuracy(architecture, flattenWeights(net), key.task));
        } finally {
          net.dispose();
        }
      }
      out.push({ ...base, architecture, supported: true, generated: accStat(g), randomInit: accStat(r) });
    } catch (e) {
      out.push({ ...base, architecture, supported: false, reason: `generation failed: ${(e as Error).message.split('\n')[0]}` });
    }
  }
  return out;
}
