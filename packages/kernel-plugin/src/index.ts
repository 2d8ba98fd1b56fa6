// @igpg/kernel-plugin public API: figures, notebook display, live views, the dashboard, the Jupyter kernel.
// In a notebook: import { show, figures, live } from '@igpg/kernel-plugin';
import * as figures from './figures';
import { liveCurves, liveFigure } from './live';
import type { TinyVqRunOptions } from './dashboard/tinyVqRun';

export { figures };
export type { Figure, MetricsRow, ChunkPosition, TokenChunk, CodebookUsage, WeightArray, EvalRow } from './types';
export { show, showHtml, configureDisplay, mimeBundle, figureHtml, newFigureDisplay, inKernel, plotlyJs, resetPlotlyInline, PLOTLY_MIME, type LiveDisplay } from './show';
export { liveCurves, liveFigure, type LiveView } from './live';
/** Live views in one namespace: `live.curves()`, `live.figure(build)`. */
export const live = { curves: liveCurves, figure: liveFigure };
export { startDashboard, type Dashboard, type DashboardOptions } from './dashboard/server';
export { createRunTailer, discoverRuns, type RunChange } from './dashboard/tail';
export { installKernel, uninstallKernel, kernelsDir, KERNEL_NAME, type KernelInstallOptions } from './kernel/install';
export { launchChromium, newPlotlyPage, renderPng, CHROMIUM_ARGS } from './browser';
export { buildReadmeFigures, README_FIGURE_DEFAULTS, type ReadmeFigureInputs } from './readmeFigures';
export { codebookView, summarizeCodebook, type CodebookViewData, type CodebookSummary } from './codebookView';

/** A tiny real training run (VQ codebook on Iris) writing metrics JSONL; loads tfjs only when called. */
export async function runTinyVq(opts: TinyVqRunOptions): Promise<{ steps: number; finalLoss: number }> {
  return (await import('./dashboard/tinyVqRun.js')).runTinyVq(opts);
}
export type { TinyVqRunOptions };
