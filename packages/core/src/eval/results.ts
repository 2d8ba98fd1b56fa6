import type { RowGroup } from './zoo-index';

// The shape of report/results.json. Accuracies are fractions in [0, 1]; a section that could not be measured is
// null and says why in `note` / `reason` (never a made-up number).

/** Accuracy of n networks (one per sample): mean, best and each sample's value. */
export interface AccStat { mean: number; best: number; samples: number[] }
/** Spread over a row's zoo networks. */
export interface Spread { median: number; min: number; max: number; n: number }

/**
 * What a generator must beat (Zeng et al. 2025; ../shared/design/GENERATION.md), mean accuracy of each:
 * noisy: each generated network's nearest training checkpoint plus Gaussian noise at the same distance;
 * alignedMean: the plain mean of the row's training networks in the canonical space (one network);
 * nearest: each generated network's nearest training checkpoint itself (retrieval).
 */
export interface Baselines { noisy: number; alignedMean: number | null; nearest: number }

/**
 * The cut baseline of a class-subset task (eval/cut.ts): seen networks trained on a superset of its classes with
 * only its output rows kept. best: the best of them on this row's test split; from: that network's checkpoint id.
 */
export interface CutBaseline { best: number; median: number; candidates: number; tasks: string[]; from: string }

export interface MemorizationResult {
  /** Median L2 distance between two zoo networks of this task and architecture (final epochs, canonical space). */
  typicalDistance: number;
  /** Per generated network: nearest training checkpoint (same architecture), distances, and its noised-copy baseline. */
  nearest: { checkpoint: string; distance: number; relative: number; exactCopy: boolean; generatedAccuracy: number; noisyAccuracy: number }[];
  medianRelative: number;
  /** Relative distance of a checkpoint rebuilt from its own codes (what a code copy would show), median. */
  copyFloor: number;
  exactCopies: number;
  generatedMean: number;
  /** Mean accuracy of nearest checkpoints + Gaussian noise at the generated network's distance. */
  noisyMean: number;
}

export interface RetrievalResult {
  instruction: string;
  candidates: number;
  /** The checkpoint rank() puts first, with its zoo test accuracy. */
  top1: { id: string; accuracy: number };
  best: number;
  median: number;
  /** Spearman correlation of prior log-likelihood and accuracy over the candidates. */
  spearman: number | null;
  /** Among same-layout final checkpoints of every task: is the most likely one from this task? null: only one task. */
  taskMatch: boolean | null;
}

export interface RowResult {
  group: RowGroup;
  task: string;
  dataset: string;
  classes: string[];
  chance: number;
  architecture: { name: string; label: string };
  /** The manifest instruction used for generation (null: no generation in this row). */
  instruction: string | null;
  pretrained: Spread;
  reconstruction: Spread | null;
  generated: AccStat | null;
  /** Keyed by epoch count ("1", "5"): fine-tuned from the generated networks, and from seeded random inits. */
  generatedFinetuned: Record<string, AccStat> | null;
  randomFinetuned: Record<string, AccStat> | null;
  /** Held-out tasks: the cut baseline (null: no seen network's classes contain the task's, or not a held-out task). */
  cut: CutBaseline | null;
  memorization: MemorizationResult | null;
  baselines: Baselines | null;
  /** heldOutSeed rows: relative nearest-training-checkpoint distance of independently trained networks (reference). */
  referenceRelative: number | null;
  paraphrases: { instruction: string; mean: number; best: number }[] | null;
  /** Generated from the task's support images alone (empty instruction); null without a dataset condition. */
  emptyInstruction: AccStat | null;
  retrieval: RetrievalResult | null;
  note?: string;
}

export interface ConditioningResult {
  /** Row labels `task [arch]`; matrix[a][b] = mean accuracy of networks generated for a, on b's test data. */
  labels: string[];
  matrix: (number | null)[][];
  diagonalMean: number | null;
  offDiagonalMean: number | null;
  /** Fraction of test sets on which the matching instruction's networks score best (among comparable ones). */
  diagonalBest: number | null;
  note?: string;
}

