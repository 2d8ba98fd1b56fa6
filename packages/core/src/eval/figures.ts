import type { EvalResults } from './results';

/** A Plotly figure as plain JSON (rendered by @igpg/kernel-plugin's renderPng; core draws nothing itself). */
export interface PlotFigure { data: Record<string, unknown>[]; layout: Record<string, unknown> }

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
    // chance (1 / classes) per task: a short horizontal mark over each group
    const chance = { type: 'scatter', mode: 'markers', name: 'chance (1 / classes)', x, y: rows.map((r) => r.chance), marker: { symbol: 'line-ew-open', size: 40, color: '#000', line: { width: 2 } }, hovertemplate: '%{x}<br>chance %{y:.3f}<extra></extra>' };
    figs.accuracy = {
      data: [...bars, chance],
      layout: {
        barmode: 'group', title: { text: 'Test accuracy per task and architecture' }, height: 560, margin: { t: 110, b: 40, l: 70, r: 20 },
        xaxis: { title: { text: 'task [architecture]' }, automargin: true, tickangle: -30 },
        yaxis: { title: { text: 'test accuracy (fraction)' }, range: [0, 1], automargin: true },
        legend: { orientation: 'h', x: 0, y: 1.02, yanchor: 'bottom' }, // above the plot: never over an axis title
      },
    };
  }
  const c = res.conditioning;
  if (c.labels.length > 1) {
    figs.conditioning = { data: [{ type: 'heatmap', z: c.matrix, x: c.labels, y: c.labels, zmin: 0, zmax: 1, colorscale: 'Viridis' }], layout: { title: { text: 'Instruction (rows) x test data (columns)' }, xaxis: { title: { text: 'test data' }, automargin: true }, yaxis: { title: { text: 'instruction' }, autorange: 'reversed', automargin: true }, height: 520, margin: { l: 220, b: 160 } } };
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
