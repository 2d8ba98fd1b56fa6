import type { CodebookUsage, EvalRow, Figure, MetricsRow, TokenChunk, WeightArray } from './types';

/**
 * Figure builders: pure functions from plain data to Plotly figures `{ data, layout }`.
 * They validate their input (clear errors, never silent fixes) and never touch a kernel or a browser.
 * @example show(codebookUsage({ counts: [5, 0, 3] }))
 */

const BASE_LAYOUT = { margin: { l: 60, r: 20, t: 50, b: 50 }, template: undefined, font: { size: 12 } };

function fail(fn: string, msg: string): never {
  throw new Error(`figures.${fn}: ${msg}`);
}

function checkCounts(fn: string, what: string, xs: unknown): number[] {
  if (!Array.isArray(xs) || xs.length === 0) fail(fn, `${what} must be a non-empty array of numbers`);
  xs.forEach((v, i) => {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) fail(fn, `${what}[${i}] = ${String(v)}: counts must be finite and >= 0`);
  });
  return xs as number[];
}

/** Axis pairs for `n` small multiples laid out on a grid: domains plus the axis ids traces refer to. */
function grid(n: number, cols = Math.ceil(Math.sqrt(n)), gap = 0.08) {
  const rows = Math.ceil(n / cols);
  const layout: Record<string, unknown> = {};
  const axes: Array<{ xaxis: string; yaxis: string }> = [];
  const w = (1 - gap * (cols - 1)) / cols;
  const h = (1 - gap * (rows - 1)) / rows;
  for (let i = 0; i < n; i++) {
    const r = Math.floor(i / cols), c = i % cols;
    const id = i === 0 ? '' : String(i + 1);
    const x0 = c * (w + gap), y1 = 1 - r * (h + gap);
    layout[`xaxis${id}`] = { domain: [x0, x0 + w], anchor: `y${id}` };
    layout[`yaxis${id}`] = { domain: [Math.max(0, y1 - h), y1], anchor: `x${id}` };
    axes.push({ xaxis: `x${id}`, yaxis: `y${id}` });
  }
  return { layout, axes, rows, cols };
}

/** Every key whose value is a finite number in at least one row, minus `exclude`. */
export function numericKeys(rows: MetricsRow[], exclude: string[] = ['time', 'step']): string[] {
  const keys = new Set<string>();
  for (const r of rows) for (const [k, v] of Object.entries(r)) if (typeof v === 'number' && Number.isFinite(v)) keys.add(k);
  return [...keys].filter((k) => !exclude.includes(k));
}

/** Bar chart of code frequencies, plus a layers x codes heatmap when `perLayer` is given. */
export function codebookUsage(usage: CodebookUsage, opts: { title?: string } = {}): Figure {
  const counts = checkCounts('codebookUsage', 'counts', usage.counts);
  const total = counts.reduce((a, b) => a + b, 0) || 1;
  const codes = counts.map((_, i) => i);
  const used = counts.filter((c) => c > 0).length;
  const bar = { type: 'bar', x: codes, y: counts.map((c) => c / total), name: 'frequency', marker: { color: '#3b6ea8' },
    hovertemplate: 'code %{x}<br>frequency %{y:.4f}<extra></extra>' };
  const title = opts.title ?? `Codebook usage: ${used}/${counts.length} codes used`;
  if (!usage.perLayer) {
    return { data: [bar], layout: { ...BASE_LAYOUT, title: { text: title }, xaxis: { title: { text: 'code' } }, yaxis: { title: { text: 'frequency' } }, bargap: 0 } };
  }
  const perLayer = usage.perLayer;
  perLayer.forEach((row, l) => {
    checkCounts('codebookUsage', `perLayer[${l}]`, row);
    if (row.length !== counts.length) fail('codebookUsage', `perLayer[${l}] has ${row.length} codes but counts has ${counts.length}`);
  });
  const names = usage.layerNames ?? perLayer.map((_, l) => `layer ${l}`);
  if (names.length !== perLayer.length) fail('codebookUsage', `layerNames has ${names.length} names for ${perLayer.length} layers`);
  const heat = { type: 'heatmap', z: perLayer, x: codes, y: names, xaxis: 'x2', yaxis: 'y2', colorscale: 'Viridis',
    colorbar: { title: { text: 'count' }, len: 0.5, y: 0.25 }, hovertemplate: '%{y}<br>code %{x}<br>count %{z}<extra></extra>' };
  return {
    data: [bar, heat],
    layout: { ...BASE_LAYOUT, title: { text: title }, height: 600, bargap: 0,
      xaxis: { domain: [0, 1], anchor: 'y', title: { text: 'code' } }, yaxis: { domain: [0.58, 1], anchor: 'x', title: { text: 'frequency' } },
      xaxis2: { domain: [0, 1], anchor: 'y2', title: { text: 'code' } }, yaxis2: { domain: [0, 0.42], anchor: 'x2', autorange: 'reversed' } },
  };
}