export interface CrossArchResult {
  architecture: { name: string; label: string; spec: Record<string, unknown> };
  task: string;
  supported: boolean;
  reason?: string;
  chance: number;
  generated: AccStat | null;
  randomInit: AccStat | null;
}

export interface Target {
  name: string;
  description: string;
  /** null: could not be checked (e.g. no held-out task in this zoo), with `value` saying why. */
  met: boolean | null;
  value: string;
}

export interface EvalMeta {
  command: string;
  seed: number;
  options: Record<string, unknown>;
  inputs: { zoo: string; generator: string; digests: Record<string, string> };
  machine: { cpu: string; cores: number; memoryGiB: number; platform: string; node: string };
  backend: string;
  startedAt: string;
  wallSeconds: number;
  /** stableHash of everything but meta: the same command and seed must give the same hash. */
  resultsHash: string;
  /** stableHash of this results schema: a report of another shape is never taken for a rerun of this one. */
  schemaHash: string;
  reproduced: { previousHash: string; same: boolean } | null;
  plots: string[];
  notes: string[];
}

export interface EvalResults {
  format: 'igpg-eval';
  version: 1;
  meta: EvalMeta;
  rows: RowResult[];
  conditioning: ConditioningResult;
  crossArchitecture: CrossArchResult[];
  memorizationVerdict: string;
  targets: Target[];
}

const acc = { type: 'number', minimum: 0, maximum: 1 } as const;
const accOrNull = { oneOf: [acc, { type: 'null' }] } as const;
const num = { type: 'number' } as const;
const accStat = { type: 'object', required: ['mean', 'best', 'samples'], additionalProperties: false, properties: { mean: acc, best: acc, samples: { type: 'array', items: acc } } } as const;
const nullable = (s: object) => ({ oneOf: [s, { type: 'null' }] });
const spread = { type: 'object', required: ['median', 'min', 'max', 'n'], additionalProperties: false, properties: { median: acc, min: acc, max: acc, n: { type: 'integer', minimum: 1 } } } as const;
const byEpoch = nullable({ type: 'object', additionalProperties: accStat });

