import type { EvalResults } from './results';

/** A Plotly figure as plain JSON (rendered by @igpg/kernel-plugin's renderPng; core draws nothing itself). */
export interface PlotFigure { data: Record<string, unknown>[]; layout: Record<string, unknown> }

/**
 * The chance level of each bar group as a short line spanning exactly that group. A category axis cannot place a
 * point between categories, so the lines live on a hidden linear axis (x2) laid over it: category i spans
 * [i - 0.5, i + 0.5] on both, and a group's bars fill the middle 0.8 (plotly's default bargap 0.2).
 */
function chanceLines(categories: string[], chance: number[]): Record<string, unknown> {
  const x = chance.flatMap((_, i) => [i - 0.4, i + 0.4, null]);
  const y = chance.flatMap((c) => [c, c, null]);
  const text = categories.flatMap((t) => [t, t, null]);
  return { type: 'scatter', mode: 'lines', name: 'chance (1 / classes)', x, y, text, xaxis: 'x2', line: { color: '#000', width: 2 }, hovertemplate: '%{text}<br>chance %{y:.3f}<extra></extra>' };
}

/** Figures of a report: accuracy per row and method, the conditioning matrix, and the memorization audit. */
export function reportFigures(res: EvalResults): Record<string, PlotFigure> {
  const rows = res.rows.filter((r) => r.generated);
  const x = rows.map((r) => `${r.task} [${r.architecture.label}]`);
  // baselines a generator must beat, on rows that carry them (optional: older results have none)
  type Row = (typeof rows)[number] & { baselines?: { noisy?: number; alignedMean?: number | null; nearest?: number } | null; cut?: { best: number } | null };
  const series: [string, (r: Row) => number | undefined | null][] = [
    ['pretrained median', (r) => r.pretrained.median], ['VQ-VAE recon', (r) => r.reconstruction?.median], ['generated mean', (r) => r.generated?.mean],
    ['generated +1 ep', (r) => r.generatedFinetuned?.['1']?.mean], ['random +1 ep', (r) => r.randomFinetuned?.['1']?.mean], ['random +5 ep', (r) => r.randomFinetuned?.['5']?.mean],
    ['noise-added nearest copy', (r) => r.baselines?.noisy], ['aligned-zoo mean', (r) => r.baselines?.alignedMean], ['nearest checkpoint', (r) => r.baselines?.nearest], ['cut (best seen superset)', (r) => r.cut?.best],
  ];
  const figs: Record<string, PlotFigure> = {};
  if (rows.length) {
    const bars = series.filter(([, f]) => rows.some((r) => typeof f(r as Row) === 'number'))
      .map(([name, f]) => ({ type: 'bar', name, x, y: rows.map((r) => f(r as Row) ?? null), hovertemplate: `%{x}<br>${name} %{y:.3f}<extra></extra>` }));
    figs.accuracy = {
      data: [...bars, chanceLines(x, rows.map((r) => r.chance))],
      layout: {
        barmode: 'group', height: 600, margin: { t: 150, b: 40, l: 70, r: 20 },
        // the title pinned to the top of the image and the legend (4 rows of series) between it and the plot
        title: { text: 'Test accuracy per task and architecture', yref: 'container', y: 0.985, yanchor: 'top' },
        xaxis: { title: { text: 'task [architecture]' }, automargin: true, tickangle: -30, range: [-0.5, x.length - 0.5] },
        xaxis2: { overlaying: 'x', range: [-0.5, x.length - 0.5], visible: false, fixedrange: true },
        yaxis: { title: { text: 'test accuracy (fraction)' }, range: [0, 1], automargin: true },
        legend: { orientation: 'h', x: 0, y: 1.02, yanchor: 'bottom' }, // above the plot: never over an axis title
      },
    };
  }
  const c = res.conditioning;
  if (c.labels.length > 1) {
    // one row and one column per label, every label shown: 16 px per row, the long column labels below the plot
    const plot = Math.max(300, 16 * c.labels.length);
    figs.conditioning = {
      data: [{ type: 'heatmap', z: c.matrix, x: c.labels, y: c.labels, zmin: 0, zmax: 1, colorscale: 'Viridis', colorbar: { title: { text: 'test accuracy' } },
        hovertemplate: 'instruction %{y}<br>test data %{x}<br>accuracy %{z:.3f}<extra></extra>' }],
      layout: { title: { text: 'Conditioning: test accuracy, instruction (rows) x test data (columns)' },
        xaxis: { title: { text: 'test data' }, automargin: true, tickmode: 'array', tickvals: c.labels, tickangle: 90 },
        yaxis: { title: { text: 'instruction' }, autorange: 'reversed', automargin: true, tickmode: 'array', tickvals: c.labels },
        height: plot + 380, margin: { t: 60, l: 80, b: 40 } },
    };
  }
  const mem = res.rows.filter((r) => r.memorization);
  if (mem.length) {
    const pts = mem.flatMap((r) => r.memorization!.nearest);
    figs.memorization = {
      data: [
        { type: 'scatter', mode: 'markers', name: 'generated', x: pts.map((q) => q.relative), y: pts.map((q) => q.generatedAccuracy) },
        { type: 'scatter', mode: 'markers', name: 'noised nearest checkpoint', x: pts.map((q) => q.relative), y: pts.map((q) => q.noisyAccuracy) },
      ],
      layout: { title: { text: 'Memorization audit: accuracy vs relative distance to the nearest training checkpoint' }, xaxis: { title: { text: 'relative L2 distance to the nearest checkpoint' }, automargin: true }, yaxis: { title: { text: 'test accuracy (fraction)' }, range: [0, 1], automargin: true }, legend: { orientation: 'h', x: 0, y: 1.02, yanchor: 'bottom' }, height: 480, margin: { t: 110 } },
    };
  }
  return figs;
}