/** Training curves: one small panel per metric, one line per run. `runs` maps a run name to its rows. */
export function trainingCurves(runs: Record<string, MetricsRow[]> | MetricsRow[], opts: { keys?: string[]; x?: string; title?: string } = {}): Figure {
  const byRun = Array.isArray(runs) ? { run: runs } : runs;
  const all = Object.values(byRun).flat();
  if (all.length === 0) fail('trainingCurves', 'no rows: pass the rows of a metrics JSONL file (readJsonl(file))');
  const x = opts.x ?? 'step';
  const keys = opts.keys ?? numericKeys(all, ['time', x]);
  if (keys.length === 0) fail('trainingCurves', `rows have no numeric metrics besides "${x}"`);
  const g = grid(keys.length, Math.min(keys.length, 2));
  const data: Figure['data'] = [];
  const runNames = Object.keys(byRun);
  keys.forEach((k, i) => {
    runNames.forEach((run, j) => {
      const rows = byRun[run].filter((r) => typeof r[k] === 'number');
      data.push({ type: 'scatter', mode: 'lines', name: runNames.length > 1 ? `${run}` : k, legendgroup: run, showlegend: runNames.length > 1 ? i === 0 : false,
        x: rows.map((r, n) => (typeof r[x] === 'number' ? r[x] : n)), y: rows.map((r) => r[k]), ...g.axes[i], line: { color: PALETTE[j % PALETTE.length] } });
    });
    g.layout[`yaxis${i === 0 ? '' : i + 1}`] = { ...(g.layout[`yaxis${i === 0 ? '' : i + 1}`] as object), title: { text: k } };
  });
  return { data, layout: { ...BASE_LAYOUT, ...g.layout, title: { text: opts.title ?? 'Training curves' }, height: Math.max(300, 220 * g.rows) } };
}

/** Codebook perplexity and dead codes over training (two y-axes), from metrics rows. */
export function perplexityAndDeadCodes(rows: MetricsRow[], opts: { x?: string } = {}): Figure {
  const x = opts.x ?? 'step';
  const p = rows.filter((r) => typeof r.perplexity === 'number');
  const d = rows.filter((r) => typeof r.deadCodes === 'number');
  if (p.length === 0 && d.length === 0) fail('perplexityAndDeadCodes', 'no row has "perplexity" or "deadCodes"; are these VQ-VAE training metrics?');
  return {
    data: [
      { type: 'scatter', mode: 'lines', name: 'perplexity', x: p.map((r) => r[x]), y: p.map((r) => r.perplexity), line: { color: PALETTE[0] } },
      { type: 'scatter', mode: 'lines', name: 'dead codes', x: d.map((r) => r[x]), y: d.map((r) => r.deadCodes), yaxis: 'y2', line: { color: PALETTE[1], dash: 'dot' } },
    ],
    layout: { ...BASE_LAYOUT, title: { text: 'Codebook perplexity and dead codes' }, xaxis: { title: { text: x } },
      yaxis: { title: { text: 'perplexity' } }, yaxis2: { title: { text: 'dead codes' }, overlaying: 'y', side: 'right', rangemode: 'tozero' } },
  };
}