/** JSON Schema of results.json (every accuracy in [0, 1]). */
export const evalResultsSchema = {
  type: 'object',
  required: ['format', 'version', 'meta', 'rows', 'conditioning', 'crossArchitecture', 'memorizationVerdict', 'targets'],
  additionalProperties: false,
  properties: {
    format: { const: 'igpg-eval' },
    version: { const: 1 },
    meta: {
      type: 'object', additionalProperties: false,
      required: ['command', 'seed', 'options', 'inputs', 'machine', 'backend', 'startedAt', 'wallSeconds', 'resultsHash', 'schemaHash', 'reproduced', 'plots', 'notes'],
      properties: {
        command: { type: 'string' }, seed: { type: 'integer' }, options: { type: 'object' }, inputs: { type: 'object' },
        machine: { type: 'object', required: ['cpu', 'cores'] }, backend: { type: 'string' }, startedAt: { type: 'string' },
        wallSeconds: { type: 'number', minimum: 0 }, resultsHash: { type: 'string', pattern: '^[0-9a-f]{64}$' },
        schemaHash: { type: 'string', pattern: '^[0-9a-f]{64}$' },
        reproduced: nullable({ type: 'object', required: ['previousHash', 'same'] }),
        plots: { type: 'array', items: { type: 'string' } }, notes: { type: 'array', items: { type: 'string' } },
      },
    },
    rows: {
      type: 'array', minItems: 1,
      items: {
        type: 'object', additionalProperties: false,
        required: ['group', 'task', 'dataset', 'classes', 'chance', 'architecture', 'instruction', 'pretrained', 'reconstruction', 'generated', 'generatedFinetuned', 'randomFinetuned', 'cut', 'memorization', 'baselines', 'referenceRelative', 'paraphrases', 'emptyInstruction', 'retrieval'],
        properties: {
          group: { enum: ['seen', 'heldOutSeed', 'heldOutTask'] }, task: { type: 'string' }, dataset: { type: 'string' },
          classes: { type: 'array', items: { type: 'string' } }, chance: acc, architecture: { type: 'object', required: ['name', 'label'] },
          instruction: nullable({ type: 'string' }), pretrained: spread, reconstruction: nullable(spread), generated: nullable(accStat),
          generatedFinetuned: byEpoch, randomFinetuned: byEpoch,
          cut: nullable({ type: 'object', required: ['best', 'median', 'candidates', 'tasks', 'from'], additionalProperties: false, properties: { best: acc, median: acc, candidates: { type: 'integer', minimum: 1 }, tasks: { type: 'array', items: { type: 'string' } }, from: { type: 'string' } } }),
          memorization: nullable({
            type: 'object', required: ['typicalDistance', 'nearest', 'medianRelative', 'copyFloor', 'exactCopies', 'generatedMean', 'noisyMean'],
            properties: {
              typicalDistance: num, medianRelative: { type: 'number', minimum: 0 }, copyFloor: num, exactCopies: { type: 'integer', minimum: 0 }, generatedMean: acc, noisyMean: acc,
              nearest: { type: 'array', items: { type: 'object', required: ['checkpoint', 'distance', 'relative', 'exactCopy', 'generatedAccuracy', 'noisyAccuracy'], properties: { distance: { type: 'number', minimum: 0 }, generatedAccuracy: acc, noisyAccuracy: acc } } },
            },
          }),
          baselines: nullable({ type: 'object', required: ['noisy', 'alignedMean', 'nearest'], additionalProperties: false, properties: { noisy: acc, alignedMean: accOrNull, nearest: acc } }),
          referenceRelative: nullable(num),
          paraphrases: nullable({ type: 'array', items: { type: 'object', required: ['instruction', 'mean', 'best'], properties: { instruction: { type: 'string' }, mean: acc, best: acc } } }),
          emptyInstruction: nullable(accStat),
          retrieval: nullable({
            type: 'object', required: ['instruction', 'candidates', 'top1', 'best', 'median', 'spearman', 'taskMatch'],
            properties: { candidates: { type: 'integer', minimum: 1 }, top1: { type: 'object', required: ['id', 'accuracy'], properties: { accuracy: acc } }, best: acc, median: acc, spearman: nullable({ type: 'number', minimum: -1, maximum: 1 }), taskMatch: nullable({ type: 'boolean' }) },
          }),
          note: { type: 'string' },
        },
      },
    },
    conditioning: {
      type: 'object', required: ['labels', 'matrix', 'diagonalMean', 'offDiagonalMean', 'diagonalBest'],
      properties: { labels: { type: 'array', items: { type: 'string' } }, matrix: { type: 'array', items: { type: 'array', items: accOrNull } }, diagonalMean: accOrNull, offDiagonalMean: accOrNull, diagonalBest: accOrNull, note: { type: 'string' } },
    },
    crossArchitecture: {
      type: 'array',
      items: { type: 'object', required: ['architecture', 'task', 'supported', 'chance', 'generated', 'randomInit'], properties: { supported: { type: 'boolean' }, reason: { type: 'string' }, chance: acc, generated: nullable(accStat), randomInit: nullable(accStat) } },
    },
    memorizationVerdict: { type: 'string', minLength: 1 },
    targets: { type: 'array', items: { type: 'object', required: ['name', 'description', 'met', 'value'], additionalProperties: false, properties: { name: { type: 'string' }, description: { type: 'string' }, met: nullable({ type: 'boolean' }), value: { type: 'string' } } } },
  },
} as const;
