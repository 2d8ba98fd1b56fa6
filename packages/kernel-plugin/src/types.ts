import type { ChunkPosition as CoreChunkPosition } from '@igpg/core';

/**
 * Plain data types the figure builders accept. They mirror what the pipeline writes (metrics JSONL rows,
 * code counts, token grids, weight arrays) without depending on core's classes, so any producer can feed them.
 */

/** A Plotly figure as plain JSON: `Plotly.newPlot(div, fig.data, fig.layout, fig.config)`. */
export interface Figure {
  data: Array<Record<string, unknown>>;
  layout: Record<string, unknown>;
  config?: Record<string, unknown>;
}

/** One row of a metrics JSONL file (`metricsLog(file).append(row)` in @igpg/core). */
export type MetricsRow = Record<string, unknown> & { step?: number; time?: number };

/**
 * Where a chunk of a flattened network sits: core's tokenizer ChunkPosition (as encodeNetwork returns it), or the
 * part of it a figure reads, with the tensor by name or by index. (A type only: no runtime dependency on core.)
 */
export type ChunkPosition = Pick<CoreChunkPosition, 'layer' | 'layers' | 'offset' | 'chunk'> & Partial<Pick<CoreChunkPosition, 'tensorName'>> & {
  role: string;            // ParamRole of the tensor the chunk starts in
  tensor: string | number; // parameter name ("features.0.weight"), or its index as core's ChunkPosition gives it
};

/** The codes of one chunk (a chunk may map to several codes) and where the chunk sits. */
export interface TokenChunk {
  position: ChunkPosition;
  codes: number[];
}

/**
 * Codebook usage: total counts per code, optionally split per layer (layers x codes). Core's `codeUsage()`
 * result is one as it is: typed-array counts, perLayer as [{ layer, counts }].
 */
export interface CodebookUsage {
  counts: ArrayLike<number>;
  perLayer?: Array<ArrayLike<number> | { layer?: number; counts: ArrayLike<number> }>;
  layerNames?: string[];
}

/** A weight tensor's values with its description (ParamInfo fields, values flattened). */
export interface WeightArray {
  name: string;
  layer: number;
  role?: string;
  values: ArrayLike<number>;
}

/** One row of an evaluation table, e.g. { dataset: 'mnist', pretrained: 0.97, generated: 0.95 }. */
export type EvalRow = Record<string, string | number | boolean | null | undefined>;