/** Token grid of one network: one row per layer, one cell per code; hover shows code, tensor and offset. */
export function tokenGrid(chunks: TokenChunk[], opts: { title?: string } = {}): Figure {
  if (!Array.isArray(chunks) || chunks.length === 0) fail('tokenGrid', 'no chunks: pass [{ position, codes }] for one network');
  const rows = new Map<number, TokenChunk[]>();
  for (const c of chunks) {
    if (!c.position || !Array.isArray(c.codes)) fail('tokenGrid', 'each chunk needs { position, codes: number[] }');
    const l = c.position.layer;
    if (!rows.has(l)) rows.set(l, []);
    rows.get(l)!.push(c);
  }
  const layers = [...rows.keys()].sort((a, b) => a - b);
  const width = Math.max(...layers.map((l) => rows.get(l)!.reduce((n, c) => n + c.codes.length, 0)));
  const z: Array<Array<number | null>> = [];
  const text: string[][] = [];
  for (const l of layers) {
    const zr: Array<number | null> = [], tr: string[] = [];
    for (const c of rows.get(l)!.sort((a, b) => a.position.chunk - b.position.chunk)) {
      c.codes.forEach((code, j) => {
        zr.push(code);
        tr.push(`code ${code}<br>layer ${l}/${c.position.layers}<br>${c.position.tensorName ?? c.position.tensor} (${c.position.role})<br>offset ${c.position.offset}, chunk ${c.position.chunk}, token ${j}`);
      });
    }
    while (zr.length < width) { zr.push(null); tr.push(''); }
    z.push(zr); text.push(tr);
  }
  return {
    data: [{ type: 'heatmap', z, text, hoverinfo: 'text', y: layers.map((l) => `layer ${l}`), colorscale: 'Viridis', colorbar: { title: { text: 'code' } },
      // 1-pixel gaps would hide every cell once a row holds hundreds of tokens
      ...(width <= 200 ? { xgap: 1, ygap: 1 } : {}) }],
    layout: { ...BASE_LAYOUT, title: { text: opts.title ?? `Token grid: ${chunks.length} chunks over ${layers.length} layers` },
      xaxis: { title: { text: 'token within layer' } }, yaxis: { autorange: 'reversed' }, height: Math.max(250, 40 * layers.length + 120) },
  };
}

/** Histogram of weights per layer (all tensors of a layer together), one small panel per layer. */
export function weightHistograms(weights: WeightArray[], opts: { bins?: number; roles?: string[]; title?: string } = {}): Figure {
  const ws = opts.roles ? weights.filter((w) => opts.roles!.includes(w.role ?? 'other')) : weights;
  if (ws.length === 0) fail('weightHistograms', opts.roles ? `no tensor has a role in [${opts.roles.join(', ')}]` : 'no weight tensors given');
  const byLayer = new Map<number, number[]>();
  for (const w of ws) {
    if (!byLayer.has(w.layer)) byLayer.set(w.layer, []);
    const arr = byLayer.get(w.layer)!;
    for (let i = 0; i < w.values.length; i++) arr.push(w.values[i]);
  }
  const layers = [...byLayer.keys()].sort((a, b) => a - b);
  const g = grid(layers.length);
  const data = layers.map((l, i) => ({ type: 'histogram', x: byLayer.get(l), nbinsx: opts.bins ?? 60, name: `layer ${l}`, ...g.axes[i],
    marker: { color: PALETTE[i % PALETTE.length] }, showlegend: false }));
  const annotations = layers.map((l, i) => ({ text: `layer ${l} (${byLayer.get(l)!.length} values)`, showarrow: false,
    xref: `${g.axes[i].xaxis} domain`, yref: `${g.axes[i].yaxis} domain`, x: 0.5, y: 1.08, font: { size: 11 } }));
  return { data, layout: { ...BASE_LAYOUT, ...g.layout, annotations, title: { text: opts.title ?? 'Weight histograms per layer' }, height: Math.max(300, 200 * g.rows) } };
}

/** Every `step`-th value so a plot stays under `maxPoints` points. */
function strided(values: ArrayLike<number>, maxPoints: number) {
  const step = Math.max(1, Math.ceil(values.length / maxPoints));
  const x: number[] = [], y: number[] = [];
  for (let i = 0; i < values.length; i += step) { x.push(i); y.push(values[i]); }
  return { x, y };
}

