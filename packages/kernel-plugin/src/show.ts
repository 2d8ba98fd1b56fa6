import * as fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import type { Figure } from './types';

/**
 * Display adapters for tslab notebooks. A figure goes out as ONE display_data message carrying a MIME bundle:
 * `application/vnd.plotly.v1+json` (rendered natively by JupyterLab's plotly renderer) plus a self-contained
 * `text/html` fallback and `text/plain`. tslab's public `display.raw(mime, data)` sends one MIME per message,
 * so we call the kernel's own `lastWriteDisplayData(content, update)` (tslab/dist/jupyter.js), which takes a full bundle.
 * plotly.js is inlined once per kernel session, in its own output, before the first figure.
 */

export const PLOTLY_MIME = 'application/vnd.plotly.v1+json';
type WriteDisplayData = (content: { data: Record<string, unknown>; metadata: Record<string, unknown>; transient: { display_id?: string } }, update: boolean) => void;

let plotlyLoaded = false;
let plotlySource: string | undefined;

/** The plotly.js-dist bundle (10 MB), read once. */
function plotlyJs(): string {
  plotlySource ??= fs.readFileSync(require.resolve('plotly.js-dist/plotly.js'), 'utf8');
  return plotlySource;
}

/** tslab's writer for the cell being executed, or null outside a tslab kernel. */
function kernelWriter(): WriteDisplayData | null {
  for (const [key, mod] of Object.entries(require.cache)) {
    if (/tslab[\\/]dist[\\/]jupyter\.js$/.test(key) && mod?.exports?.lastWriteDisplayData) return mod.exports.lastWriteDisplayData;
  }
  return null;
}

const escapeScript = (s: string) => s.replace(/<\/script/gi, '<\\/script');

/** HTML that draws `fig` with window.Plotly (waiting for it if the inline copy is still loading). */
function figureHtml(fig: Figure, id = `igpg-${randomBytes(6).toString('hex')}`): string {
  const json = escapeScript(JSON.stringify({ data: fig.data, layout: fig.layout, config: { responsive: true, ...fig.config } }));
  return `<div id="${id}" class="igpg-plot" style="width:100%;min-height:${Number(fig.layout.height ?? 420)}px"></div>
<script>(function(){var f=${json};function draw(n){if(window.Plotly){window.Plotly.react("${id}",f.data,f.layout,f.config);}else if(n<200){setTimeout(function(){draw(n+1)},50);}}draw(0);})();</script>`;
}

/** `<script>` defining window.Plotly from the bundled plotly.js-dist (never a CDN). */
function plotlyScriptTag(): string {
  return `<script type="text/javascript">${escapeScript(plotlyJs())}</script>`;
}

/** The MIME bundle for a figure: plotly JSON, HTML fallback and plain text. */
export function mimeBundle(fig: Figure, id?: string): Record<string, unknown> {
  const title = (fig.layout.title as { text?: string } | undefined)?.text ?? 'figure';
  return {
    [PLOTLY_MIME]: { data: fig.data, layout: fig.layout, config: fig.config ?? {} },
    'text/html': figureHtml(fig, id),
    'text/plain': `<Plotly figure: ${title}, ${fig.data.length} traces>`,
  };
}

let inlinePlotly = true;

/**
 * Display settings. `inlinePlotly: false` skips the one-off 10 MB plotly.js output (smaller notebooks; then the
 * HTML fallback only draws where the page already has window.Plotly, e.g. JupyterLab renders the plotly MIME itself).
 */
export function configureDisplay(opts: { inlinePlotly?: boolean }): void {
  if (opts.inlinePlotly !== undefined) inlinePlotly = opts.inlinePlotly;
}

function ensurePlotly(write: WriteDisplayData) {
  if (plotlyLoaded || !inlinePlotly) return;
  write({ data: { 'text/html': plotlyScriptTag(), 'text/plain': '' }, metadata: {}, transient: {} }, false);
  plotlyLoaded = true;
}

/**
 * Show a figure in the notebook (returns nothing, so tslab does not echo the bundle). Outside a kernel it does
 * nothing and returns false; use `mimeBundle(fig)` to get what would be sent.
 * @example show(figures.trainingCurves(readJsonl<MetricsRow>('runs/a/metrics.jsonl')))
 */
export function show(fig: Figure): void {
  const write = kernelWriter();
  if (!write) return;
  ensurePlotly(write);
  write({ data: mimeBundle(fig), metadata: {}, transient: {} }, false);
}

/** Show raw HTML (e.g. the interactive codebook view) with plotly.js available to its scripts. */
export function showHtml(html: string): void {
  const write = kernelWriter();
  if (!write) return;
  ensurePlotly(write);
  write({ data: { 'text/html': html, 'text/plain': '<html view>' }, metadata: {}, transient: {} }, false);
}

/** A display entry that is replaced in place on each `update(fig)` (tslab's newDisplay, with a full bundle). */
export interface LiveDisplay {
  update(fig: Figure): void;
}

/** A display slot that later updates overwrite (Jupyter update_display_data keyed by a display id). */
export function newFigureDisplay(): LiveDisplay {
  const displayId = randomBytes(8).toString('hex');
  const divId = `igpg-${displayId}`;
  let shown = false;
  return {
    update(fig) {
      const write = kernelWriter();
      if (!write) return;
      ensurePlotly(write);
      write({ data: mimeBundle(fig, divId), metadata: {}, transient: { display_id: displayId } }, shown);
      shown = true;
    },
  };
}

/** Forget that plotly.js was inlined (a new notebook in the same kernel process, or tests). */
export function resetPlotlyInline(): void {
  plotlyLoaded = false;
}
