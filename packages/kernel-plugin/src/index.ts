// @igpg/kernel-plugin public API: figures, notebook display, live views, the dashboard, the Jupyter kernel.
// In a notebook: import { show, figures, live } from '@igpg/kernel-plugin';
import * as figures from './figures';
import { liveCurves, liveFigure } from './live';
import type { DemoVqvaeOptions, DemoVqvaeResult } from './dashboard/demoRun';

export { figures };
export type { Figure, MetricsRow, ChunkPosition, TokenChunk, CodebookUsage, WeightArray, EvalRow } from './types';
export { show, showHtml, configureDisplay, resetPlotlyInline, PLOTLY_MIME, type LiveDisplay } from './show';
export { liveCurves, type LiveView } from './live';
/** Live views in one namespace: `live.curves()`, `live.figure(build)`. */
export const live = { curves: liveCurves, figure: liveFigure };
export { startDashboard, type Dashboard, type DashboardOptions } from './dashboard/server';
export { installKernel, uninstallKernel, kernelsDir, KERNEL_NAME, type KernelInstallOptions } from './kernel/install';
export { launchChromium, newPlotlyPage, renderPng } from './browser';
export { buildReadmeFigures, README_FIGURE_DEFAULTS, type ReadmeFigureInputs } from './readmeFigures';
export { codebookView, summarizeCodebook, type CodebookViewData, type CodebookSummary } from './codebookView';

/** A real VQ-VAE run (core's tokenizer stage on a few zoo networks) for the dashboard's demo; loads tfjs only when called. */
export async function runDemoVqvae(opts: DemoVqvaeOptions): Promise<DemoVqvaeResult> {
  return (await import('./dashboard/demoRun.js')).runDemoVqvae(opts);
}
export type { DemoVqvaeOptions, DemoVqvaeResult };