/** Original vs reconstructed vs generated weights: overlaid (top) and as differences from the original (bottom). */
export function compareWeights(arrays: { original: ArrayLike<number>; reconstructed?: ArrayLike<number>; generated?: ArrayLike<number> },
  opts: { maxPoints?: number; title?: string } = {}): Figure {
  const maxPoints = opts.maxPoints ?? 4000;
  const { original } = arrays;
  const others = (['reconstructed', 'generated'] as const).filter((k) => arrays[k] !== undefined);
  if (!original || original.length === 0) fail('compareWeights', 'original must be a non-empty array');
  if (others.length === 0) fail('compareWeights', 'give reconstructed and/or generated weights to compare with the original');
  const data: Figure['data'] = [{ type: 'scattergl', mode: 'lines', name: 'original', ...strided(original, maxPoints), line: { color: '#222', width: 1 } }];
  others.forEach((k, i) => {
    const v = arrays[k]!;
    if (v.length !== original.length) fail('compareWeights', `${k} has ${v.length} values but original has ${original.length}`);
    const diff = new Float64Array(v.length);
    let se = 0;
    for (let j = 0; j < v.length; j++) { diff[j] = v[j] - original[j]; se += diff[j] * diff[j]; }
    const color = PALETTE[i + 1];
    data.push({ type: 'scattergl', mode: 'lines', name: k, ...strided(v, maxPoints), line: { color, width: 1 }, opacity: 0.8 });
    data.push({ type: 'scattergl', mode: 'lines', name: `${k} − original (rmse ${Math.sqrt(se / v.length).toExponential(2)})`, ...strided(diff, maxPoints), xaxis: 'x2', yaxis: 'y2', line: { color, width: 1 } });
  });
  return { data, layout: { ...BASE_LAYOUT, title: { text: opts.title ?? 'Original vs reconstructed vs generated weights' }, height: 550,
    xaxis: { anchor: 'y', domain: [0, 1] }, yaxis: { domain: [0.55, 1], title: { text: 'value' } },
    xaxis2: { anchor: 'y2', domain: [0, 1], title: { text: 'parameter index' } }, yaxis2: { domain: [0, 0.42], title: { text: 'difference' } } } };
}

/** Evaluation table (a Plotly table) from rows; numbers are shown with `digits` decimals. */
export function evalTable(rows: EvalRow[], opts: { columns?: string[]; digits?: number; title?: string } = {}): Figure {
  if (!Array.isArray(rows) || rows.length === 0) fail('evalTable', 'no rows to show');
  const columns = opts.columns ?? [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const digits = opts.digits ?? 4;
  const fmt = (v: unknown) => (typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(digits)) : v == null ? '' : String(v));
  return {
    data: [{ type: 'table', header: { values: columns.map((c) => `<b>${c}</b>`), fill: { color: '#dde6f0' }, align: 'left' },
      cells: { values: columns.map((c) => rows.map((r) => fmt(r[c]))), align: 'left' } }],
    layout: { ...BASE_LAYOUT, title: { text: opts.title ?? 'Evaluation' }, height: Math.min(900, 120 + 28 * rows.length) },
  };
}

/** Generated vs pretrained accuracy: grouped bars per task, from rows like { task, pretrained, generated, random? }. */
export function accuracyComparison(rows: EvalRow[], opts: { label?: string; series?: string[]; title?: string } = {}): Figure {
  if (!Array.isArray(rows) || rows.length === 0) fail('accuracyComparison', 'no rows to plot');
  const label = opts.label ?? 'task';
  const series = opts.series ?? numericKeys(rows as MetricsRow[], [label]);
  if (series.length === 0) fail('accuracyComparison', 'rows have no numeric columns to plot');
  const data = series.map((s, i) => ({ type: 'bar', name: s, x: rows.map((r) => String(r[label])), y: rows.map((r) => r[s] ?? null),
    marker: { color: PALETTE[i % PALETTE.length] }, hovertemplate: `%{x}<br>${s} %{y:.4f}<extra></extra>` }));
  // long task labels: let the x axis take the room its tick labels need (they were cut off at the bottom)
  return { data, layout: { ...BASE_LAYOUT, barmode: 'group', title: { text: opts.title ?? 'Accuracy: generated vs pretrained' }, xaxis: { automargin: true, tickangle: -45 }, yaxis: { title: { text: 'accuracy' } }, height: 620 } };
}

export const PALETTE = ['#3b6ea8', '#d1603d', '#4c9a5b', '#8e5ea2', '#c59b2b', '#2ba3a3', '#b0476b', '#6b6b6b'];
