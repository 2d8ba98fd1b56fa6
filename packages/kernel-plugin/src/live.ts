import { trainingCurves } from './figures';
import { newFigureDisplay, type LiveDisplay } from './show';
import type { Figure, MetricsRow } from './types';

/** A live view: push data while a loop runs; the notebook output is redrawn in place at most every `throttleMs`. */
export interface LiveView<T> {
  push(item: T | T[]): void;
  /** Draw the final state now and stop. */
  close(): void;
  readonly items: readonly T[];
  /** How many times the output was redrawn. */
  readonly redraws: number;
}

/**
 * A live figure rebuilt from all pushed items by `build`. Redraws are throttled so a fast loop does not flood
 * the kernel's iopub channel; `close()` always draws the last state.
 */
export function liveFigure<T>(build: (items: T[]) => Figure, opts: { throttleMs?: number; display?: LiveDisplay; now?: () => number } = {}): LiveView<T> {
  const throttleMs = opts.throttleMs ?? 500;
  const display = opts.display ?? newFigureDisplay();
  const now = opts.now ?? Date.now;
  const items: T[] = [];
  let last = -Infinity, redraws = 0, dirty = false, closed = false;
  const draw = () => {
    if (items.length === 0) return;
    display.update(build(items));
    redraws++; last = now(); dirty = false;
  };
  return {
    push(item) {
      if (closed) throw new Error('liveFigure: push() after close()');
      items.push(...(Array.isArray(item) ? item : [item]));
      dirty = true;
      if (now() - last >= throttleMs) draw();
    },
    close() {
      if (dirty) draw();
      closed = true;
    },
    items,
    get redraws() { return redraws; },
  };
}

/**
 * Live training curves: push metrics rows (the same objects you append to metricsLog) from a training loop.
 * @example const live = liveCurves({ keys: ['loss', 'perplexity'] }); for (let step = 0; step < 100; step++) live.push({ step, loss: 1 / (step + 1) }); live.close();
 */
export function liveCurves(opts: { keys?: string[]; x?: string; title?: string; throttleMs?: number; display?: LiveDisplay; now?: () => number } = {}): LiveView<MetricsRow> {
  return liveFigure<MetricsRow>((rows) => trainingCurves(rows, { keys: opts.keys, x: opts.x, title: opts.title ?? 'Training (live)' }), opts);
}
