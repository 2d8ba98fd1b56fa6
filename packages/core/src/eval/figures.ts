import type { EvalResults } from './results';

/** A Plotly figure as plain JSON (rendered by @igpg/kernel-plugin's renderPng; core draws nothing itself). */
export interface PlotFigure { data: Record<string, unknown>[]; layout: Record<string, unknown> }

/** Figures of a report: accuracy per row and method, the conditioning matrix, and the memorization audit. */
export function reportFigures(res: EvalResults): Record<string, PlotFigure> {
  const rows = res.rows.filter((r) => r.generated);
  const x = rows.map((r) => `${r.task} [${r.architecture.label}]`);
  const series: [string, (r: (typeof rows)[number]) => number | undefined][] = [
    ['pretrained median', (r) => r.pretrained.median], ['VQ-VAE recon', (r) => r.reconstruction?.median], ['generated mean', (r) => r.generated?.mean],
    ['generated +1 ep', (r) => r.generatedFinetuned?.['1']?.mean], ['random +1 ep', (r) => r.randomFinetuned?.['1']?.mean],
  ];
  const figs: Record<string, PlotFigure> = {};
  if (rows.length) {
    figs.accuracy = { data: series.map(([name, f]) => ({ type: 'bar', name, x, y: rows.map((r) => f(r) ?? null) })), layout: { barmode: 'group', title: { text: 'Test accuracy per task' }, yaxis: { title: { text: 'accuracy' }, range: [0, 1] }, height: 480 } };
  }
  const c = res.conditioning;
  if (c.labels.length > 1) {
    figs.conditioning = { data: [{ type: 'heatmap', z: c.matrix, x: c.labels, y: c.labels, zmin: 0, zmax: 1, colorscale: 'Viridis' }], layout: { title: { text: 'Instruction (rows) x test data (columns)' }, yaxis: { autorange: 'reversed' }, height: 520, margin: { l: 220, b: 160 } } };
  }
  const mem = res.rows.filter((r) => r.memorization);
  if (mem.length) {
    const pts = mem.flatMap((r) => r.memorization!.nearest);
    figs.memorization = {
      data: [
        { type: 'scatter', mode: 'markers', name: 'generated', x: pts.map((q) => q.relative), y: pts.map((q) => q.generatedAccuracy) },
        { type: 'scatter', mode: 'markers', name: 'noised nearest checkpoint', x: pts.map((q) => q.relative), y: pts.map((q) => q.noisyAccuracy) },
      ],
      layout: { title: { text: 'Memorization audit: accuracy vs relative distance to the nearest training checkpoint' }, xaxis: { title: { text: 'relative L2 distance' } }, yaxis: { title: { text: 'accuracy' }, range: [0, 1] }, height: 480 },
    };
  }
  return figs;
}
